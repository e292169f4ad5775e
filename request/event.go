package request

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// OrderPayload is the data of one order event: what happened and who did
// it. Every change to an order is one OrderPayload applied to it, so the
// order can be rebuilt from its events (ReplayOrder).
type OrderPayload interface {
	Type() string
	Actor() itsm.Actor
	apply(o *Order, at time.Time)
}

// TaskPayload is the data of one task event (ReplayTask).
type TaskPayload interface {
	Type() string
	Actor() itsm.Actor
	apply(t *Task, at time.Time)
}

// By is the actor of an event, embedded in every payload.
type By = itsm.By

// Placed: an authorised requester, or the desk on their behalf, placed the
// order (RF-5, RF-6).
type Placed struct {
	By
	Number      itsm.Number     `json:"number"`
	Desk        itsm.ID         `json:"desk"`
	Customer    itsm.ID         `json:"customer"`
	Requester   string          `json:"requester"`
	Item        itsm.ID         `json:"item"`
	ItemVersion int             `json:"item_version"`
	OrderType   catalogue.Type  `json:"order_type"`
	Service     string          `json:"service"`
	Fulfiller   string          `json:"fulfiller,omitempty"`
	Key         string          `json:"key,omitempty"`
	Agreements  []string        `json:"agreements,omitempty"`
	Answers     json.RawMessage `json:"answers,omitempty"`
	CIs         []itsm.ID       `json:"cis,omitempty"`
	// Approval, when the item asks for one, is the approval as it starts:
	// its rule, approvers and deadlines.
	Approval *Approval `json:"approval,omitempty"`
}

// Decided: an approver approved the order or declined it; a declined
// order goes no further.
type Decided struct {
	By
	Decision Decision `json:"decision"`
}

// Approved: the approvals given satisfy the item's rule.
type Approved struct{ By }

// Reminded: the approvers who had not decided were reminded.
type Reminded struct {
	By
	Approvers []string `json:"approvers"`
}

// Expired: nobody approved the order in time; it is declined.
type Expired struct{ By }

// Started: the fulfilment began, in code for type A (Fulfilment set) or
// with the order's first tasks.
type Started struct {
	By
	Tasks []TaskSummary `json:"tasks,omitempty"`
	// Code reports a fulfilment in code (type A), first due at once.
	Code bool `json:"code,omitempty"`
}

// TaskChanged: one of the order's tasks changed state.
type TaskChanged struct {
	By
	Task  itsm.ID    `json:"task"`
	State itsm.State `json:"state"`
}

// Claimed: a runner took the order's fulfilment in code until Until, for
// attempt Attempt.
type Claimed struct {
	By
	Attempt int       `json:"attempt"`
	Until   time.Time `json:"until"`
}

// FulfilmentFailed: an attempt of the fulfilment in code failed. Retry is
// when the next may start; zero means the failure is final and the desk
// takes the order over.
type FulfilmentFailed struct {
	By
	Error string    `json:"error"`
	Retry time.Time `json:"retry,omitzero"`
}

// Fulfilled: the fulfilment is complete: every task is done, or the
// fulfilment in code succeeded, in which case Note is its outcome and the
// order closes with it as the answer.
type Fulfilled struct {
	By
	Note string `json:"note,omitempty"`
	Code bool   `json:"code,omitempty"`
}

// Closed: the desk closed the order with its answer to the requester
// (RF-6).
type Closed struct {
	By
	Answer string `json:"answer"`
}

// Cancelled: the requester or the desk withdrew the order.
type Cancelled struct {
	By
	Reason string `json:"reason"`
}

// Type returns "order.placed".
func (Placed) Type() string { return "order.placed" }

// Type returns "order.decided".
func (Decided) Type() string { return "order.decided" }

// Type returns "order.approved".
func (Approved) Type() string { return "order.approved" }

// Type returns "order.reminded".
func (Reminded) Type() string { return "order.reminded" }

// Type returns "order.expired".
func (Expired) Type() string { return "order.expired" }

// Type returns "order.started".
func (Started) Type() string { return "order.started" }

// Type returns "order.task_changed".
func (TaskChanged) Type() string { return "order.task_changed" }

// Type returns "order.claimed".
func (Claimed) Type() string { return "order.claimed" }

// Type returns "order.fulfilment_failed".
func (FulfilmentFailed) Type() string { return "order.fulfilment_failed" }

// Type returns "order.fulfilled".
func (Fulfilled) Type() string { return "order.fulfilled" }

// Type returns "order.closed".
func (Closed) Type() string { return "order.closed" }

// Type returns "order.cancelled".
func (Cancelled) Type() string { return "order.cancelled" }

