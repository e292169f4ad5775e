package request

import (
	"context"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// Approve records an approver's approval of an order waiting for it
// (RF-3, RF-5). The actor must be one of the order's approvers and still an
// authorised approver today, or the stand-in today of one who is away; and
// nobody approves their own order. Once the approvals satisfy the item's
// rule (any one of the approvers, or all of them), the order's fulfilment
// starts.
func (s *Service) Approve(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Order, error) {
	if err := checkText("note", note, false); err != nil {
		return nil, err
	}
	return s.decide(ctx, actor, id, "approve", true, note)
}

// Decline records an approver's refusal of an order waiting for approval,
// with a reason: the order is declined, and the desk tells the requester
// and closes it. The same approvers as for Approve may decline.
func (s *Service) Decline(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Order, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.decide(ctx, actor, id, "decline", false, reason)
}

func (s *Service) decide(ctx context.Context, actor itsm.Actor, id itsm.ID, cmd string, approved bool, note string) (*Order, error) {
	return s.changeOrder(ctx, actor, id, func(c change, o *Order, org itsm.Organisation) error {
		if o.State != StateAwaitingApproval {
			return refuse(itsm.CodeConflict, cmd, o, actor, org, "it is not waiting for approval")
		}
		if org.ID != o.Customer {
			return refuse(itsm.CodeForbidden, cmd, o, actor, org, "only the customer's authorised approvers may %s it (RF-5)", cmd)
		}
		if actor.Person == o.Requester {
			return refuse(itsm.CodeForbidden, cmd, o, actor, org, "nobody approves their own order (RF-5)")
		}
		if !c.At().Before(o.Approval.Due) {
			return refuse(itsm.CodeConflict, cmd, o, actor, org, "its approval was due by %s; the desk declines it", o.Approval.Due.Format(time.RFC3339))
		}
		if err := s.cfg.Authority.CatchUp(c.Tx()); err != nil {
			return err
		}
		d, err := s.approver(o, actor, c.At())
		if err != nil {
			return refuse(itsm.CodeForbidden, cmd, o, actor, org, "%v", err)
		}
		d.Approved, d.Note = approved, note
		if err := c.order(o, Decided{By: By{By: actor}, Decision: d}); err != nil {
			return err
		}
		if !approved || !o.Approval.complete() {
			return nil
		}
		if err := c.order(o, Approved{By{By: actor}}); err != nil {
			return err
		}
		v, err := version(c.Tx(), o)
		if err != nil {
			return err
		}
		return s.start(ctx, c, o, v)
	})
}

// approver finds whom actor decides for at at: themselves, when they are
// one of the order's approvers who has not decided and are authorised
// today (an approver who is away may still decide), or an approver away
// today whose stand-in they are.
func (s *Service) approver(o *Order, actor itsm.Actor, at time.Time) (Decision, error) {
	a := o.Approval
	today := s.cfg.Authority.Approvers(o.Customer, o.Item, o.Service, at)
	// The requester is never among a.Approvers, so neither they nor their
	// stand-in can decide on their own order.
	open := func(p string) bool { return slices.Contains(a.Approvers, p) && !a.decided(p) }
	if open(actor.Person) && slices.ContainsFunc(today, func(ap authority.Approver) bool { return ap.Person == actor.Person }) {
		return Decision{Person: actor.Person}, nil
	}
	for _, ap := range today {
		if ap.StandIn == actor.Person && open(ap.Person) {
			return Decision{Person: actor.Person, For: ap.Person}, nil
		}
	}
	return Decision{}, itsm.Errorf(itsm.CodeForbidden, "%q is not one of its approvers who has yet to decide, authorised today, nor the stand-in of one away today", actor.Person)
}

// version reads the catalogue version o was placed under.
func version(tx itsm.ReadTx, o *Order) (*catalogue.Version, error) {
	item, err := catalogue.Load(tx, o.Item)
	if err != nil {
		return nil, err
	}
	v, ok := item.At(o.ItemVersion)
	if !ok {
		return nil, itsm.Errorf(itsm.CodeInternal, "order %s: item %s has no version %d", o.Number, o.Item, o.ItemVersion)
	}
	return v, nil
}

// Close records the desk's answer to the requester and closes an order
// that is fulfilled, declined or failed (RF-6): the desk opens and closes
// every order and is the one that answers the user.
func (s *Service) Close(ctx context.Context, actor itsm.Actor, id itsm.ID, answer string) (*Order, error) {
	if err := checkText("answer", answer, true); err != nil {
		return nil, err
	}
	return s.changeOrder(ctx, actor, id, func(c change, o *Order, org itsm.Organisation) error {
		if err := asDesk("close", o, actor, org); err != nil {
			return err
		}
		if o.State != StateFulfilled && o.State != StateDeclined && o.State != StateFailed {
			return refuse(itsm.CodeConflict, "close", o, actor, org, "only a fulfilled, declined or failed order is closed")
		}
		return c.order(o, Closed{By: By{By: actor}, Answer: answer})
	})
}

// Cancel withdraws an order that is not fulfilled yet, with a reason: the
// requester withdraws their own order, the desk any of its orders. Its
// open tasks are withdrawn with it.
func (s *Service) Cancel(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Order, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.changeOrder(ctx, actor, id, func(c change, o *Order, org itsm.Organisation) error {
		if org.ID == o.Customer {
			if actor.Person != o.Requester {
				return refuse(itsm.CodeForbidden, "cancel", o, actor, org, "only the requester or the desk cancels an order")
			}
		} else if err := asDesk("cancel", o, actor, org); err != nil {
			return err
		}
		if o.State != StateAwaitingApproval && o.State != StateInProgress && o.State != StateFailed {
			return refuse(itsm.CodeConflict, "cancel", o, actor, org, "it is %s already", o.State)
		}
		tasks, err := tasksOf(c.Tx(), o)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if !taskOpen(t.State) {
				continue
			}
			if err := c.task(t, Withdrawn{By: By{By: actor}, Reason: reason}); err != nil {
				return err
			}
			if err := c.order(o, TaskChanged{By: By{By: actor}, Task: t.ID, State: t.State}); err != nil {
				return err
			}
		}
		return c.order(o, Cancelled{By: By{By: actor}, Reason: reason})
	})
}

