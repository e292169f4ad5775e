package problem

import (
	"context"
	"strings"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// incidents returns the incident service, or refuses when none is
// configured.
func (s *Service) incidents() (*incident.Service, error) {
	if s.cfg.Incidents == nil {
		return nil, itsm.Errorf(itsm.CodeUnsupported, "problem: no incident service is configured (Config.Incidents)")
	}
	return s.cfg.Incidents, nil
}

// link links incident inc to p in c's transaction, by the incident's rules
// (incident.Service.LinkProblem: an agent of its desk, the incident not
// closed and linked to no problem), and counts it on p.
func (s *Service) link(ctx context.Context, c change, actor itsm.Actor, p *Problem, inc itsm.ID, wait bool) error {
	is, err := s.incidents()
	if err != nil {
		return err
	}
	i, err := is.LinkProblem(ctx, c.Tx(), actor, inc, p.ID, wait)
	if err != nil {
		return err
	}
	if i.Desk != p.Desk {
		// The transaction rolls back: the incident's link goes too.
		return itsm.Errorf(itsm.CodeInvalid, "link %s to %s: the incident is desk %s's, the problem desk %s's", i.Number, p.Number, i.Desk, p.Desk)
	}
	return c.problem(p, IncidentLinked{By: By{By: actor}, Incident: i.ID, Number: i.Number})
}

// Link links an incident to an open problem (IM-3), in one transaction
// with the incident's change; with wait, an open incident not already
// waiting waits for the problem (its clocks pause only where an
// agreement lists waiting_problem among its pause states). Only the desk
// links: the incidents are its own (SD-4).
func (s *Service) Link(ctx context.Context, actor itsm.Actor, id, inc itsm.ID, wait bool) (*Problem, error) {
	if inc.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "link: no incident given")
	}
	return s.changeProblem(ctx, actor, id, "link an incident to", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		return s.link(ctx, c, actor, p, inc, wait)
	})
}

// Unlink removes the link; an incident waiting for the problem resumes.
// Only the desk unlinks, until the problem is closed or cancelled; a
// closed incident keeps its link as history.
func (s *Service) Unlink(ctx context.Context, actor itsm.Actor, id, inc itsm.ID) (*Problem, error) {
	if inc.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "unlink: no incident given")
	}
	return s.changeProblem(ctx, actor, id, "unlink an incident from", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State) || p.State == StateResolved); err != nil {
			return err
		}
		return s.unlink(ctx, c, actor, p, inc)
	})
}

// unlink unlinks incident inc from p in c's transaction, by the incident's
// rules, and counts it off p.
func (s *Service) unlink(ctx context.Context, c change, actor itsm.Actor, p *Problem, inc itsm.ID) error {
	is, err := s.incidents()
	if err != nil {
		return err
	}
	i, err := is.UnlinkProblem(ctx, c.Tx(), actor, inc, p.ID)
	if err != nil {
		return err
	}
	return c.problem(p, IncidentUnlinked{By: By{By: actor}, Incident: i.ID, Number: i.Number})
}

// unlinkAll unlinks every incident linked to p that is not closed or
// cancelled: those keep their link as history, as a closed incident's
// record never changes.
func (s *Service) unlinkAll(ctx context.Context, c change, actor itsm.Actor, p *Problem) error {
	if p.Linked == 0 {
		return nil
	}
	is, err := s.incidents()
	if err != nil {
		return err
	}
	linked, err := is.LinkedTo(c.Tx(), p.ID)
	if err != nil {
		return err
	}
	for _, i := range linked {
		if i.State == incident.StateClosed || i.State == incident.StateCancelled {
			continue
		}
		if err := s.unlink(ctx, c, actor, p, i.ID); err != nil {
			return err
		}
	}
	return nil
}

// openLinked returns the open incidents linked to p, as org sees them,
// leaving out those it may not see.
func (s *Service) openLinked(tx itsm.ReadTx, p *Problem, org itsm.Organisation) ([]*incident.Incident, error) {
	if p.Linked == 0 || s.cfg.Incidents == nil {
		return nil, nil
	}
	linked, err := s.cfg.Incidents.LinkedTo(tx, p.ID)
	if err != nil {
		return nil, err
	}
	var out []*incident.Incident
	for _, i := range linked {
		if incident.IsOpen(i.State) {
			if v := incident.ViewOf(i, org).Incident(i); v != nil {
				out = append(out, v)
			}
		}
	}
	return out, nil
}

