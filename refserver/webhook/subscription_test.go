package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url       string
		allowHTTP bool
		reason    string // "" when valid
	}{
		{"https://hooks.example/spoc/T0001/s3cr3t", false, ""},
		{"https://hooks.example:8443/spoc?x=1", false, ""},
		{"http://localhost:8080/hook", false, ""},
		{"http://127.0.0.1:9/hook", false, ""},
		{"http://127.8.9.10/hook", false, ""},
		{"http://[::1]:8080/hook", false, ""},
		{"http://hooks.example/hook", true, ""},
		{"http://hooks.example/hook", false, "use https"},
		{"http://10.0.0.1/hook", false, "use https"},
		{"http://localhost.hooks.example/hook", false, "use https"},
		{"ftp://hooks.example/hook", false, "scheme"},
		{"hooks.example/hook", false, "scheme"},
		{"/hook", false, "scheme"},
		{"", false, "scheme"},
		{"mailto:desk@example.org", false, "scheme"},
		{"https:opaque", false, "no host"},
		{"https:///hook", false, "no host"},
		{"https://:443/hook", false, "no host"},
		{"https://user:s3cr3t@hooks.example/hook", false, "user name or password"},
		{"https://user@hooks.example/hook", false, "user name or password"},
		{"https://hooks.example/hook#s3cr3t", false, "fragment"},
		{"https://hooks.example/ho ok", false, "space or control"},
		{"https://hooks.example/\x01", false, "does not parse"},
		{"https://[::1/s3cr3t", false, "does not parse"},
		{"https://hooks.example/" + strings.Repeat("a", webhook.MaxURL), false, "more than 2048"},
	}
	for _, tt := range tests {
		err := webhook.CheckURL(tt.url, tt.allowHTTP)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("CheckURL(%q, %v): %v", tt.url, tt.allowHTTP, err)
			}
			continue
		}
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("CheckURL(%q, %v): %v, want invalid naming %q", tt.url, tt.allowHTTP, err, tt.reason)
		} else if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("CheckURL(%q): the error repeats the URL's secret: %v", tt.url, err)
		}
	}
}

