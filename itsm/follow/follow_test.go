package follow_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/follow"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// view is a projection of the log for the tests: the sequence numbers of
// the events it was given, the record count Build found, and a switch
// that makes Apply fail.
type view struct {
	mu      sync.Mutex
	built   int
	applied []int64
	fail    bool
}

func (v *view) build(ctx context.Context, tx itsm.ReadTx) error {
	return itsm.Scan(ctx, tx, itsm.Query{Kind: "thing", Limit: itsm.MaxLimit}, func(itsm.Hit) error {
		v.built++
		return nil
	})
}

func (v *view) apply(_ context.Context, _ itsm.ReadTx, es []itsm.Event) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.fail {
		return itsm.Errorf(itsm.CodeUnavailable, "view: failing")
	}
	for _, e := range es {
		v.applied = append(v.applied, e.Seq)
	}
	return nil
}

func (v *view) seen() []int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.applied)
}

// write puts a thing and appends n events about it.
func write(t *testing.T, s itsm.Store, n int) {
	t.Helper()
	err := s.Write(context.Background(), func(tx itsm.WriteTx) error {
		id := itsm.NewID()
		if _, err := tx.Put(itsm.Record{Kind: "thing", ID: id, Body: []byte(`{}`)}); err != nil {
			return err
		}
		for range n {
			if _, err := tx.Append(itsm.Event{Type: "thing.happened", Kind: "thing", Subject: id, Time: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func seqs(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// A follower builds from the records and then applies exactly the
// events after its snapshot, a page at a time, once each; Status says
// where it is; a failed page is applied again, whole; Close stops it.
func TestFollower(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	write(t, store, 3)
	write(t, store, 2)
	v := &view{}
	f, err := follow.Start(ctx, follow.Config{Store: store, Poll: time.Hour, Build: v.build, Apply: v.apply})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st := f.Status(); v.built != 2 || st.Position != 5 || st.Behind != 0 || st.Err != "" || st.Built.IsZero() {
		t.Fatalf("after the build: %d records, status %+v", v.built, st)
	}
	write(t, store, itsm.MaxLimit+10) // more than a page
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := v.seen(), seqs(6, 5+itsm.MaxLimit+10); !slices.Equal(got, want) {
		t.Fatalf("applied %d events from %v, want %d from 6", len(got), got[:min(len(got), 3)], len(want))
	}
	if st := f.Status(); st.Position != 5+itsm.MaxLimit+10 {
		t.Fatalf("status %+v", st)
	}
	v.mu.Lock()
	v.fail = true
	v.mu.Unlock()
	write(t, store, 1)
	if err := f.Sync(ctx); !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Fatalf("sync with a failing view: %v", err)
	}
	if st := f.Status(); st.Err == "" || st.Position != 5+itsm.MaxLimit+10 {
		t.Fatalf("after a failure: %+v", st)
	}
	v.mu.Lock()
	v.fail, v.applied = false, nil
	v.mu.Unlock()
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := v.seen(); !slices.Equal(got, []int64{5 + itsm.MaxLimit + 11}) {
		t.Fatalf("after the failure passed: applied %v", got)
	}
	if st := f.Status(); st.Err != "" {
		t.Fatalf("the error stays after catching up: %+v", st)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(ctx); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Fatalf("sync after close: %v", err)
	}
}

// Nudge makes the follower catch up at once, without waiting for the
// poll; Fresh catches up only when a nudged commit may be missing.
func TestNudgeAndFresh(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	v := &view{}
	calls := 0
	before := func(context.Context) error { calls++; return nil }
	f, err := follow.Start(ctx, follow.Config{Store: store, Poll: time.Hour, Build: v.build, Apply: v.apply, Before: before})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Fresh(ctx); err != nil || calls != 0 {
		t.Fatalf("fresh with nothing nudged: %v, %d catch-ups", err, calls)
	}
	write(t, store, 1)
	f.Nudge()
	deadline := time.Now().Add(10 * time.Second)
	for len(v.seen()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a nudge did not make the follower catch up")
		}
		time.Sleep(time.Millisecond)
	}
	write(t, store, 1)
	f.Nudge()
	if err := f.Fresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := v.seen(); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("after Fresh: %v", got)
	}
	n := calls
	if err := f.Fresh(ctx); err != nil || calls != n {
		t.Fatalf("a second Fresh caught up again: %v, %d catch-ups", err, calls-n)
	}
	if err := f.Locked(func() error { return errors.New("inside") }); err == nil || err.Error() != "inside" {
		t.Fatalf("Locked: %v", err)
	}
}

// The follower polls for other processes' writes.
func TestPoll(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	v := &view{}
	f, err := follow.Start(ctx, follow.Config{Store: store, Poll: time.Millisecond, Build: v.build, Apply: v.apply})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	write(t, store, 2)
	deadline := time.Now().Add(10 * time.Second)
	for len(v.seen()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the follower did not poll")
		}
		time.Sleep(time.Millisecond)
	}
}

// Head finds the last event of logs of every length, and Start refuses a
// config without what it needs.
func TestHeadAndConfig(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	for n := int64(0); n <= 70; n++ {
		if n > 0 {
			write(t, store, 1)
		}
		err := store.Read(ctx, func(tx itsm.ReadTx) error {
			h, err := follow.Head(tx)
			if err == nil && h != n {
				t.Errorf("head of a log of %d: %d", n, h)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	v := &view{}
	for _, cfg := range []follow.Config{
		{Build: v.build, Apply: v.apply},
		{Store: store, Apply: v.apply},
		{Store: store, Build: v.build},
		{Store: store, Build: v.build, Apply: v.apply, Poll: -time.Second},
	} {
		if _, err := follow.Start(ctx, cfg); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("start with %+v: %v", cfg, err)
		}
	}
	broken := func(context.Context, itsm.ReadTx) error { return itsm.Errorf(itsm.CodeUnavailable, "down") }
	if _, err := follow.Start(ctx, follow.Config{Store: store, Build: broken, Apply: v.apply}); !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Errorf("start with a failing build: %v", err)
	}
}
