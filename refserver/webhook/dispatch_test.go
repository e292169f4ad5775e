package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// Every event after the subscription arrives once, in Seq order, as the
// documented JSON with the documented headers and a signature that
// httpnotify.Verify accepts at the default tolerance.
func TestDeliversSignedEventsInOrder(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			clock := itsm.NewManualClock(t0) // does not move: the timestamp is known
			e := newEnv(t, open(t), webhook.Config{Clock: clock}, &webhook.Options{PollInterval: 2 * time.Millisecond})
			before := appendEvents(t, e.store, event("incident.registered", itsm.NewID(), `{}`))
			rc := newReceiver(t, clock)
			rc.tolerance = 0
			sub := e.subscribe(agentA, rc)
			if sub.Delivery.Cursor != before[0].Seq {
				t.Errorf("a new subscription starts at cursor %d, want the end of the log %d", sub.Delivery.Cursor, before[0].Seq)
			}

			incs := []itsm.ID{itsm.NewID(), itsm.NewID(), itsm.NewID()}
			var evs []itsm.Event
			for i := range 15 {
				evs = append(evs, event("incident.changed", incs[i%3], `{"step":`+strconv.Itoa(i)+`}`))
			}
			evs = append(evs, itsm.Event{Type: "problem.created", Time: t0.Add(time.Minute)})
			stored := appendEvents(t, e.store, evs...)
			e.run()
			asynctest.Eventually(t, "16 events", func() bool { return len(rc.arrivals()) >= len(stored) })
			e.disp.Notify() // a nudge while idle is harmless

			got := rc.arrivals()
			if d := cmp.Diff(seqsOf(stored), rc.seqs()); d != "" {
				t.Fatalf("arrivals (-want +got):\n%s", d)
			}
			for i, a := range got {
				ev := stored[i]
				if d := cmp.Diff(webhook.NewPayload(ev), a.payload); d != "" {
					t.Errorf("payload of seq %d (-want +got):\n%s", ev.Seq, d)
				}
				h := a.header
				want := map[string]string{
					"Content-Type":               "application/json",
					"User-Agent":                 webhook.UserAgent,
					webhook.HeaderIdempotencyKey: ev.ID.String(),
					webhook.HeaderEventID:        ev.ID.String(),
					webhook.HeaderSubscription:   sub.ID.String(),
					httpnotify.HeaderTimestamp:   strconv.FormatInt(t0.Unix(), 10),
				}
				for k, v := range want {
					if h.Get(k) != v {
						t.Errorf("seq %d: header %s = %q, want %q", ev.Seq, k, h.Get(k), v)
					}
				}
			}
			// The wire form: exactly these fields; kind and subject only
			// when the event has them, data null when it has none.
			var first, last map[string]json.RawMessage
			if err := json.Unmarshal(got[0].body, &first); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got[len(got)-1].body, &last); err != nil {
				t.Fatal(err)
			}
			if k := keys(first); !slices.Equal(k, []string{"data", "id", "kind", "seq", "subject", "time", "type"}) {
				t.Errorf("fields %v", k)
			}
			if k := keys(last); !slices.Equal(k, []string{"data", "id", "seq", "time", "type"}) || string(last["data"]) != "null" {
				t.Errorf("event without subject or data: %s", got[len(got)-1].body)
			}
			// A tampered body fails the same check.
			if err := httpnotify.Verify(rc.secret, got[0].header.Get(httpnotify.HeaderTimestamp), got[1].body,
				got[0].header.Get(httpnotify.HeaderSignature), clock.Now(), 0); !itsm.IsCode(err, itsm.CodeForbidden) {
				t.Errorf("Verify of another body: %v, want forbidden", err)
			}
			asynctest.Eventually(t, "the count", func() bool { return e.svc.Stats().Delivered == 16 })
			if c := e.get(sub.ID).Delivery.Cursor; c != stored[len(stored)-1].Seq {
				t.Errorf("cursor %d, want %d", c, stored[len(stored)-1].Seq)
			}
			if st := e.svc.Stats(); st != (webhook.Stats{Delivered: 16}) {
				t.Errorf("Stats %+v", st)
			}
		})
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The type filter takes exact types and prefixes ending in ".", and the
// cursor passes over the events it drops, the last ones included.
func TestTypeFilter(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t), webhook.Config{}, nil)
			rc := newReceiver(t, e.clock)
			sub := e.subscribe(agentA, rc, "problem.", "incident.delegated")
			inc := itsm.NewID()
			stored := appendEvents(t, e.store,
				event("incident.registered", inc, `{}`),
				event("incident.delegated", inc, `{}`),
				event("incident.delegated_back", inc, `{}`),
				itsm.Event{Type: "problem.created", Time: t0},
				itsm.Event{Type: "problems.merged", Time: t0},
				itsm.Event{Type: "problem.known_error.added", Time: t0},
				event("incident.resolved", inc, `{}`),
			)
			e.run()
			asynctest.Eventually(t, "the cursor at the end of the log", func() bool {
				return e.get(sub.ID).Delivery.Cursor == stored[len(stored)-1].Seq
			})
			var types []string
			for _, a := range rc.arrivals() {
				types = append(types, a.payload.Type)
			}
			if d := cmp.Diff([]string{"incident.delegated", "problem.created", "problem.known_error.added"}, types); d != "" {
				t.Errorf("delivered types (-want +got):\n%s", d)
			}
		})
	}
}

