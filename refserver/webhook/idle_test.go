package webhook_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// countingStore counts read transactions.
type countingStore struct {
	itsm.Store
	reads atomic.Int64
}

func (s *countingStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	s.reads.Add(1)
	return s.Store.Read(ctx, fn)
}

// TestIdleDispatcherIgnoresNotify: with nobody subscribed, Notify costs no
// read; a subscription made through the Service ends that at once, on the
// next Notify, not at the (hour-long) poll. In a synctest bubble, Wait
// returns only once the dispatcher is stuck waiting, so "no read" is exact,
// and the bubble's clock shows that no poll came.
func TestIdleDispatcherIgnoresNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &countingStore{Store: backends()["memstore"](t)}
		hour := webhook.Options{PollInterval: time.Hour}
		e := newEnv(t, store, webhook.Config{}, &hour)
		e.run()
		synctest.Wait()
		began, before := time.Now(), store.reads.Load()
		if before == 0 {
			t.Fatal("the dispatcher waits without having planned")
		}
		for range 100 {
			appendEvents(t, store, event("incident.updated", itsm.NewID(), `{}`))
			e.disp.Notify()
		}
		synctest.Wait()
		if got := store.reads.Load() - before; got != 0 {
			t.Errorf("100 notifications with nobody subscribed cost %d reads, want none", got)
		}

		// Nothing listens there: no event is due to the new subscription,
		// so nothing is sent.
		if _, err := e.svc.Create(e.ctx, deskAdmin, webhook.Spec{URL: "http://127.0.0.1:9/hooks"}); err != nil {
			t.Fatal(err)
		}
		e.disp.Notify()
		synctest.Wait()
		if store.reads.Load() == before {
			t.Error("the Notify after a subscription was ignored too")
		}
		if waited := time.Since(began); waited != 0 {
			t.Errorf("the dispatcher read after %s, want at once", waited)
		}
	})
}

// TestIdleDispatcherDeliversOnceSubscribed: a dispatcher that went idle
// delivers the events written after a subscription at once, over HTTP,
// without waiting for its hour-long poll.
func TestIdleDispatcherDeliversOnceSubscribed(t *testing.T) {
	store := &countingStore{Store: backends()["memstore"](t)}
	hour := webhook.Options{PollInterval: time.Hour}
	e := newEnv(t, store, webhook.Config{}, &hour)
	e.run()
	asynctest.Eventually(t, "the first plan", func() bool { return store.reads.Load() >= 1 })

	rc := newReceiver(t, e.clock)
	e.subscribe(deskAdmin, rc)
	evs := appendEvents(t, store, numbered(3, "incident.updated", itsm.NewID())...)
	e.disp.Notify()
	asynctest.Eventually(t, "the events after subscribing", func() bool { return len(rc.distinct()) == len(evs) })
}
