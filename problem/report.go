package problem

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// ReportProblems is the report.ProblemSource of a running system: a
// report.Problem for every problem the actor's organisation may read that
// matters to period p, which is every problem recorded before p.To that was
// neither resolved nor closed before p.From (report.Spec.Problems).
//
// The organisation needs both read and report access to problems, as
// incident.Service.Tickets needs to incidents, and sees what List shows it
// (decision 97): a desk its own problems, a supplier or the customer those
// of the desks it works with, including problems a supplier never held,
// since the investigation is shared work. Who held each problem when comes
// from its timeline (report.HoldingsOf), which the customer reads too.
//
// The source reads one snapshot of the store, in one read transaction held
// open while the report consumes it, and decodes only what a report.Problem
// needs. Problems come in no particular order. A refused actor, an invalid
// period, a store failure or the end of ctx ends the iteration with the
// error (for ctx, one that wraps ctx.Err()).
func (s *Service) ReportProblems(ctx context.Context, actor itsm.Actor, p report.Period) report.ProblemSource {
	return report.ReadProblems(func(yield func(report.Problem) bool) error { return s.reportProblems(ctx, actor, p, yield) })
}

// ReportKnownErrors is the report.KnownErrorSource of a running system
// (report.Spec.KnownErrors): a report.KnownError for every known error the
// actor's organisation may read that may count as without a permanent fix
// at the end of period p, read as ReportProblems reads problems and with
// the same rights. A known error recorded at or after p.To, or whose fix
// was released or that was retired before p.To, counts for no organisation
// and is left out.
//
// When its fix was released and when it was retired are not in the record.
// A retired known error changes no more (decision 98), so it was retired
// when it last changed. The time of a released fix is read from the known
// error's events, and only for those changed at or after p.To, since one
// changed before has had its fix released before p.To too: a report of a
// month still running reads no events, and one of a past month reads the
// events of each known error with a released fix that changed since the
// month's end.
func (s *Service) ReportKnownErrors(ctx context.Context, actor itsm.Actor, p report.Period) report.KnownErrorSource {
	return report.ReadKnownErrors(func(yield func(report.KnownError) bool) error { return s.reportKnownErrors(ctx, actor, p, yield) })
}

// MayReport reports whether actor's organisation has the read and report
// access to problems that ReportProblems and ReportKnownErrors need: a
// server that reports on incidents leaves the problem figures out of the
// report of an organisation without it, rather than refuse it the
// incidents.
func (s *Service) MayReport(actor itsm.Actor) bool {
	return s.cfg.Permissions.Allows(actor.Organisation, itsm.DomainProblem, itsm.AccessRead|itsm.AccessReport)
}

// ForReport returns what a report needs of p (report.Problem), as
// ReportProblems yields it.
func (p *Problem) ForReport() report.Problem {
	return reportProblem(p.ID, p.Number.String(), p.Desk, p.Created, p.Resolved, p.Closed, p.Timeline)
}

func reportProblem(id itsm.ID, number string, desk itsm.ID, created, resolved, closed time.Time, tl itsm.Timeline) report.Problem {
	return report.Problem{ID: id, Number: number, Desk: desk, Held: report.HoldingsOf(tl),
		Opened: created, Resolved: resolved, Closed: closed}
}

// reportOrg checks the period and the actor's rights, and returns the
// actor's organisation and the query of the records of kind it may read:
// a desk's own, or, for a supplier or the customer, every desk's, which
// reads filters.
func (s *Service) reportOrg(ctx context.Context, actor itsm.Actor, p report.Period, kind string) (itsm.Organisation, itsm.Query, error) {
	if err := p.Check(); err != nil {
		return itsm.Organisation{}, itsm.Query{}, err
	}
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessReport)
	if err != nil {
		return org, itsm.Query{}, err
	}
	q := itsm.Query{Kind: kind, Index: IndexDesk, Match: itsm.MatchAll, Limit: itsm.MaxLimit}
	if org.Role == itsm.OrgDesk {
		q.Match, q.Value = itsm.MatchEqual, org.ID.String()
	}
	return org, q, nil
}

// problemBody is the part of a problem's stored JSON that a report.Problem
// needs; its field names must stay those of Problem, which
// TestReportProblems checks by comparing with ForReport.
type problemBody struct {
	ID       itsm.ID       `json:"id"`
	Number   string        `json:"number"`
	Desk     itsm.ID       `json:"desk"`
	Created  time.Time     `json:"created"`
	Resolved time.Time     `json:"resolved"`
	Closed   time.Time     `json:"closed"`
	Timeline itsm.Timeline `json:"timeline"`
}

