package webhook

import (
	"context"
	"errors"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/lease"
)

// KindLease is the kind of the one record that says which Dispatcher
// delivers: the lease (see the package documentation).
const KindLease = "webhook_lease"

// DefaultLeaseTime is Options.LeaseTime when it is 0: a crashed holder's
// subscriptions are taken over about this long (plus a poll interval) after
// its last renewal.
const DefaultLeaseTime = 5 * time.Second

// leaseBody is the lease record's: which Dispatcher delivers every
// subscription, and in which term.
type leaseBody struct {
	// Holder is the Dispatcher's replica ID (a new one each Run); zero
	// when the lease was given back.
	Holder itsm.ID `json:"holder,omitzero"`
	// Term counts the times the lease was taken. Each subscription
	// records the term of the last holder that wrote it, and a holder
	// of an older term can no longer write it: that fences a holder that
	// stalled past its lease.
	Term int64 `json:"term"`
	// Renewed is the holder's clock when it last renewed, for people who
	// read the record; no replica compares it with its own clock.
	Renewed time.Time `json:"renewed,omitzero"`
}

// errLeaseLost stops a pass whose Dispatcher no longer holds the lease in
// its term. It is not an *itsm.Error, so that change does not retry it as a
// conflict.
var errLeaseLost = errors.New("webhook: the lease passed to another replica")

// leaseRecord is where the lease is kept: one record, of the same ID in
// every database.
var leaseRecord = lease.Record[leaseBody]{Kind: KindLease, ID: itsm.MustParseID("00000000-0000-7000-8000-00000000001e")}

// tenure is a Dispatcher's hold on the lease. Only Run's goroutine touches
// it.
type tenure struct {
	// hold is the lease held; nil when it is not.
	hold *lease.Holder[leaseBody]
	// ctx is cancelled when the lease is lost or given back, which stops
	// the passes of the term.
	ctx    context.Context
	cancel context.CancelFunc
	// watch follows the lease record while another replica holds it:
	// that replica is presumed dead once the record has not changed for
	// a lease time by this replica's clock.
	watch lease.Watch
}

// term is the term held; 0 when the lease is not held.
func (l *tenure) term() int64 {
	if l.hold == nil {
		return 0
	}
	return l.hold.Body().Term
}

// renewEvery is how often the holder renews: three times a lease time, so
// that two renewals may fail (a slow store, a pause of the process) before
// it gives up.
func (d *Dispatcher) renewEvery() time.Duration { return d.o.LeaseTime / 3 }

// contend is for a Dispatcher that does not hold the lease: it reads the
// lease and takes it when nobody holds it, or its holder has not renewed
// it for a lease time as this replica's clock measures, and a subscription
// is active (so that a server nobody subscribed to writes nothing). It
// returns whether another replica holds the lease now, and when it may be
// presumed dead.
func (d *Dispatcher) contend(ctx context.Context, now time.Time) (other bool, expires time.Time, err error) {
	l := &d.lease
	var (
		cur     leaseBody
		version int64
		since   time.Time
		active  bool
	)
	// This replica's own earlier tenure, given up, is free to take again:
	// its passes are stopped.
	heldByOther := func() bool { return !cur.Holder.IsZero() && cur.Holder != d.replica }
	err = d.svc.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		if cur, version, err = leaseRecord.Get(tx); err != nil {
			return err
		}
		if heldByOther() {
			if since = l.watch.Observe(version, now); now.Sub(since) < d.o.LeaseTime {
				return nil
			}
		}
		page, err := tx.Query(itsm.Query{Kind: KindSubscription, Index: indexState, Match: itsm.MatchEqual,
			Value: string(StateActive), Limit: 1})
		active = len(page.Matches) > 0
		return err
	})
	if err != nil {
		return false, time.Time{}, err
	}
	if heldByOther() && now.Sub(since) < d.o.LeaseTime {
		return true, since.Add(d.o.LeaseTime), nil
	}
	if !active {
		return false, time.Time{}, nil
	}
	hold, err := lease.Take(ctx, d.svc.store, leaseRecord, version,
		leaseBody{Holder: d.replica, Term: cur.Term + 1, Renewed: now.UTC()}, now)
	if itsm.IsCode(err, itsm.CodeConflict) {
		// Another replica was quicker: it holds the lease now.
		l.watch.Forget()
		return true, now.Add(d.o.LeaseTime), nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	l.hold = hold
	l.ctx, l.cancel = context.WithCancel(ctx)
	d.svc.log.Info("webhook: this replica delivers now", "replica", d.replica, "term", l.term())
	return false, time.Time{}, nil
}

// keep is for the holder: it renews the lease when a renewal is due, and
// gives it up when it could not renew it within a lease time or another
// replica took it meanwhile. It reports whether the lease is still held.
func (d *Dispatcher) keep(ctx context.Context, now time.Time) bool {
	l := &d.lease
	if l.hold == nil {
		return false
	}
	if now.Sub(l.hold.Renewed()) >= d.o.LeaseTime {
		// The others may have taken it by now: stop before they start.
		d.drop("the lease expired before it could be renewed")
		return false
	}
	if now.Sub(l.hold.Renewed()) < d.renewEvery() {
		return true
	}
	err := l.hold.Renew(ctx, now, func(b *leaseBody) { b.Renewed = now.UTC() })
	switch {
	case errors.Is(err, lease.ErrLost):
		d.drop("another replica took the lease")
		return false
	case err != nil && ctx.Err() == nil:
		// Tried again at the next turn of the loop, until the lease
		// expires.
		d.svc.log.Warn("webhook: cannot renew the lease", "err", err)
	}
	return true
}

// drop ends the tenure: the passes of the term stop, and the next lease
// read starts a new observation of whoever holds it.
func (d *Dispatcher) drop(why string) {
	l := &d.lease
	if l.hold == nil {
		return
	}
	d.svc.log.Info("webhook: this replica no longer delivers", "replica", d.replica, "term", l.term(), "why", why)
	l.cancel()
	*l = tenure{}
}

// release gives the lease back, so that another replica takes over at
// once rather than after a lease time: when Run stops, and when no
// subscription is active any more.
func (d *Dispatcher) release(ctx context.Context) {
	hold := d.lease.hold
	if hold == nil {
		return
	}
	d.drop("given back")
	err := hold.Release(ctx, func(b *leaseBody) { b.Holder = itsm.ID{} })
	if err != nil && !errors.Is(err, lease.ErrLost) {
		d.svc.log.Warn("webhook: cannot give the lease back; another replica takes it when it expires", "err", err)
	}
}

// claim records the term in the subscription before its holder reads the
// log for it, so that a holder of an earlier term, stalled past its lease,
// can no longer move its cursor. It returns the subscription as stored.
func (d *Dispatcher) claim(ctx context.Context, id itsm.ID, term int64) (*stored, error) {
	return d.svc.change(ctx, id, func(_ itsm.WriteTx, st *stored) (bool, error) {
		switch {
		case st.Term > term:
			return false, errLeaseLost
		case st.Term == term:
			return false, nil
		}
		st.Term = term
		return true, nil
	})
}
