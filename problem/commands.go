package problem

import (
	"context"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// Recording is a problem as the desk or a supplier records it.
type Recording struct {
	// Desk is the desk whose delivery it belongs to; a desk's agent leaves
	// it empty (their own desk), a supplier's agent names it.
	Desk        itsm.ID
	Summary     string
	Description string
	Service     string
	Category    string
	// Priority is from 1, the highest, to MaxPriority.
	Priority itsm.Priority
	// Group is the recording organisation's group that holds it first.
	Group itsm.ID
	CIs   []itsm.ID
	// Incidents are linked at once, as Link does (Wait applies to each);
	// at most MaxIncidents.
	Incidents []itsm.ID
	Wait      bool
	// Key makes recording idempotent, as incident registration's key: a
	// retry with the key and the same recording returns the problem the
	// first attempt made; with other content it is refused with
	// CodeInvalid wrapping itsm.ErrKeyReused. Keys are unique per desk.
	Key string
}

// MaxIncidents is the most incidents one recording links at once.
const MaxIncidents = 500

// KeyKind is the record kind that keeps the digest of a problem recorded
// with an idempotency key, under the problem's ID (itsm.PutKeyDigest).
const KeyKind = "problem.key"

// check checks and trims a recording.
func (r *Recording) check() error {
	if err := checkLabel("summary", &r.Summary, true); err != nil {
		return err
	}
	if err := checkText("description", &r.Description, false); err != nil {
		return err
	}
	if err := checkLabel("service", &r.Service, false); err != nil {
		return err
	}
	if err := checkLabel("category", &r.Category, false); err != nil {
		return err
	}
	if r.Priority < 1 || r.Priority > MaxPriority {
		return itsm.Errorf(itsm.CodeInvalid, "priority %d is not from 1 to %d", r.Priority, MaxPriority)
	}
	var err error
	if r.CIs, err = checkIDs("configuration items", r.CIs); err != nil {
		return err
	}
	if err := checkIncidents("record", r.Incidents); err != nil {
		return err
	}
	return itsm.CheckKey("record", r.Key)
}

// checkIncidents checks the incidents a command links or dismisses: none
// zero, none twice, at most MaxIncidents.
func checkIncidents(what string, ids []itsm.ID) error {
	if len(ids) > MaxIncidents {
		return itsm.Errorf(itsm.CodeInvalid, "%s: %d incidents, more than %d", what, len(ids), MaxIncidents)
	}
	seen := make(map[itsm.ID]bool, len(ids))
	for _, id := range ids {
		if id.IsZero() || seen[id] {
			return itsm.Errorf(itsm.CodeInvalid, "%s: incident %s is zero or given twice", what, id)
		}
		seen[id] = true
	}
	return nil
}

// Record records a problem (PM-1), held by the recording organisation: a
// desk's agent records one for their desk, held by the desk (and the group
// given, one of the desk's); a supplier's agent for the desk it names,
// held by the supplier as if the desk had delegated it and the supplier
// accepted, so that the supplier's clocks on it run. The incidents given
// are linked in the same transaction. With a CMDB (Config.Items), its
// configuration items must be the desk's items in use.
func (s *Service) Record(ctx context.Context, actor itsm.Actor, r Recording) (*Problem, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if r.Desk, err = s.deskFor(ctx, "record", actor, org, r.Desk); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	digest := itsm.Digest(r)
	var out *Problem
	err = s.write(ctx, func(c change) error {
		out = nil
		if r.Key != "" {
			prior, err := problemByKey(c.Tx(), r.Desk, r.Key, digest)
			if err != nil || prior != nil {
				out = prior
				return err
			}
		}
		p, err := s.record(ctx, c, actor, org, r, "")
		if err != nil {
			return err
		}
		if r.Key != "" {
			if err := itsm.PutKeyDigest(c.Tx(), KeyKind, p.ID, digest); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	return out, err
}

// record makes the problem r describes, checked, at r.Desk, and links its
// incidents; candidate is the key of the candidate it comes from, if any.
func (s *Service) record(ctx context.Context, c change, actor itsm.Actor, org itsm.Organisation, r Recording, candidate string) (*Problem, error) {
	if !r.Group.IsZero() {
		if err := chain.CheckHolder(c.Tx(), chain.Holder{Organisation: org.ID, Group: r.Group}); err != nil {
			return nil, itsm.Wrap(itsm.ErrorCode(err), err, "record")
		}
	}
	if err := itsm.CheckNewItems(s.cfg.Items, c.Tx(), "record", r.Desk, r.CIs, nil); err != nil {
		return nil, err
	}
	n, err := c.Tx().NextNumber(PrefixProblem)
	if err != nil {
		return nil, err
	}
	p := &Problem{ID: itsm.NewID()}
	if err := c.problem(p, Recorded{By: By{By: actor}, Number: n, Desk: r.Desk, RecordedBy: org.ID, Group: r.Group,
		Summary: r.Summary, Description: r.Description, Service: r.Service, Category: r.Category,
		Priority: r.Priority, CIs: r.CIs, Candidate: candidate, Key: r.Key}); err != nil {
		return nil, err
	}
	for _, inc := range r.Incidents {
		if err := s.link(ctx, c, actor, p, inc, r.Wait); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// problemByKey returns the problem of desk recorded with key, or nil; a
// recording with the key and another digest is refused.
func problemByKey(tx itsm.ReadTx, desk itsm.ID, key, digest string) (*Problem, error) {
	page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexKey, Match: itsm.MatchEqual, Value: desk.String() + " " + key, Limit: 1})
	if err != nil || len(page.Matches) == 0 {
		return nil, err
	}
	p, err := loadProblem(tx, page.Matches[0].Record.ID)
	if err != nil {
		return nil, err
	}
	kept, _, err := itsm.KeyDigest(tx, KeyKind, p.ID)
	if err != nil {
		return nil, err
	}
	if kept != digest {
		return nil, itsm.Errorf(itsm.CodeInvalid, "record: key %q recorded %s with other content; a retry must repeat the recording unchanged, and a new problem needs a new key: %w",
			key, p.Number, itsm.ErrKeyReused)
	}
	return p, nil
}

// changeProblem runs one command on one problem in a write transaction:
// the problem must be one the actor's organisation reads (else it is not
// found, as incidents are), at the version IfVersion asks for; decide
// applies the chain's rules through cmd and records the change.
func (s *Service) changeProblem(ctx context.Context, actor itsm.Actor, id itsm.ID, name string,
	decide func(c change, cmd chain.Command, org itsm.Organisation, p *Problem) error) (*Problem, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	var out *Problem
	err = s.write(ctx, func(c change) error {
		out = nil
		p, err := loadProblem(c.Tx(), id)
		if err != nil {
			return err
		}
		if !s.reads(org, p.Desk) {
			return notFound("problem", id)
		}
		if err := itsm.CheckVersion("problem", p.Number.String(), p.Version, s.expect); err != nil {
			return err
		}
		if err := decide(c, command(name, p, actor, org), org, p); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// command is cmd on p by actor of org as the rules of the chain see it.
func command(name string, p *Problem, actor itsm.Actor, org itsm.Organisation) chain.Command {
	return chain.Command{Name: name, Kind: "problem", Number: p.Number, State: p.State, Desk: p.Desk,
		Custody: &p.Custody, Actor: actor, Org: org}
}

// asDeskOrHolder lets the desk that owns the problem and the organisation
// holding it act, refusing others as the holder's rule does.
func asDeskOrHolder(cmd chain.Command) error {
	if cmd.AsDesk() == nil {
		return nil
	}
	return cmd.AsHolder()
}

// Delegate hands the investigation to a supplier, and optionally one of
// its groups (the desk only, by the chain's rules: chain.Command.Delegation),
// in any open state; the problem is delegated until the supplier accepts
// it, and then returns to the state it had.
func (s *Service) Delegate(ctx context.Context, actor itsm.Actor, id itsm.ID, to itsm.ID, group itsm.ID, note string) (*Problem, error) {
	if err := checkText("note", &note, false); err != nil {
		return nil, err
	}
	if to.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "delegate: no supplier given")
	}
	return s.changeProblem(ctx, actor, id, "delegate", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		pingPong, err := cmd.Delegation(ctx, s.cfg.Directory, c.Tx(), chain.Holder{Organisation: to, Group: group})
		if err != nil {
			return err
		}
		return c.problem(p, Delegated{By: By{By: actor}, Organisation: to, Group: group, Note: note, PingPong: pingPong})
	})
}

// Accept: the supplier holding a delegated problem takes it on; the
// problem returns to the state it had before its delegation.
func (s *Service) Accept(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Problem, error) {
	return s.changeProblem(ctx, actor, id, "accept", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsSupplier(); err != nil {
			return err
		}
		if err := cmd.InState(p.State == StateDelegated); err != nil {
			return err
		}
		return c.problem(p, Accepted{By{By: actor}})
	})
}

// Reject: the supplier holding an open problem sends it back to the desk
// with a reason.
func (s *Service) Reject(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Problem, error) {
	if err := checkText("reason", &reason, true); err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "reject", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsSupplier(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		return c.problem(p, Rejected{By: By{By: actor}, Reason: reason})
	})
}

// Recall: the desk takes an open problem back from a supplier, with a
// reason.
func (s *Service) Recall(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Problem, error) {
	if err := checkText("reason", &reason, true); err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "recall", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.Recall(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		return c.problem(p, Recalled{By: By{By: actor}, Reason: reason})
	})
}

// Assign assigns an open problem inside the organisation holding it: to
// another of its groups, to a member, or both (chain.Command.Assignment).
func (s *Service) Assign(ctx context.Context, actor itsm.Actor, id itsm.ID, group itsm.ID, assignee, note string) (*Problem, error) {
	assignee = strings.TrimSpace(assignee)
	if group.IsZero() && assignee == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "assign: neither a group nor an assignee")
	}
	if err := checkText("note", &note, false); err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "assign", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsHolder(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		h, err := cmd.Assignment(c.Tx(), group, assignee)
		if err != nil {
			return err
		}
		return c.problem(p, Assigned{By: By{By: actor}, Group: h.Group, Assignee: h.Assignee, Note: note})
	})
}

