package request_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
)

// TestTypeCCompletesWhenEveryTaskIsDone follows the tender's order of type
// C through the chain (RF-4, RF-6): approved, the phone delegated to Telco
// at once, the sync blocked until the phone is done and then delegated to
// Mailco; the order fulfilled only when both are done, and closed by the
// desk with its answer.
func TestTypeCCompletesWhenEveryTaskIsDone(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			item := w.offer(phone())
			w.grant(w.anna, authority.RoleRequester, item)
			w.grant(w.bo, authority.RoleApprover, itsm.ID{})

			o, err := w.place(w.anna, item, `{"model":"Fairphone"}`)
			w.ok(err)
			if o.State != request.StateAwaitingApproval || !strings.HasPrefix(o.Number.String(), "REQ") {
				t.Fatalf("placed: %s %s", o.Number, o.State)
			}
			if diff := cmp.Diff([]string{"bo"}, o.Approval.Approvers); diff != "" {
				t.Fatalf("approvers (-want +got):\n%s", diff)
			}
			o, err = w.svc.Approve(w.ctx, w.bo, o.ID, "")
			w.ok(err)
			if o.State != request.StateInProgress || len(o.Tasks) != 2 {
				t.Fatalf("approved: %s with %d tasks", o.State, len(o.Tasks))
			}
			ph, sy := w.task(o, "phone"), w.task(o, "sync")
			if ph.State != request.TaskDelegated || ph.Holder != telcoID || sy.State != request.TaskBlocked || sy.Holder != deskID {
				t.Fatalf("after approval: phone %s at %s, sync %s at %s", ph.State, ph.Holder, sy.State, sy.Holder)
			}
			// Mailco sees nothing of a task it never held, nor the order.
			_, err = w.svc.GetTask(w.ctx, w.mailAgent, sy.ID)
			w.code(err, itsm.CodeNotFound)
			_, err = w.svc.GetOrder(w.ctx, w.telAgent, o.ID)
			w.code(err, itsm.CodeNotFound)
			_, err = w.svc.Delegate(w.ctx, w.deskAgent, sy.ID, request.Delegation{Organisation: mailcoID})
			w.code(err, itsm.CodeConflict) // blocked until the phone is done

			_, err = w.svc.Accept(w.ctx, w.telAgent, ph.ID)
			w.ok(err)
			w.clock.Advance(time.Hour)
			_, err = w.svc.ReportBack(w.ctx, w.telAgent, ph.ID, "Phone delivered")
			w.ok(err)
			sy = w.task(o, "sync")
			if sy.State != request.TaskDelegated || sy.Holder != mailcoID {
				t.Fatalf("after the phone: sync %s at %s", sy.State, sy.Holder)
			}
			o, err = w.svc.GetOrder(w.ctx, w.anna, o.ID)
			w.ok(err)
			if o.State != request.StateInProgress {
				t.Fatalf("one task of two done, the order is %s", o.State)
			}
			_, err = w.svc.Close(w.ctx, w.deskAgent, o.ID, "Here it is")
			w.code(err, itsm.CodeConflict)

			_, err = w.svc.Accept(w.ctx, w.mailAgent, sy.ID)
			w.ok(err)
			_, err = w.svc.ReportBack(w.ctx, w.mailAgent, sy.ID, "Sync set up")
			w.ok(err)
			o, err = w.svc.GetOrder(w.ctx, w.anna, o.ID)
			w.ok(err)
			if o.State != request.StateFulfilled {
				t.Fatalf("both tasks done, the order is %s", o.State)
			}
			// Only the desk closes, and answers the requester (RF-6).
			_, err = w.svc.Close(w.ctx, w.telAgent, o.ID, "Here it is")
			w.code(err, itsm.CodeNotFound)
			o, err = w.svc.Close(w.ctx, w.deskAgent, o.ID, "Your phone is ready, with e-mail.")
			w.ok(err)
			if o.State != request.StateClosed || o.Answer != "Your phone is ready, with e-mail." {
				t.Fatalf("closed: %s %q", o.State, o.Answer)
			}
			w.replayed(o)
		})
	}
}

