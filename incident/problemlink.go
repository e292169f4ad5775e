package incident

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// The commands of this file change an incident inside a write transaction
// of the caller's, package problem's, so that a problem's event and the
// events of its incidents commit together or not at all (IM-3, PM-1,
// PM-2). They run the rules of every other command (changeIn) but neither
// retry, which is the caller's write loop's business on CodeConflict, nor
// deliver messages to the Notifier, which must wait for a commit they do
// not see: none of their payloads notifies, and one that would fails the
// command with CodeInternal rather than be lost.

// Resolution codes ResolveForProblem records: a workaround of the
// problem's resolved the incident, or the problem's permanent solution did.
const (
	CodeWorkaround = "workaround"
	CodeProblem    = "problem"
)

// LinkProblem links incident id to problem (IM-3): the actor must be an
// agent of the incident's desk, the incident not closed or cancelled and
// linked to no problem (CodeConflict, also when it is linked to this one
// already). With wait, an incident in registered or in progress also
// waits for the problem (StateWaitingProblem, the event Wait records);
// one delegated and not yet accepted, or already waiting, is linked
// without waiting. Whether the wait pauses a clock is the agreements'
// decision (their pause states), as for every wait. The problem itself is
// the caller's to check.
func (s *Service) LinkProblem(ctx context.Context, tx itsm.WriteTx, actor itsm.Actor, id, problem itsm.ID, wait bool) (*Incident, error) {
	if problem.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "link incident %s: the problem is zero", id)
	}
	return s.changeTx(ctx, tx, actor, id, func(_ itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		c := command("link to a problem", inc, a, org)
		if err := c.AsDesk(); err != nil {
			return nil, err
		}
		if err := c.InState(editable(inc.State)); err != nil {
			return nil, err
		}
		switch inc.Problem {
		case problem:
			return nil, c.Refuse(itsm.CodeConflict, "it is already linked to problem %s", problem)
		case itsm.ID{}:
		default:
			return nil, c.Refuse(itsm.CodeConflict, "it is linked to problem %s; unlink it there first", inc.Problem)
		}
		out := []Payload{ProblemLinked{By: By{By: a}, Problem: problem}}
		// The states Wait accepts: a delegated incident is the supplier's
		// to accept first, and a waiting one already waits.
		if wait && (inc.State == StateRegistered || inc.State == StateInProgress) {
			out = append(out, Waiting{By: By{By: a}, Reason: WaitProblem})
		}
		return out, nil
	})
}

// UnlinkProblem removes the link between incident id and problem: the
// actor must be an agent of the incident's desk, the incident not closed
// or cancelled (nothing but reopening changes those: a closed incident
// stays linked to the problem it was linked to when it closed, as
// history) and linked to that problem. An incident waiting for a problem
// resumes, as Resume records it, since the problem it waited for is no
// longer its.
func (s *Service) UnlinkProblem(ctx context.Context, tx itsm.WriteTx, actor itsm.Actor, id, problem itsm.ID) (*Incident, error) {
	return s.changeTx(ctx, tx, actor, id, func(_ itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := deskOnLinked("unlink from a problem", inc, a, org, editable(inc.State), problem); err != nil {
			return nil, err
		}
		out := []Payload{ProblemUnlinked{By: By{By: a}, Problem: problem}}
		if inc.State == StateWaitingProblem {
			out = append(out, Resumed{By: By{By: a}})
		}
		return out, nil
	})
}

// TellWorkaround records that the desk told the user of incident id a
// workaround of its problem, text being what it said (SD-6, PM-2): a
// communication entry of the journal, recorded as an event of its own
// that names the problem and the workaround. The actor must be an agent
// of the incident's desk, which informs users, and the incident open and
// linked to problem; the workaround is checked against the workaround
// database (Config.Workarounds).
func (s *Service) TellWorkaround(ctx context.Context, tx itsm.WriteTx, actor itsm.Actor, id, problem, workaround itsm.ID, text string) (*Incident, error) {
	if workaround.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "tell a workaround on incident %s: the workaround is zero", id)
	}
	if err := checkText("workaround text", text, true); err != nil {
		return nil, err
	}
	return s.changeTx(ctx, tx, actor, id, func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := deskOnLinked("tell a workaround on", inc, a, org, IsOpen(inc.State), problem); err != nil {
			return nil, err
		}
		if err := s.checkWorkaround(tx, workaround); err != nil {
			return nil, err
		}
		return []Payload{WorkaroundCommunicated{By: By{By: a}, Problem: problem, Workaround: workaround, Text: text}}, nil
	})
}

// ResolveForProblem resolves incident id, linked to problem, through its
// own holder: an agent of the desk resolves it as Resolve does, an agent of
// a supplier reports it back as ReportBack does, each by exactly those
// rules (the desk cannot resolve what a supplier holds; a supplier that
// does not hold it may not). The resolution's code is CodeWorkaround when
// workaround is set, which it records (Outcome.Workaround) after checking
// it as Resolve does, and CodeProblem otherwise; text is the resolution
// text.
func (s *Service) ResolveForProblem(ctx context.Context, tx itsm.WriteTx, actor itsm.Actor, id, problem, workaround itsm.ID, text string) (*Incident, error) {
	r := Resolution{Code: CodeProblem, Text: text, Workaround: workaround}
	if !workaround.IsZero() {
		r.Code = CodeWorkaround
	}
	if err := checkResolution(&r); err != nil {
		return nil, err
	}
	return s.changeTx(ctx, tx, actor, id, func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error) {
		decide, cmd := s.reportBack(r), "report back"
		if org.ID == inc.Desk {
			decide, cmd = s.resolve(r), "resolve"
		}
		// The holder's rules first, so that an organisation with no say
		// learns that, not which problem the incident is linked to.
		out, err := decide(tx, inc, a, org, at)
		if err != nil {
			return nil, err
		}
		if err := linkedTo(command(cmd, inc, a, org).Refuse, inc, problem); err != nil {
			return nil, err
		}
		return out, nil
	})
}