// Each owner receives only what the Visible hook shows it, as the hook shows
// it, and an error of the hook holds the event back without counting a
// failed attempt.
func TestVisibleHook(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			incA, incB, incBoth := itsm.NewID(), itsm.NewID(), itsm.NewID()
			sees := map[itsm.ID][]itsm.ID{supplierA: {incA, incBoth}, supplierB: {incB, incBoth}}
			var outage atomic.Bool
			outage.Store(true)
			var asked sync.Map
			visible := func(_ context.Context, org itsm.ID, ev itsm.Event) (itsm.Event, bool, error) {
				asked.Store(org, true)
				if org == supplierB && outage.Load() {
					return ev, false, itsm.Errorf(itsm.CodeUnavailable, "directory down")
				}
				// B sees less of the events both see.
				if org == supplierB && ev.Subject == incBoth {
					ev.Data = json.RawMessage(`{"for":"B"}`)
				}
				return ev, slices.Contains(sees[org], ev.Subject), nil
			}
			e := newEnv(t, open(t), webhook.Config{Visible: visible}, nil)
			rcA, rcB := newReceiver(t, e.clock), newReceiver(t, e.clock)
			e.subscribe(agentA, rcA)
			subB := e.subscribe(agentB, rcB)
			var evs []itsm.Event
			for _, inc := range []itsm.ID{incA, incB, incBoth, incA, incB, incBoth} {
				evs = append(evs, event("incident.changed", inc, `{}`))
			}
			stored := appendEvents(t, e.store, evs...)
			e.run()
			asynctest.Eventually(t, "A's four events", func() bool { return len(rcA.arrivals()) == 4 })
			// B's hook fails: nothing for B, no attempt counted, no dead
			// letter, however many polls pass.
			asynctest.Eventually(t, "several polls", func() bool { return e.clock.Now().After(t0.Add(30 * time.Second)) })
			if n := len(rcB.arrivals()); n != 0 {
				t.Errorf("B received %d events while its Visible hook failed", n)
			}
			if d := e.get(subB.ID).Delivery; d.Attempts != 0 || d.Cursor != 0 {
				t.Errorf("B's delivery while the hook failed: %+v", d)
			}
			outage.Store(false)
			asynctest.Eventually(t, "B's four events", func() bool { return len(rcB.arrivals()) == 4 })
			want := func(incs ...itsm.ID) []int64 {
				var out []int64
				for _, ev := range stored {
					if slices.Contains(incs, ev.Subject) {
						out = append(out, ev.Seq)
					}
				}
				return out
			}
			if d := cmp.Diff(want(incA, incBoth), rcA.seqs()); d != "" {
				t.Errorf("A (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want(incB, incBoth), rcB.seqs()); d != "" {
				t.Errorf("B (-want +got):\n%s", d)
			}
			for _, a := range rcB.arrivals() {
				if want := map[bool]string{true: `{"for":"B"}`, false: `{}`}[*a.payload.Subject == incBoth]; string(a.payload.Data) != want {
					t.Errorf("B received %s of %s, want %s", a.payload.Data, *a.payload.Subject, want)
				}
			}
			for _, org := range []itsm.ID{supplierA, supplierB} {
				if _, ok := asked.Load(org); !ok {
					t.Errorf("the hook was never asked about %s", org)
				}
			}
			if st := e.svc.Stats(); st.Failed != 0 || st.DeadLettered != 0 {
				t.Errorf("Stats %+v: the hook's outage counted as failed attempts", st)
			}
		})
	}
}

