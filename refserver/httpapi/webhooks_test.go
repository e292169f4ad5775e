package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	support "github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// fastHooks makes failures dead letters after two attempts a millisecond
// apart, and polls the log often, since these tests have no server to call
// Notify after each command.
var fastHooks = webhook.Options{
	PollInterval: 5 * time.Millisecond,
	MaxAttempts:  2,
	Backoff:      webhook.Backoff{Base: time.Millisecond, Max: 2 * time.Millisecond, Jitter: -1},
}

// newHookWorld is newWorld with webhooks, configured as the server does
// (httpapi.Visible and httpapi.Admin), and a dispatcher running until the
// test ends.
func newHookWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	store := memstore.New()
	secret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, store, secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	dir, err := auth.NewDirectory(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := incident.New(incident.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix()})
	if err != nil {
		t.Fatal(err)
	}
	// The receivers listen on loopback, which the operator allows.
	hooks, err := webhook.New(webhook.Config{Store: store, Visible: httpapi.Visible(svc, nil, nil, nil, nil), Admin: httpapi.Admin(dir),
		Destinations: netguard.MustParse(netguard.Loopback)})
	if err != nil {
		t.Fatal(err)
	}
	disp, err := webhook.NewDispatcher(hooks, fastHooks)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := support.New(support.Config{Store: store, Directory: dir, Admin: httpapi.Admin(dir)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Deps{Store: store, Directory: dir, Tokens: auth.NewTokens(dir, nil), Incidents: svc,
		Webhooks: hooks, Groups: groups})
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- disp.Run(dctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dispatcher: %v", err)
		}
	})
	w := serveWorld(t, store, h, secret)
	return w
}

// newHookChain is newChain over newHookWorld.
func newHookChain(t *testing.T) *chain {
	w := newHookWorld(t)
	c := &chain{world: w}
	rw := []api.Access{api.AccessRead, api.AccessWrite}
	c.desk = w.org("Service Desk", itsm.OrgDesk, rw...)
	c.supA = w.org("Network Supplier", itsm.OrgSupplier, rw...)
	c.supB = w.org("Hardware Supplier", itsm.OrgSupplier, rw...)
	c.agent = w.token(itsm.Actor{Organisation: c.desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}})
	c.alice = w.token(itsm.Actor{Organisation: c.supA, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}})
	c.bob = w.token(itsm.Actor{Organisation: c.supB, Person: "bob", Roles: []itsm.Role{itsm.RoleAgent}})
	return c
}

