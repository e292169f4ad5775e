package webhook

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Defaults of Options.
const (
	DefaultPollInterval = time.Second
	DefaultWorkers      = 8
	DefaultBatchSize    = 100
	DefaultMaxAttempts  = 8
	DefaultBackoffBase  = 30 * time.Second
	DefaultBackoffMax   = time.Hour
	DefaultJitter       = 0.2
)

// Backoff is how long a subscription waits after a failed attempt before
// the event is tried again: Base after the first failure, doubling after
// each further one, never more than Max. Jitter takes up to that fraction
// off at random, so that receivers that failed together are not all tried
// again at the same instant.
//
// With the defaults (30 s doubling to at most 1 h, 8 attempts) an event is
// dead-lettered about 64 minutes after its first failure.
type Backoff struct {
	// Base is the first wait; 0 means DefaultBackoffBase.
	Base time.Duration
	// Max caps every wait, a Retry-After answer's included; 0 means
	// DefaultBackoffMax.
	Max time.Duration
	// Jitter is the fraction in [0, 1] taken off at random; 0 means
	// DefaultJitter and a negative value means none.
	Jitter float64
}

// Delay returns the wait after the failures-th failed attempt (from 1),
// with r in [0, 1) choosing the jitter; zero fields take their defaults.
func (b Backoff) Delay(failures int, r float64) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter > 0 {
		d -= time.Duration(float64(d) * b.Jitter * r)
	}
	return d
}

func (b Backoff) withDefaults() Backoff {
	if b.Base == 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max == 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Jitter == 0 {
		b.Jitter = DefaultJitter
	}
	return b
}

// Options tune a Dispatcher. The zero value takes every default.
type Options struct {
	// PollInterval is how often the log is checked for new events; 0
	// means DefaultPollInterval. Dispatcher.Notify checks at once.
	PollInterval time.Duration
	// Workers bounds the subscriptions delivered at the same time; each
	// delivers its events one at a time. 0 means DefaultWorkers.
	Workers int
	// BatchSize is how many events a worker reads from the log at a time,
	// and so how many it may go through before another subscription gets
	// its turn; 0 means DefaultBatchSize, at most itsm.MaxLimit.
	BatchSize int
	// MaxAttempts is how many failed attempts make an event a dead letter;
	// 0 means DefaultMaxAttempts.
	MaxAttempts int
	Backoff     Backoff
	// After waits for the dispatcher's loop, as time.After does; nil means
	// time.After. Tests pair it with a manual Config.Clock to run backoffs
	// of hours in milliseconds.
	After func(time.Duration) <-chan time.Time
	// Rand returns a number in [0, 1) for the jitter; nil means
	// math/rand/v2.Float64.
	Rand func() float64
	// LeaseTime is how long the lease that lets one Dispatcher deliver
	// (see the package documentation) lasts without renewal; 0 means
	// DefaultLeaseTime. The holder renews it every third of it; another
	// replica takes it over when it has not changed for a LeaseTime, so a
	// crashed holder's events are delivered again after LeaseTime plus at
	// most PollInterval. Shorter means a quicker takeover and more writes;
	// it must be longer than a pause of the holder (a garbage collection,
	// a slow commit) lasts, or the lease moves for nothing.
	LeaseTime time.Duration
}

// Dispatcher delivers the event log to the active subscriptions of a
// Service. Start one per process with Run: of several on one database, the
// one that holds the lease delivers (see the package documentation).
type Dispatcher struct {
	svc     *Service
	o       Options
	nudge   chan struct{}
	running atomic.Bool
	// replica names this Dispatcher's Run in the lease record: a new ID
	// each Run, so that a Run never mistakes an earlier one's lease for
	// its own.
	replica itsm.ID
	lease   tenure
}