// A receiver that fails an event three times and then takes it gets the
// same event ID and the same body each time, and nothing later before it.
func TestRetriesWithTheSameEvent(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t), webhook.Config{}, nil)
			rc := newReceiver(t, e.clock)
			sub := e.subscribe(agentA, rc)
			stored := appendEvents(t, e.store, numbered(4, "incident.changed", itsm.NewID())...)
			flaky := stored[1].ID
			rc.setAnswer(func(_ *http.Request, p webhook.Payload, nth int) (int, string) {
				if p.ID == flaky && nth <= 3 {
					return http.StatusInternalServerError, "try later"
				}
				return http.StatusOK, ""
			})
			e.run()
			asynctest.Eventually(t, "the last event", func() bool { return slices.Contains(rc.seqs(), stored[3].Seq) })
			s := seqsOf(stored)
			if d := cmp.Diff([]int64{s[0], s[1], s[1], s[1], s[1], s[2], s[3]}, rc.seqs()); d != "" {
				t.Fatalf("arrivals (-want +got):\n%s", d)
			}
			var bodies [][]byte
			for _, a := range rc.arrivals() {
				if a.payload.ID != flaky {
					continue
				}
				if a.header.Get(webhook.HeaderIdempotencyKey) != flaky.String() || a.header.Get(webhook.HeaderEventID) != flaky.String() {
					t.Errorf("retry with headers %v", a.header)
				}
				bodies = append(bodies, a.body)
			}
			for _, b := range bodies[1:] {
				if string(b) != string(bodies[0]) {
					t.Errorf("the retried body changed:\n%s\n%s", bodies[0], b)
				}
			}
			asynctest.Eventually(t, "the count", func() bool { return e.svc.Stats().Delivered == 4 })
			d := e.get(sub.ID).Delivery
			if d.Cursor != s[3] {
				t.Errorf("cursor %d, want %d", d.Cursor, s[3])
			}
			if d.Failing != 0 || d.Attempts != 0 || !d.NextAttempt.IsZero() || d.LastStatus != 500 || d.LastError != "the receiver answered 500" {
				t.Errorf("delivery after recovery: %+v", d)
			}
			if st := e.svc.Stats(); st != (webhook.Stats{Delivered: 4, Failed: 3}) {
				t.Errorf("Stats %+v", st)
			}
			if dls, _, err := e.svc.DeadLetters(e.ctx, agentA, sub.ID, webhook.ListOptions{}); err != nil || len(dls) != 0 {
				t.Errorf("dead letters %v, %v", dls, err)
			}
		})
	}
}