// receiver is a webhook endpoint that checks every request's signature
// with httpnotify.Verify and keeps the payloads it accepts; while failing
// it answers 500 and keeps nothing.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	failing  bool
	got      []webhook.Payload
	attempts int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts++
	if rc.failing {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if err := httpnotify.Verify([]byte(rc.secret), r.Header.Get(httpnotify.HeaderTimestamp), b,
		r.Header.Get(httpnotify.HeaderSignature), time.Now(), 0); err != nil {
		rc.t.Errorf("a request fails verification: %v", err)
		w.WriteHeader(http.StatusForbidden)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(b, &p); err != nil {
		rc.t.Errorf("a body is not a payload: %v: %s", err, b)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if id := r.Header.Get(webhook.HeaderEventID); id != p.ID.String() {
		rc.t.Errorf("%s %q for event %s", webhook.HeaderEventID, id, p.ID)
	}
	rc.got = append(rc.got, p)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s
}

func (rc *receiver) setFailing(f bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.failing = f
}

func (rc *receiver) payloads() []webhook.Payload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

func (rc *receiver) requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.attempts
}

// types returns the types of the payloads received.
func (rc *receiver) types() []string {
	var out []string
	for _, p := range rc.payloads() {
		out = append(out, p.Type)
	}
	return out
}

// TestWebhooksDeliverWhatTheOwnerMaySee subscribes two suppliers over HTTP
// and checks that the one the desk delegates to receives the incident's
// events, signed, and the other nothing; and that neither sees the other's
// subscription.
func TestWebhooksDeliverWhatTheOwnerMaySee(t *testing.T) {
	c := newHookChain(t)
	ctx := c.ctx
	recvA, recvB := newReceiver(t), newReceiver(t)

	subA, err := c.alice.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: recvA.srv.URL, Types: []string{"incident."}})
	if err != nil || subA.JSON201 == nil || subA.JSON201.Secret == "" || subA.JSON201.Owner != c.supA {
		t.Fatalf("supplier A subscribes: %v %s", err, body(subA))
	}
	if loc := subA.HTTPResponse.Header.Get("Location"); loc != "/v1/webhooks/"+subA.JSON201.ID.String() {
		t.Errorf("create: Location %q", loc)
	}
	recvA.setSecret(subA.JSON201.Secret)
	// Supplier B takes every type, so that only visibility keeps anything
	// from it.
	subB, err := c.bob.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: recvB.srv.URL})
	if err != nil || subB.JSON201 == nil {
		t.Fatalf("supplier B subscribes: %v %s", err, body(subB))
	}
	recvB.setSecret(subB.JSON201.Secret)
	idA, idB := subA.JSON201.ID, subB.JSON201.ID

	// Another organisation's subscription does not exist for B (or A).
	if r, err := c.bob.GetWebhookWithResponse(ctx, idA); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("B reads A's subscription: %v %s, want 404", err, body(r))
	}
	if r, err := c.bob.DeleteWebhookWithResponse(ctx, idA); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("B deletes A's subscription: %v %s, want 404", err, body(r))
	}
	if r, err := c.alice.RotateWebhookSecretWithResponse(ctx, idB, api.WebhookSecret{}); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("A rotates B's secret: %v %s, want 404", err, body(r))
	}
	if r, err := c.bob.ListWebhooksWithResponse(ctx, nil); err != nil || r.JSON200 == nil ||
		len(r.JSON200.Items) != 1 || r.JSON200.Items[0].ID != idB {
		t.Errorf("B's list: %v %s, want its own only", err, body(r))
	}
	if r, err := c.admin.ListWebhooksWithResponse(ctx, &api.ListWebhooksParams{Owner: c.supA}, dropZeros); err != nil ||
		r.JSON200 == nil || len(r.JSON200.Items) != 1 || r.JSON200.Items[0].ID != idA {
		t.Errorf("the administrator's list of A's: %v %s", err, body(r))
	}
	if r, err := c.alice.GetWebhookWithResponse(ctx, idA); err != nil || r.JSON200 == nil || r.JSON200.URL != recvA.srv.URL {
		t.Errorf("A reads its subscription: %v %s", err, body(r))
	}

	// The desk delegates one incident to A and keeps another.
	inc := c.register("", "The city's network is down", itsm.ID{})
	other := c.register("", "The desk's own printer", itsm.ID{})
	del, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, nil, api.Delegation{Organisation: c.supA})
	if err != nil || del.JSON200 == nil {
		t.Fatalf("delegate: %v %s", err, body(del))
	}
	acc, err := c.alice.AcceptIncidentWithResponse(ctx, inc.ID, nil)
	if err != nil || acc.JSON200 == nil {
		t.Fatalf("accept: %v %s", err, body(acc))
	}
	if r, err := c.agent.CommentIncidentWithResponse(ctx, other.ID, nil, api.Comment{Kind: "work_note", Text: "toner"}); err != nil || r.JSON200 == nil {
		t.Fatalf("comment on the desk's own: %v %s", err, body(r))
	}
	upd, err := c.alice.UpdateIncidentWithResponse(ctx, inc.ID, nil, api.StatusUpdate{Text: "replacing a switch"})
	if err != nil || upd.JSON200 == nil {
		t.Fatalf("update: %v %s", err, body(upd))
	}
	// An event of the register, which no subscription may receive.
	c.org("Late Supplier", itsm.OrgSupplier)
	// Nor the events of the settings, even of an agreement B is party to:
	// they are the platform administrator's.
	if r := putCalendar(t, c, c.admin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		t.Fatalf("create uc-hours: %s", body(r))
	}
	if r := createAgreement(t, c, c.admin, agreementJSON("Hardware UC", "UC", c.supB, c.desk, "8h", "uc-hours")); r.JSON201 == nil {
		t.Fatalf("create B's UC: %s", body(r))
	}

	last := func() int64 {
		var evs []itsm.Event
		if err := c.store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			evs, err = tx.Events(0, itsm.MaxLimit)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return evs[len(evs)-1].Seq
	}()
	// Both subscriptions have gone through the whole log when their cursors
	// reach its end.
	asynctest.Eventually(t, "A's cursor reaches the end of the log", func() bool {
		r, err := c.alice.GetWebhookWithResponse(ctx, idA)
		return err == nil && r.JSON200 != nil && r.JSON200.Delivery.Cursor >= last
	})
	asynctest.Eventually(t, "B's cursor reaches the end of the log", func() bool {
		r, err := c.bob.GetWebhookWithResponse(ctx, idB)
		return err == nil && r.JSON200 != nil && r.JSON200.Delivery.Cursor >= last
	})

	got := recvA.payloads()
	types := recvA.types()
	for _, want := range []string{"incident.delegated", "incident.accepted"} {
		if !slices.Contains(types, want) {
			t.Errorf("A received %v, lacking %s", types, want)
		}
	}
	if len(types) < 3 {
		t.Errorf("A received %v, want the delegation and the events after it", types)
	}
	var seq int64
	for _, p := range got {
		if p.Subject == nil || *p.Subject != inc.ID {
			t.Errorf("A received %s about %v, not about %s", p.Type, p.Subject, inc.ID)
		}
		if p.Seq <= seq {
			t.Errorf("A received seq %d after %d", p.Seq, seq)
		}
		seq = p.Seq
	}
	if n := recvB.requests(); n != 0 {
		t.Errorf("B received %d requests (%v); it holds no incident", n, recvB.types())
	}
}

