package problem

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// asDesk checks that the actor is an agent of a desk, for the commands
// that are the desk's alone: trend analysis is its duty (PM-3).
func asDesk(what string, actor itsm.Actor, org itsm.Organisation) error {
	switch {
	case org.Role != itsm.OrgDesk:
		return itsm.Errorf(itsm.CodeForbidden, "%s: only the desk may (PM-3); %s is a %s", what, org.ID, org.Role)
	case !actor.HasRole(itsm.RoleAgent):
		return itsm.Errorf(itsm.CodeForbidden, "%s: %q of desk %s is not an agent", what, actor.Person, org.ID)
	}
	return nil
}

// Candidates runs the detector (PM-3) over the incidents src yields, with
// the dismissals stored so far for the actor's desk added to
// cfg.Dismissed. Only the desk's agents run it. src should yield the
// desk's incidents only (incident.Service.Tickets as the desk sees them).
func (s *Service) Candidates(ctx context.Context, actor itsm.Actor, src candidate.Source, cfg candidate.Config) ([]candidate.Candidate, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	if err := asDesk("candidates", actor, org); err != nil {
		return nil, err
	}
	var stored []candidate.Dismissal
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		stored, err = dismissals(tx, org.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	cfg.Dismissed = append(slices.Clone(cfg.Dismissed), stored...)
	return candidate.Detect(src, cfg)
}

// dismissals reads every dismissal stored for desk, in the order they
// were stored.
func dismissals(tx itsm.ReadTx, desk itsm.ID) ([]candidate.Dismissal, error) {
	var out []candidate.Dismissal
	q := itsm.Query{Kind: KindDismissal, Index: IndexDesk, Match: itsm.MatchEqual, Value: desk.String(), Limit: itsm.MaxLimit}
	for {
		page, err := tx.Query(q)
		if err != nil {
			return nil, err
		}
		for _, h := range page.Matches {
			var d dismissalRecord
			if err := json.Unmarshal(h.Record.Body, &d); err != nil {
				return nil, itsm.Wrap(itsm.CodeInternal, err, "decode dismissal %s", h.Record.ID)
			}
			out = append(out, d.Dismissal)
		}
		if page.Next == "" {
			// Record IDs are version 7 UUIDs: their order is when they
			// were made.
			return out, nil
		}
		q.After = page.Next
	}
}

// AcceptCandidate records a problem from a candidate with its incidents
// linked, in one command, and records that they are not proposed again.
// The recording's service, category and summary default to the
// candidate's key. The incidents the recording names are linked or the
// command is refused; the candidate's own are linked where they can be
// (incident.Service.Linkable), and those already closed, cancelled or
// linked to another problem stay as evidence in the candidate.accepted
// event. The desk's agents only.
func (s *Service) AcceptCandidate(ctx context.Context, actor itsm.Actor, c candidate.Candidate, r Recording) (*Problem, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if err := asDesk("accept a candidate", actor, org); err != nil {
		return nil, err
	}
	if r.Desk, err = s.deskFor(ctx, "accept a candidate", actor, org, r.Desk); err != nil {
		return nil, err
	}
	if r.Service == "" {
		r.Service = c.Key.Service
	}
	if r.Category == "" {
		r.Category = c.Key.Category
	}
	if r.Summary == "" {
		r.Summary = c.Key.String()
	}
	// The incidents the desk names must be linked; the candidate's are
	// linked where they still can be (decision 109): a week's spike is
	// mostly closed by the time the desk looks at it, and a closed
	// incident does not change. All of them stay in the acceptance's
	// dismissal, the problem's evidence, and are not proposed again.
	named := r.Incidents
	incidents := slices.Clone(c.Incidents)
	for _, id := range r.Incidents {
		if !slices.Contains(incidents, id) {
			incidents = append(incidents, id)
		}
	}
	r.Incidents = incidents
	if err := r.check(); err != nil {
		return nil, err
	}
	is, err := s.incidents()
	if err != nil {
		return nil, err
	}
	// The dismissal is checked before the transaction, its reason and time
	// set in it.
	d, err := candidate.Dismiss(c, actor.Person, "accepted as a problem", s.clock.Now())
	if err != nil {
		return nil, err
	}
	digest := itsm.Digest(struct {
		Recording
		Candidate candidate.Key
	}{r, c.Key})
	var out *Problem
	err = s.write(ctx, func(ch change) error {
		out = nil
		if r.Key != "" {
			prior, err := problemByKey(ch.Tx(), r.Desk, r.Key, digest)
			if err != nil || prior != nil {
				out = prior
				return err
			}
		}
		rec := r
		rec.Incidents = nil
		for _, id := range r.Incidents {
			ok, err := is.Linkable(ch.Tx(), id)
			if err != nil {
				return err
			}
			if ok || slices.Contains(named, id) {
				rec.Incidents = append(rec.Incidents, id)
			}
		}
		p, err := s.record(ctx, ch, actor, org, rec, c.Key.String())
		if err != nil {
			return err
		}
		if r.Key != "" {
			if err := itsm.PutKeyDigest(ch.Tx(), KeyKind, p.ID, digest); err != nil {
				return err
			}
		}
		d.Reason, d.At = "accepted as problem "+p.Number.String(), ch.At()
		if _, err := ch.dismissal(CandidateAccepted{Dismissed{By: By{By: actor}, Desk: r.Desk, Problem: p.ID, Dismissal: d}}); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// DismissCandidate stores the desk's judgment that a candidate is no
// problem, with a reason; its incidents are not proposed again. The
// desk's agents only.
func (s *Service) DismissCandidate(ctx context.Context, actor itsm.Actor, c candidate.Candidate, reason string) (candidate.Dismissal, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return candidate.Dismissal{}, err
	}
	if err := asDesk("dismiss a candidate", actor, org); err != nil {
		return candidate.Dismissal{}, err
	}
	if err := checkIncidents("dismiss a candidate", c.Incidents); err != nil {
		return candidate.Dismissal{}, err
	}
	d, err := candidate.Dismiss(c, actor.Person, reason, s.clock.Now())
	if err != nil {
		return candidate.Dismissal{}, err
	}
	err = s.write(ctx, func(ch change) error {
		d.At = ch.At()
		_, err := ch.dismissal(CandidateDismissed{Dismissed{By: By{By: actor}, Desk: org.ID, Dismissal: d}})
		return err
	})
	if err != nil {
		return candidate.Dismissal{}, err
	}
	return d, nil
}

// Dismissals returns the dismissals stored for the actor's desk, those of
// accepted candidates among them, in the order they were stored.
func (s *Service) Dismissals(ctx context.Context, actor itsm.Actor) ([]candidate.Dismissal, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	if err := asDesk("dismissals", actor, org); err != nil {
		return nil, err
	}
	var out []candidate.Dismissal
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out, err = dismissals(tx, org.ID)
		return err
	})
	return out, err
}