// After MaxAttempts failures an event becomes a dead letter that the owner
// sees, delivery moves on, and Retry sends the dead letter again.
func TestDeadLetterAndRetry(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			clock := itsm.NewManualClock(t0)
			o := fakeTime(clock)
			o.MaxAttempts = 3
			var observed []webhook.Attempt
			var mu sync.Mutex
			e := newEnv(t, open(t), webhook.Config{Clock: clock, Observe: func(a webhook.Attempt) {
				mu.Lock()
				defer mu.Unlock()
				observed = append(observed, a)
			}}, &o)
			rc := newReceiver(t, e.clock)
			sub := e.subscribe(agentA, rc)
			stored := appendEvents(t, e.store, numbered(4, "incident.changed", itsm.NewID())...)
			s := seqsOf(stored)
			var down atomic.Bool
			down.Store(true)
			long := "maintenance " + strings.Repeat("x", 100<<10)
			rc.setAnswer(func(_ *http.Request, p webhook.Payload, _ int) (int, string) {
				if (p.Seq == s[1] || p.Seq == s[2]) && down.Load() {
					return http.StatusServiceUnavailable, long
				}
				return http.StatusOK, ""
			})
			e.run()
			asynctest.Eventually(t, "the last event", func() bool { return e.svc.Stats().Delivered == 2 })
			if d := cmp.Diff([]int64{s[0], s[1], s[1], s[1], s[2], s[2], s[2], s[3]}, rc.seqs()); d != "" {
				t.Fatalf("arrivals (-want +got):\n%s", d)
			}
			dls, next, err := e.svc.DeadLetters(e.ctx, agentA, sub.ID, webhook.ListOptions{})
			if err != nil || next != "" || len(dls) != 2 {
				t.Fatalf("DeadLetters: %v, %q, %v", dls, next, err)
			}
			dl := dls[0]
			if dl.Subscription != sub.ID || dl.Seq != s[1] || dl.Event != stored[1].ID || dl.Type != "incident.changed" ||
				dl.Attempts != 3 || dl.Status != 503 || dl.Dead.IsZero() {
				t.Errorf("dead letter %+v", dl)
			}
			if dl.Error != "the receiver answered 503" {
				t.Errorf("dead letter error %q: want the status, not the answer nor the URL's path", dl.Error)
			}
			if st := e.svc.Stats(); st != (webhook.Stats{Delivered: 2, Failed: 6, DeadLettered: 2}) {
				t.Errorf("Stats %+v", st)
			}
			mu.Lock()
			outcomes := map[webhook.Outcome]int{}
			for _, a := range observed {
				outcomes[a.Outcome]++
			}
			mu.Unlock()
			if d := cmp.Diff(map[webhook.Outcome]int{webhook.OutcomeDelivered: 2, webhook.OutcomeFailed: 4, webhook.OutcomeDeadLettered: 2}, outcomes); d != "" {
				t.Errorf("observed outcomes (-want +got):\n%s", d)
			}
			// Another organisation sees neither the subscription nor its
			// dead letters.
			if _, _, err := e.svc.DeadLetters(e.ctx, agentB, sub.ID, webhook.ListOptions{}); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("B lists A's dead letters: %v", err)
			}
			if _, err := e.svc.Retry(e.ctx, agentB, sub.ID, s[1]); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("B retries A's dead letter: %v", err)
			}

			// Retry while the receiver still fails: counted, kept.
			out, err := e.svc.Retry(e.ctx, agentA, sub.ID, s[1])
			if err != nil || out.Delivered || out.DeadLetter.Attempts != 4 {
				t.Fatalf("Retry while down: %+v, %v", out, err)
			}
			if dls, _, _ := e.svc.DeadLetters(e.ctx, agentA, sub.ID, webhook.ListOptions{}); len(dls) != 2 || dls[0].Attempts != 4 {
				t.Errorf("after a failed retry: %+v", dls)
			}
			// Retry once it is back: delivered with the same event ID, and
			// the dead letter is gone.
			down.Store(false)
			n := len(rc.arrivals())
			out, err = e.svc.Retry(e.ctx, agentA, sub.ID, s[1])
			if err != nil || !out.Delivered || out.DeadLetter.Seq != s[1] {
				t.Fatalf("Retry: %+v, %v", out, err)
			}
			got := rc.arrivals()
			if len(got) != n+1 || got[n].payload.ID != stored[1].ID || got[n].header.Get(webhook.HeaderEventID) != stored[1].ID.String() {
				t.Errorf("the retried event did not arrive as itself")
			}
			if _, err := e.svc.Retry(e.ctx, agentA, sub.ID, s[1]); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("Retry of a delivered dead letter: %v", err)
			}
			// Discard drops the other one unsent.
			if err := e.svc.Discard(e.ctx, agentA, sub.ID, s[2]); err != nil {
				t.Fatal(err)
			}
			if dls, _, _ := e.svc.DeadLetters(e.ctx, agentA, sub.ID, webhook.ListOptions{}); len(dls) != 0 {
				t.Errorf("dead letters left: %+v", dls)
			}
			if len(rc.arrivals()) != n+1 {
				t.Errorf("Discard sent the event")
			}
		})
	}
}