// TestWebhookDeadLetters makes a receiver fail until its events are dead
// letters, lists them, retries one after the receiver recovers (under a
// rotated secret), discards the other, and deletes the subscription.
func TestWebhookDeadLetters(t *testing.T) {
	c := newHookChain(t)
	ctx := c.ctx
	rc := newReceiver(t)
	rc.setFailing(true)

	sub, err := c.alice.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL, Types: []string{"incident.delegated", "incident.accepted"}})
	if err != nil || sub.JSON201 == nil {
		t.Fatalf("subscribe: %v %s", err, body(sub))
	}
	id := sub.JSON201.ID
	inc := c.register("", "The city's network is down", itsm.ID{})
	if r, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, nil, api.Delegation{Organisation: c.supA}); err != nil || r.JSON200 == nil {
		t.Fatalf("delegate: %v %s", err, body(r))
	}
	if r, err := c.alice.AcceptIncidentWithResponse(ctx, inc.ID, nil); err != nil || r.JSON200 == nil {
		t.Fatalf("accept: %v %s", err, body(r))
	}

	var dead []webhook.DeadLetter
	asynctest.Eventually(t, "two dead letters", func() bool {
		r, err := c.alice.ListDeadLettersWithResponse(ctx, id, nil)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("dead letters: %v %s", err, body(r))
		}
		dead = r.JSON200.Items
		return len(dead) == 2
	})
	for i, want := range []string{"incident.delegated", "incident.accepted"} {
		d := dead[i]
		if d.Type != want || d.Attempts != fastHooks.MaxAttempts || d.Status != http.StatusInternalServerError || d.Subscription != id {
			t.Errorf("dead letter %d: %+v, want %s after %d attempts answered 500", i, d, want, fastHooks.MaxAttempts)
		}
	}
	if n := rc.requests(); n != 2*fastHooks.MaxAttempts {
		t.Errorf("the receiver was tried %d times, want %d", n, 2*fastHooks.MaxAttempts)
	}
	if r, err := c.bob.ListDeadLettersWithResponse(ctx, id, nil); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("B lists A's dead letters: %v %s, want 404", err, body(r))
	}
	if r, err := c.bob.RetryDeadLetterWithResponse(ctx, id, dead[0].Seq); err != nil || r.StatusCode() != http.StatusNotFound {
		t.Errorf("B retries A's dead letter: %v %s, want 404", err, body(r))
	}

	// A retry while the receiver still fails counts the attempt.
	r1, err := c.alice.RetryDeadLetterWithResponse(ctx, id, dead[0].Seq)
	if err != nil || r1.JSON200 == nil || r1.JSON200.Delivered || r1.JSON200.DeadLetter.Attempts != fastHooks.MaxAttempts+1 {
		t.Fatalf("retry while failing: %v %s", err, body(r1))
	}

	// Pause, rotate the secret, recover: the retry is signed with the new
	// secret, which the receiver checks.
	paused, err := c.alice.UpdateWebhookWithResponse(ctx, id, api.WebhookChange{State: webhook.StatePaused})
	if err != nil || paused.JSON200 == nil || paused.JSON200.State != webhook.StatePaused {
		t.Fatalf("pause: %v %s", err, body(paused))
	}
	rot, err := c.alice.RotateWebhookSecretWithResponse(ctx, id, api.WebhookSecret{})
	if err != nil || rot.JSON200 == nil || rot.JSON200.Secret == "" || rot.JSON200.Secret == sub.JSON201.Secret {
		t.Fatalf("rotate: %v %s", err, body(rot))
	}
	rc.setSecret(rot.JSON200.Secret)
	rc.setFailing(false)
	r2, err := c.alice.RetryDeadLetterWithResponse(ctx, id, dead[0].Seq)
	if err != nil || r2.JSON200 == nil || !r2.JSON200.Delivered {
		t.Fatalf("retry after recovery: %v %s", err, body(r2))
	}
	if got := rc.payloads(); len(got) != 1 || got[0].Seq != dead[0].Seq || got[0].Type != "incident.delegated" {
		t.Errorf("the receiver got %+v, want the delegation", got)
	}
	if r, err := c.alice.DiscardDeadLetterWithResponse(ctx, id, dead[1].Seq); err != nil || r.StatusCode() != http.StatusNoContent {
		t.Errorf("discard: %v %s", err, body(r))
	}
	if r, err := c.alice.DiscardDeadLetterWithResponse(ctx, id, dead[1].Seq); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("discard again: %v %s, want 404", err, body(r))
	}
	if r, err := c.alice.ListDeadLettersWithResponse(ctx, id, nil); err != nil || r.JSON200 == nil || len(r.JSON200.Items) != 0 {
		t.Errorf("dead letters after retry and discard: %v %s, want none", err, body(r))
	}
	if r, err := c.alice.DeleteWebhookWithResponse(ctx, id); err != nil || r.StatusCode() != http.StatusNoContent {
		t.Errorf("delete: %v %s", err, body(r))
	}
	if r, err := c.alice.GetWebhookWithResponse(ctx, id); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("get after delete: %v %s, want 404", err, body(r))
	}
	if r, err := c.alice.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: "ftp://example.com/hook"}); err != nil || r.ApplicationProblemJSON400 == nil {
		t.Errorf("an ftp URL: %v %s, want 400", err, body(r))
	}
}
