package request

import (
	"reflect"

	"github.com/spoc-itsm/spoc/itsm/schema"
)

// SchemaURL returns the $id of the JSON Schema of the data of events of type
// eventType, such as "https://spoc-itsm.github.io/schemas/order.placed.json".
func SchemaURL(eventType string) string { return schema.URL(eventType) }

// Schemas returns a JSON Schema (draft 2020-12) of the data of each order
// and task event, keyed by event type, as package chain's Schemas does for
// groups: exactly what this version writes, every property listed, those
// without omitempty or omitzero required, no other allowed.
func Schemas() (map[string][]byte, error) {
	g := schema.Generator{Docs: schema.Docs{Fields: fieldDocs}}
	values := make(map[string]any)
	for _, p := range OrderPayloads() {
		values[p.Type()] = p
	}
	for _, p := range TaskPayloads() {
		values[p.Type()] = p
	}
	return g.Events(values, eventDocs.Of)
}

var eventDocs = schema.EventDocs{
	"order.placed": {"Order placed",
		"An authorised requester, or an agent of the desk on their behalf, ordered an item of the catalogue under the version offered then (RF-5, RF-6). It is the first event of every order."},
	"order.decided": {"Approver decided",
		"An approver of the order, or the stand-in of one who is away, approved or declined it (RF-3). A refusal declines the order."},
	"order.approved": {"Order approved",
		"The approvals given satisfy the item's rule: any one approver, or every one."},
	"order.reminded": {"Approvers reminded",
		"The approvers who had not decided were reminded, at the working time the item sets."},
	"order.expired": {"Approval expired",
		"Nobody approved the order within the working time the item allows; it is declined."},
	"order.started": {"Fulfilment started",
		"The fulfilment began: in code for an order of type A, or with the order's tasks."},
	"order.task_changed": {"Task changed",
		"One of the order's tasks changed state, so that the order shows where each task stands."},
	"order.claimed": {"Fulfilment claimed",
		"A runner took the fulfilment in code of an order of type A for one attempt, until the time given."},
	"order.fulfilment_failed": {"Fulfilment failed",
		"An attempt of the fulfilment in code failed; it is retried at the time given, or, without one, the failure is final and the desk takes the order over."},
	"order.fulfilled": {"Order fulfilled",
		"Every task is done, or the fulfilment in code succeeded; in the latter case the order closes with the fulfiller's note as its answer."},
	"order.closed": {"Order closed",
		"The desk closed the order with its answer to the requester (RF-6)."},
	"order.cancelled": {"Order cancelled",
		"The requester or the desk withdrew the order before it was fulfilled; its open tasks are withdrawn."},
	"task.created": {"Task created",
		"A task of the order was made from the item's task, held by the desk: ready, or blocked until the tasks it comes after are done. It is the first event of every task."},
	"task.unblocked": {"Task unblocked",
		"Every task this one comes after is done; the desk delegates it."},
	"task.delegated": {"Task delegated",
		"The desk handed the task to a supplier and optionally one of its groups (RF-4), by hand or, flagged routed, as the item prescribes; flagged ping_pong when the supplier had sent it back before."},
	"task.accepted": {"Task accepted",
		"The supplier holding the task took it on."},
	"task.rejected": {"Task rejected",
		"The supplier sent the task back to the desk with a reason."},
	"task.recalled": {"Task recalled",
		"The desk took the task back from the supplier holding it, with a reason."},
	"task.assigned": {"Task assigned",
		"The organisation holding the task assigned it to one of its groups or members."},
	"task.taken": {"Task taken",
		"The desk handles the task itself."},
	"task.done": {"Task done",
		"The holder reported the task done: the supplier reporting back, or the desk completing a task it handled."},
	"task.withdrawn": {"Task withdrawn",
		"The task's order was cancelled before the task was done."},
}