// Deleting a subscription deletes its dead letters with it.
func TestDeleteTakesTheDeadLetters(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 1
	e := newEnv(t, backends()["sqlitestore"](t), webhook.Config{Clock: clock}, &o)
	rc := newReceiver(t, clock)
	rc.setAnswer(func(*http.Request, webhook.Payload, int) (int, string) { return http.StatusGone, "" })
	sub := e.subscribe(agentA, rc)
	stored := appendEvents(t, e.store, numbered(3, "incident.changed", itsm.NewID())...)
	e.run()
	asynctest.Eventually(t, "three dead letters", func() bool { return e.svc.Stats().DeadLettered == 3 })
	if err := e.svc.Delete(e.ctx, agentA, sub.ID); err != nil {
		t.Fatal(err)
	}
	err := e.store.Read(e.ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: webhook.KindDeadLetter})
		if err == nil && len(page.Matches) != 0 {
			t.Errorf("%d dead letters outlive their subscription", len(page.Matches))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Retry(e.ctx, agentA, sub.ID, stored[0].Seq); !itsm.IsCode(err, itsm.CodeNotFound) {
		t.Errorf("Retry after Delete: %v", err)
	}
}

// The wait after each failure doubles from the base up to the cap, as
// stored in the subscription (so a restart keeps it), and no attempt comes
// before its time.
func TestBackoffBetweenAttempts(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 7
	var (
		mu    sync.Mutex
		waits []time.Duration
		svc   atomic.Pointer[webhook.Service]
		subID atomic.Pointer[itsm.ID]
	)
	observe := func(a webhook.Attempt) {
		if a.Outcome != webhook.OutcomeFailed {
			return
		}
		s, err := svc.Load().Get(context.Background(), deskAdmin, *subID.Load())
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, s.Delivery.NextAttempt.Sub(s.Delivery.LastFailure))
	}
	e := newEnv(t, backends()["memstore"](t), webhook.Config{Clock: clock, Observe: observe}, &o)
	svc.Store(e.svc)
	rc := newReceiver(t, clock)
	rc.setAnswer(func(*http.Request, webhook.Payload, int) (int, string) { return http.StatusBadGateway, "" })
	id := e.subscribe(agentA, rc).ID
	subID.Store(&id)
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.run()
	asynctest.Eventually(t, "the dead letter", func() bool { return e.svc.Stats().DeadLettered == 1 })
	s := time.Second
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff([]time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 8 * s, 8 * s}, waits); d != "" {
		t.Fatalf("waits (-want +got):\n%s", d)
	}
	got := rc.arrivals()
	if len(got) != 7 {
		t.Fatalf("%d attempts, want 7", len(got))
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].at.Sub(got[i-1].at); gap < waits[i-1] {
			t.Errorf("attempt %d came %s after the one before, before its wait of %s", i+1, gap, waits[i-1])
		}
	}
}

// A Retry-After answer longer than the backoff lengthens the wait, up to the
// cap.
func TestRetryAfterLengthensTheWait(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	var (
		svc   atomic.Pointer[webhook.Service]
		subID atomic.Pointer[itsm.ID]
		wait  = make(chan time.Duration, 10)
	)
	observe := func(a webhook.Attempt) {
		if a.Outcome != webhook.OutcomeFailed {
			return
		}
		s, err := svc.Load().Get(context.Background(), deskAdmin, *subID.Load())
		if err != nil {
			t.Error(err)
			return
		}
		wait <- s.Delivery.NextAttempt.Sub(s.Delivery.LastFailure)
	}
	e := newEnv(t, backends()["memstore"](t), webhook.Config{Clock: clock, Observe: observe}, &o)
	svc.Store(e.svc)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Retry-After", "86400") // a day: capped at Max
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	subID.Store(&c.ID)
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.run()
	for i, want := range []time.Duration{5 * time.Second, 8 * time.Second} {
		select {
		case got := <-wait:
			if got != want {
				t.Errorf("wait %d: %s, want %s", i+1, got, want)
			}
		case <-time.After(asynctest.Failsafe):
			t.Fatal("no failed attempt")
		}
	}
	asynctest.Eventually(t, "the delivery", func() bool { return e.svc.Stats().Delivered == 1 })
}

