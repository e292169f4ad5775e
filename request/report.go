package request

import (
	"context"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Tickets is the report.Source of the orders and tasks the actor's
// organisation may see that matter to period p: a report.Ticket of kind
// KindOrder per order, measured end to end by the desk's SLA for requests,
// and one of kind KindTask per task, measured by the UC of each supplier
// that held it (decision 82). A desk sees its orders and their tasks, a
// customer its orders, a supplier the tasks it holds or held, as GetOrder
// and GetTask show them. Measure them against ForRequests of the
// agreements, so that their clocks stand still while an order waits for
// approval, as OrderClocks' do.
//
// An order or a task matters when it was placed (created) before p.To and
// had not ended before p.From: an order ends when it is closed or
// cancelled, a task when it is done or cancelled. The organisation needs
// read and report access to requests, as incident.Service.Tickets needs to
// incidents. The source reads one snapshot in one read transaction held
// open while the report consumes it; it reads every order or task of the
// organisation, since no index says when they ended. A refused actor, an
// invalid period, a store failure or the end of ctx ends the iteration
// with the error.
func (s *Service) Tickets(ctx context.Context, actor itsm.Actor, p report.Period) report.Source {
	return report.Read(func(yield func(report.Ticket) bool) error { return s.tickets(ctx, actor, p, yield) })
}

// MayReport reports whether actor's organisation has the read and report
// access to requests that Tickets needs: a server that reports on
// incidents and requests together leaves the orders out of the report of
// an organisation without it, rather than refuse it the incidents.
func (s *Service) MayReport(actor itsm.Actor) bool {
	return s.cfg.Permissions.Allows(actor.Organisation, itsm.DomainRequest, itsm.AccessRead|itsm.AccessReport)
}

func (s *Service) tickets(ctx context.Context, actor itsm.Actor, p report.Period, yield func(report.Ticket) bool) error {
	if err := p.Check(); err != nil {
		return err
	}
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessReport)
	if err != nil {
		return err
	}
	id := org.ID.String()
	var orders, tasks *itsm.Query
	switch org.Role {
	case itsm.OrgDesk:
		orders = &itsm.Query{Kind: KindOrder, Index: IndexDesk, Match: itsm.MatchEqual, Value: id, Limit: itsm.MaxLimit}
		tasks = &itsm.Query{Kind: KindTask, Index: IndexHeld, Match: itsm.MatchEqual, Value: id, Limit: itsm.MaxLimit}
	case itsm.OrgCustomer:
		orders = &itsm.Query{Kind: KindOrder, Index: IndexCustomer, Match: itsm.MatchEqual, Value: id, Limit: itsm.MaxLimit}
	case itsm.OrgSupplier:
		tasks = &itsm.Query{Kind: KindTask, Index: IndexHeld, Match: itsm.MatchEqual, Value: id, Limit: itsm.MaxLimit}
	}
	return s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		names := map[itemVersion]string{}
		err := scan(ctx, tx, orders, func(r itsm.Record) (bool, error) {
			o, err := itsm.DecodeRecord[Order](r, "order")
			if err != nil {
				return false, err
			}
			if !orderVisible(o, org) || !matters(o.Timeline, p, StateClosed, StateCancelled) {
				return true, nil
			}
			t, err := o.ticket(tx, names)
			if err != nil {
				return false, err
			}
			return yield(t), nil
		})
		if err != nil {
			return err
		}
		return scan(ctx, tx, tasks, func(r itsm.Record) (bool, error) {
			t, err := itsm.DecodeRecord[Task](r, "task")
			if err != nil {
				return false, err
			}
			if !taskVisible(t, org) || !matters(t.Timeline, p, TaskDone, TaskCancelled) {
				return true, nil
			}
			return yield(t.ticket()), nil
		})
	})
}