// CommunicateWorkaround tells the users of every linked open incident the
// workaround, as a communication entry on each incident
// (incident.Service.TellWorkaround), and records on the problem which
// incidents were told. Only the desk speaks to users (SD-4); the
// workaround must be the desk's and not retired, and at least one linked
// incident open.
func (s *Service) CommunicateWorkaround(ctx context.Context, actor itsm.Actor, id, workaround itsm.ID, text string) (*Problem, []*incident.Incident, error) {
	if err := checkText("text", &text, true); err != nil {
		return nil, nil, err
	}
	var told []*incident.Incident
	p, err := s.changeProblem(ctx, actor, id, "communicate a workaround of", func(c change, cmd chain.Command, _ itsm.Organisation, p *Problem) error {
		told = nil
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(IsOpen(p.State)); err != nil {
			return err
		}
		w, err := attachable(c.Tx(), p.Desk, workaround)
		if err != nil {
			return err
		}
		is, err := s.incidents()
		if err != nil {
			return err
		}
		linked, err := is.LinkedTo(c.Tx(), p.ID)
		if err != nil {
			return err
		}
		var numbers []itsm.Number
		for _, i := range linked {
			if !incident.IsOpen(i.State) {
				continue
			}
			t, err := is.TellWorkaround(ctx, c.Tx(), actor, i.ID, p.ID, w.ID, text)
			if err != nil {
				return err
			}
			told, numbers = append(told, t), append(numbers, t.Number)
		}
		if len(numbers) == 0 {
			return cmd.Refuse(itsm.CodeConflict, "no open incident is linked to it")
		}
		return c.problem(p, WorkaroundCommunicated{By: By{By: actor}, Workaround: w.ID, WorkaroundNumber: w.Number, Incidents: numbers})
	})
	if err != nil {
		return nil, nil, err
	}
	return p, told, nil
}

// ResolveIncident resolves one incident linked to the problem, through the
// incident's own holder: the desk resolves what it holds, a supplier
// reports back what it holds (incident.Service.ResolveForProblem); the
// resolution names the workaround used, if any, which must be the desk's
// and not retired. The incident records it; the problem is unchanged.
func (s *Service) ResolveIncident(ctx context.Context, actor itsm.Actor, id, inc itsm.ID, workaround itsm.ID, text string) (*incident.Incident, error) {
	if inc.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "resolve an incident: no incident given")
	}
	var out *incident.Incident
	_, err := s.changeProblem(ctx, actor, id, "resolve an incident of", func(c change, _ chain.Command, _ itsm.Organisation, p *Problem) error {
		out = nil
		if !workaround.IsZero() {
			if _, err := attachable(c.Tx(), p.Desk, workaround); err != nil {
				return err
			}
		}
		is, err := s.incidents()
		if err != nil {
			return err
		}
		out, err = is.ResolveForProblem(ctx, c.Tx(), actor, inc, p.ID, workaround, text)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Incidents returns the incidents linked to a problem, in master-number
// order, as the actor's organisation sees each: those it may not see
// (incident.ViewOf) are left out.
func (s *Service) Incidents(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]*incident.Incident, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	is, err := s.incidents()
	if err != nil {
		return nil, err
	}
	var out []*incident.Incident
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		p, err := loadProblem(tx, id)
		if err != nil {
			return err
		}
		if !s.reads(org, p.Desk) {
			return notFound("problem", id)
		}
		linked, err := is.LinkedTo(tx, id)
		for _, i := range linked {
			if v := incident.ViewOf(i, org).Incident(i); v != nil {
				out = append(out, v)
			}
		}
		return err
	})
	return out, err
}

// resolvedBy is how many incidents workaround resolved, as the incidents
// say: zero without an incident service.
func (s *Service) resolvedBy(tx itsm.ReadTx, workaround itsm.ID) (int, error) {
	if s.cfg.Incidents == nil {
		return 0, nil
	}
	return s.cfg.Incidents.ResolvedBy(tx, workaround)
}

// noneWaits refuses cmd while an incident linked to p waits for it.
func (s *Service) noneWaits(tx itsm.ReadTx, cmd chain.Command, p *Problem) error {
	if p.Linked == 0 || s.cfg.Incidents == nil {
		return nil
	}
	linked, err := s.cfg.Incidents.LinkedTo(tx, p.ID)
	if err != nil {
		return err
	}
	var waiting []string
	for _, i := range linked {
		if i.State == incident.StateWaitingProblem {
			waiting = append(waiting, i.Number.String())
		}
	}
	if len(waiting) > 0 {
		return cmd.Refuse(itsm.CodeConflict, "incidents %s still wait for it: resolve or unlink them first", strings.Join(waiting, ", "))
	}
	return nil
}