// deskOnLinked checks what unlinking and telling a workaround share: the
// actor is an agent of the incident's desk, the state is one ok allows,
// and the incident is linked to problem.
func deskOnLinked(cmd string, inc *Incident, a itsm.Actor, org itsm.Organisation, ok bool, problem itsm.ID) error {
	c := command(cmd, inc, a, org)
	if err := c.AsDesk(); err != nil {
		return err
	}
	if err := c.InState(ok); err != nil {
		return err
	}
	return linkedTo(c.Refuse, inc, problem)
}

// linkedTo refuses, through refuse, an incident not linked to problem.
func linkedTo(refuse func(itsm.Code, string, ...any) error, inc *Incident, problem itsm.ID) error {
	if inc.Problem != problem {
		return refuse(itsm.CodeConflict, "it is linked to problem %s, not %s", linkName(inc.Problem), linkName(problem))
	}
	return nil
}

// Linkable reports whether LinkProblem could link incident id as far as
// the incident itself goes: it is neither closed nor cancelled and is
// linked to no problem. Who links it is still LinkProblem's to check. A
// candidate problem's incidents are mostly closed by the time the desk
// accepts it; package problem links the others and keeps the closed ones
// as evidence.
func (s *Service) Linkable(tx itsm.ReadTx, id itsm.ID) (bool, error) {
	inc, err := load(tx, id)
	if err != nil {
		return false, err
	}
	return editable(inc.State) && inc.Problem.IsZero(), nil
}

// LinkedTo returns every incident linked to problem, in master-number
// order, whole: the caller (package problem) decides who may see what of
// them. tx may be a write transaction, whose own changes it sees.
func (s *Service) LinkedTo(tx itsm.ReadTx, problem itsm.ID) ([]*Incident, error) {
	var out []*Incident
	err := eachMatch(tx, IndexProblem, problem, func(r itsm.Record) error {
		// Not through the decoded cache: a write transaction's record may
		// yet be rolled back, and its version then reused by another.
		inc, err := decodeRecord(r)
		if err != nil {
			return err
		}
		out = append(out, inc)
		return nil
	})
	slices.SortFunc(out, func(a, b *Incident) int {
		return cmp.Or(strings.Compare(a.Number.Prefix, b.Number.Prefix), cmp.Compare(a.Number.Seq, b.Number.Seq))
	})
	return out, err
}

// ResolvedBy returns how many incidents workaround resolved (PM-2: how well
// it works): those whose outcome names it now. A reopened incident no
// longer counts, nor does it until it is resolved again.
func (s *Service) ResolvedBy(tx itsm.ReadTx, workaround itsm.ID) (int, error) {
	n := 0
	err := eachMatch(tx, IndexWorkaround, workaround, func(itsm.Record) error {
		n++
		return nil
	})
	return n, err
}

// eachMatch calls fn with every incident record whose index holds id, a
// page at a time.
func eachMatch(tx itsm.ReadTx, index string, id itsm.ID, fn func(itsm.Record) error) error {
	q := itsm.Query{Kind: Kind, Index: index, Match: itsm.MatchEqual, Value: id.String(), Limit: itsm.MaxLimit}
	for {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			if err := fn(h.Record); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		q.After = page.Next
	}
}

// checkWorkaround checks a workaround a command names; zero names none.
func (s *Service) checkWorkaround(tx itsm.ReadTx, id itsm.ID) error {
	switch {
	case id.IsZero():
		return nil
	case s.cfg.Workarounds == nil:
		return itsm.Errorf(itsm.CodeInvalid, "workaround %s: there is no workaround database (incident.Config.Workarounds)", id)
	}
	return s.cfg.Workarounds.CheckWorkaround(tx, id)
}

// changeTx runs one command on one incident in the caller's write
// transaction tx, by the rules every command follows (changeIn). It
// returns the incident as the actor's organisation sees it.
func (s *Service) changeTx(ctx context.Context, tx itsm.WriteTx, actor itsm.Actor, id itsm.ID, decide checkedDecision) (*Incident, error) {
	if tx == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "incident %s: no transaction to change it in", id)
	}
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	out, sent, _, err := s.changeIn(tx, actor, org, id, decide)
	if err != nil {
		return nil, err
	}
	if len(sent) > 0 {
		// The messages could be delivered only after the caller's commit,
		// which this service does not see: refuse rather than lose them.
		return nil, itsm.Errorf(itsm.CodeInternal, "incident %s: a change in another service's transaction would notify %d recipients, which it cannot deliver", out.Number, len(sent))
	}
	return ViewOf(out, org).Incident(out), nil
}
