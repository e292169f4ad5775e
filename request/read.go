package request

import (
	"context"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// GetOrder returns an order as actor may see it: the desk that owns it and
// the customer it was placed for; to anyone else it does not exist.
func (s *Service) GetOrder(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Order, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var o *Order
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		o, err = loadOrder(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !orderVisible(o, org) {
		return nil, orderNotFound(id)
	}
	return o, nil
}

// GetTask returns a task as actor may see it: the desk that owns it and
// every supplier that holds or held it.
func (s *Service) GetTask(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Task, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var t *Task
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		t, err = loadTask(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !taskVisible(t, org) {
		return nil, taskNotFound(id)
	}
	return t, nil
}

// OrderList says which orders to list. Exactly one way is chosen: Mine
// (the actor's own orders), Approvals (the orders waiting for the actor's
// approval, as an approver or a stand-in today), or neither, which lists
// the orders of the actor's organisation (a desk's or a customer's).
type OrderList struct {
	Mine      bool
	Approvals bool
	Limit     int
	After     itsm.Cursor
}

// OrderPage is one page of orders.
type OrderPage struct {
	Orders []*Order
	Next   itsm.Cursor
}

// ListOrders lists orders as actor may see them.
func (s *Service) ListOrders(ctx context.Context, actor itsm.Actor, l OrderList) (OrderPage, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return OrderPage{}, err
	}
	if l.Mine && l.Approvals {
		return OrderPage{}, itsm.Errorf(itsm.CodeInvalid, "list orders: choose mine or approvals, not both")
	}
	q := itsm.Query{Kind: KindOrder, Match: itsm.MatchEqual, Limit: l.Limit, After: l.After}
	switch {
	case l.Mine:
		q.Index, q.Value = IndexRequester, org.ID.String()+" "+actor.Person
	case l.Approvals:
		return s.approvals(ctx, actor, org, l)
	case org.Role == itsm.OrgDesk:
		q.Index, q.Value = IndexDesk, org.ID.String()
	case org.Role == itsm.OrgCustomer:
		q.Index, q.Value = IndexCustomer, org.ID.String()
	default:
		return OrderPage{}, nil // a supplier sees tasks, not orders
	}
	var out OrderPage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) (err error) {
		out.Orders, out.Next, err = itsm.LoadPage(tx, q, loadOrder, nil)
		return err
	})
	return out, err
}

// approvals lists the orders waiting for actor's decision: as one of their
// approvers, or as the stand-in today of an approver away. Its pages are
// not cursored: the orders waiting for one person are few.
func (s *Service) approvals(ctx context.Context, actor itsm.Actor, org itsm.Organisation, l OrderList) (OrderPage, error) {
	if l.After != "" {
		return OrderPage{}, itsm.Errorf(itsm.CodeInvalid, "list orders: the orders waiting for approval come in one page")
	}
	var out OrderPage
	now := s.clock.Now()
	err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		if err := s.cfg.Authority.CatchUp(tx); err != nil {
			return err
		}
		people := append([]string{actor.Person}, s.cfg.Authority.StandingInFor(org.ID, actor.Person, now)...)
		seen := map[itsm.ID]bool{}
		for _, p := range people {
			page, err := tx.Query(itsm.Query{Kind: KindOrder, Index: IndexApprover, Match: itsm.MatchEqual,
				Value: org.ID.String() + " " + p, Limit: itsm.MaxLimit})
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				if seen[h.Record.ID] {
					continue
				}
				seen[h.Record.ID] = true
				o, err := loadOrder(tx, h.Record.ID)
				if err != nil {
					return err
				}
				if o.Requester != actor.Person {
					out.Orders = append(out.Orders, o)
				}
			}
		}
		return nil
	})
	slices.SortFunc(out.Orders, func(a, b *Order) int { return a.Placed.Compare(b.Placed) })
	return out, err
}

// TaskPage is one page of tasks.
type TaskPage struct {
	Tasks []*Task
	Next  itsm.Cursor
}

// ListTasks lists the tasks held by actor's organisation, or, with a queue
// given, one of its work queues (chain.Queue), as incidents' are.
func (s *Service) ListTasks(ctx context.Context, actor itsm.Actor, queue *chain.Queue, limit int, after itsm.Cursor) (TaskPage, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return TaskPage{}, err
	}
	q := itsm.Query{Kind: KindTask, Index: IndexHolder, Match: itsm.MatchEqual, Value: org.ID.String(), Limit: limit, After: after}
	var out TaskPage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		if queue != nil {
			if q, err = chain.QueueQuery(tx, KindTask, org.ID, *queue, limit, after); err != nil {
				return err
			}
		}
		out.Tasks, out.Next, err = itsm.LoadPage(tx, q, loadTask, nil)
		return err
	})
	return out, err
}

// OrderClocks measures the clocks of an order at at against the
// agreements its item names: the customer's SLA, which runs end to end
// but stands still while the order waits for approval (RF-3).
func (s *Service) OrderClocks(o *Order, at time.Time) ([]chain.Clock, error) {
	m := chain.Measured{Desk: o.Desk, Customer: o.Customer, Custody: &chain.Custody{Holder: o.Desk}, Timeline: o.Timeline}
	return m.Clocks(s.named(o.Agreements), at)
}

// TaskClocks measures the clocks of a task at at against the agreements
// its order's item names: the UC of each supplier that held it, measured
// along the chain exactly as an incident's.
func (s *Service) TaskClocks(t *Task, at time.Time) ([]chain.Clock, error) {
	m := chain.Measured{Desk: t.Desk, Customer: t.Customer, Custody: &t.Custody, Timeline: t.Timeline}
	return m.Clocks(s.named(t.Agreements), at)
}

// named returns the agreements scoped to requests among names, each
// pausing while an order waits for approval (ForRequests): an agreement for
// incidents measures no order, even if an item names it (decision 82).
func (s *Service) named(names []string) []*sla.Agreement {
	var out []*sla.Agreement
	for _, a := range *s.agreements.Load() {
		if a.Scope == sla.ScopeRequests && slices.Contains(names, a.Name) {
			out = append(out, a)
		}
	}
	return ForRequests(out)
}

// ForRequests returns as with each agreement scoped to requests replaced by
// a copy that also pauses while an order waits for approval: the desk
// cannot act until the customer's approvers have, whatever the agreement's
// own pause states say. The others are returned as they are. A report that
// measures orders (Service.Tickets) measures them against these, as their
// clocks do.
func ForRequests(as []*sla.Agreement) []*sla.Agreement {
	out := make([]*sla.Agreement, len(as))
	for i, a := range as {
		out[i] = a
		if a.Scope != sla.ScopeRequests {
			continue
		}
		c := *a
		c.Targets = slices.Clone(a.Targets)
		for i := range c.Targets {
			if !slices.Contains(c.Targets[i].Pause, StateAwaitingApproval) {
				c.Targets[i].Pause = append(slices.Clone(c.Targets[i].Pause), StateAwaitingApproval)
			}
		}
		out[i] = &c
	}
	return out
}