// NewDispatcher checks the options and returns a Dispatcher for svc.
func NewDispatcher(svc *Service, o Options) (*Dispatcher, error) {
	switch {
	case svc == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the dispatcher has no service")
	case o.PollInterval < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the poll interval %s is negative", o.PollInterval)
	case o.Workers < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: %d workers is negative", o.Workers)
	case o.BatchSize < 0 || o.BatchSize > itsm.MaxLimit:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the batch size %d is not 0 to %d", o.BatchSize, itsm.MaxLimit)
	case o.MaxAttempts < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: %d attempts is negative", o.MaxAttempts)
	case o.Backoff.Base < 0 || o.Backoff.Max < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the backoff %s to %s is negative", o.Backoff.Base, o.Backoff.Max)
	case o.LeaseTime < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the lease time %s is negative", o.LeaseTime)
	case o.Backoff.Jitter > 1:
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the jitter %g is more than 1", o.Backoff.Jitter)
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	o.Backoff = o.Backoff.withDefaults()
	if o.Backoff.Max < o.Backoff.Base {
		return nil, itsm.Errorf(itsm.CodeInvalid, "webhook: the backoff's cap %s is below its base %s", o.Backoff.Max, o.Backoff.Base)
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.LeaseTime == 0 {
		o.LeaseTime = DefaultLeaseTime
	}
	return &Dispatcher{svc: svc, o: o, nudge: make(chan struct{}, 1)}, nil
}

// Notify asks the dispatcher to look at the log now rather than at the next
// poll; the server calls it after committing events. It never blocks. While
// no subscription is active it is ignored until one is made or changed
// through the Service, so that a server nobody subscribed to pays nothing
// for it; one made by another process is found at the next poll. While
// another replica holds the lease it is ignored too: that replica finds the
// events at its next poll.
func (d *Dispatcher) Notify() {
	select {
	case d.nudge <- struct{}{}:
	default:
	}
}

// passDone is what a worker reports when its pass over a subscription ends.
type passDone struct {
	id   itsm.ID
	term int64
	err  error
}

// Run delivers until ctx is done, then waits for its workers, gives the
// lease back and returns nil. Requests still waiting for an answer are
// cancelled and not recorded, so their events are sent again by the next
// holder of the lease (at least once); an answer that came in time is still
// recorded. Problems with the store or the Visible hook are logged and
// retried after the poll interval; only running the same Dispatcher twice
// at once is an error (CodeConflict).
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return itsm.Errorf(itsm.CodeConflict, "webhook: the dispatcher is already running")
	}
	defer d.running.Store(false)
	d.replica, d.lease = itsm.NewID(), tenure{}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		// Given back, so that another replica takes over at once rather
		// than after a lease time.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		d.release(rctx)
		rcancel()
	}()
	var (
		// done has room for every worker, so none waits to report after
		// Run has stopped listening.
		done = make(chan passDone, d.o.Workers)
		busy = map[itsm.ID]bool{}
		// hold keeps a subscription whose pass failed (store, Visible
		// hook) from being taken up again before the next poll.
		hold = map[itsm.ID]time.Time{}
		// last is the round in which each subscription last started a
		// pass; the longest-waiting go first, so a subscription with a
		// long backlog cannot keep the others waiting.
		last  = map[itsm.ID]uint64{}
		round uint64
		end   int64 // the Seq of the last event seen in the log
	)
	for {
		round++
		now := d.svc.clock.Now()
		// Taken before the plan reads, so that a subscription made while it
		// reads is not missed.
		changes := d.svc.changed.Load()
		var (
			due    []itsm.ID
			wake   time.Time
			active int
			err    error
			// other is set while another replica holds the lease: this
			// one reads neither the subscriptions nor the log, and
			// Notify is ignored (the holder finds the events at its
			// next poll).
			other bool
		)
		held := d.keep(ctx, now)
		if !held {
			other, wake, err = d.contend(ctx, now)
			if err != nil && ctx.Err() == nil {
				d.svc.log.Warn("webhook: cannot read the lease", "err", err)
			}
			held = d.lease.hold != nil
		}
		if held {
			due, wake, active, err = d.plan(ctx, &end, now, busy, hold, last)
			if err != nil && ctx.Err() == nil {
				d.svc.log.Warn("webhook: cannot read the subscriptions", "err", err)
			}
			if err == nil && active == 0 && len(busy) == 0 {
				// Nobody to deliver to: no renewals to write.
				d.release(ctx)
				held = false
			}
		}
		// With no subscription active, a write has nobody to be delivered
		// to: Notify is ignored (it would cost every write a read of the
		// subscriptions) until one is made through this Service. One made
		// by another process is found at the next poll.
		idle := err == nil && active == 0 && len(busy) == 0
		if held {
			slices.SortStableFunc(due, func(a, b itsm.ID) int { return cmp.Compare(last[a], last[b]) })
			tctx, term := d.lease.ctx, d.lease.term()
			for _, id := range due {
				if len(busy) >= d.o.Workers {
					break
				}
				busy[id], last[id] = true, round
				wg.Add(1)
				go func() {
					defer wg.Done()
					done <- passDone{id: id, term: term, err: d.pass(tctx, id, term)}
				}()
			}
		}
		wait := d.o.PollInterval
		if !wake.IsZero() {
			wait = min(wait, wake.Sub(now))
		}
		if held {
			// The lease is renewed even while every worker is busy;
			// otherwise only a finished pass can change anything then.
			renew := d.lease.hold.Renewed().Add(d.renewEvery()).Sub(now)
			if len(busy) >= d.o.Workers {
				wait = renew
			}
			wait = min(wait, renew)
		}
		timer := d.o.After(max(wait, 0))
	wait:
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-d.nudge:
				if other || idle && d.svc.changed.Load() == changes {
					continue
				}
			case r := <-done:
				d.finish(r, busy, hold)
			case <-timer:
			}
			break wait
		}
		for more := true; more; {
			select {
			case r := <-done:
				d.finish(r, busy, hold)
			default:
				more = false
			}
		}
	}
}