// replayed checks that the order and its tasks are the fold of their
// events.
func (w *world) replayed(o *request.Order) {
	w.t.Helper()
	events := w.events()
	got, err := request.ReplayOrder(events[o.ID])
	w.ok(err)
	got.Version = o.Version
	if diff := cmp.Diff(o, got); diff != "" {
		w.t.Fatalf("order replayed (-stored +replayed):\n%s", diff)
	}
	for _, ts := range o.Tasks {
		stored, err := w.svc.GetTask(w.ctx, w.deskAgent, ts.ID)
		w.ok(err)
		got, err := request.ReplayTask(events[ts.ID])
		w.ok(err)
		got.Version = stored.Version
		if diff := cmp.Diff(stored, got); diff != "" {
			w.t.Fatalf("task %s replayed (-stored +replayed):\n%s", ts.Key, diff)
		}
	}
}

// events reads the log, by subject.
func (w *world) events() map[itsm.ID][]itsm.Event {
	out := map[itsm.ID][]itsm.Event{}
	var after int64
	for {
		var page []itsm.Event
		w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
			var err error
			page, err = tx.Events(after, itsm.MaxLimit)
			return err
		}))
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			if e.Kind == request.KindOrder || e.Kind == request.KindTask {
				out[e.Subject] = append(out[e.Subject], e)
			}
		}
		after = page[len(page)-1].Seq
	}
}

// TestOnlyAuthorisedRequestersOrder checks RF-5 for requesters: a person
// on no list is refused, a grant counts from its first day and not after
// its last, and the order is judged by the lists of its day.
func TestOnlyAuthorisedRequestersOrder(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(phone())
	w.grant(w.bo, authority.RoleApprover, itsm.ID{})

	_, err := w.place(w.eve, item, `{"model":"Fairphone"}`)
	w.code(err, itsm.CodeForbidden)
	if err == nil || !strings.Contains(err.Error(), "not an authorised requester") {
		t.Fatalf("refusal does not say why: %v", err)
	}
	g, err := w.lists.Grant(w.ctx, w.cityAdmin, authority.Grant{Customer: cityID, Person: "eve", Role: authority.RoleRequester,
		Service: "Telefoni", From: w.today(1), Until: w.today(2)})
	w.ok(err)
	_, err = w.place(w.eve, item, `{"model":"Fairphone"}`)
	w.code(err, itsm.CodeForbidden) // valid from tomorrow
	w.clock.Advance(24 * time.Hour)
	_, err = w.place(w.eve, item, `{"model":"Fairphone"}`)
	w.ok(err)
	w.clock.Advance(48 * time.Hour)
	_, err = w.place(w.eve, item, `{"model":"Fairphone"}`)
	w.code(err, itsm.CodeForbidden) // the day after its last
	_ = g

	// An approver grant does not make a requester.
	_, err = w.place(w.bo, item, `{"model":"Fairphone"}`)
	w.code(err, itsm.CodeForbidden)
	// Answers are checked against the item's form.
	w.grant(w.anna, authority.RoleRequester, item)
	_, err = w.place(w.anna, item, `{"model":"Nokia 3310"}`)
	w.code(err, itsm.CodeInvalid)
	// The desk places on a requester's behalf, who must be authorised.
	o, err := w.svc.Place(w.ctx, w.deskAgent, request.Placement{Item: item, Requester: "anna", Answers: []byte(`{"model":"Other"}`)})
	w.ok(err)
	if o.Requester != "anna" || o.PlacedBy.Person != "axel" {
		t.Fatalf("placed on behalf: requester %q by %q", o.Requester, o.PlacedBy.Person)
	}
	_, err = w.svc.Place(w.ctx, w.deskAgent, request.Placement{Item: item, Requester: "eve", Answers: []byte(`{"model":"Other"}`)})
	w.code(err, itsm.CodeForbidden)
	// Another customer does not see the city's item.
	_, err = w.place(w.townAgent, item, `{"model":"Other"}`)
	w.code(err, itsm.CodeNotFound)
}