var fieldDocs = map[reflect.Type]map[string]string{
	reflect.TypeFor[By](): {"By": "Who made the change (SD-9)."},
	reflect.TypeFor[Placed](): {
		"Number":      "The order's master number, such as REQ0000042.",
		"Desk":        "The desk that offers the item and owns the order.",
		"Customer":    "The customer organisation the order is for.",
		"Requester":   "The person who ordered, by stable identity.",
		"Item":        "The catalogue item ordered.",
		"ItemVersion": "The version of the item the order was placed under; the order keeps it.",
		"OrderType":   "The fulfilment type: A (in code), B (by hand) or C (several suppliers).",
		"Service":     "The service the item belongs to.",
		"Fulfiller":   "The name of the host's fulfiller of an order of type A.",
		"Key":         "The idempotency key the order was placed with, if any.",
		"Agreements":  "The names of the agreements that measure the order and its tasks.",
		"Answers":     "The answers to the item's form, without the secret ones, which are never stored.",
		"CIs":         "The configuration items the order is about, such as the application an account is for.",
		"Approval":    "The approval the order waits for, when the item asks for one.",
	},
	reflect.TypeFor[Decided]():          {"Decision": "The decision."},
	reflect.TypeFor[Reminded]():         {"Approvers": "The approvers reminded: those who had not decided."},
	reflect.TypeFor[Started]():          {"Tasks": "The order's tasks as made.", "Code": "The order is fulfilled in code (type A)."},
	reflect.TypeFor[TaskChanged]():      {"Task": "The task.", "State": "The task's state now."},
	reflect.TypeFor[Claimed]():          {"Attempt": "The attempt, counted from 1.", "Until": "Until when the runner holds the order."},
	reflect.TypeFor[FulfilmentFailed](): {"Error": "What failed, for the desk.", "Retry": "When the next attempt may start; absent when the failure is final."},
	reflect.TypeFor[Fulfilled]():        {"Note": "The fulfiller's note, the answer of an order of type A.", "Code": "The fulfilment in code succeeded (type A)."},
	reflect.TypeFor[Closed]():           {"Answer": "The desk's answer to the requester."},
	reflect.TypeFor[Cancelled]():        {"Reason": "Why the order was withdrawn."},
	reflect.TypeFor[Approval](): {
		"Rule":      "any: one approval suffices; all: every approver must approve.",
		"Approvers": "The authorised approvers on the day the order was placed, without the requester.",
		"Due":       "When the approval must be given, in the desk's working time.",
		"RemindAt":  "When the approvers who have not decided are reminded.",
		"Reminded":  "When they were reminded.",
		"Decisions": "The decisions given, in order.",
		"State":     "pending, approved, declined or expired.",
	},
	reflect.TypeFor[Decision](): {
		"Person":   "Who decided.",
		"For":      "The approver they stood in for, when they decided as a stand-in.",
		"Approved": "Approved, or declined.",
		"Note":     "The approver's note, or the reason for declining.",
		"At":       "When.",
	},
	reflect.TypeFor[TaskSummary](): {
		"ID": "The task.", "Number": "The task's number, such as TASK0000007.", "Key": "The item's key of the task.",
		"Name": "The task's name.", "State": "The task's state.",
	},
	reflect.TypeFor[Created](): {
		"Number":      "The task's number, such as TASK0000007.",
		"Order":       "The order the task belongs to.",
		"OrderNumber": "The order's master number, which every supplier quotes (SD-5).",
		"Desk":        "The desk that owns the order.",
		"Customer":    "The customer the order is for.",
		"Key":         "The item's key of the task.",
		"Name":        "The task's name.",
		"After":       "The keys of the tasks that must be done first.",
		"Supplier":    "The supplier the item names to do it; absent when the desk does.",
		"Group":       "The supplier's group the item names.",
		"Handover":    "What the holder needs of the order.",
		"Agreements":  "The names of the agreements that measure the task.",
	},
	reflect.TypeFor[Handover](): {
		"Item": "The catalogue item ordered.", "ItemVersion": "The version it was ordered under.",
		"Service": "The item's service.", "Requester": "The person who ordered.",
		"Answers": "The answers to the form, without the secret ones.",
	},
	reflect.TypeFor[Delegated](): {
		"Organisation": "The supplier that holds the task now.",
		"Group":        "The supplier's group that holds it, if named.",
		"Note":         "The desk's note to the supplier.",
		"PingPong":     "The supplier had the task before and sent it back (SD-7).",
		"Routed":       "The delegation was the item's, made as the task became ready.",
	},
	reflect.TypeFor[Rejected]():  {"Reason": "Why the supplier sent it back."},
	reflect.TypeFor[Recalled]():  {"Reason": "Why the desk took it back."},
	reflect.TypeFor[Assigned]():  {"Group": "The holder's group that holds it now.", "Assignee": "The member it is assigned to, if any.", "Note": "A note on the assignment."},
	reflect.TypeFor[Done]():      {"Note": "The holder's report."},
	reflect.TypeFor[Withdrawn](): {"Reason": "Why the order was cancelled."},
}
