package lease_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/lease"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// duty is a lease body as its users write them: who holds the lease, and
// something of their own.
type duty struct {
	Holder string `json:"holder,omitempty"`
	Note   string `json:"note,omitempty"`
}

var dutyRecord = lease.Record[duty]{Kind: "test.duty", ID: itsm.MustParseID("00000000-0000-7000-8000-0000000000d1")}

// read returns the lease record's body and version in store.
func read(t *testing.T, store itsm.Store) (duty, int64) {
	t.Helper()
	var (
		body    duty
		version int64
	)
	err := store.Read(context.Background(), func(tx itsm.ReadTx) error {
		var err error
		body, version, err = dutyRecord.Get(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return body, version
}

// TestTakeRenewRelease: on every backend, a lease nobody took reads as
// version 0; a take creates the record; each renewal writes a new version
// with the body as changed; a release writes the free body, over which
// another process takes the lease at once.
func TestTakeRenewRelease(t *testing.T) {
	ctx := context.Background()
	for name, open := range backendtest.Open("spoc_lease_") {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			if body, v := read(t, store); v != 0 || body != (duty{}) {
				t.Fatalf("a lease nobody took: %+v at version %d", body, v)
			}
			clock := itsm.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
			h, err := lease.Take(ctx, store, dutyRecord, 0, duty{Holder: "a"}, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if body, v := read(t, store); v != 1 || body.Holder != "a" || !h.Renewed().Equal(clock.Now()) {
				t.Fatalf("after the take: %+v at version %d, renewed %v", body, v, h.Renewed())
			}
			if err := h.Renew(ctx, clock.Advance(time.Second), nil); err != nil {
				t.Fatal(err)
			}
			if err := h.Renew(ctx, clock.Advance(time.Second), func(d *duty) { d.Note = "half way" }); err != nil {
				t.Fatal(err)
			}
			body, v := read(t, store)
			if v != 3 || body != (duty{Holder: "a", Note: "half way"}) || h.Body() != body || !h.Renewed().Equal(clock.Now()) {
				t.Fatalf("after two renewals: %+v at version %d, the holder's %+v renewed %v", body, v, h.Body(), h.Renewed())
			}
			if err := h.Release(ctx, func(d *duty) { d.Holder = "" }); err != nil {
				t.Fatal(err)
			}
			body, v = read(t, store)
			if v != 4 || body != (duty{Note: "half way"}) {
				t.Fatalf("after the release: %+v at version %d", body, v)
			}
			if _, err := lease.Take(ctx, store, dutyRecord, v, duty{Holder: "b"}, clock.Now()); err != nil {
				t.Errorf("the take after a release: %v", err)
			}
		})
	}
}

// TestTwoContenders: on every backend, two processes (each with a store of
// its own on one database) that judged the lease free at the same version
// take it at once: exactly one gets it, the other is told CodeConflict.
// The loser, taking the winner for dead, then takes it over the winner's
// version, and the winner's next renewal and its release report ErrLost
// and write nothing.
func TestTwoContenders(t *testing.T) {
	ctx := context.Background()
	for name, database := range backendtest.Databases("spoc_lease_") {
		t.Run(name, func(t *testing.T) {
			db := database(t)
			stores := []itsm.Store{db(t), db(t)}
			now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			holds := make([]*lease.Holder[duty], 2)
			errs := make([]error, 2)
			var (
				wg    sync.WaitGroup
				start = make(chan struct{})
			)
			for i, who := range []string{"a", "b"} {
				wg.Go(func() {
					<-start
					holds[i], errs[i] = lease.Take(ctx, stores[i], dutyRecord, 0, duty{Holder: who}, now)
				})
			}
			close(start)
			wg.Wait()
			won := 0
			if errs[0] != nil {
				won = 1
			}
			lost := 1 - won
			if errs[won] != nil || !itsm.IsCode(errs[lost], itsm.CodeConflict) {
				t.Fatalf("the takes: %v and %v, want one to succeed and one to conflict", errs[0], errs[1])
			}
			body, v := read(t, stores[lost])
			if want := []string{"a", "b"}[won]; body.Holder != want || v != 1 {
				t.Fatalf("the record after the takes: %+v at version %d, want %s's at 1", body, v, want)
			}

			taker, err := lease.Take(ctx, stores[lost], dutyRecord, v, duty{Holder: "taker"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if err := holds[won].Renew(ctx, now, nil); !errors.Is(err, lease.ErrLost) {
				t.Errorf("the old holder's renewal: %v, want ErrLost", err)
			}
			if err := holds[won].Release(ctx, func(d *duty) { d.Holder = "" }); !errors.Is(err, lease.ErrLost) {
				t.Errorf("the old holder's release: %v, want ErrLost", err)
			}
			if body, v := read(t, stores[won]); body.Holder != "taker" || v != 2 {
				t.Errorf("the record after the old holder's writes: %+v at version %d, want the taker's at 2", body, v)
			}
			if err := taker.Renew(ctx, now, nil); err != nil {
				t.Errorf("the taker's renewal: %v", err)
			}
		})
	}
}

// TestWatchGoesByVersionNotByClocks: a watcher presumes the holder dead
// only once the record's version has gone unchanged for the agreed time by
// the watcher's own clock. The holder's clock, a year ahead and written in
// the body, counts for nothing, and each renewal starts the wait afresh.
func TestWatchGoesByVersionNotByClocks(t *testing.T) {
	ctx := context.Background()
	const leaseTime = 10 * time.Second
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	type stamped struct {
		Holder  string    `json:"holder"`
		Renewed time.Time `json:"renewed"`
	}
	rec := lease.Record[stamped]{Kind: "test.stamped", ID: itsm.MustParseID("00000000-0000-7000-8000-0000000000d2")}
	holderClock := itsm.NewManualClock(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	watcherClock := itsm.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	h, err := lease.Take(ctx, store, rec, 0, stamped{"holder", holderClock.Now()}, holderClock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var w lease.Watch
	// dead observes the record now, by the watcher's clock, and says
	// whether it takes the holder for dead, and at which version.
	dead := func() (bool, int64) {
		t.Helper()
		var v int64
		if err := store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			_, v, err = rec.Get(tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		now := watcherClock.Now()
		return now.Sub(w.Observe(v, now)) >= leaseTime, v
	}
	for step := range 5 {
		if d, _ := dead(); d {
			t.Fatalf("step %d: a holder that renews was taken for dead", step)
		}
		watcherClock.Advance(leaseTime - time.Second)
		now := holderClock.Advance(leaseTime - time.Second)
		if err := h.Renew(ctx, now, func(s *stamped) { s.Renewed = now }); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := dead(); d {
		t.Fatal("the version just changed, and the holder was taken for dead")
	}
	watcherClock.Advance(leaseTime - time.Nanosecond)
	if d, _ := dead(); d {
		t.Fatal("the holder was taken for dead before the lease time passed")
	}
	watcherClock.Advance(time.Nanosecond)
	d, v := dead()
	if !d {
		t.Fatal("a holder silent for the lease time was not taken for dead")
	}
	if _, err := lease.Take(ctx, store, rec, v, stamped{"watcher", watcherClock.Now()}, watcherClock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := h.Renew(ctx, holderClock.Now(), nil); !errors.Is(err, lease.ErrLost) {
		t.Errorf("the silent holder's renewal after the takeover: %v, want ErrLost", err)
	}

	// A watcher told the lease changed hands starts over.
	w.Forget()
	if d, _ := dead(); d {
		t.Error("a forgetful watcher took the holder for dead at its first read")
	}
}

// TestRenewalThatFailsKeepsTheHold: a renewal the store could not write
// (here because its context was cancelled, as a request that timed out
// is) is not a lost lease: the holder keeps its hold, with the time of its
// last renewal that succeeded, and renews it at the next try.
func TestRenewalThatFailsKeepsTheHold(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	took := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	h, err := lease.Take(ctx, store, dutyRecord, 0, duty{Holder: "a"}, took)
	if err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	err = h.Renew(gone, took.Add(time.Second), func(d *duty) { d.Note = "not written" })
	if !errors.Is(err, context.Canceled) || errors.Is(err, lease.ErrLost) {
		t.Fatalf("a renewal the store could not write: %v, want the context's error", err)
	}
	if !h.Renewed().Equal(took) || h.Body().Note != "" {
		t.Errorf("after the failed renewal: renewed %v, body %+v; want the take's", h.Renewed(), h.Body())
	}
	if err := h.Renew(ctx, took.Add(2*time.Second), nil); err != nil {
		t.Fatalf("the next renewal: %v", err)
	}
	if body, v := read(t, store); v != 2 || body != (duty{Holder: "a"}) {
		t.Errorf("the record: %+v at version %d", body, v)
	}
}

// TestUnreadableBodyIsInternal: a lease record whose body is not the
// user's type is an internal error, not a free lease.
func TestUnreadableBodyIsInternal(t *testing.T) {
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	ctx := context.Background()
	err := store.Write(ctx, func(tx itsm.WriteTx) error {
		_, err := tx.Put(itsm.Record{Kind: dutyRecord.Kind, ID: dutyRecord.ID, Body: []byte(`["not", "a", "duty"]`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = store.Read(ctx, func(tx itsm.ReadTx) error {
		_, _, err := dutyRecord.Get(tx)
		return err
	})
	if !itsm.IsCode(err, itsm.CodeInternal) {
		t.Errorf("reading a body of another shape: %v, want CodeInternal", err)
	}
}

// TestReplicasHandOverInTime runs the loop users of a lease run, in a
// synctest bubble whose clock moves only when every goroutine waits: two
// processes poll the lease; the holder renews every third of the lease
// time. While it renews, the other never takes the lease, over a hundred
// lease times; once the holder stops without a release (a crash), the
// other takes over between one lease time and one lease time and a poll
// after the holder's last renewal.
func TestReplicasHandOverInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			leaseTime = 3 * time.Second
			poll      = 100 * time.Millisecond
		)
		store := memstore.New()
		defer store.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		type process struct {
			name string
			// crash stops the process without a release.
			crash chan struct{}
			// took reports each take, by the bubble's clock.
			took chan time.Time
			// renewed is the holder's last renewal that succeeded.
			renewed atomic.Int64
		}
		run := func(p *process) {
			var (
				w    lease.Watch
				hold *lease.Holder[duty]
			)
			for {
				now := time.Now()
				if hold != nil && now.Sub(hold.Renewed()) >= leaseTime/3 {
					if err := hold.Renew(ctx, now, nil); err != nil {
						hold = nil
					} else {
						p.renewed.Store(now.UnixNano())
					}
				}
				if hold == nil {
					var (
						body    duty
						version int64
					)
					err := store.Read(ctx, func(tx itsm.ReadTx) error {
						var err error
						body, version, err = dutyRecord.Get(tx)
						return err
					})
					if err != nil {
						return
					}
					if body.Holder == "" || now.Sub(w.Observe(version, now)) >= leaseTime {
						if hold, err = lease.Take(ctx, store, dutyRecord, version, duty{Holder: p.name}, now); err == nil {
							p.renewed.Store(now.UnixNano())
							p.took <- now
						} else {
							w.Forget()
						}
					}
				}
				select {
				case <-p.crash:
					return
				case <-ctx.Done():
					return
				case <-time.After(poll):
				}
			}
		}
		a := &process{name: "a", crash: make(chan struct{}), took: make(chan time.Time, 100)}
		b := &process{name: "b", crash: make(chan struct{}), took: make(chan time.Time, 100)}
		go run(a)
		synctest.Wait()
		if len(a.took) != 1 {
			t.Fatalf("the first process took the lease %d times, want once", len(a.took))
		}
		<-a.took
		go run(b)
		time.Sleep(100 * leaseTime)
		synctest.Wait()
		if len(b.took) != 0 || len(a.took) != 0 {
			t.Fatalf("while the holder renewed, the lease was taken %d and %d more times", len(a.took), len(b.took))
		}
		close(a.crash)
		last := time.Unix(0, a.renewed.Load())
		at := <-b.took
		if gap := at.Sub(last); gap < leaseTime || gap > leaseTime+leaseTime/3+poll {
			t.Errorf("the other process took over %s after the crashed holder's last renewal, want %s to %s",
				gap, leaseTime, leaseTime+leaseTime/3+poll)
		}
	})
}