// Investigate: the holder starts the root cause analysis of a new problem.
func (s *Service) Investigate(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Problem, error) {
	return s.changeProblem(ctx, actor, id, "investigate", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsHolder(); err != nil {
			return err
		}
		if err := cmd.InState(p.State == StateNew); err != nil {
			return err
		}
		return c.problem(p, InvestigationStarted{By{By: actor}})
	})
}

// Note adds a work note to the investigation: the desk or the holder, until
// the problem is closed or cancelled.
func (s *Service) Note(ctx context.Context, actor itsm.Actor, id itsm.ID, text string) (*Problem, error) {
	if err := checkText("note", &text, true); err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "note", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := asDeskOrHolder(cmd); err != nil {
			return err
		}
		if err := cmd.InState(p.State != StateClosed && p.State != StateCancelled); err != nil {
			return err
		}
		return c.problem(p, Noted{By: By{By: actor}, Text: text})
	})
}

// Relations are the configuration items and changes a problem relates to.
type Relations struct {
	CIs     []itsm.ID
	Changes []string
}

// Relate replaces the configuration items and changes of an open problem:
// the desk or the holder. The items it adds are checked against the CMDB
// (Config.Items).
func (s *Service) Relate(ctx context.Context, actor itsm.Actor, id itsm.ID, r Relations) (*Problem, error) {
	cis, err := checkIDs("configuration items", r.CIs)
	if err != nil {
		return nil, err
	}
	changes, err := checkLabels("changes", r.Changes)
	if err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "relate", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := asDeskOrHolder(cmd); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		if err := itsm.CheckNewItems(s.cfg.Items, c.Tx(), "relate "+p.Number.String(), p.Desk, cis, p.CIs); err != nil {
			return err
		}
		return c.problem(p, Related{By: By{By: actor}, CIs: cis, Changes: changes})
	})
}