func (d *Dispatcher) finish(r passDone, busy map[itsm.ID]bool, hold map[itsm.ID]time.Time) {
	delete(busy, r.id)
	switch {
	case errors.Is(r.err, errLeaseLost):
		if r.term == d.lease.term() {
			d.drop("another replica took the lease")
		}
	case r.err != nil:
		d.svc.log.Warn("webhook: delivery paused until the next poll", "subscription", r.id, "err", r.err)
		hold[r.id] = d.svc.clock.Now().Add(d.o.PollInterval)
	}
}

// plan finds the end of the log, when a subscription is active, and
// returns the active subscriptions that are behind it and may be tried now,
// and the earliest time one that is waiting may be tried (zero when none
// waits).
//
// It also forgets the turns of subscriptions that are no longer active, so
// that last does not grow with every subscription ever made.
func (d *Dispatcher) plan(ctx context.Context, end *int64, now time.Time, busy map[itsm.ID]bool, hold map[itsm.ID]time.Time, last map[itsm.ID]uint64) (due []itsm.ID, wake time.Time, active int, err error) {
	later := func(t time.Time) {
		if wake.IsZero() || t.Before(wake) {
			wake = t
		}
	}
	for id, t := range hold {
		if !t.After(now) {
			delete(hold, id)
		}
	}
	seen := make(map[itsm.ID]bool, len(last))
	err = d.svc.store.Read(ctx, func(tx itsm.ReadTx) error {
		// The head of the log is found only when a subscription is active:
		// its search reads several events, and a server that nobody
		// subscribed to would pay it after every write (a fifth of a
		// registration's CPU on SQLite).
		h := int64(-1)
		q := itsm.Query{Kind: KindSubscription, Index: indexState, Match: itsm.MatchEqual, Value: string(StateActive), Limit: itsm.MaxLimit}
		for {
			page, err := tx.Query(q)
			if err != nil {
				return err
			}
			for _, m := range page.Matches {
				st, err := decode(m.Record)
				if err != nil {
					return err
				}
				if h < 0 {
					if h, err = head(tx, *end); err != nil {
						return err
					}
					*end = h
				}
				seen[st.ID] = true
				switch {
				case busy[st.ID] || st.Delivery.Cursor >= h:
				case hold[st.ID].After(now):
					later(hold[st.ID])
				case st.Delivery.NextAttempt.After(now):
					later(st.Delivery.NextAttempt)
				default:
					due = append(due, st.ID)
				}
			}
			if page.Next == "" {
				return nil
			}
			q.After = page.Next
		}
	})
	if err == nil {
		for id := range last {
			if !seen[id] && !busy[id] {
				delete(last, id)
			}
		}
	}
	return due, wake, len(seen), err
}

