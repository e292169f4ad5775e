package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

var (
	t0        = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	desk      = itsm.MustParseID("019a0b1c-0000-7000-8000-000000000001")
	supplierA = itsm.MustParseID("019a0b1c-0000-7000-8000-00000000000a")
	supplierB = itsm.MustParseID("019a0b1c-0000-7000-8000-00000000000b")

	deskAdmin = itsm.Actor{Organisation: desk, Person: "ada.admin", Roles: []itsm.Role{itsm.RoleAdmin}}
	agentA    = itsm.Actor{Organisation: supplierA, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}}
	agentB    = itsm.Actor{Organisation: supplierB, Person: "bob", Roles: []itsm.Role{itsm.RoleAgent}}
	userA     = itsm.Actor{Organisation: supplierA, Person: "ulla"}
)

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_webhook_")
}

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// openSQLite opens the SQLite store at path, as one more process would.
func openSQLite(t testing.TB, path string) *sqlitestore.Store {
	t.Helper()
	return backendtest.SQLite(t, path, sqlitestore.Options{})
}

// fakeTime makes the dispatcher's waits instant on clock: each wait moves
// the clock by its length and lasts a millisecond of real time, so backoffs
// of seconds pass in milliseconds while the order of events stays that of
// real waiting. The wait never moves the clock past the earliest retry,
// because the loop never asks to wait longer than that.
func fakeTime(clock *itsm.ManualClock) webhook.Options {
	return webhook.Options{
		PollInterval: time.Second,
		Backoff:      webhook.Backoff{Base: time.Second, Max: 8 * time.Second, Jitter: -1},
		After: func(d time.Duration) <-chan time.Time {
			clock.Advance(d)
			return time.After(time.Millisecond)
		},
	}
}

// env is a service and a dispatcher on a store, with a manual clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	store itsm.Store
	clock *itsm.ManualClock
	svc   *webhook.Service
	disp  *webhook.Dispatcher
}

// newEnv fills in the store, a manual clock at t0 and, when cfg has none,
// a Visible hook that shows everything. o == nil means fakeTime. The
// receivers of these tests listen on loopback, so loopback is added to
// cfg.Destinations, as an operator of such receivers would allow it.
func newEnv(t *testing.T, store itsm.Store, cfg webhook.Config, o *webhook.Options) *env {
	t.Helper()
	cfg.Destinations = cfg.Destinations.With(netguard.MustParse(netguard.Loopback))
	return makeEnv(t, store, cfg, o)
}

// newPublicEnv is newEnv on a memstore without allowing loopback: cfg's
// Destinations, if any, are all that is allowed besides public addresses.
func newPublicEnv(t *testing.T, cfg webhook.Config, o *webhook.Options) *env {
	t.Helper()
	return makeEnv(t, backends()["memstore"](t), cfg, o)
}

func makeEnv(t *testing.T, store itsm.Store, cfg webhook.Config, o *webhook.Options) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: store}
	if c, ok := cfg.Clock.(*itsm.ManualClock); ok {
		e.clock = c
	} else {
		e.clock = itsm.NewManualClock(t0)
		cfg.Clock = e.clock
	}
	cfg.Store = store
	if cfg.Visible == nil {
		cfg.Visible = func(_ context.Context, _ itsm.ID, ev itsm.Event) (itsm.Event, bool, error) { return ev, true, nil }
	}
	var err error
	if e.svc, err = webhook.New(cfg); err != nil {
		t.Fatal(err)
	}
	opts := fakeTime(e.clock)
	if o != nil {
		opts = *o
	}
	if e.disp, err = webhook.NewDispatcher(e.svc, opts); err != nil {
		t.Fatal(err)
	}
	return e
}

// run starts the dispatcher; the returned stop (also run at cleanup) stops
// it and checks that Run returned nil.
func (e *env) run() (stop func()) {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.disp.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run: %v", err)
				}
			case <-time.After(asynctest.Failsafe):
				e.t.Errorf("Run did not return %s after it was stopped", asynctest.Failsafe)
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

// subscribe creates a subscription for rc as actor and gives rc its secret.
func (e *env) subscribe(actor itsm.Actor, rc *receiver, types ...string) webhook.Created {
	e.t.Helper()
	c, err := e.svc.Create(e.ctx, actor, webhook.Spec{URL: rc.url(), Types: types})
	if err != nil {
		e.t.Fatal(err)
	}
	rc.setSecret(c.Secret)
	return c
}

