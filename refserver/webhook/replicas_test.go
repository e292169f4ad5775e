package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// replicaStore is one replica's way to the shared database. The test cuts
// it (the replica crashed, or lost its network: everything fails) or
// freezes its writes (the process is paused, or its database connection
// hangs: they wait). It counts the events its read transactions return,
// which is what the dispatchers' cost grows with.
type replicaStore struct {
	itsm.Store
	cut    atomic.Bool
	frozen sync.RWMutex // held by the test while writes wait
	// waiting counts the writes begun and not yet let through.
	waiting atomic.Int64
	events  atomic.Int64
}

func (s *replicaStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	if s.cut.Load() {
		return itsm.Errorf(itsm.CodeUnavailable, "the replica is cut off")
	}
	return s.Store.Read(ctx, func(tx itsm.ReadTx) error { return fn(countingTx{tx, &s.events}) })
}

func (s *replicaStore) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	s.waiting.Add(1)
	s.frozen.RLock()
	s.waiting.Add(-1)
	defer s.frozen.RUnlock()
	if s.cut.Load() {
		return itsm.Errorf(itsm.CodeUnavailable, "the replica is cut off")
	}
	return s.Store.Write(ctx, fn)
}

// Close leaves the database to the test's cleanup, which closes it once
// (memstore hands every replica the same store).
func (s *replicaStore) Close() error { return nil }

type countingTx struct {
	itsm.ReadTx
	n *atomic.Int64
}

func (tx countingTx) Events(after int64, limit int) ([]itsm.Event, error) {
	evs, err := tx.ReadTx.Events(after, limit)
	tx.n.Add(int64(len(evs)))
	return evs, err
}

// replica is one server process's webhook service and dispatcher.
type replica struct {
	store *replicaStore
	svc   *webhook.Service
	disp  *webhook.Dispatcher
	stop  func()
	done  chan error

	mu       sync.Mutex
	attempts []webhook.Attempt
}

func (r *replica) attempted() []webhook.Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}

// startReplicas starts n replicas on db, each with a store of its own, on
// the system clock: a lease is about real time passing.
func startReplicas(t *testing.T, db backendtest.Database, n int, o webhook.Options) []*replica {
	t.Helper()
	rs := make([]*replica, n)
	for i := range rs {
		r := &replica{store: &replicaStore{Store: db(t)}, done: make(chan error, 1)}
		var err error
		r.svc, err = webhook.New(webhook.Config{Store: r.store, Clock: itsm.SystemClock{},
			Destinations: netguard.Policy{}.With(netguard.MustParse(netguard.Loopback)),
			Visible:      func(_ context.Context, _ itsm.ID, ev itsm.Event) (itsm.Event, bool, error) { return ev, true, nil },
			Observe: func(a webhook.Attempt) {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.attempts = append(r.attempts, a)
			}})
		if err != nil {
			t.Fatal(err)
		}
		if r.disp, err = webhook.NewDispatcher(r.svc, o); err != nil {
			t.Fatal(err)
		}
		rs[i] = r
	}
	for _, r := range rs {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { r.done <- r.disp.Run(ctx) }()
		var once sync.Once
		r.stop = func() {
			once.Do(func() {
				cancel()
				select {
				case err := <-r.done:
					if err != nil {
						t.Errorf("Run: %v", err)
					}
				case <-time.After(asynctest.Failsafe):
					t.Errorf("Run did not return %s after it was stopped", asynctest.Failsafe)
				}
			})
		}
		t.Cleanup(r.stop)
	}
	return rs
}

