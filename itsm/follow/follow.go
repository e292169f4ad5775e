// Package follow keeps a view derived from a store's event log current: a
// search index, an impact graph, any projection a domain package holds in
// memory. It builds the view from the records once, then applies the
// events written after that point, its own process's at once when nudged
// and other processes' on the same database every poll, and says how far
// it has read. The view never holds the only copy of anything: a new
// process builds it again from the records.
package follow

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Config is what a Follower needs. Store, Build and Apply are required.
type Config struct {
	Store itsm.Store
	// Poll is how often the follower looks for events other processes
	// wrote; zero means a second.
	Poll time.Duration
	// Build fills the view from the records as they stand in tx, a read
	// transaction whose snapshot ends at the event the follower then
	// follows from. It runs once, in Start.
	Build func(ctx context.Context, tx itsm.ReadTx) error
	// Apply applies a page of events, in log order, read in tx, which
	// sees the records as of the last of them or later. A page Apply
	// fails is applied again, whole, at the next catch-up: Apply must be
	// idempotent, as one that reads each record an event is about and
	// puts it in the view whole is.
	Apply func(ctx context.Context, tx itsm.ReadTx, events []itsm.Event) error
	// Before, if set, runs at each catch-up before the events are
	// applied, under the same lock, for work that follows the log by a
	// cursor of its own.
	Before func(ctx context.Context) error
}

// Follower follows a store's log into a view. It is safe for concurrent
// use.
type Follower struct {
	cfg Config

	// follow serialises catching up, so that Apply sees one caller at a
	// time and pages in order.
	follow sync.Mutex

	mu      sync.Mutex // guards what follows
	pos     int64      // the last event applied
	caught  time.Time  // when the view last reached the end of the log
	lastErr error
	built   time.Time
	took    time.Duration
	closed  bool

	// nudged counts Nudge's calls, and applied the count at the start of
	// the last catch-up that reached the end of the log: while applied
	// is behind, a commit of this process may be missing (Fresh).
	nudged, applied atomic.Int64

	nudges chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

// Status says how far a view has followed the log.
type Status struct {
	// Position is the sequence number of the last event applied.
	Position int64 `json:"position"`
	// Behind is how long ago the view last found itself at the end of the
	// log: zero when it has just caught up, growing while it falls behind
	// or cannot read the store.
	Behind time.Duration `json:"behind"`
	// Built is when the view was built from the records, and BuildTime
	// how long that took.
	Built     time.Time     `json:"built"`
	BuildTime time.Duration `json:"build_time"`
	// Err is the last error following the log met, if it has not caught
	// up since.
	Err string `json:"error,omitempty"`
}

// Start builds the view from the records and starts following the log
// from the event its snapshot ended at. ctx bounds the build only.
func Start(ctx context.Context, cfg Config) (*Follower, error) {
	switch {
	case cfg.Store == nil || cfg.Build == nil || cfg.Apply == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "follow: config needs a store, Build and Apply")
	case cfg.Poll < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "follow: poll interval %s is negative", cfg.Poll)
	case cfg.Poll == 0:
		cfg.Poll = time.Second
	}
	f := &Follower{cfg: cfg, nudges: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	began := time.Now()
	err := cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		head, err := Head(tx)
		if err != nil {
			return err
		}
		if err := cfg.Build(ctx, tx); err != nil {
			return err
		}
		f.pos, f.caught = head, time.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.built, f.took = time.Now(), time.Since(began)
	go f.run()
	return f, nil
}

// Head returns the sequence number of the log's last event in tx, zero
// for an empty log: the least n after which no event is, found by
// doubling and halving, some 2 log2(n) reads of one event.
func Head(tx itsm.ReadTx) (int64, error) {
	after := func(n int64) (bool, error) {
		es, err := tx.Events(n, 1)
		return len(es) > 0, err
	}
	hi := int64(1)
	for {
		more, err := after(hi)
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
		hi *= 2
	}
	lo := hi / 2 // events after lo exist (or lo is 0)
	if hi == 1 {
		more, err := after(0)
		if err != nil || !more {
			return 0, err
		}
		return 1, nil
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		more, err := after(mid)
		if err != nil {
			return 0, err
		}
		if more {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
}

// run follows the log until Close: at once when nudged, and every Poll
// for other processes' writes.
func (f *Follower) run() {
	defer close(f.done)
	tick := time.NewTicker(f.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-f.nudges:
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = f.catchUp(ctx)
		cancel()
	}
}

// Nudge asks the follower to catch up now: call it after every commit of
// this process, so that the view shows the write within milliseconds and
// Fresh knows to wait for it.
func (f *Follower) Nudge() {
	f.nudged.Add(1)
	select {
	case f.nudges <- struct{}{}:
	default:
	}
}

// catchUp runs Before and applies the events after the view's position.
func (f *Follower) catchUp(ctx context.Context) error {
	f.follow.Lock()
	defer f.follow.Unlock()
	nudged := f.nudged.Load()
	var err error
	if f.cfg.Before != nil {
		err = f.cfg.Before(ctx)
	}
	err = errors.Join(err, f.apply(ctx))
	if err == nil && f.applied.Load() < nudged {
		f.applied.Store(nudged)
	}
	f.mu.Lock()
	f.lastErr = err
	f.mu.Unlock()
	return err
}

// apply applies the events after the position, a page at a time.
func (f *Follower) apply(ctx context.Context) error {
	for {
		f.mu.Lock()
		pos := f.pos
		f.mu.Unlock()
		var es []itsm.Event
		err := f.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			if es, err = tx.Events(pos, itsm.MaxLimit); err != nil || len(es) == 0 {
				return err
			}
			return f.cfg.Apply(ctx, tx, es)
		})
		if err != nil {
			return err
		}
		f.mu.Lock()
		if len(es) > 0 {
			f.pos = es[len(es)-1].Seq
		}
		if len(es) < itsm.MaxLimit {
			f.caught = time.Now()
		}
		f.mu.Unlock()
		if len(es) < itsm.MaxLimit {
			return nil
		}
	}
}

// Sync waits until the view has applied every event the log held when
// Sync was called, other processes' included: a caller that reads the
// view after Sync returns sees what was written before it.
func (f *Follower) Sync(ctx context.Context) error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return itsm.Errorf(itsm.CodeInvalid, "follow: the follower is closed")
	}
	return f.catchUp(ctx)
}

// Fresh waits, if need be, until the view has applied every commit of
// this process that was nudged before Fresh was called: a read of the
// view after a command of the same process sees the command, at the cost
// of two atomic loads when the follower has kept up, and of a catch-up
// when it has not. Other processes' writes arrive within Poll, or by Sync.
func (f *Follower) Fresh(ctx context.Context) error {
	if f.applied.Load() >= f.nudged.Load() {
		return nil
	}
	return f.Sync(ctx)
}

// Status returns how far the view has followed the log.
func (f *Follower) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := Status{Position: f.pos, Built: f.built, BuildTime: f.took}
	if f.lastErr != nil {
		st.Err = f.lastErr.Error()
	}
	if st.Behind = time.Since(f.caught); st.Behind < f.cfg.Poll && f.lastErr == nil {
		st.Behind = 0
	}
	return st
}

// Close stops following the log and waits for a catch-up under way to
// end; Sync fails after it. Closing twice does nothing.
func (f *Follower) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	close(f.stop)
	<-f.done
	return nil
}

// Locked runs fn while no catch-up runs, as work that shares Before's
// state does (a final flush at close).
func (f *Follower) Locked(fn func() error) error {
	f.follow.Lock()
	defer f.follow.Unlock()
	return fn()
}