func TestBackoffDelay(t *testing.T) {
	s := time.Second
	b := webhook.Backoff{Base: s, Max: 10 * s, Jitter: -1}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, b.Delay(n, 0.9))
	}
	if d := cmp.Diff([]time.Duration{s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s}, got); d != "" {
		t.Errorf("without jitter (-want +got):\n%s", d)
	}
	if d := b.Delay(1_000_000, 0); d != 10*s {
		t.Errorf("after a million failures: %s, want the cap", d)
	}
	j := webhook.Backoff{Base: s, Max: 10 * s, Jitter: 0.5}
	if lo, hi := j.Delay(3, 0.999999), j.Delay(3, 0); hi != 4*s || lo <= 2*s || lo > 2*s+time.Millisecond {
		t.Errorf("jitter 0.5 of 4 s spans %s to %s, want just over 2 s to 4 s", lo, hi)
	}
	def := webhook.Backoff{}
	if d := def.Delay(1, 0); d != webhook.DefaultBackoffBase {
		t.Errorf("default base %s", d)
	}
	if d := def.Delay(20, 0); d != webhook.DefaultBackoffMax {
		t.Errorf("default cap %s", d)
	}
	if d := def.Delay(20, 0.999999); d > webhook.DefaultBackoffMax*81/100 {
		t.Errorf("default jitter takes off %s of %s, want about %g", webhook.DefaultBackoffMax-d, webhook.DefaultBackoffMax, webhook.DefaultJitter)
	}
}

// A dispatcher stopped in the middle, with one event received but not
// answered, and a new one started on the same SQLite file after more events
// were appended: every event arrives at least once, the interrupted one
// twice, and after dropping repeats by event ID each exactly once in Seq
// order.
func TestRestartResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spoc.db")
	clock := itsm.NewManualClock(t0)
	store1 := openSQLite(t, path)
	e1 := newEnv(t, store1, webhook.Config{Clock: clock}, nil)
	rc := newReceiver(t, clock)
	sub := e1.subscribe(agentA, rc)
	first := appendEvents(t, store1, numbered(25, "incident.changed", itsm.NewID())...)
	const k = 15
	ctx1, stop1 := context.WithCancel(context.Background())
	defer stop1()
	var crashed atomic.Bool
	rc.setAnswer(func(r *http.Request, p webhook.Payload, nth int) (int, string) {
		if p.Seq == first[k-1].Seq && nth == 1 {
			// The process dies after the receiver got the event and
			// before its answer: the sender cannot record it.
			crashed.Store(true)
			stop1()
			select {
			case <-r.Context().Done():
			case <-time.After(asynctest.Failsafe):
				t.Error("the stopped dispatcher's request was not cancelled")
			}
		}
		return http.StatusOK, ""
	})
	done1 := make(chan error, 1)
	go func() { done1 <- e1.disp.Run(ctx1) }()
	asynctest.Eventually(t, "the crash", crashed.Load)
	select {
	case err := <-done1:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(asynctest.Failsafe):
		t.Fatal("Run did not stop")
	}
	if st := e1.svc.Stats(); st != (webhook.Stats{Delivered: k - 1}) {
		t.Errorf("Stats %+v after the stop: the cancelled request must not count", st)
	}
	if d := e1.get(sub.ID).Delivery; d.Attempts != 0 || d.Failing != 0 {
		t.Errorf("the cancelled request counted as a failed attempt: %+v", d)
	}
	if got := len(rc.distinct()); got != k {
		t.Fatalf("%d events arrived before the stop, want %d", got, k)
	}
	if c := e1.get(sub.ID).Delivery.Cursor; c != first[k-2].Seq {
		t.Fatalf("cursor %d after the stop, want %d (the last answered event)", c, first[k-2].Seq)
	}
	if err := store1.Close(); err != nil {
		t.Fatal(err)
	}

	store2 := openSQLite(t, path)
	more := appendEvents(t, store2, numbered(15, "incident.changed", itsm.NewID())...)
	all := slices.Concat(first, more)
	e2 := newEnv(t, store2, webhook.Config{Clock: clock}, nil)
	e2.run()
	asynctest.Eventually(t, "every event", func() bool { return len(rc.distinct()) == len(all) })
	if d := cmp.Diff(seqsOf(all), rc.distinct()); d != "" {
		t.Errorf("events after dropping repeats (-want +got):\n%s", d)
	}
	counts := map[int64]int{}
	for _, s := range rc.seqs() {
		counts[s]++
	}
	if counts[first[k-1].Seq] != 2 {
		t.Errorf("the interrupted event arrived %d times, want 2", counts[first[k-1].Seq])
	}
	t.Logf("%d arrivals for %d events", len(rc.seqs()), len(all))
	asynctest.Eventually(t, "the cursor at the end", func() bool { return e2.get(sub.ID).Delivery.Cursor == all[len(all)-1].Seq })
}