// scan runs q, handing each record to fn until fn says stop, which ends
// the scan with report.ErrStopped; a nil q scans nothing.
func scan(ctx context.Context, tx itsm.ReadTx, q *itsm.Query, fn func(itsm.Record) (bool, error)) error {
	if q == nil {
		return nil
	}
	return itsm.Scan(ctx, tx, *q, func(h itsm.Hit) error {
		more, err := fn(h.Record)
		if err == nil && !more {
			return report.ErrStopped
		}
		return err
	})
}

// matters reports whether a timeline begun before p.To had not ended (its
// last interval in one of the ended states) before p.From.
func matters(tl itsm.Timeline, p report.Period, ended ...itsm.State) bool {
	if len(tl) == 0 || !tl[0].Start.Before(p.To) {
		return false
	}
	last := tl[len(tl)-1]
	return !slices.Contains(ended, last.State) || !last.Start.Before(p.From)
}

// itemVersion is one version of a catalogue item.
type itemVersion struct {
	item    itsm.ID
	version int
}

// ticket is what a report needs of the order; names caches the names of
// the item versions read.
func (o *Order) ticket(tx itsm.ReadTx, names map[itemVersion]string) (report.Ticket, error) {
	key := itemVersion{o.Item, o.ItemVersion}
	name, ok := names[key]
	if !ok {
		var err error
		if name, err = itemName(tx, o.Item, o.ItemVersion); err != nil {
			return report.Ticket{}, err
		}
		names[key] = name
	}
	facts := &report.Order{Item: o.Item, ItemName: name, Type: string(o.Type)}
	first := func(s itsm.State) time.Time {
		for _, iv := range o.Timeline {
			if iv.State == s {
				return iv.Start
			}
		}
		return time.Time{}
	}
	facts.Fulfilled, facts.Closed = first(StateFulfilled), first(StateClosed)
	facts.Declined, facts.Cancelled = first(StateDeclined), first(StateCancelled)
	if facts.Fulfilled.IsZero() && o.Fulfilment != nil && o.Fulfilment.Done {
		// An order of type A closes itself when its fulfilment succeeds.
		facts.Fulfilled = facts.Closed
	}
	if a := o.Approval; a != nil {
		facts.Approval = &report.Approval{}
		// The approvers decided when the order left awaiting approval,
		// unless it left by a cancellation: nobody decided then.
		for i, iv := range o.Timeline {
			if i > 0 && o.Timeline[i-1].State == StateAwaitingApproval && iv.State != StateAwaitingApproval {
				if iv.State != StateCancelled && a.State != ApprovalPending {
					facts.Approval.Decided, facts.Approval.Outcome = iv.Start, a.State
				}
				break
			}
		}
	}
	return report.Ticket{
		ID: o.ID, Number: o.Number.String(), Desk: o.Desk, Customer: o.Customer, Service: o.Service,
		Registered: o.Timeline[0].Start, Timeline: slices.Clone(o.Timeline),
		Kind: report.KindOrder, Agreements: slices.Clone(o.Agreements), Order: facts,
	}, nil
}

// ticket is what a report needs of the task.
func (t *Task) ticket() report.Ticket {
	return report.Ticket{
		ID: t.ID, Number: t.Number.String(), Desk: t.Desk, Customer: t.Customer, Service: t.Handover.Service,
		Registered: t.Timeline[0].Start, Timeline: slices.Clone(t.Timeline),
		Reassignments: t.Reassignments, PingPong: t.PingPong, Moves: t.Moves,
		Kind: report.KindTask, Agreements: slices.Clone(t.Agreements),
	}
}

// itemName returns the English name of the item's version, or its Swedish
// one when it has none; empty when the item or version is gone.
func itemName(tx itsm.ReadTx, item itsm.ID, version int) (string, error) {
	it, err := catalogue.Load(tx, item)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	v, ok := it.At(version)
	if !ok {
		return "", nil
	}
	if v.Name.EN != "" {
		return v.Name.EN, nil
	}
	return v.Name.SV, nil
}