// Identify records the root cause the holder found as a known error linked
// to the problem, which becomes a known error (PM-2): the known error is
// recorded in the same transaction, by the holder's organisation, at the
// problem's desk.
func (s *Service) Identify(ctx context.Context, actor itsm.Actor, id itsm.ID, d KnownErrorDraft) (*Problem, *KnownError, error) {
	content, err := d.check()
	if err != nil {
		return nil, nil, err
	}
	var k *KnownError
	p, err := s.changeProblem(ctx, actor, id, "identify", func(c change, cmd chain.Command, org itsm.Organisation, p *Problem) error {
		k = nil
		if err := cmd.AsHolder(); err != nil {
			return err
		}
		if err := cmd.InState(p.State == StateInvestigation); err != nil {
			return err
		}
		var err error
		if k, err = s.recordKnownError(c, actor, org, p.Desk, p.ID, content, d.Workarounds); err != nil {
			return err
		}
		return c.problem(p, Identified{By: By{By: actor}, KnownError: k.ID, KnownErrorNumber: k.Number, RootCause: k.RootCause})
	})
	if err != nil {
		return nil, nil, err
	}
	return p, k, nil
}

// StartFix: the holder starts the permanent fix of a problem under
// investigation or a known error, under the change ref; the problem's known
// error, if it has one and it is not retired, records the fix in
// progress under ref.
func (s *Service) StartFix(ctx context.Context, actor itsm.Actor, id itsm.ID, ref, note string) (*Problem, error) {
	if err := checkLabel("change", &ref, true); err != nil {
		return nil, err
	}
	if err := checkText("note", &note, false); err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "start the fix of", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsHolder(); err != nil {
			return err
		}
		if err := cmd.InState(p.State == StateKnownError || p.State == StateInvestigation); err != nil {
			return err
		}
		if len(p.Changes) >= MaxList && !slices.Contains(p.Changes, ref) {
			return itsm.Errorf(itsm.CodeInvalid, "start the fix of %s: it names %d changes already", p.Number, len(p.Changes))
		}
		if err := c.problem(p, FixStarted{By: By{By: actor}, Change: ref, Note: note}); err != nil {
			return err
		}
		if p.KnownError.IsZero() {
			return nil
		}
		k, err := loadKnownError(c.Tx(), p.KnownError)
		if err != nil || k.Retired {
			return err
		}
		fixed := k.content()
		fixed.Fix.Status, fixed.Fix.Change = FixInProgress, ref
		return c.knownError(k, KnownErrorRevised{By: By{By: actor}, KnownErrorContent: fixed})
	})
}

