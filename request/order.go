package request

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// Record and event kinds of orders and their tasks in an itsm.Store.
const (
	KindOrder = "order"
	KindTask  = "task"
)

// Number prefixes of orders and tasks: each kind of ticket has master
// numbers of its own (REQ0000042, TASK0000007).
const (
	PrefixOrder = "REQ"
	PrefixTask  = "TASK"
)

// The states of an order.
const (
	// StateAwaitingApproval: the order waits for its approvers (RF-3). The
	// clocks of the customer's SLA stand still meanwhile: the desk cannot
	// act until the customer's approvers have.
	StateAwaitingApproval itsm.State = "awaiting_approval"
	// StateInProgress: the order is being fulfilled, in code (type A) or
	// by its tasks (types B and C).
	StateInProgress itsm.State = "in_progress"
	// StateFulfilled: every task is done; the desk answers the requester
	// and closes it (RF-6).
	StateFulfilled itsm.State = "fulfilled"
	// StateFailed: the fulfilment in code failed for good; the desk takes
	// the order over and closes or cancels it.
	StateFailed itsm.State = "failed"
	// StateDeclined: an approver declined the order, or nobody approved it
	// in time; the desk tells the requester and closes it.
	StateDeclined itsm.State = "declined"
	// StateClosed: the desk closed the order with its answer to the
	// requester. Orders of type A close themselves when their fulfilment
	// succeeds: the desk's system gives the answer.
	StateClosed itsm.State = "closed"
	// StateCancelled: the requester or the desk withdrew the order before
	// it was fulfilled.
	StateCancelled itsm.State = "cancelled"
)

// OrderStates returns the states of an order, in lifecycle order.
func OrderStates() []itsm.State {
	return []itsm.State{StateAwaitingApproval, StateInProgress, StateFulfilled, StateFailed,
		StateDeclined, StateClosed, StateCancelled}
}

// IsOpen reports whether an order in state s is still being worked on:
// neither closed nor cancelled.
func IsOpen(s itsm.State) bool { return s != StateClosed && s != StateCancelled }

// Priority is the priority of every order's and task's timeline: orders are
// not prioritised by impact and urgency as incidents are, so an
// agreement's targets for requests are given at this priority.
const Priority itsm.Priority = 3

// Order is one order placed from the catalogue: who ordered what, under
// which version of the item, with which answers, how its approval went and
// where its fulfilment stands. The desk that offers the item owns the
// order (RF-6).
type Order struct {
	ID       itsm.ID     `json:"id"`
	Number   itsm.Number `json:"number"`
	Desk     itsm.ID     `json:"desk"`
	Customer itsm.ID     `json:"customer"`
	// Requester is the person of the customer who ordered; PlacedBy is who
	// placed it, the requester or an agent of the desk on their behalf.
	Requester string     `json:"requester"`
	PlacedBy  itsm.Actor `json:"placed_by"`
	// Item and ItemVersion name the catalogue item and the version the
	// order was placed under; it keeps that version whatever the item
	// becomes. Type and Service are the version's.
	Item        itsm.ID        `json:"item"`
	ItemVersion int            `json:"item_version"`
	Type        catalogue.Type `json:"type"`
	Service     string         `json:"service"`
	// Fulfiller names the host's fulfiller of an order of type A.
	Fulfiller string `json:"fulfiller,omitempty"`
	// Key is the idempotency key it was placed with, if any.
	Key string `json:"key,omitempty"`
	// Agreements are the names of the agreements that apply, as the
	// version named them when the order was placed.
	Agreements []string `json:"agreements,omitempty"`
	// Answers are the requester's answers without the secret ones.
	Answers json.RawMessage `json:"answers,omitempty"`
	// CIs are the configuration items the order is about.
	CIs     []itsm.ID  `json:"cis,omitempty"`
	State   itsm.State `json:"state"`
	Placed  time.Time  `json:"placed"`
	Changed time.Time  `json:"changed"`
	// Approval is the order's approval, if its item asks for one.
	Approval *Approval `json:"approval,omitempty"`
	// Fulfilment is where the fulfilment in code of an order of type A
	// stands.
	Fulfilment *Fulfilling `json:"fulfilment,omitempty"`
	// Tasks are the order's tasks, in the item's order.
	Tasks []TaskSummary `json:"tasks,omitempty"`
	// Answer is the desk's answer to the requester when it closed the
	// order; Reason says why it was declined or cancelled.
	Answer string `json:"answer,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Timeline is the order's history for its clocks: the desk holds the
	// order throughout.
	Timeline itsm.Timeline `json:"timeline"`
	Version  int64         `json:"version"`
}

// TaskSummary is what an order says of one of its tasks.
type TaskSummary struct {
	ID     itsm.ID        `json:"id"`
	Number itsm.Number    `json:"number"`
	Key    string         `json:"key"`
	Name   catalogue.Text `json:"name"`
	State  itsm.State     `json:"state"`
}

// The states of an approval.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalDeclined = "declined"
	ApprovalExpired  = "expired"
)

// Approval is the approval an order waits for (RF-3): who may give it,
// under which rule, by when, and what each approver decided.
type Approval struct {
	Rule catalogue.ApprovalRule `json:"rule"`
	// Approvers are the authorised approvers of the item on the day the
	// order was placed, without the requester: nobody approves their own
	// order. Under the all-of rule each of them must approve.
	Approvers []string `json:"approvers"`
	// Due is when the approval must be given, in the desk's working time
	// from the placing; RemindAt when the approvers who have not decided
	// are reminded (zero: never).
	Due      time.Time `json:"due"`
	RemindAt time.Time `json:"remind_at,omitzero"`
	Reminded time.Time `json:"reminded,omitzero"`
	// Decisions are the decisions given, in order.
	Decisions []Decision `json:"decisions,omitempty"`
	State     string     `json:"state"`
}

// Decision is one approver's decision on an order.
type Decision struct {
	// Person decided; For is the approver they stood in for, when they
	// decided as a stand-in.
	Person   string    `json:"person"`
	For      string    `json:"for,omitempty"`
	Approved bool      `json:"approved"`
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// decided reports whether approver has decided, in person or through a
// stand-in.
func (a *Approval) decided(approver string) bool {
	return slices.ContainsFunc(a.Decisions, func(d Decision) bool {
		return d.Person == approver && d.For == "" || d.For == approver
	})
}

// complete reports whether the approvals given satisfy the rule.
func (a *Approval) complete() bool {
	if a.Rule != catalogue.ApproveAll {
		return slices.ContainsFunc(a.Decisions, func(d Decision) bool { return d.Approved })
	}
	for _, p := range a.Approvers {
		if !a.decided(p) {
			return false
		}
	}
	return true
}

// Fulfilling is where the fulfilment in code of an order of type A stands.
type Fulfilling struct {
	// Attempts counts the fulfiller's runs; Next is when the next may
	// start, and Claimed until when a runner has it.
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"`
	Claimed  time.Time `json:"claimed,omitzero"`
	// LastError is the last failure, in words for the desk.
	LastError string `json:"last_error,omitempty"`
	Done      bool   `json:"done,omitempty"`
}