// TestNobodyApprovesTheirOwnOrder checks RF-5 for approvers: the requester
// is no approver of their own order, an order nobody else could approve is
// refused, and someone not on the approvers' list cannot approve.
func TestNobodyApprovesTheirOwnOrder(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(phone())
	w.grant(w.bo, authority.RoleRequester, item)
	w.grant(w.bo, authority.RoleApprover, item)
	_, err := w.place(w.bo, item, `{"model":"Other"}`)
	w.code(err, itsm.CodeConflict) // bo is the only approver
	w.grant(w.cilla, authority.RoleApprover, item)
	o, err := w.place(w.bo, item, `{"model":"Other"}`)
	w.ok(err)
	if diff := cmp.Diff([]string{"cilla"}, o.Approval.Approvers); diff != "" {
		t.Fatalf("approvers (-want +got):\n%s", diff)
	}
	_, err = w.svc.Approve(w.ctx, w.bo, o.ID, "")
	w.code(err, itsm.CodeForbidden)
	_, err = w.svc.Approve(w.ctx, w.eve, o.ID, "")
	w.code(err, itsm.CodeForbidden)
	_, err = w.svc.Approve(w.ctx, w.deskAgent, o.ID, "")
	w.code(err, itsm.CodeForbidden)
	o, err = w.svc.Decline(w.ctx, w.cilla, o.ID, "Not this quarter")
	w.ok(err)
	if o.State != request.StateDeclined || o.Reason != "Not this quarter" {
		t.Fatalf("declined: %s %q", o.State, o.Reason)
	}
	_, err = w.svc.Approve(w.ctx, w.cilla, o.ID, "")
	w.code(err, itsm.CodeConflict)
	o, err = w.svc.Close(w.ctx, w.deskAgent, o.ID, "Declined by your approver.")
	w.ok(err)
	w.replayed(o)
}

// TestAllApproversAndStandIns checks the all-of rule (every approver must
// approve) and the stand-in of an approver who is away.
func TestAllApproversAndStandIns(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(account())
	w.grant(w.anna, authority.RoleRequester, item)
	w.grant(w.bo, authority.RoleApprover, item)
	w.grant(w.cilla, authority.RoleApprover, item)
	_, err := w.lists.Absent(w.ctx, w.cityAdmin, authority.Absence{Customer: cityID, Person: "cilla", StandIn: "dan",
		From: w.today(0), Until: w.today(3)})
	w.ok(err)
	o, err := w.place(w.anna, item, `{"user":"anna.a"}`)
	w.ok(err)
	if diff := cmp.Diff([]string{"bo", "cilla"}, o.Approval.Approvers); diff != "" {
		t.Fatalf("approvers (-want +got):\n%s", diff)
	}
	page, err := w.svc.ListOrders(w.ctx, w.dan, request.OrderList{Approvals: true})
	w.ok(err)
	if len(page.Orders) != 1 {
		t.Fatalf("dan, cilla's stand-in, sees %d orders waiting", len(page.Orders))
	}
	o, err = w.svc.Approve(w.ctx, w.dan, o.ID, "for Cilla")
	w.ok(err)
	if o.State != request.StateAwaitingApproval {
		t.Fatalf("one of two approvals, the order is %s", o.State)
	}
	if d := o.Approval.Decisions[0]; d.Person != "dan" || d.For != "cilla" {
		t.Fatalf("decision %+v", d)
	}
	_, err = w.svc.Approve(w.ctx, w.dan, o.ID, "again")
	w.code(err, itsm.CodeForbidden)
	_, err = w.svc.Approve(w.ctx, w.cilla, o.ID, "") // her stand-in decided for her
	w.code(err, itsm.CodeForbidden)
	o, err = w.svc.Approve(w.ctx, w.bo, o.ID, "")
	w.ok(err)
	if o.State != request.StateInProgress {
		t.Fatalf("both approved, the order is %s", o.State)
	}
	// The desk handles the single task itself.
	acc := w.task(o, "account")
	if acc.State != request.TaskReady || acc.Holder != deskID {
		t.Fatalf("the account task is %s at %s", acc.State, acc.Holder)
	}
	_, err = w.svc.Take(w.ctx, w.deskAgent, acc.ID)
	w.ok(err)
	_, err = w.svc.Complete(w.ctx, w.deskAgent, acc.ID, "Account created")
	w.ok(err)
	o, err = w.svc.GetOrder(w.ctx, w.anna, o.ID)
	w.ok(err)
	if o.State != request.StateFulfilled {
		t.Fatalf("the task done, the order is %s", o.State)
	}
	w.replayed(o)
}