// Resolve: the holder reports the root cause removed. The linked incidents
// still open are returned as offers: each is resolved only by its own
// holder through ResolveIncident, never silently.
func (s *Service) Resolve(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Problem, []*incident.Incident, error) {
	if err := checkText("note", &note, true); err != nil {
		return nil, nil, err
	}
	var offers []*incident.Incident
	p, err := s.changeProblem(ctx, actor, id, "resolve", func(c change, cmd chain.Command, org itsm.Organisation, p *Problem) error {
		if err := cmd.AsHolder(); err != nil {
			return err
		}
		if err := cmd.InState(p.State == StateInvestigation || p.State == StateKnownError || p.State == StateFixInProgress); err != nil {
			return err
		}
		var err error
		if offers, err = s.openLinked(c.Tx(), p, org); err != nil {
			return err
		}
		return c.problem(p, Resolved{By: By{By: actor}, Note: note})
	})
	if err != nil {
		return nil, nil, err
	}
	return p, offers, nil
}

// Close: the desk closes a resolved problem, once no linked incident
// waits for it any more: each is resolved or unlinked first, never left
// waiting for a closed problem.
func (s *Service) Close(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Problem, error) {
	if err := checkText("note", &note, false); err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "close", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(p.State == StateResolved); err != nil {
			return err
		}
		if err := s.noneWaits(c.Tx(), cmd, p); err != nil {
			return err
		}
		return c.problem(p, Closed{By: By{By: actor}, Note: note})
	})
}

// Cancel: the desk cancels an open problem with a reason; its incidents
// are unlinked in the same transaction (and resumed if they waited for
// it).
func (s *Service) Cancel(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Problem, error) {
	if err := checkText("reason", &reason, true); err != nil {
		return nil, err
	}
	return s.changeProblem(ctx, actor, id, "cancel", func(c change, cmd chain.Command, org itsm.Organisation, p *Problem) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		if err := s.unlinkAll(ctx, c, actor, p); err != nil {
			return err
		}
		return c.problem(p, Cancelled{By: By{By: actor}, Reason: reason})
	})
}
