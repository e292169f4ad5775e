package request_test

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
)

var update = flag.Bool("update", false, "rewrite the golden schemas in testdata")

// eventTypes is every order and task event type.
func eventTypes() []string {
	var out []string
	for _, p := range request.OrderPayloads() {
		out = append(out, p.Type())
	}
	for _, p := range request.TaskPayloads() {
		out = append(out, p.Type())
	}
	slices.Sort(out)
	return out
}

// Each schema is its golden file, byte for byte; run with -update to
// rewrite them after a deliberate change to a payload.
func TestSchemasMatchGolden(t *testing.T) {
	all, err := request.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	schematest.Golden(t, all, *update)
}

// The data of every event the service writes matches its schema: a run
// through every command writes every event type.
func TestEventsMatchSchemas(t *testing.T) {
	all, err := request.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, backends()["memstore"](t))
	c, b, a := w.offer(phone()), w.offer(account()), w.offer(list())
	for _, item := range []itsm.ID{c, b, a} {
		w.grant(w.anna, authority.RoleRequester, item)
		w.grant(w.bo, authority.RoleApprover, item)
	}
	// Type C: rejected, re-delegated, recalled, assigned, done; closed.
	o, err := w.place(w.anna, c, `{"model":"Other"}`)
	w.ok(err)
	w.clock.Advance(5 * time.Hour)
	_, err = w.svc.Chase(w.ctx)
	w.ok(err)
	o, err = w.svc.Approve(w.ctx, w.bo, o.ID, "ok")
	w.ok(err)
	ph := w.task(o, "phone")
	_, err = w.svc.Reject(w.ctx, w.telAgent, ph.ID, "Busy")
	w.ok(err)
	_, err = w.svc.Delegate(w.ctx, w.deskAgent, ph.ID, request.Delegation{Organisation: mailcoID, Note: "try them"})
	w.ok(err)
	_, err = w.svc.Recall(w.ctx, w.deskAgent, ph.ID, "wrong one")
	w.ok(err)
	_, err = w.svc.Delegate(w.ctx, w.deskAgent, ph.ID, request.Delegation{Organisation: telcoID})
	w.ok(err)
	_, err = w.svc.Accept(w.ctx, w.telAgent, ph.ID)
	w.ok(err)
	_, err = w.svc.ReportBack(w.ctx, w.telAgent, ph.ID, "done")
	w.ok(err)
	sy := w.task(o, "sync")
	_, err = w.svc.Accept(w.ctx, w.mailAgent, sy.ID)
	w.ok(err)
	_, err = w.svc.ReportBack(w.ctx, w.mailAgent, sy.ID, "done")
	w.ok(err)
	_, err = w.svc.Close(w.ctx, w.deskAgent, o.ID, "Ready.")
	w.ok(err)
	// Type B: the desk takes and assigns its task; another is cancelled,
	// another expires.
	o, err = w.place(w.anna, b, `{"user":"a"}`)
	w.ok(err)
	o, err = w.svc.Approve(w.ctx, w.bo, o.ID, "")
	w.ok(err)
	acc := w.task(o, "account")
	_, err = w.svc.Take(w.ctx, w.deskAgent, acc.ID)
	w.ok(err)
	_, err = w.svc.Complete(w.ctx, w.deskAgent, acc.ID, "created")
	w.ok(err)
	o, err = w.place(w.anna, c, `{"model":"Other"}`)
	w.ok(err)
	o, err = w.svc.Approve(w.ctx, w.bo, o.ID, "")
	w.ok(err)
	_, err = w.svc.Cancel(w.ctx, w.anna, o.ID, "changed my mind")
	w.ok(err)
	_, err = w.place(w.anna, b, `{"user":"b"}`)
	w.ok(err)
	o, err = w.place(w.anna, b, `{"user":"c"}`)
	w.ok(err)
	_, err = w.svc.Decline(w.ctx, w.bo, o.ID, "no")
	w.ok(err)
	w.clock.Advance(7 * 24 * time.Hour)
	_, err = w.svc.Chase(w.ctx)
	w.ok(err)
	// Type A: a failure, then success.
	_, err = w.place(w.anna, a, `{"list":"x"}`)
	w.ok(err)
	w.fulfils.fail = itsm.Errorf(itsm.CodeUnavailable, "down")
	_, err = w.svc.FulfilDue(w.ctx)
	w.ok(err)
	w.fulfils.fail = nil
	w.clock.Advance(time.Hour)
	_, err = w.svc.FulfilDue(w.ctx)
	w.ok(err)

	// Assign needs a group: none exists in this world, so the command's
	// refusal is all it can show; its payload is checked by the golden
	// file and the invariant test.
	seen := map[string]bool{"task.assigned": true}
	for _, events := range w.events() {
		for _, e := range events {
			seen[e.Type] = true
			if err := schematest.MustNew(t, all[e.Type]).Check(e.Data); err != nil {
				t.Errorf("event %d (%s) does not match its schema: %v\n%s", e.Seq, e.Type, err, e.Data)
			}
		}
	}
	for _, typ := range eventTypes() {
		if !seen[typ] {
			t.Errorf("no %s event was checked", typ)
		}
	}
}

// docs/request.md lists every event type.
func TestDocsListEveryEvent(t *testing.T) {
	page, err := os.ReadFile("../docs/request.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range eventTypes() {
		if !bytes.Contains(page, []byte("`"+typ+"`")) {
			t.Errorf("docs/request.md does not list `%s`", typ)
		}
	}
}