// Invalid specifications are refused with CodeInvalid naming the problem,
// and nothing is stored.
func TestCreateValidates(t *testing.T) {
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, nil)
	ok := webhook.Spec{URL: "https://hooks.example/hook"}
	with := func(f func(*webhook.Spec)) webhook.Spec {
		s := ok
		f(&s)
		return s
	}
	tests := []struct {
		name   string
		spec   webhook.Spec
		reason string
	}{
		{"bad URL", with(func(s *webhook.Spec) { s.URL = "http://hooks.example/hook" }), "use https"},
		{"upper case type", with(func(s *webhook.Spec) { s.Types = []string{"Incident.registered"} }), `"Incident.registered"`},
		{"empty word", with(func(s *webhook.Spec) { s.Types = []string{"incident..registered"} }), "dot-separated"},
		{"empty type", with(func(s *webhook.Spec) { s.Types = []string{""} }), "dot-separated"},
		{"lone dot", with(func(s *webhook.Spec) { s.Types = []string{"."} }), "dot-separated"},
		{"wildcard", with(func(s *webhook.Spec) { s.Types = []string{"incident.*"} }), "dot-separated"},
		{"twice", with(func(s *webhook.Spec) { s.Types = []string{"incident.", "problem.", "incident."} }), "listed twice"},
		{"too many", with(func(s *webhook.Spec) { s.Types = make([]string, webhook.MaxTypes+1) }), "more than 64"},
		{"short secret", with(func(s *webhook.Spec) { s.Secret = "short" }), "secret is 5 bytes"},
		{"secret with space", with(func(s *webhook.Spec) { s.Secret = "a secret with spaces in it, long enough" }), "printable ASCII"},
		{"unknown state", with(func(s *webhook.Spec) { s.State = "deleted" }), `state "deleted"`},
	}
	for _, tt := range tests {
		_, err := e.svc.Create(e.ctx, agentA, tt.spec)
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: %v, want invalid naming %q", tt.name, err, tt.reason)
		}
	}
	if subs, _, err := e.svc.List(e.ctx, deskAdmin, webhook.ListOptions{}); err != nil || len(subs) != 0 {
		t.Errorf("after refused creates: %v, %v", subs, err)
	}
	c, err := e.svc.Create(e.ctx, agentA, with(func(s *webhook.Spec) {
		s.Types = []string{"problem.", "incident.delegated"}
		s.Secret = "a-secret-of-enough-length-and-variety"
		s.State = webhook.StatePaused
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Secret != "a-secret-of-enough-length-and-variety" || c.State != webhook.StatePaused ||
		!slices.Equal(c.Types, []string{"incident.delegated", "problem."}) || c.Owner != supplierA || c.CreatedBy != "alice" {
		t.Errorf("created %+v", c)
	}
}

// Subscriptions belong to their organisation: others get not found, people
// who are neither agents nor admins are refused, and an admin sees and
// manages all. The secret is shown only by Create.
func TestOwnership(t *testing.T) {
	e := newEnv(t, backends()["sqlitestore"](t), webhook.Config{}, nil)
	spec := webhook.Spec{URL: "https://hooks.example/a"}
	a, err := e.svc.Create(e.ctx, agentA, spec)
	if err != nil {
		t.Fatal(err)
	}
	if a.Owner != supplierA || !strings.HasPrefix(a.Secret, "whsec_") || len(a.Secret) < webhook.MinSecret {
		t.Errorf("created %+v", a)
	}
	got, err := e.svc.Get(e.ctx, agentA, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(got)
	if strings.Contains(string(js), a.Secret) || strings.Contains(string(js), `"secret"`) {
		t.Errorf("Get shows the secret: %s", js)
	}
	subs, _, _ := e.svc.List(e.ctx, agentA, webhook.ListOptions{})
	js, _ = json.Marshal(subs)
	if len(subs) != 1 || strings.Contains(string(js), a.Secret) {
		t.Errorf("List: %s", js)
	}

	state := webhook.StatePaused
	notFound := map[string]error{}
	_, notFound["Get"] = e.svc.Get(e.ctx, agentB, a.ID)
	_, notFound["Update"] = e.svc.Update(e.ctx, agentB, a.ID, webhook.Change{State: &state})
	_, notFound["RotateSecret"] = e.svc.RotateSecret(e.ctx, agentB, a.ID, "")
	notFound["Delete"] = e.svc.Delete(e.ctx, agentB, a.ID)
	_, _, notFound["DeadLetters"] = e.svc.DeadLetters(e.ctx, agentB, a.ID, webhook.ListOptions{})
	notFound["Discard"] = e.svc.Discard(e.ctx, agentB, a.ID, 1)
	_, notFound["Get unknown"] = e.svc.Get(e.ctx, agentA, itsm.NewID())
	for op, err := range notFound {
		if !itsm.IsCode(err, itsm.CodeNotFound) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("%s of another organisation's subscription: %v, want not found", op, err)
		}
	}
	if subs, _, err := e.svc.List(e.ctx, agentB, webhook.ListOptions{}); err != nil || len(subs) != 0 {
		t.Errorf("B lists %v, %v", subs, err)
	}
	forbidden := map[string]error{}
	_, _, forbidden["B lists A's"] = e.svc.List(e.ctx, agentB, webhook.ListOptions{Owner: supplierA})
	_, forbidden["B creates for A"] = e.svc.Create(e.ctx, agentB, webhook.Spec{Owner: supplierA, URL: spec.URL})
	_, forbidden["a user creates"] = e.svc.Create(e.ctx, userA, spec)
	_, forbidden["a user gets"] = e.svc.Get(e.ctx, userA, a.ID)
	_, _, forbidden["a user lists"] = e.svc.List(e.ctx, userA, webhook.ListOptions{})
	for op, err := range forbidden {
		if !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Errorf("%s: %v, want forbidden", op, err)
		}
	}
	if _, err := e.svc.Create(e.ctx, itsm.Actor{Organisation: supplierA}, spec); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("an actor without a person: %v, want invalid", err)
	}

	// The desk's admin manages everyone's.
	b, err := e.svc.Create(e.ctx, deskAdmin, webhook.Spec{Owner: supplierB, URL: "https://hooks.example/b"})
	if err != nil || b.Owner != supplierB {
		t.Fatalf("admin creates for B: %+v, %v", b, err)
	}
	all, _, err := e.svc.List(e.ctx, deskAdmin, webhook.ListOptions{})
	if err != nil || len(all) != 2 {
		t.Errorf("admin lists %d, %v", len(all), err)
	}
	onlyB, _, err := e.svc.List(e.ctx, deskAdmin, webhook.ListOptions{Owner: supplierB})
	if err != nil || len(onlyB) != 1 || onlyB[0].ID != b.ID {
		t.Errorf("admin lists B's: %v, %v", onlyB, err)
	}
	if _, err := e.svc.Get(e.ctx, agentB, b.ID); err != nil {
		t.Errorf("B gets the subscription the admin made for it: %v", err)
	}
	// Paging.
	page1, next, err := e.svc.List(e.ctx, deskAdmin, webhook.ListOptions{Limit: 1})
	if err != nil || len(page1) != 1 || next == "" {
		t.Fatalf("page 1: %v, %q, %v", page1, next, err)
	}
	page2, next, err := e.svc.List(e.ctx, deskAdmin, webhook.ListOptions{Limit: 1, After: next})
	if err != nil || len(page2) != 1 || page2[0].ID == page1[0].ID {
		t.Errorf("page 2: %v, %q, %v", page2, next, err)
	}
	if err := e.svc.Delete(e.ctx, deskAdmin, a.ID); err != nil {
		t.Errorf("admin deletes A's: %v", err)
	}
	if _, err := e.svc.Get(e.ctx, agentA, a.ID); !itsm.IsCode(err, itsm.CodeNotFound) {
		t.Errorf("after Delete: %v", err)
	}
}