// TestApprovalIsChased checks the reminder and the deadline, both in the
// desk's working time (08-17 on weekdays), and that the SLA clock stands
// still while the order waits.
func TestApprovalIsChased(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(phone())
	w.grant(w.anna, authority.RoleRequester, item)
	w.grant(w.bo, authority.RoleApprover, item)
	o, err := w.place(w.anna, item, `{"model":"Other"}`)
	w.ok(err)
	// Placed Monday 09:00: reminded at 13:00, due Tuesday 09:00.
	if want := time.Date(2026, 12, 8, 9, 0, 0, 0, w.zone); !o.Approval.Due.Equal(want) {
		t.Fatalf("due %s, want %s", o.Approval.Due, want)
	}
	w.clock.Set(time.Date(2026, 12, 7, 12, 59, 0, 0, w.zone))
	n, err := w.svc.Chase(w.ctx)
	w.ok(err)
	if n != 0 {
		t.Fatalf("chased %d before the reminder", n)
	}
	w.clock.Set(time.Date(2026, 12, 7, 13, 0, 0, 0, w.zone))
	n, err = w.svc.Chase(w.ctx)
	w.ok(err)
	if n != 1 {
		t.Fatalf("reminded %d", n)
	}
	n, err = w.svc.Chase(w.ctx)
	w.ok(err)
	if n != 0 {
		t.Fatalf("reminded again: %d", n)
	}
	w.clock.Set(time.Date(2026, 12, 8, 8, 59, 0, 0, w.zone))
	if n, _ = w.svc.Chase(w.ctx); n != 0 {
		t.Fatalf("expired before the deadline")
	}
	w.clock.Set(time.Date(2026, 12, 8, 9, 0, 0, 0, w.zone))
	if n, _ = w.svc.Chase(w.ctx); n != 1 {
		t.Fatalf("not expired at the deadline")
	}
	o, err = w.svc.GetOrder(w.ctx, w.anna, o.ID)
	w.ok(err)
	if o.State != request.StateDeclined || o.Approval.State != request.ApprovalExpired || o.Approval.Reminded.IsZero() {
		t.Fatalf("after the deadline: %s, approval %s, reminded %v", o.State, o.Approval.State, o.Approval.Reminded)
	}
	w.replayed(o)
}