func (p Placed) apply(o *Order, at time.Time) {
	o.Number, o.Desk, o.Customer, o.Requester, o.PlacedBy = p.Number, p.Desk, p.Customer, p.Requester, p.By.By
	o.Item, o.ItemVersion, o.Type, o.Service, o.Fulfiller, o.Key = p.Item, p.ItemVersion, p.OrderType, p.Service, p.Fulfiller, p.Key
	o.Agreements, o.Answers, o.CIs, o.Placed = slices.Clone(p.Agreements), slices.Clone(p.Answers), slices.Clone(p.CIs), at
	if p.Approval != nil {
		a := *p.Approval
		a.Approvers, a.Decisions, a.State = slices.Clone(a.Approvers), nil, ApprovalPending
		o.Approval = &a
		o.move(at, StateAwaitingApproval)
		return
	}
	o.move(at, StateInProgress)
}

func (p Decided) apply(o *Order, at time.Time) {
	d := p.Decision
	d.At = at
	o.Approval.Decisions = append(o.Approval.Decisions, d)
	o.Changed = at
	if !d.Approved {
		o.Approval.State, o.Reason = ApprovalDeclined, d.Note
		o.move(at, StateDeclined)
	}
}

func (Approved) apply(o *Order, at time.Time) {
	o.Approval.State = ApprovalApproved
	o.move(at, StateInProgress)
}

func (p Reminded) apply(o *Order, at time.Time) { o.Approval.Reminded, o.Changed = at, at }

func (Expired) apply(o *Order, at time.Time) {
	o.Approval.State, o.Reason = ApprovalExpired, "nobody approved it in time"
	o.move(at, StateDeclined)
}

func (p Started) apply(o *Order, at time.Time) {
	o.Tasks, o.Changed = slices.Clone(p.Tasks), at
	if p.Code {
		o.Fulfilment = &Fulfilling{Next: at}
	}
}

func (p TaskChanged) apply(o *Order, at time.Time) {
	o.Changed = at
	for i := range o.Tasks {
		if o.Tasks[i].ID == p.Task {
			o.Tasks[i].State = p.State
		}
	}
}

func (p Claimed) apply(o *Order, at time.Time) {
	o.Fulfilment.Attempts, o.Fulfilment.Claimed, o.Changed = p.Attempt, p.Until, at
}

func (p FulfilmentFailed) apply(o *Order, at time.Time) {
	f := o.Fulfilment
	f.LastError, f.Claimed, f.Next = p.Error, time.Time{}, p.Retry
	o.Changed = at
	if p.Retry.IsZero() {
		o.move(at, StateFailed)
	}
}

func (p Fulfilled) apply(o *Order, at time.Time) {
	if p.Code {
		o.Fulfilment.Done, o.Fulfilment.Claimed, o.Fulfilment.LastError = true, time.Time{}, ""
		o.Answer = p.Note
		o.move(at, StateClosed)
		return
	}
	o.move(at, StateFulfilled)
}

func (p Closed) apply(o *Order, at time.Time) {
	o.Answer = p.Answer
	o.move(at, StateClosed)
}

func (p Cancelled) apply(o *Order, at time.Time) {
	o.Reason = p.Reason
	if o.Approval != nil && o.Approval.State == ApprovalPending {
		o.Approval.State = ApprovalDeclined
	}
	o.move(at, StateCancelled)
}

// Created: the order's task was made from the item's task, held by the
// desk: ready to delegate, or blocked until the tasks it comes after are
// done.
type Created struct {
	By
	Number      itsm.Number    `json:"number"`
	Order       itsm.ID        `json:"order"`
	OrderNumber itsm.Number    `json:"order_number"`
	Desk        itsm.ID        `json:"desk"`
	Customer    itsm.ID        `json:"customer"`
	Key         string         `json:"key"`
	Name        catalogue.Text `json:"name"`
	After       []string       `json:"after,omitempty"`
	Supplier    itsm.ID        `json:"supplier,omitzero"`
	Group       itsm.ID        `json:"supplier_group,omitzero"`
	Handover    Handover       `json:"handover"`
	Agreements  []string       `json:"agreements,omitempty"`
}

// Unblocked: every task this one comes after is done.
type Unblocked struct{ By }

// Delegated: the desk handed the task to a supplier and optionally one of
// its groups. Routed reports a delegation the item prescribed, made on the
// desk's behalf by the command that made the task ready.
type Delegated struct {
	By
	Organisation itsm.ID `json:"organisation"`
	Group        itsm.ID `json:"group,omitzero"`
	Note         string  `json:"note,omitempty"`
	PingPong     bool    `json:"ping_pong,omitempty"`
	Routed       bool    `json:"routed,omitempty"`
}

// Accepted: the supplier holding the task took it on.
type Accepted struct{ By }

// Rejected: the supplier sent the task back to the desk with a reason.
type Rejected struct {
	By
	Reason string `json:"reason"`
}

// Recalled: the desk took the task back from the supplier with a reason.
type Recalled struct {
	By
	Reason string `json:"reason"`
}