func (e *env) get(id itsm.ID) webhook.Subscription {
	e.t.Helper()
	s, err := e.svc.Get(e.ctx, deskAdmin, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// event builds an event about an incident (none when subject is zero).
func event(typ string, subject itsm.ID, data string) itsm.Event {
	e := itsm.Event{Type: typ, Subject: subject, Time: t0, Data: json.RawMessage(data)}
	if !subject.IsZero() {
		e.Kind = "incident"
	}
	return e
}

// appendEvents appends the events in one transaction and returns them as
// stored.
func appendEvents(t *testing.T, store itsm.Store, evs ...itsm.Event) []itsm.Event {
	t.Helper()
	out := make([]itsm.Event, 0, len(evs))
	err := store.Write(context.Background(), func(tx itsm.WriteTx) error {
		out = out[:0]
		for _, e := range evs {
			s, err := tx.Append(e)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// numbered returns n events of type typ about subject, numbered in their
// data.
func numbered(n int, typ string, subject itsm.ID) []itsm.Event {
	out := make([]itsm.Event, n)
	for i := range out {
		out[i] = event(typ, subject, fmt.Sprintf(`{"n":%d}`, i))
	}
	return out
}

// arrival is one request that reached a receiver with a valid signature.
type arrival struct {
	payload webhook.Payload
	header  http.Header
	body    []byte
	at      time.Time
}

// receiver is a webhook endpoint that verifies every request with
// httpnotify.Verify against clock, keeps those that pass, and answers as
// answer says (200 when nil). nth counts the arrivals of the payload's
// event ID, this one included.
type receiver struct {
	t         *testing.T
	clock     itsm.Clock
	tolerance time.Duration
	srv       *httptest.Server

	mu     sync.Mutex
	secret []byte
	got    []arrival
	seen   map[itsm.ID]int
	answer func(r *http.Request, p webhook.Payload, nth int) (int, string)
}

func newReceiver(t *testing.T, clock itsm.Clock) *receiver {
	rc := &receiver{t: t, clock: clock, tolerance: 1000 * time.Hour, seen: map[itsm.ID]int{}}
	rc.srv = httptest.NewServer(rc)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url() string { return rc.srv.URL + "/hooks/s3cr3t-token" }

func (rc *receiver) setSecret(s string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = []byte(s)
}

func (rc *receiver) setAnswer(f func(r *http.Request, p webhook.Payload, nth int) (int, string)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = f
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	secret := rc.secret
	rc.mu.Unlock()
	if err := httpnotify.Verify(secret, r.Header.Get(httpnotify.HeaderTimestamp), body,
		r.Header.Get(httpnotify.HeaderSignature), rc.clock.Now(), rc.tolerance); err != nil {
		rc.t.Errorf("receiver: %v", err)
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	var p webhook.Payload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		rc.t.Errorf("receiver: body %s: %v", body, err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.seen[p.ID]++
	nth := rc.seen[p.ID]
	rc.got = append(rc.got, arrival{payload: p, header: r.Header.Clone(), body: body, at: rc.clock.Now()})
	answer := rc.answer
	rc.mu.Unlock()
	status, text := http.StatusOK, ""
	if answer != nil {
		status, text = answer(r, p, nth)
	}
	w.WriteHeader(status)
	io.WriteString(w, text)
}

func (rc *receiver) arrivals() []arrival {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]arrival(nil), rc.got...)
}

// seqs lists the Seq of every arrival, repeats included.
func (rc *receiver) seqs() []int64 {
	var out []int64
	for _, a := range rc.arrivals() {
		out = append(out, a.payload.Seq)
	}
	return out
}

// distinct lists the Seq of each event at its first arrival, in arrival
// order: what a receiver that drops repeated event IDs processes.
func (rc *receiver) distinct() []int64 {
	seen := map[itsm.ID]bool{}
	var out []int64
	for _, a := range rc.arrivals() {
		if !seen[a.payload.ID] {
			seen[a.payload.ID] = true
			out = append(out, a.payload.Seq)
		}
	}
	return out
}

// seqsOf lists the Seq of events.
func seqsOf(evs []itsm.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}