// TestTaskHeldAlongTheChain checks that a task moves as incidents do:
// rejected back to the desk, re-delegated (ping-pong counted when back to
// the supplier that bounced it), recalled, and seen only by who held it.
func TestTaskHeldAlongTheChain(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(phone())
	w.grant(w.anna, authority.RoleRequester, item)
	w.grant(w.bo, authority.RoleApprover, item)
	o, err := w.place(w.anna, item, `{"model":"Other"}`)
	w.ok(err)
	o, err = w.svc.Approve(w.ctx, w.bo, o.ID, "")
	w.ok(err)
	ph := w.task(o, "phone")
	_, err = w.svc.Accept(w.ctx, w.mailAgent, ph.ID)
	w.code(err, itsm.CodeNotFound)
	_, err = w.svc.Reject(w.ctx, w.deskAgent, ph.ID, "no")
	w.code(err, itsm.CodeForbidden)
	ph, err = w.svc.Reject(w.ctx, w.telAgent, ph.ID, "Not our model")
	w.ok(err)
	if ph.State != request.TaskReady || ph.Holder != deskID {
		t.Fatalf("rejected: %s at %s", ph.State, ph.Holder)
	}
	ph, err = w.svc.Delegate(w.ctx, w.deskAgent, ph.ID, request.Delegation{Organisation: mailcoID})
	w.ok(err)
	ph, err = w.svc.Recall(w.ctx, w.deskAgent, ph.ID, "Wrong supplier")
	w.ok(err)
	ph, err = w.svc.Delegate(w.ctx, w.deskAgent, ph.ID, request.Delegation{Organisation: telcoID})
	w.ok(err)
	if ph.Reassignments != 2 || ph.PingPong != 1 {
		t.Fatalf("reassignments %d, ping-pong %d", ph.Reassignments, ph.PingPong)
	}
	// Mailco held it once, so it still reads it; the customer reads tasks
	// only through the order.
	_, err = w.svc.GetTask(w.ctx, w.mailAgent, ph.ID)
	w.ok(err)
	_, err = w.svc.GetTask(w.ctx, w.anna, ph.ID)
	w.code(err, itsm.CodeNotFound)
	page, err := w.svc.ListTasks(w.ctx, w.telAgent, nil, 0, "")
	w.ok(err)
	if len(page.Tasks) != 1 || page.Tasks[0].ID != ph.ID {
		t.Fatalf("Telco's tasks: %d", len(page.Tasks))
	}
	// Cancelling the order withdraws its tasks.
	_, err = w.svc.Cancel(w.ctx, w.bo, o.ID, "mine?")
	w.code(err, itsm.CodeForbidden)
	o, err = w.svc.Cancel(w.ctx, w.anna, o.ID, "No longer needed")
	w.ok(err)
	for _, ts := range o.Tasks {
		if ts.State != request.TaskCancelled {
			t.Fatalf("task %s is %s after the order was cancelled", ts.Key, ts.State)
		}
	}
	_, err = w.svc.Accept(w.ctx, w.telAgent, ph.ID)
	w.code(err, itsm.CodeConflict)
	w.replayed(o)
}

// TestIfVersion checks that a command given through IfVersion changes an
// order or a task only at the version its client read.
func TestIfVersion(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(phone())
	w.grant(w.anna, authority.RoleRequester, item)
	w.grant(w.bo, authority.RoleApprover, item)
	o, err := w.place(w.anna, item, `{"model":"Other"}`)
	w.ok(err)
	_, err = w.svc.IfVersion(o.Version+1).Approve(w.ctx, w.bo, o.ID, "")
	if !itsm.IsCode(err, itsm.CodeConflict) || !errors.Is(err, itsm.ErrStale) {
		t.Fatalf("approve at a version never read: %v", err)
	}
	o, err = w.svc.IfVersion(o.Version).Approve(w.ctx, w.bo, o.ID, "")
	w.ok(err)
	ph := w.task(o, "phone")
	_, err = w.svc.IfVersion(ph.Version+1).Accept(w.ctx, w.telAgent, ph.ID)
	if !errors.Is(err, itsm.ErrStale) {
		t.Fatalf("accept at a version never read: %v", err)
	}
	if again := w.task(o, "phone"); again.Version != ph.Version || again.State != request.TaskDelegated {
		t.Fatalf("a stale command changed the task: version %d, state %s", again.Version, again.State)
	}
	_, err = w.svc.IfVersion(ph.Version).Accept(w.ctx, w.telAgent, ph.ID)
	w.ok(err)
}
