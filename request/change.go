package request

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// change is the work of one command in its write transaction: the orders
// and tasks it changed, and their events in the order they happened (an
// itsm.Batch). A command on a task may change its order and other tasks of
// the order (the next task unblocked, the order fulfilled) in the same
// transaction, so that an order and its tasks never disagree.
type change struct {
	*itsm.Batch[record]
}

// record is an order or a task as change saves it: the record of it as it
// stands at at.
type record interface {
	record(s *Service, at time.Time) (itsm.Record, error)
}

// order applies payloads to o and records their events.
func (c change) order(o *Order, ps ...OrderPayload) error {
	c.Touch(o, o.ID, &o.Version)
	return itsm.Apply(c.Batch, orderCodec, o.ID, o, OrderPayload.apply, ps...)
}

// task applies payloads to t and records their events.
func (c change) task(t *Task, ps ...TaskPayload) error {
	c.Touch(t, t.ID, &t.Version)
	return itsm.Apply(c.Batch, taskCodec, t.ID, t, TaskPayload.apply, ps...)
}

// write runs fn in a write transaction and saves what it changed. A
// refusal by fn is returned at once; a conflict from the store, another
// command having changed a record since it was read, runs fn again on the
// fresh records.
func (s *Service) write(ctx context.Context, fn func(c change) error) error {
	return itsm.WriteBatch(ctx, s.cfg.Store, s.clock.Now, func(r record, at time.Time) (itsm.Record, error) { return r.record(s, at) },
		func(b *itsm.Batch[record]) error { return fn(change{b}) })
}

// Index names of order records.
const (
	IndexNumber    = "number"    // unique: the master number
	IndexKey       = "key"       // unique: "customer key" of a placing's idempotency key
	IndexState     = "state"     // the state
	IndexDesk      = "desk"      // the desk owning it
	IndexCustomer  = "customer"  // the customer
	IndexRequester = "requester" // "customer person" of the requester
	// IndexApprover holds "customer person" of each approver who has not
	// decided, while the approval is pending: "waiting for my approval".
	IndexApprover = "approver"
	// IndexFulfil holds, while an order of type A waits for its
	// fulfilment in code, when a runner may next take it (itsm.IndexTime).
	IndexFulfil = "fulfil"
	// IndexChase holds, while an approval is pending, when it is next to
	// be chased: its reminder, then its deadline (itsm.IndexTime).
	IndexChase = "chase"
)

// Index names of task records.
const (
	IndexOrder  = "order"  // the order
	IndexHolder = "holder" // the organisation holding it
	IndexHeld   = "held"   // each organisation that holds or held it, and the desk
)

func (o *Order) record(_ *Service, _ time.Time) (itsm.Record, error) {
	body, err := json.Marshal(o)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode order %s", o.Number)
	}
	idx := map[string][]string{
		IndexState:     {string(o.State)},
		IndexDesk:      {o.Desk.String()},
		IndexCustomer:  {o.Customer.String()},
		IndexRequester: {o.Customer.String() + " " + o.Requester},
	}
	if a := o.Approval; a != nil && a.State == ApprovalPending && o.State == StateAwaitingApproval {
		for _, p := range a.Approvers {
			if !a.decided(p) {
				idx[IndexApprover] = append(idx[IndexApprover], o.Customer.String()+" "+p)
			}
		}
		next := a.Due
		if !a.RemindAt.IsZero() && a.Reminded.IsZero() && a.RemindAt.Before(next) {
			next = a.RemindAt
		}
		idx[IndexChase] = []string{itsm.IndexTime(next)}
	}
	if f := o.Fulfilment; f != nil && !f.Done && o.State == StateInProgress {
		next := f.Next
		if f.Claimed.After(next) {
			next = f.Claimed
		}
		idx[IndexFulfil] = []string{itsm.IndexTime(next)}
	}
	unique := map[string]string{IndexNumber: o.Number.String()}
	if o.Key != "" {
		unique[IndexKey] = o.Customer.String() + " " + o.Key
	}
	return itsm.Record{Kind: KindOrder, ID: o.ID, Body: body, Unique: unique, Index: idx}, nil
}

// record is the task's record: its queue values sort it by the first
// running clock of its holder, as an incident's do (chain.HolderDue).
// Due times do not move until the task changes again, so the values stay
// true between changes.
func (t *Task) record(s *Service, at time.Time) (itsm.Record, error) {
	body, err := json.Marshal(t)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode task %s", t.Number)
	}
	clocks, err := s.TaskClocks(t, at)
	if err != nil {
		return itsm.Record{}, err
	}
	idx := chain.QueueIndex(t.Custody, taskOpen(t.State) && t.State != TaskBlocked, chain.HolderDue(t.Custody, clocks))
	if idx == nil {
		idx = map[string][]string{}
	}
	idx[IndexOrder] = []string{t.Order.String()}
	idx[IndexState] = []string{string(t.State)}
	idx[IndexHolder] = []string{t.Holder.String()}
	held := []string{t.Desk.String()}
	for _, a := range t.Assignments {
		held = append(held, a.Organisation.String())
	}
	idx[IndexHeld] = held
	return itsm.Record{Kind: KindTask, ID: t.ID, Body: body,
		Unique: map[string]string{IndexNumber: t.Number.String()}, Index: idx}, nil
}

func orderNotFound(id itsm.ID) error { return itsm.Errorf(itsm.CodeNotFound, "order %s not found", id) }
func taskNotFound(id itsm.ID) error  { return itsm.Errorf(itsm.CodeNotFound, "task %s not found", id) }

// loadOrder reads an order.
func loadOrder(tx itsm.ReadTx, id itsm.ID) (*Order, error) {
	o, v, err := itsm.LoadRecord[Order](tx, KindOrder, id, "order")
	if err == nil {
		o.Version = v
	}
	return o, err
}

// loadTask reads a task.
func loadTask(tx itsm.ReadTx, id itsm.ID) (*Task, error) {
	t, v, err := itsm.LoadRecord[Task](tx, KindTask, id, "task")
	if err == nil {
		t.Version = v
	}
	return t, err
}

// tasksOf reads the tasks of the order in the order's order.
func tasksOf(tx itsm.ReadTx, o *Order) ([]*Task, error) {
	out := make([]*Task, 0, len(o.Tasks))
	for _, ts := range o.Tasks {
		t, err := loadTask(tx, ts.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
