package webhook_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
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
// read; a subscription made through the Service is served at once on the
// next Notify, without waiting for the (hour-long) poll.
func TestIdleDispatcherIgnoresNotify(t *testing.T) {
	store := &countingStore{Store: memstore.New()}
	hour := webhook.Options{PollInterval: time.Hour}
	e := newEnv(t, store, webhook.Config{}, &hour)
	e.run()
	waitFor(t, "the first plan", func() bool { return store.reads.Load() >= 1 })
	before := store.reads.Load()
	for range 100 {
		appendEvents(t, store, event("incident.updated", itsm.NewID(), `{}`))
		e.disp.Notify()
	}
	time.Sleep(50 * time.Millisecond)
	// One nudge may have come before the loop waited after its first plan.
	if got := store.reads.Load() - before; got > 1 {
		t.Errorf("100 notifications with nobody subscribed cost %d reads, want at most 1", got)
	}

	rc := newReceiver(t, e.clock)
	e.subscribe(deskAdmin, rc)
	evs := appendEvents(t, store, numbered(3, "incident.updated", itsm.NewID())...)
	e.disp.Notify()
	waitFor(t, "the events after subscribing", func() bool { return len(rc.distinct()) == len(evs) })
}