// Resuming a paused subscription ends its wait for a retry.
func TestResumeEndsTheWait(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.Backoff = webhook.Backoff{Base: 10 * time.Hour, Max: 10 * time.Hour, Jitter: -1}
	e := newEnv(t, backends()["memstore"](t), webhook.Config{Clock: clock}, &o)
	rc := newReceiver(t, clock)
	rc.setAnswer(func(*http.Request, webhook.Payload, int) (int, string) { return http.StatusBadGateway, "" })
	sub := e.subscribe(agentA, rc)
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	stop := e.run()
	asynctest.Eventually(t, "the failure", func() bool { return e.svc.Stats().Failed == 1 })
	stop()
	if d := e.get(sub.ID).Delivery; d.Attempts != 1 || d.NextAttempt.Sub(d.LastFailure) != 10*time.Hour {
		t.Fatalf("after the failure: %+v", d)
	}
	for _, st := range []webhook.State{webhook.StatePaused, webhook.StateActive} {
		if _, err := e.svc.Update(e.ctx, agentA, sub.ID, webhook.Change{State: &st}); err != nil {
			t.Fatal(err)
		}
	}
	if d := e.get(sub.ID).Delivery; d.Attempts != 1 || !d.NextAttempt.IsZero() {
		t.Errorf("after resuming: %+v, want the attempt counted and no wait", d)
	}
}

// A receiver that hangs holds up only its own subscription.
func TestSlowReceiverDoesNotDelayOthers(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, open(t), webhook.Config{Clock: itsm.NewManualClock(t0)}, nil)
			slow, fast := newReceiver(t, e.clock), newReceiver(t, e.clock)
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			slow.setAnswer(func(r *http.Request, _ webhook.Payload, _ int) (int, string) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return http.StatusOK, ""
			})
			e.subscribe(agentA, slow)
			e.subscribe(agentB, fast)
			stored := appendEvents(t, e.store, numbered(10, "incident.changed", itsm.NewID())...)
			e.run()
			asynctest.Eventually(t, "the slow receiver's first request", func() bool { return len(slow.arrivals()) == 1 })
			asynctest.Eventually(t, "the fast receiver's events", func() bool { return len(fast.arrivals()) == len(stored) })
			if n := len(slow.arrivals()); n != 1 {
				t.Errorf("the hanging receiver has %d requests, want its first one", n)
			}
			free()
			asynctest.Eventually(t, "the slow receiver's events", func() bool { return len(slow.arrivals()) == len(stored) })
			if d := cmp.Diff(seqsOf(stored), slow.seqs()); d != "" {
				t.Errorf("slow receiver (-want +got):\n%s", d)
			}
		})
	}
}

// A paused subscription keeps its cursor and gets the events of the pause
// when it resumes.
func TestPauseAndResume(t *testing.T) {
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, nil)
	paused, control := newReceiver(t, e.clock), newReceiver(t, e.clock)
	sub := e.subscribe(agentA, paused)
	e.subscribe(agentB, control)
	state := webhook.StatePaused
	if _, err := e.svc.Update(e.ctx, agentA, sub.ID, webhook.Change{State: &state}); err != nil {
		t.Fatal(err)
	}
	stored := appendEvents(t, e.store, numbered(5, "incident.changed", itsm.NewID())...)
	e.run()
	asynctest.Eventually(t, "the control's events", func() bool { return len(control.arrivals()) == len(stored) })
	if n := len(paused.arrivals()); n != 0 || e.get(sub.ID).Delivery.Cursor != 0 {
		t.Errorf("paused subscription: %d arrivals, cursor %d", n, e.get(sub.ID).Delivery.Cursor)
	}
	state = webhook.StateActive
	if _, err := e.svc.Update(e.ctx, agentA, sub.ID, webhook.Change{State: &state}); err != nil {
		t.Fatal(err)
	}
	asynctest.Eventually(t, "the paused events", func() bool { return len(paused.arrivals()) == len(stored) })
}