// asDesk checks that the actor is an agent of the desk that owns o.
// The desk holds an order throughout (RF-6), so the chain's rule serves.
func asDesk(cmd string, o *Order, a itsm.Actor, org itsm.Organisation) error {
	return orderCommand(cmd, o, a, org).AsDesk()
}

// changeOrder runs one command on one order, seen as org sees it.
func (s *Service) changeOrder(ctx context.Context, actor itsm.Actor, id itsm.ID, decide func(c change, o *Order, org itsm.Organisation) error) (*Order, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	var out *Order
	err = s.write(ctx, func(c change) error {
		o, err := loadOrder(c.Tx(), id)
		if err != nil {
			return err
		}
		if !orderVisible(o, org) {
			return orderNotFound(id)
		}
		if err := itsm.CheckVersion("order", o.Number.String(), o.Version, s.expect); err != nil {
			return err
		}
		if err := decide(c, o, org); err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, err
}

// orderVisible reports whether org may see o: the desk that owns it and the
// customer it was placed for. Suppliers see the tasks they hold, not the
// order (SD-13).
func orderVisible(o *Order, org itsm.Organisation) bool {
	return org.ID == o.Desk || org.ID == o.Customer
}

// Chase reminds the approvers of orders whose reminder is due and who have
// not decided, and declines the orders whose approval deadline has passed.
// The host runs it every minute or so (Run does). It returns how many
// orders it changed.
func (s *Service) Chase(ctx context.Context) (int, error) {
	return s.eachDue(ctx, IndexChase, func(id itsm.ID) (bool, error) {
		changed := false
		err := s.write(ctx, func(c change) error {
			changed = false
			o, err := loadOrder(c.Tx(), id)
			if err != nil {
				return err
			}
			a := o.Approval
			if o.State != StateAwaitingApproval || a == nil || a.State != ApprovalPending {
				return nil
			}
			by := By{By: system(o)}
			switch {
			case !c.At().Before(a.Due):
				changed = true
				return c.order(o, Expired{by})
			case !a.RemindAt.IsZero() && a.Reminded.IsZero() && !c.At().Before(a.RemindAt):
				var open []string
				for _, p := range a.Approvers {
					if !a.decided(p) {
						open = append(open, p)
					}
				}
				changed = true
				return c.order(o, Reminded{By: by, Approvers: open})
			}
			return nil
		})
		return changed, err
	})
}