// move records a change of the order's state as a new timeline interval;
// the desk holds the order throughout.
func (o *Order) move(at time.Time, state itsm.State) {
	o.State, o.Changed = state, at
	o.Timeline = append(o.Timeline, itsm.Interval{Start: at, State: state, Holder: o.Desk, Priority: Priority})
}

// The states of a task.
const (
	// TaskBlocked: tasks it comes after are not done yet; the desk holds
	// it.
	TaskBlocked itsm.State = "blocked"
	// TaskDelegated: the desk has handed it to a supplier, which has not
	// accepted it yet.
	TaskDelegated itsm.State = "delegated"
	// TaskInProgress: the holder works on it: the supplier that accepted
	// it, or the desk handling it itself.
	TaskInProgress itsm.State = "in_progress"
	// TaskReady: the desk holds it, to delegate it: the tasks it comes
	// after are done, the supplier rejected it, or the desk recalled it.
	TaskReady itsm.State = "ready"
	// TaskDone: the holder reported it done.
	TaskDone itsm.State = "done"
	// TaskCancelled: its order was cancelled first.
	TaskCancelled itsm.State = "cancelled"
)

// TaskStates returns the states of a task, in lifecycle order.
func TaskStates() []itsm.State {
	return []itsm.State{TaskBlocked, TaskReady, TaskDelegated, TaskInProgress, TaskDone, TaskCancelled}
}

// taskOpen reports whether a task in state s is still to be done.
func taskOpen(s itsm.State) bool { return s != TaskDone && s != TaskCancelled }

// Task is one piece of an order's fulfilment, held along the support chain
// exactly as an incident is (chain.Custody): the desk delegates it to the
// supplier the item names, the supplier accepts or rejects it and reports
// it done, and its clocks run against the supplier's UC (RF-4).
type Task struct {
	ID     itsm.ID     `json:"id"`
	Number itsm.Number `json:"number"`
	// Order and OrderNumber are the order the task belongs to: the master
	// number every supplier quotes (SD-5).
	Order       itsm.ID     `json:"order"`
	OrderNumber itsm.Number `json:"order_number"`
	Desk        itsm.ID     `json:"desk"`
	Customer    itsm.ID     `json:"customer"`
	// Key and Name are the item's task it was made from; After the keys of
	// the tasks that must be done first; Supplier the organisation the item
	// names to fulfil it (zero: the desk does).
	Key      string         `json:"key"`
	Name     catalogue.Text `json:"name"`
	After    []string       `json:"after,omitempty"`
	Supplier itsm.ID        `json:"supplier,omitzero"`
	Group    itsm.ID        `json:"supplier_group,omitzero"`
	// Handover is what the supplier needs of the order: the item, the
	// requester and the answers (SD-5).
	Handover Handover   `json:"handover"`
	State    itsm.State `json:"state"`
	chain.Custody
	// Note is the holder's report when it finished the task.
	Note     string        `json:"note,omitempty"`
	Created  time.Time     `json:"created"`
	Changed  time.Time     `json:"changed"`
	Timeline itsm.Timeline `json:"timeline"`
	// Agreements are the names of the agreements that apply, the order's.
	Agreements []string `json:"agreements,omitempty"`
	Version    int64    `json:"version"`
}

// Handover is what the desk passes on to the holder of a task.
type Handover struct {
	Item        itsm.ID         `json:"item"`
	ItemVersion int             `json:"item_version"`
	Service     string          `json:"service"`
	Requester   string          `json:"requester"`
	Answers     json.RawMessage `json:"answers,omitempty"`
}

// move records a change of state, or of holder already applied to the
// custody, as a new timeline interval.
func (t *Task) move(at time.Time, state itsm.State) {
	t.State, t.Changed = state, at
	t.Timeline = append(t.Timeline, itsm.Interval{Start: at, State: state, Holder: t.Holder, Group: t.Group, Priority: Priority})
}