// waiting returns options whose loop, with an hour between polls, reports
// each time it starts to wait.
func waiting() (webhook.Options, chan struct{}) {
	ch := make(chan struct{}, 1)
	return webhook.Options{PollInterval: time.Hour, After: func(d time.Duration) <-chan time.Time {
		select {
		case ch <- struct{}{}:
		default:
		}
		return time.After(d)
	}}, ch
}

// Notify wakes a dispatcher whose next poll is an hour away.
func TestNotify(t *testing.T) {
	o, waits := waiting()
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, &o)
	rc := newReceiver(t, e.clock)
	e.subscribe(agentA, rc)
	e.run()
	<-waits // the first poll found nothing and the loop waits
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.disp.Notify()
	asynctest.Eventually(t, "the event", func() bool { return len(rc.arrivals()) == 1 })
}

// A redirect is a failure: the signed body does not follow it.
func TestRedirectIsNotFollowed(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 1
	e := newEnv(t, backends()["memstore"](t), webhook.Config{Clock: clock}, &o)
	elsewhere := newReceiver(t, clock)
	srv := httptest.NewServer(http.RedirectHandler(elsewhere.url(), http.StatusTemporaryRedirect))
	t.Cleanup(srv.Close)
	c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.run()
	asynctest.Eventually(t, "the dead letter", func() bool { return e.svc.Stats().DeadLettered == 1 })
	dls, _, err := e.svc.DeadLetters(e.ctx, agentA, c.ID, webhook.ListOptions{})
	if err != nil || len(dls) != 1 || dls[0].Status != http.StatusTemporaryRedirect || !strings.Contains(dls[0].Error, "redirects are not followed") {
		t.Errorf("dead letters %+v, %v", dls, err)
	}
	if n := len(elsewhere.arrivals()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestRunTwiceAtOnce(t *testing.T) {
	o, waits := waiting()
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, &o)
	e.run()
	<-waits
	if err := e.disp.Run(context.Background()); !itsm.IsCode(err, itsm.CodeConflict) {
		t.Errorf("a second Run: %v, want conflict", err)
	}
}

func TestNewDispatcherChecksOptions(t *testing.T) {
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, nil)
	for _, o := range []webhook.Options{
		{PollInterval: -1}, {LeaseTime: -1}, {Workers: -1}, {BatchSize: itsm.MaxLimit + 1}, {MaxAttempts: -1},
		{Backoff: webhook.Backoff{Base: -1}}, {Backoff: webhook.Backoff{Jitter: 1.5}},
		{Backoff: webhook.Backoff{Base: time.Hour, Max: time.Minute}},
	} {
		if _, err := webhook.NewDispatcher(e.svc, o); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("NewDispatcher(%+v): %v, want invalid", o, err)
		}
	}
	if _, err := webhook.NewDispatcher(nil, webhook.Options{}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("NewDispatcher(nil): %v", err)
	}
	if _, err := webhook.New(webhook.Config{Store: e.store}); !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), "Visible") {
		t.Errorf("New without Visible: %v", err)
	}
	if _, err := webhook.New(webhook.Config{}); !errors.Is(err, itsm.ErrInvalid) {
		t.Errorf("New without store: %v", err)
	}
}

// A URL stored under AllowHTTP is not posted to once the option is off: the
// attempts fail and say why.
func TestURLCheckedAgainWhenSending(t *testing.T) {
	store := backends()["memstore"](t)
	lax := newEnv(t, store, webhook.Config{AllowHTTP: true}, nil)
	c, err := lax.svc.Create(lax.ctx, agentA, webhook.Spec{URL: "http://hooks.example/hook"})
	if err != nil {
		t.Fatal(err)
	}
	o := fakeTime(lax.clock)
	o.MaxAttempts = 1
	strict := newEnv(t, store, webhook.Config{Clock: lax.clock}, &o)
	appendEvents(t, store, event("incident.changed", itsm.NewID(), `{}`))
	strict.run()
	asynctest.Eventually(t, "the dead letter", func() bool { return strict.svc.Stats().DeadLettered == 1 })
	dls, _, err := strict.svc.DeadLetters(strict.ctx, agentA, c.ID, webhook.ListOptions{})
	if err != nil || len(dls) != 1 || dls[0].Status != 0 || !strings.Contains(dls[0].Error, "use https") {
		t.Errorf("dead letters %+v, %v", dls, err)
	}
}