// TestReplicasDeliverOnceAndFailOver: three dispatchers on one database,
// each with a store of its own as three server processes have, deliver
// every event exactly once and in log order, all of them through one
// replica; the others read no event. When that replica dies in the middle
// of a request, another one takes over within the lease time, sends the
// interrupted event again (the only repeat) and continues in order.
func TestReplicasDeliverOnceAndFailOver(t *testing.T) {
	for name, database := range backendtest.Databases("spoc_webhook_") {
		t.Run(name, func(t *testing.T) {
			db := database(t)
			rs := startReplicas(t, db, 3, webhook.Options{PollInterval: 20 * time.Millisecond, LeaseTime: 2 * time.Second})
			rc := newReceiver(t, itsm.SystemClock{})
			c, err := rs[0].svc.Create(context.Background(), agentA, webhook.Spec{URL: rc.url()})
			if err != nil {
				t.Fatal(err)
			}
			rc.setSecret(c.Secret)

			const k = 6 // the event the holder dies sending
			var subjects []itsm.Event
			for range 3 {
				subjects = append(subjects, numbered(4, "incident.changed", itsm.NewID())...)
			}
			stalled := itsm.NewID()
			subjects[k-1].ID = stalled
			held, resume := make(chan struct{}), make(chan struct{})
			rc.setAnswer(func(r *http.Request, p webhook.Payload, nth int) (int, string) {
				if p.ID == stalled && nth == 1 {
					close(held)
					<-resume
				}
				return http.StatusOK, ""
			})
			first := appendEvents(t, rs[1].store, subjects...)
			rs[0].disp.Notify()
			select {
			case <-held:
			case <-time.After(asynctest.Failsafe):
				t.Fatalf("event %d did not arrive; arrivals %v", k, rc.seqs())
			}
			// The holder is the replica that delivered the events
			// before: it dies, its answer lost.
			var holder *replica
			for _, r := range rs {
				if len(r.attempted()) > 0 {
					if holder != nil {
						t.Fatal("two replicas delivered before the failover")
					}
					holder = r
				}
			}
			if holder == nil {
				t.Fatal("no replica recorded a delivery")
			}
			holder.store.cut.Store(true)
			holder.stop()
			close(resume)

			more := appendEvents(t, survivor(rs, holder).store, numbered(4, "incident.changed", itsm.NewID())...)
			all := slices.Concat(first, more)
			asynctest.Eventually(t, "every event after the failover", func() bool { return len(rc.distinct()) == len(all) })

			want := slices.Concat(seqsOf(first[:k]), seqsOf(first[k-1:]), seqsOf(more))
			if d := cmp.Diff(want, rc.seqs()); d != "" {
				t.Errorf("arrivals (-want +got): the interrupted event once more, the rest once, in order:\n%s", d)
			}
			var delivered []*replica
			for _, r := range rs {
				if r != holder && len(r.attempted()) > 0 {
					delivered = append(delivered, r)
				}
			}
			if len(delivered) != 1 {
				t.Fatalf("%d replicas delivered after the failover, want 1", len(delivered))
			}
			for _, r := range rs {
				if r != holder && r != delivered[0] {
					if n := r.store.events.Load(); n != 0 {
						t.Errorf("the replica that never delivered read %d events of the log, want none", n)
					}
				}
			}
		})
	}
}

// survivor returns a replica of rs other than dead.
func survivor(rs []*replica, dead *replica) *replica {
	for _, r := range rs {
		if r != dead {
			return r
		}
	}
	return nil
}