// Assigned: the organisation holding the task assigned it to one of its
// groups or members.
type Assigned struct {
	By
	Group    itsm.ID `json:"group,omitzero"`
	Assignee string  `json:"assignee,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// Taken: the desk handles the task itself.
type Taken struct{ By }

// Done: the holder reported the task done: the supplier reporting back, or
// the desk completing a task it handled.
type Done struct {
	By
	Note string `json:"note"`
}

// Withdrawn: the task was cancelled with its order.
type Withdrawn struct {
	By
	Reason string `json:"reason"`
}

// Type returns "task.created".
func (Created) Type() string { return "task.created" }

// Type returns "task.unblocked".
func (Unblocked) Type() string { return "task.unblocked" }

// Type returns "task.delegated".
func (Delegated) Type() string { return "task.delegated" }

// Type returns "task.accepted".
func (Accepted) Type() string { return "task.accepted" }

// Type returns "task.rejected".
func (Rejected) Type() string { return "task.rejected" }

// Type returns "task.recalled".
func (Recalled) Type() string { return "task.recalled" }

// Type returns "task.assigned".
func (Assigned) Type() string { return "task.assigned" }

// Type returns "task.taken".
func (Taken) Type() string { return "task.taken" }

// Type returns "task.done".
func (Done) Type() string { return "task.done" }

// Type returns "task.withdrawn".
func (Withdrawn) Type() string { return "task.withdrawn" }

func desk(t *Task) chain.Holder { return chain.Holder{Organisation: t.Desk} }

func (p Created) apply(t *Task, at time.Time) {
	t.Number, t.Order, t.OrderNumber, t.Desk, t.Customer = p.Number, p.Order, p.OrderNumber, p.Desk, p.Customer
	t.Key, t.Name, t.After, t.Supplier, t.Group = p.Key, p.Name, slices.Clone(p.After), p.Supplier, p.Group
	t.Handover, t.Agreements, t.Created = p.Handover, slices.Clone(p.Agreements), at
	t.Handover.Answers = slices.Clone(p.Handover.Answers)
	t.Registered(desk(t))
	if len(p.After) > 0 {
		t.move(at, TaskBlocked)
		return
	}
	t.move(at, TaskReady)
}

func (Unblocked) apply(t *Task, at time.Time) { t.move(at, TaskReady) }

func (p Delegated) apply(t *Task, at time.Time) {
	t.Custody.Delegated(chain.Holder{Organisation: p.Organisation, Group: p.Group}, at, p.PingPong)
	t.move(at, TaskDelegated)
}

func (Accepted) apply(t *Task, at time.Time) {
	t.Custody.Accepted(at)
	t.move(at, TaskInProgress)
}

func (p Rejected) apply(t *Task, at time.Time) {
	t.Custody.Rejected(desk(t), at, p.Reason)
	t.move(at, TaskReady)
}

func (p Recalled) apply(t *Task, at time.Time) {
	t.Custody.Recalled(desk(t), at, p.Reason)
	t.move(at, TaskReady)
}

func (p Assigned) apply(t *Task, at time.Time) {
	t.Custody.Assigned(chain.Holder{Organisation: t.Holder, Group: p.Group, Assignee: p.Assignee})
	t.move(at, t.State)
}

func (Taken) apply(t *Task, at time.Time) { t.move(at, TaskInProgress) }

func (p Done) apply(t *Task, at time.Time) {
	t.Custody.Ended(at)
	t.Note = p.Note
	t.move(at, TaskDone)
}

func (p Withdrawn) apply(t *Task, at time.Time) {
	t.Custody.Returned(desk(t), at)
	t.Note = p.Reason
	t.move(at, TaskCancelled)
}

// The codecs of order and task events.
var (
	orderCodec = itsm.NewCodec[OrderPayload](KindOrder, "an order",
		Placed{}, Decided{}, Approved{}, Reminded{}, Expired{}, Started{}, TaskChanged{},
		Claimed{}, FulfilmentFailed{}, Fulfilled{}, Closed{}, Cancelled{})
	taskCodec = itsm.NewCodec[TaskPayload](KindTask, "a task",
		Created{}, Unblocked{}, Delegated{}, Accepted{}, Rejected{}, Recalled{}, Assigned{},
		Taken{}, Done{}, Withdrawn{})
)

// OrderPayloads returns one of each order payload type, for schemas and
// documentation.
func OrderPayloads() []OrderPayload { return orderCodec.Payloads() }

// TaskPayloads returns one of each task payload type.
func TaskPayloads() []TaskPayload { return taskCodec.Payloads() }

// DecodeOrder returns the payload of an order event.
func DecodeOrder(e itsm.Event) (OrderPayload, error) { return orderCodec.Decode(e) }

// DecodeTask returns the payload of a task event.
func DecodeTask(e itsm.Event) (TaskPayload, error) { return taskCodec.Decode(e) }

// ReplayOrder rebuilds an order from its events, in log order. The first
// must be order.placed, and only the first; all must have the same subject.
func ReplayOrder(events []itsm.Event) (*Order, error) {
	o := new(Order)
	return itsm.Replay(orderCodec, events, Placed{}.Type(), o, &o.ID, OrderPayload.apply)
}

// ReplayTask rebuilds a task from its events, in log order. The first must
// be task.created, and only the first; all must have the same subject.
func ReplayTask(events []itsm.Event) (*Task, error) {
	t := new(Task)
	return itsm.Replay(taskCodec, events, Created{}.Type(), t, &t.ID, TaskPayload.apply)
}