func (s *Service) reportProblems(ctx context.Context, actor itsm.Actor, p report.Period, yield func(report.Problem) bool) error {
	org, q, err := s.reportOrg(ctx, actor, p, Kind)
	if err != nil {
		return err
	}
	return s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		return itsm.Scan(ctx, tx, q, func(h itsm.Hit) error {
			var b problemBody
			if err := json.Unmarshal(h.Record.Body, &b); err != nil {
				return itsm.Wrap(itsm.CodeInternal, err, "decode problem %s", h.Record.ID)
			}
			// One resolved or closed before the period was neither opened
			// nor resolved in it, nor open at its end.
			if !s.reads(org, b.Desk) || !b.Created.Before(p.To) || before(b.Resolved, p.From) || before(b.Closed, p.From) {
				return nil
			}
			return yielded(yield(reportProblem(b.ID, b.Number, b.Desk, b.Created, b.Resolved, b.Closed, b.Timeline)))
		})
	})
}

// knownErrorBody is the part of a known error's stored JSON that a
// report.KnownError needs, with Changed; its field names must stay those
// of KnownError.
type knownErrorBody struct {
	ID         itsm.ID   `json:"id"`
	Number     string    `json:"number"`
	Desk       itsm.ID   `json:"desk"`
	RecordedBy itsm.ID   `json:"recorded_by"`
	Fix        Fix       `json:"fix"`
	Retired    bool      `json:"retired"`
	Created    time.Time `json:"created"`
	Changed    time.Time `json:"changed"`
}

func (s *Service) reportKnownErrors(ctx context.Context, actor itsm.Actor, p report.Period, yield func(report.KnownError) bool) error {
	org, q, err := s.reportOrg(ctx, actor, p, KindKnownError)
	if err != nil {
		return err
	}
	return s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		// released are the known errors whose fix's release time is read
		// from the log, by ID; order keeps them in the order read.
		released := map[itsm.ID]*report.KnownError{}
		var order []itsm.ID
		err := itsm.Scan(ctx, tx, q, func(h itsm.Hit) error {
			var b knownErrorBody
			if err := json.Unmarshal(h.Record.Body, &b); err != nil {
				return itsm.Wrap(itsm.CodeInternal, err, "decode known error %s", h.Record.ID)
			}
			// Changed before p.To, a retired one or one with a released
			// fix was so before p.To: it counts for no one.
			if !s.reads(org, b.Desk) || !b.Created.Before(p.To) || (b.Retired || b.Fix.Status == FixReleased) && b.Changed.Before(p.To) {
				return nil
			}
			k := report.KnownError{ID: b.ID, Number: b.Number, Desk: b.Desk, RecordedBy: b.RecordedBy,
				Created: b.Created, Fix: string(b.Fix.Status)}
			if k.Fix == "" {
				k.Fix = report.FixNone
			}
			if b.Retired {
				k.Retired = b.Changed
			}
			if b.Fix.Status == FixReleased {
				released[k.ID] = &k
				order = append(order, k.ID)
				return nil
			}
			return yielded(yield(k))
		})
		if err != nil || len(released) == 0 {
			return err
		}
		if err := releases(ctx, tx, released); err != nil {
			return err
		}
		for _, id := range order {
			if err := yielded(yield(*released[id])); err != nil {
				return err
			}
		}
		return nil
	})
}

// releases sets the FixReleased of each known error of ks, all with a
// released fix now, to when its fix was last released: the event that
// made its status released from another, or recorded it released. It
// reads each one's own events (History, through the store's index) and
// replays them as ReplayKnownError does, so the time is that of the
// record's own fold.
func releases(ctx context.Context, tx itsm.ReadTx, ks map[itsm.ID]*report.KnownError) error {
	for id, out := range ks {
		if err := ctx.Err(); err != nil {
			return err
		}
		es, err := History(tx, KindKnownError, id)
		if err != nil {
			return err
		}
		k := new(KnownError)
		for _, e := range es {
			d, err := DecodeKnownError(e)
			if err != nil {
				return err
			}
			was := k.Fix.Status == FixReleased
			d.apply(k, e.Time.UTC())
			switch now := k.Fix.Status == FixReleased; {
			case now && !was:
				out.FixReleased = e.Time.UTC()
			case !now:
				out.FixReleased = time.Time{}
			}
		}
	}
	for _, k := range ks {
		if k.FixReleased.IsZero() {
			return itsm.Errorf(itsm.CodeInternal, "known error %s: its fix is released, but no event released it", k.Number)
		}
	}
	return nil
}

// yielded is what a scan returns after a yield that answered more:
// report.ErrStopped when the report wants no more.
func yielded(more bool) error {
	if !more {
		return report.ErrStopped
	}
	return nil
}

// before reports whether t is set and before end.
func before(t, end time.Time) bool { return !t.IsZero() && t.Before(end) }