// TestStalledHolderIsFenced: a holder whose writes hang (a paused process,
// a stuck connection) past its lease, in the middle of a request, loses the
// lease to another replica, which sends the event again and records that
// its receiver failed. When the stalled holder's answer is finally
// recorded, it changes nothing: the subscription carries the new holder's
// term, and the old term may no longer move its cursor or clear the new
// holder's failure.
func TestStalledHolderIsFenced(t *testing.T) {
	for name, database := range backendtest.Databases("spoc_webhook_") {
		t.Run(name, func(t *testing.T) {
			rs := startReplicas(t, database(t), 2, webhook.Options{PollInterval: 10 * time.Millisecond,
				LeaseTime: 300 * time.Millisecond, Backoff: webhook.Backoff{Base: time.Hour, Max: time.Hour, Jitter: -1}})
			rc := newReceiver(t, itsm.SystemClock{})
			c, err := rs[0].svc.Create(context.Background(), agentA, webhook.Spec{URL: rc.url()})
			if err != nil {
				t.Fatal(err)
			}
			rc.setSecret(c.Secret)
			evs := numbered(3, "incident.changed", itsm.NewID())
			id := itsm.NewID()
			evs[1].ID = id
			held, resume := make(chan struct{}), make(chan struct{})
			rc.setAnswer(func(_ *http.Request, p webhook.Payload, nth int) (int, string) {
				switch {
				case p.ID != id:
				case nth == 1:
					close(held)
					<-resume
				default:
					return http.StatusServiceUnavailable, ""
				}
				return http.StatusOK, ""
			})
			evs = appendEvents(t, rs[0].store, evs...)
			stalled := evs[1].Seq
			rs[0].disp.Notify()
			select {
			case <-held:
			case <-time.After(asynctest.Failsafe):
				t.Fatalf("event %d did not arrive; arrivals %v", stalled, rc.seqs())
			}
			a, b := rs[0], rs[1]
			if len(a.attempted()) == 0 {
				a, b = b, a
			}
			a.store.frozen.Lock()
			asynctest.Eventually(t, "the other replica's failed attempt", func() bool { return len(b.attempted()) == 1 })
			// The answer comes while the holder still stalls, so that
			// it records the answer before it learns that it lost the
			// lease (which cancels a request still waiting): two writes
			// wait, the renewal and the answer's.
			close(resume)
			asynctest.Eventually(t, "the stalled holder recording the answer", func() bool { return a.store.waiting.Load() == 2 })
			a.store.frozen.Unlock()
			asynctest.Eventually(t, "the stalled holder's answer recorded", func() bool { return len(a.attempted()) == 2 })

			got, err := b.svc.Get(context.Background(), agentA, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			d := got.Delivery
			if d.Cursor != evs[0].Seq || d.Failing != stalled || d.Attempts != 1 || d.LastStatus != http.StatusServiceUnavailable {
				t.Errorf("delivery after the stalled holder's answer %+v, want the new holder's: cursor %d, event %d failing once with 503",
					d, evs[0].Seq, stalled)
			}
			if o := b.attempted()[0]; o.Seq != stalled || o.Outcome != webhook.OutcomeFailed {
				t.Errorf("the new holder's attempt %+v", o)
			}
		})
	}
}

// TestStoppedHolderHandsOver: a holder that stops gives the lease back, so
// that another replica delivers at once rather than after the lease time,
// here an hour.
func TestStoppedHolderHandsOver(t *testing.T) {
	for name, database := range backendtest.Databases("spoc_webhook_") {
		t.Run(name, func(t *testing.T) {
			rs := startReplicas(t, database(t), 2, webhook.Options{PollInterval: 10 * time.Millisecond, LeaseTime: time.Hour})
			rc := newReceiver(t, itsm.SystemClock{})
			c, err := rs[0].svc.Create(context.Background(), agentA, webhook.Spec{URL: rc.url()})
			if err != nil {
				t.Fatal(err)
			}
			rc.setSecret(c.Secret)
			first := appendEvents(t, rs[0].store, event("incident.changed", itsm.NewID(), `{}`))
			asynctest.Eventually(t, "the first event recorded", func() bool {
				return len(rs[0].attempted())+len(rs[1].attempted()) == 1
			})
			holder, other := rs[0], rs[1]
			if len(holder.attempted()) == 0 {
				holder, other = other, holder
			}
			holder.stop()
			second := appendEvents(t, other.store, event("incident.changed", itsm.NewID(), `{}`))
			asynctest.Eventually(t, "the other replica's delivery", func() bool { return len(other.attempted()) == 1 })
			if d := cmp.Diff(seqsOf(slices.Concat(first, second)), rc.seqs()); d != "" {
				t.Errorf("arrivals (-want +got):\n%s", d)
			}
		})
	}
}

// TestHolderKeepsTheLeaseThroughAnOldWrite: during a rolling upgrade a
// server of a version without leases writes a subscription without the
// holder's term. The holder delivers on in its term: it does not take that
// for another holder's.
func TestHolderKeepsTheLeaseThroughAnOldWrite(t *testing.T) {
	rs := startReplicas(t, backendtest.Databases("spoc_webhook_")["memstore"](t), 1,
		webhook.Options{PollInterval: 10 * time.Millisecond, LeaseTime: time.Hour})
	r := rs[0]
	rc := newReceiver(t, itsm.SystemClock{})
	c, err := r.svc.Create(context.Background(), agentA, webhook.Spec{URL: rc.url()})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(c.Secret)
	appendEvents(t, r.store, event("incident.changed", itsm.NewID(), `{}`))
	asynctest.Eventually(t, "the first delivery recorded", func() bool { return len(r.attempted()) == 1 })
	term := func() int64 {
		t.Helper()
		var l struct{ Term int64 }
		err := r.store.Read(context.Background(), func(tx itsm.ReadTx) error {
			page, err := tx.Query(itsm.Query{Kind: webhook.KindLease})
			if err != nil || len(page.Matches) != 1 {
				return fmt.Errorf("the lease records: %v %v", page.Matches, err)
			}
			return json.Unmarshal(page.Matches[0].Record.Body, &l)
		})
		if err != nil {
			t.Fatal(err)
		}
		return l.Term
	}
	before := term()

	// The old server writes while the holder waits for an answer, after
	// it read the subscription.
	second := event("incident.changed", itsm.NewID(), `{}`)
	second.ID = itsm.NewID()
	held, resume := make(chan struct{}), make(chan struct{})
	rc.setAnswer(func(_ *http.Request, p webhook.Payload, nth int) (int, string) {
		if p.ID == second.ID && nth == 1 {
			close(held)
			<-resume
		}
		return http.StatusOK, ""
	})
	appendEvents(t, r.store, second)
	r.disp.Notify()
	select {
	case <-held:
	case <-time.After(asynctest.Failsafe):
		t.Fatal("the second event was not sent")
	}
	// What the server before leases does: decode, change, put back.
	err = r.store.Write(context.Background(), func(tx itsm.WriteTx) error {
		rec, err := tx.Get(webhook.KindSubscription, c.ID)
		if err != nil {
			return err
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body, &body); err != nil {
			return err
		}
		if _, ok := body["term"]; !ok {
			return fmt.Errorf("the subscription carries no term: %s", rec.Body)
		}
		delete(body, "term")
		rec.Body, err = json.Marshal(body)
		if err != nil {
			return err
		}
		_, err = tx.Put(rec)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	close(resume)
	asynctest.Eventually(t, "the second delivery recorded", func() bool { return len(r.attempted()) >= 2 })
	if after := term(); after != before {
		t.Errorf("the lease's term went from %d to %d: the holder gave it up", before, after)
	}
	if d := cmp.Diff([]int64{1, 2}, rc.seqs()); d != "" {
		t.Errorf("arrivals (-want +got):\n%s", d)
	}
}
