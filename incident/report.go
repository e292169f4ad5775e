package incident

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Tickets is the report.Source of a running system: a report.Ticket for every
// incident the actor's organisation may see that matters to period p, which
// is every incident registered before p.To that had not ended (been closed or
// cancelled) before p.From. For a report with a trend, pass the spec's Span,
// since every trend period needs its tickets.
//
// The organisation needs both read and report access to incidents: the
// tickets are its incident records, and together they make a report. It sees
// what List shows it (SD-13): a desk its own incidents, a supplier those it
// holds or held, a customer those of its users. A supplier's ticket carries
// the whole timeline, the other suppliers' intervals included, since the
// report measures the supplier's own agreement only over its own intervals.
// A ticket names the workaround of the incident's latest resolution, if one
// resolved it (Outcome.Workaround), which the problem figures count.
//
// The source reads one consistent snapshot of the store, in one read
// transaction held open while the report consumes it, so that an incident
// closing meanwhile is neither missed nor counted twice. It scans the
// IndexEnded values of the organisation, so the incidents that ended before
// the period are never read, and decodes only the fields a ticket needs.
// Tickets come in no particular order. A refused actor, an invalid period, a
// store failure or the end of ctx ends the iteration with the error (for ctx,
// one that wraps ctx.Err()).
func (s *Service) Tickets(ctx context.Context, actor itsm.Actor, p report.Period) report.Source {
	return report.Read(func(yield func(report.Ticket) bool) error { return s.tickets(ctx, actor, p, yield) })
}

// Now is the time of the service's clock: the instant a report over its
// Tickets is made at (report.Spec.Now), so that a period still running is
// measured where the incidents' own clocks stand.
func (s *Service) Now() time.Time { return s.clock.Now() }

func (s *Service) tickets(ctx context.Context, actor itsm.Actor, p report.Period, yield func(report.Ticket) bool) error {
	if err := p.Check(); err != nil {
		return err
	}
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessReport)
	if err != nil {
		return err
	}
	prefix := org.ID.String() + " "
	to := itsm.IndexTime(p.To)
	scans := []struct {
		q itsm.Query
		// check filters on the registration time in the value: the range
		// of the open scan already bounds it.
		check bool
	}{
		{q: itsm.Query{Kind: Kind, Index: IndexEnded, Match: itsm.MatchRange, Limit: itsm.MaxLimit,
			From: prefix + itsm.IndexTime(p.From), To: prefix + endedOpen}, check: true},
		{q: itsm.Query{Kind: Kind, Index: IndexEnded, Match: itsm.MatchRange, Limit: itsm.MaxLimit,
			From: prefix + endedOpen + " ", To: prefix + endedOpen + " " + to}},
	}
	return s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		for _, sc := range scans {
			err := itsm.Scan(ctx, tx, sc.q, func(h itsm.Hit) error {
				if sc.check && registeredIn(h.Value) >= to || !indexedVisible(h.Record, org) {
					return nil
				}
				t, err := decodeTicket(h.Record)
				if err != nil {
					return err
				}
				if !yield(t) {
					return report.ErrStopped
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// indexTimeLen is the length of every itsm.IndexTime value of years 0 to
// 9999.
var indexTimeLen = len(itsm.IndexTime(time.Unix(0, 0)))

// registeredIn returns the registration time of an IndexEnded value, its
// last field.
func registeredIn(v string) string {
	return v[max(0, len(v)-indexTimeLen):]
}

// indexedVisible is visible by the record's index values, so that an
// organisation's IndexEnded value never shows it an incident that Get would
// hide: an organisation that is somehow both customer and supplier of an
// incident sees it by its role.
func indexedVisible(r itsm.Record, org itsm.Organisation) bool {
	id := org.ID.String()
	switch org.Role {
	case itsm.OrgDesk, itsm.OrgSupplier:
		return slices.Contains(r.Index[IndexHeld], id)
	case itsm.OrgCustomer:
		return slices.Contains(r.Index[IndexCustomer], id)
	}
	return false
}

// ticketBody is the part of an incident's stored JSON that a report.Ticket
// needs. Decoding into it skips the journal, the handover texts and the
// assignments instead of allocating them, which makes a monthly report's
// reading about a fifth cheaper than decoding whole incidents (x_slim of
// BenchmarkMonthlyReport). Its field names must stay those of Incident:
// TestTickets compares every ticket with the incident decoded whole.
type ticketBody struct {
	ID            itsm.ID       `json:"id"`
	Number        string        `json:"number"`
	Desk          itsm.ID       `json:"desk"`
	Customer      itsm.ID       `json:"customer"`
	Service       string        `json:"service"`
	Category      string        `json:"category"`
	Registered    time.Time     `json:"registered"`
	Timeline      itsm.Timeline `json:"timeline"`
	Reassignments int           `json:"reassignments"`
	PingPong      int           `json:"ping_pong"`
	Moves         int           `json:"moves"`
	Reopened      int           `json:"reopened"`
	Outcome       *struct {
		FirstContact bool    `json:"first_contact"`
		Workaround   itsm.ID `json:"workaround"`
	} `json:"outcome"`
}

func decodeTicket(r itsm.Record) (report.Ticket, error) {
	var b ticketBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return report.Ticket{}, itsm.Wrap(itsm.CodeInternal, err, "decode incident %s", r.ID)
	}
	t := report.Ticket{
		ID: b.ID, Number: b.Number, Desk: b.Desk, Customer: b.Customer,
		Service: b.Service, Category: b.Category, Registered: b.Registered, Timeline: b.Timeline,
		FirstContact:  b.Outcome != nil && b.Outcome.FirstContact,
		Reassignments: b.Reassignments, PingPong: b.PingPong, Moves: b.Moves, Reopened: b.Reopened,
	}
	if b.Outcome != nil {
		t.Workaround = workaroundOf(b.Outcome.Workaround)
	}
	return t, nil
}

// workaroundOf is what report.Ticket.Workaround says of the workaround id
// of a resolution: its ID, or nothing when no workaround resolved it. The
// ID, not the number: the incident keeps only the ID, and a report counts
// rather than names them.
func workaroundOf(id itsm.ID) string {
	if id.IsZero() {
		return ""
	}
	return id.String()
}

// Ticket returns what a report needs of inc.
func (inc *Incident) Ticket() report.Ticket {
	t := report.Ticket{
		ID: inc.ID, Number: inc.Number.String(), Desk: inc.Desk, Customer: inc.Customer,
		Service: inc.Service, Category: inc.Category, Registered: inc.Registered,
		Timeline:      slices.Clone(inc.Timeline),
		FirstContact:  inc.Outcome != nil && inc.Outcome.FirstContact,
		Reassignments: inc.Reassignments, PingPong: inc.PingPong, Moves: inc.Moves, Reopened: inc.Reopened,
	}
	if inc.Outcome != nil {
		t.Workaround = workaroundOf(inc.Outcome.Workaround)
	}
	return t
}
