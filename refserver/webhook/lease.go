package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// KindLease is the kind of the one record that says which Dispatcher
// delivers: the lease (see the package documentation).
const KindLease = "webhook_lease"

// leaseID is the ID of the lease record, the same in every database.
var leaseID = itsm.MustParseID("00000000-0000-7000-8000-00000000001e")

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

// tenure is a Dispatcher's hold on the lease. Only Run's goroutine touches
// it.
type tenure struct {
	// term is the term held; 0 when the lease is not held.
	term int64
	// renewed is when the take or the last renewal that succeeded began:
	// the lease is the holder's until renewed plus the lease time.
	renewed time.Time
	// ctx is cancelled when the lease is lost or given back, which stops
	// the passes of the term.
	ctx    context.Context
	cancel context.CancelFunc
	// seen and since describe the lease record as last read while another
	// replica held it: its version, and when this replica first saw that
	// version, by its own clock. Another holder is presumed dead once the
	// record has not changed for a lease time, so that the replicas'
	// clocks need not agree, only run at about the same rate.
	seen  int64
	since time.Time
}

func leaseRecord(l leaseBody, version int64) (itsm.Record, error) {
	body, err := json.Marshal(l)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "webhook: encode the lease")
	}
	return itsm.Record{Kind: KindLease, ID: leaseID, Version: version, Body: body}, nil
}

// readLease returns the lease and its record's version; version 0 when no
// Dispatcher ever took it.
func readLease(tx itsm.ReadTx) (leaseBody, int64, error) {
	r, err := tx.Get(KindLease, leaseID)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return leaseBody{}, 0, nil
	}
	if err != nil {
		return leaseBody{}, 0, err
	}
	var l leaseBody
	if err := json.Unmarshal(r.Body, &l); err != nil {
		return leaseBody{}, 0, itsm.Wrap(itsm.CodeInternal, err, "webhook: decode the lease")
	}
	return l, r.Version, nil
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
		active  bool
	)
	err = d.svc.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		if cur, version, err = readLease(tx); err != nil {
			return err
		}
		// This replica's own earlier tenure, given up, is free to take
		// again: its passes are stopped.
		if !cur.Holder.IsZero() && cur.Holder != d.replica {
			if version != l.seen || l.since.IsZero() {
				l.seen, l.since = version, now
			}
			if now.Sub(l.since) < d.o.LeaseTime {
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
	if !cur.Holder.IsZero() && cur.Holder != d.replica && now.Sub(l.since) < d.o.LeaseTime {
		return true, l.since.Add(d.o.LeaseTime), nil
	}
	if !active {
		return false, time.Time{}, nil
	}
	next := leaseBody{Holder: d.replica, Term: cur.Term + 1, Renewed: now.UTC()}
	err = d.svc.store.Write(ctx, func(tx itsm.WriteTx) error {
		// Taken only if nobody wrote it since it was judged free.
		_, v, err := readLease(tx)
		if err != nil {
			return err
		}
		if v != version {
			return itsm.Errorf(itsm.CodeConflict, "webhook: the lease changed meanwhile")
		}
		rec, err := leaseRecord(next, version)
		if err != nil {
			return err
		}
		_, err = tx.Put(rec)
		return err
	})
	if itsm.IsCode(err, itsm.CodeConflict) {
		// Another replica was quicker: it holds the lease now.
		l.seen, l.since = 0, time.Time{}
		return true, now.Add(d.o.LeaseTime), nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	l.term, l.renewed = next.Term, now
	l.ctx, l.cancel = context.WithCancel(ctx)
	d.svc.log.Info("webhook: this replica delivers now", "replica", d.replica, "term", next.Term)
	return false, time.Time{}, nil
}

// keep is for the holder: it renews the lease when a renewal is due, and
// gives it up when it could not renew it within a lease time or another
// replica took it meanwhile. It reports whether the lease is still held.
func (d *Dispatcher) keep(ctx context.Context, now time.Time) bool {
	l := &d.lease
	if l.term == 0 {
		return false
	}
	if now.Sub(l.renewed) >= d.o.LeaseTime {
		// The others may have taken it by now: stop before they start.
		d.drop("the lease expired before it could be renewed")
		return false
	}
	if now.Sub(l.renewed) < d.renewEvery() {
		return true
	}
	err := d.svc.store.Write(ctx, func(tx itsm.WriteTx) error {
		cur, v, err := readLease(tx)
		if err != nil {
			return err
		}
		if cur.Holder != d.replica || cur.Term != l.term {
			return errLeaseLost
		}
		cur.Renewed = now.UTC()
		rec, err := leaseRecord(cur, v)
		if err != nil {
			return err
		}
		_, err = tx.Put(rec)
		return err
	})
	switch {
	case errors.Is(err, errLeaseLost):
		d.drop("another replica took the lease")
		return false
	case err != nil:
		// Tried again at the next turn of the loop, until the lease
		// expires.
		if ctx.Err() == nil {
			d.svc.log.Warn("webhook: cannot renew the lease", "err", err)
		}
		return true
	}
	l.renewed = now
	return true
}

// drop ends the tenure: the passes of the term stop, and the next lease
// read starts a new observation of whoever holds it.
func (d *Dispatcher) drop(why string) {
	l := &d.lease
	if l.term == 0 {
		return
	}
	d.svc.log.Info("webhook: this replica no longer delivers", "replica", d.replica, "term", l.term, "why", why)
	l.cancel()
	*l = tenure{}
}

// release gives the lease back, so that another replica takes over at
// once rather than after a lease time: when Run stops, and when no
// subscription is active any more.
func (d *Dispatcher) release(ctx context.Context) {
	l := &d.lease
	if l.term == 0 {
		return
	}
	term := l.term
	d.drop("given back")
	err := d.svc.store.Write(ctx, func(tx itsm.WriteTx) error {
		cur, v, err := readLease(tx)
		if err != nil || cur.Holder != d.replica || cur.Term != term {
			return err
		}
		cur.Holder = itsm.ID{}
		rec, err := leaseRecord(cur, v)
		if err != nil {
			return err
		}
		_, err = tx.Put(rec)
		return err
	})
	if err != nil {
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