// pass delivers one batch of a subscription's events, in Seq order, until
// the batch is done, an event fails (and must wait) or the subscription is
// paused or deleted. The next pass, if needed, is the loop's to start.
func (d *Dispatcher) pass(ctx context.Context, id itsm.ID, term int64) error {
	var (
		st     *stored
		events []itsm.Event
	)
	for {
		err := d.svc.store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			if st, err = load(tx, id); err != nil || st.Term != term {
				return err
			}
			events, err = tx.Events(st.Delivery.Cursor, d.o.BatchSize)
			return err
		})
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound) || ctx.Err() != nil:
			return nil // deleted meanwhile, or stopping
		case err != nil:
			return err
		case st.Term > term:
			return errLeaseLost
		case st.State != StateActive || st.Delivery.NextAttempt.After(d.svc.clock.Now()):
			return nil
		}
		if st.Term == term {
			break
		}
		// The first pass of this term: the log is read only once the
		// subscription is fenced against the holders before.
		_, err = d.claim(ctx, id, term)
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound) || ctx.Err() != nil:
			return nil
		case err != nil:
			return err
		}
	}
	passed := st.Delivery.Cursor // every event up to here is dealt with
	for _, ev := range events {
		if ev.Seq <= st.Delivery.Cursor {
			continue // another process got further meanwhile
		}
		if !st.Wants(ev.Type) {
			passed = ev.Seq
			continue
		}
		// The owner receives the event as it may see it, which may be
		// less than the log holds.
		seen, ok, err := d.svc.visible(ctx, st.Owner, ev)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return itsm.Wrap(itsm.ErrorCode(err), err, "webhook: Visible for event %d", ev.Seq)
		}
		if !ok {
			passed = ev.Seq
			continue
		}
		start := time.Now()
		f := d.svc.send(ctx, st, seen)
		took := time.Since(start)
		if f != nil && ctx.Err() != nil {
			// Stopping cut the attempt short: not the receiver's failure.
			return nil
		}
		// A delivery is recorded even when Run is stopping meanwhile, so
		// that a graceful stop repeats nothing it need not.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		next, outcome, err := d.settle(wctx, id, term, passed, ev, f)
		cancel()
		a := Attempt{Subscription: id, Owner: st.Owner, Seq: ev.Seq, Event: ev.ID, Type: ev.Type,
			Duration: took, Outcome: outcome}
		if f != nil {
			a.Status, a.Err = f.status, f.err
		}
		d.svc.count(a)
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound):
			return nil
		case err != nil:
			return err
		case outcome == OutcomeFailed || next.State != StateActive || ctx.Err() != nil:
			return nil
		}
		st, passed = next, next.Delivery.Cursor
	}
	if passed > st.Delivery.Cursor {
		_, _, err := d.settle(ctx, id, term, passed, itsm.Event{}, nil)
		if itsm.IsCode(err, itsm.CodeNotFound) || ctx.Err() != nil {
			return nil
		}
		return err
	}
	return nil
}

// settle records in the subscription that every event up to passed is dealt
// with and what became of ev (none when ev.Seq is 0): delivered (f nil),
// failed and to be tried again, or dead-lettered, all in one transaction.
// The cursor only moves forward, and an outcome for an event that another
// process has already dealt with changes nothing. A holder of a term that
// is over changes nothing either (errLeaseLost): the record's version
// check makes the test and the write one, on every backend.
func (d *Dispatcher) settle(ctx context.Context, id itsm.ID, term, passed int64, ev itsm.Event, f *failure) (*stored, Outcome, error) {
	var outcome Outcome
	st, err := d.svc.change(ctx, id, func(tx itsm.WriteTx, st *stored) (bool, error) {
		if st.Term > term {
			return false, errLeaseLost
		}
		// An earlier term here means that a server of a version without
		// leases wrote the subscription (a rolling upgrade): claimed again.
		claim := st.Term < term
		st.Term = term
		write, err := d.record(tx, st, passed, ev, f, &outcome)
		return write || claim, err
	})
	return st, outcome, err
}

// record is settle's change of the subscription; it reports whether st
// changed and says what became of ev in outcome.
func (d *Dispatcher) record(tx itsm.WriteTx, st *stored, passed int64, ev itsm.Event, f *failure, outcome *Outcome) (bool, error) {
	*outcome = OutcomeDelivered
	if f != nil {
		*outcome = OutcomeFailed
	}
	dv := &st.Delivery
	write := false
	now := d.svc.clock.Now().UTC()
	done := func(seq int64) {
		dv.Cursor = seq
		if dv.Failing <= seq {
			dv.Failing, dv.Attempts, dv.NextAttempt = 0, 0, time.Time{}
		}
		write = true
	}
	if passed > dv.Cursor {
		done(passed)
	}
	if ev.Seq == 0 || ev.Seq <= dv.Cursor {
		return write, nil
	}
	if f == nil {
		done(ev.Seq)
		dv.Delivered = now
		return true, nil
	}
	if dv.Failing == ev.Seq {
		dv.Attempts++
	} else {
		dv.Failing, dv.Attempts = ev.Seq, 1
	}
	dv.LastFailure, dv.LastStatus, dv.LastError = now, f.status, f.public
	if dv.Attempts < d.o.MaxAttempts {
		wait := d.o.Backoff.Delay(dv.Attempts, d.o.Rand())
		if f.retryAfter > wait {
			wait = min(f.retryAfter, d.o.Backoff.Max)
		}
		dv.NextAttempt = now.Add(wait)
		return true, nil
	}
	dl := &DeadLetter{ID: itsm.NewID(), Subscription: st.ID, Seq: ev.Seq, Event: ev.ID, Type: ev.Type,
		Attempts: dv.Attempts, Status: f.status, Error: f.public, Dead: now, LastAttempt: now}
	rec, err := deadLetterRecord(dl)
	if err != nil {
		return false, err
	}
	if _, err := tx.Put(rec); err != nil {
		return false, err
	}
	done(ev.Seq)
	*outcome = OutcomeDeadLettered
	return true, nil
}