// Update checks what it changes; RotateSecret signs later requests with the
// new secret.
func TestUpdateAndRotate(t *testing.T) {
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, nil)
	rc := newReceiver(t, e.clock)
	sub := e.subscribe(agentA, rc)
	bad := "http://hooks.example/x"
	if _, err := e.svc.Update(e.ctx, agentA, sub.ID, webhook.Change{URL: &bad}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("Update to an http URL: %v", err)
	}
	badTypes := []string{"Incident"}
	if _, err := e.svc.Update(e.ctx, agentA, sub.ID, webhook.Change{Types: &badTypes}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("Update to bad types: %v", err)
	}
	odd := webhook.State("stopped")
	if _, err := e.svc.Update(e.ctx, agentA, sub.ID, webhook.Change{State: &odd}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("Update to state stopped: %v", err)
	}
	types := []string{"incident."}
	e.clock.Advance(1)
	up, err := e.svc.Update(e.ctx, agentA, sub.ID, webhook.Change{Types: &types})
	if err != nil || !slices.Equal(up.Types, types) || !up.Updated.After(sub.Updated) || up.URL != sub.URL {
		t.Fatalf("Update: %+v, %v", up, err)
	}
	if _, err := e.svc.RotateSecret(e.ctx, agentA, sub.ID, "short"); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("RotateSecret to a short one: %v", err)
	}
	secret, err := e.svc.RotateSecret(e.ctx, agentA, sub.ID, "")
	if err != nil || secret == sub.Secret || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("RotateSecret: %q, %v", secret, err)
	}
	rc.setSecret(secret) // the receiver fails the test on a bad signature
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`), event("problem.created", itsm.NewID(), `{}`))
	e.run()
	asynctest.Eventually(t, "the event", func() bool { return len(rc.arrivals()) == 1 })
	a := rc.arrivals()[0]
	if a.payload.Type != "incident.changed" {
		t.Errorf("delivered %s, want only incident.*", a.payload.Type)
	}
	if err := httpnotify.Verify([]byte(sub.Secret), a.header.Get(httpnotify.HeaderTimestamp), a.body,
		a.header.Get(httpnotify.HeaderSignature), e.clock.Now(), rc.tolerance); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Errorf("the old secret still verifies: %v", err)
	}
}

func TestSubscriptionWants(t *testing.T) {
	s := webhook.Subscription{Types: []string{"incident.", "problem.created"}}
	for typ, want := range map[string]bool{
		"incident.registered": true, "incident.major.declared": true, "incidents.x": false,
		"problem.created": true, "problem.created.again": false, "problem.closed": false, "incident": false,
	} {
		if s.Wants(typ) != want {
			t.Errorf("Wants(%q) = %v", typ, !want)
		}
	}
	if !(webhook.Subscription{}).Wants("anything.at_all") {
		t.Error("an empty filter refuses")
	}
}

var _ http.Handler = (*receiver)(nil)

// A new subscription starts at the end of the log, however long it is.
func TestNewSubscriptionStartsAtTheEnd(t *testing.T) {
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, nil)
	total := 0
	for _, n := range []int{0, 1, 1, 1, 4, 1, 57, 935, 1} {
		if n > 0 {
			appendEvents(t, e.store, numbered(n, "incident.changed", itsm.NewID())...)
		}
		total += n
		c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: "https://hooks.example/hook"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Delivery.Cursor != int64(total) {
			t.Errorf("after %d events the cursor starts at %d", total, c.Delivery.Cursor)
		}
	}
}

// Retry asks the Visible hook again, sends the event as the hook shows it,
// and sends nothing the owner may no longer see.
func TestRetryChecksVisibility(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 1
	var hidden atomic.Bool
	const shown = `{"as":"shown"}`
	visible := func(_ context.Context, _ itsm.ID, ev itsm.Event) (itsm.Event, bool, error) {
		ev.Data = json.RawMessage(shown)
		return ev, !hidden.Load(), nil
	}
	e := newEnv(t, backends()["memstore"](t), webhook.Config{Clock: clock, Visible: visible}, &o)
	rc := newReceiver(t, clock)
	rc.setAnswer(func(*http.Request, webhook.Payload, int) (int, string) { return http.StatusInternalServerError, "" })
	sub := e.subscribe(agentA, rc)
	stored := appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	stop := e.run()
	asynctest.Eventually(t, "the dead letter", func() bool { return e.svc.Stats().DeadLettered == 1 })
	stop()
	if out, err := e.svc.Retry(e.ctx, agentA, sub.ID, stored[0].Seq); err != nil || out.Delivered {
		t.Errorf("Retry to a failing receiver: %+v, %v", out, err)
	}
	hidden.Store(true)
	if _, err := e.svc.Retry(e.ctx, agentA, sub.ID, stored[0].Seq); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Errorf("Retry of a hidden event: %v, want forbidden", err)
	}
	if n := len(rc.arrivals()); n != 2 {
		t.Errorf("%d requests, want the first attempt and one retry", n)
	}
	for _, a := range rc.arrivals() {
		if string(a.payload.Data) != shown {
			t.Errorf("attempt with data %s, want %s as the hook shows it", a.payload.Data, shown)
		}
	}
	if _, err := e.svc.Retry(e.ctx, agentA, sub.ID, stored[0].Seq+1); !itsm.IsCode(err, itsm.CodeNotFound) {
		t.Errorf("Retry of an unknown seq: %v, want not found", err)
	}
}
