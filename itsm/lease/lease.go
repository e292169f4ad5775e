// Package lease lets one of several processes on one database hold a lease:
// the right to do something only one of them may do at a time, such as
// delivering webhooks or seeding a new database.
//
// A lease is one record of an itsm.Store (a Record names it), so it works
// the same on every backend and needs nothing of the database but the
// store's version check. A process takes the lease by writing the record
// over the version it read and judged free (Take): of two that judged it
// free at once, the store lets one write and fails the other with
// CodeConflict. The holder renews the lease by writing the record again over
// the version it wrote last (Holder.Renew); a write of anyone else in between
// fails the renewal with ErrLost. When it is done, it writes the record free
// (Holder.Release), so that another process takes over at once.
//
// A holder that crashed cannot release the lease. The others presume it dead
// when the record's version has not changed for some time, measured by their
// own clocks (a Watch): no process compares its clock with another's, so the
// clocks of different machines need not agree, only run at about the same
// rate. A holder must therefore renew well within that time, and stop by
// itself when it could not (Holder.Renewed says since when it has not).
//
// What the record says beyond its version — who holds it, whether it is
// free, and anything else a user keeps there — is the body B, a JSON value
// of the user's own type: this package never reads it.
package lease

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// ErrLost is what Holder.Renew and Holder.Release return when the record
// changed since the holder last wrote it: another process presumed the
// holder dead and took the lease. It is not an *itsm.Error, so that nobody
// retries it as a conflict.
var ErrLost = errors.New("lease: another process took the lease")

// Record names the one record that holds a lease and gives its body the Go
// type B, encoded as JSON.
type Record[B any] struct {
	// Kind and ID are the record's: one record per lease, the same in
	// every database.
	Kind string
	ID   itsm.ID
}

// Get reads the lease's body and its record's version: version 0 and the
// zero B when nobody ever took the lease.
func (r Record[B]) Get(tx itsm.ReadTx) (body B, version int64, err error) {
	rec, err := tx.Get(r.Kind, r.ID)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return body, 0, nil
	}
	if err != nil {
		return body, 0, err
	}
	if err := json.Unmarshal(rec.Body, &body); err != nil {
		return body, 0, itsm.Wrap(itsm.CodeInternal, err, "lease: decode the %s record", r.Kind)
	}
	return body, rec.Version, nil
}

// Put writes body over version, the version read (0 creates the record), and
// returns the new version; a write of another in between fails with
// CodeConflict.
func (r Record[B]) Put(tx itsm.WriteTx, body B, version int64) (int64, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, itsm.Wrap(itsm.CodeInternal, err, "lease: encode the %s record", r.Kind)
	}
	return tx.Put(itsm.Record{Kind: r.Kind, ID: r.ID, Version: version, Body: raw})
}

// Watch is a process's view of a lease another holds: the record's version
// as last read, and since when, by the watching process's clock, it has had
// it. The zero Watch has seen nothing.
type Watch struct {
	version int64
	since   time.Time
}

// Observe notes that the record had version when read at now, and returns
// since when it has had that version: now, when the version differs from the
// one observed before or nothing was. The holder is presumed dead once now
// minus that is as long as the users of the lease agreed it may go
// unrenewed.
func (w *Watch) Observe(version int64, now time.Time) (since time.Time) {
	if w.since.IsZero() || version != w.version {
		w.version, w.since = version, now
	}
	return w.since
}

// Forget makes the next Observe start afresh, as when the lease changed
// hands meanwhile.
func (w *Watch) Forget() { *w = Watch{} }

// Holder is a process's hold on a lease: the body and version it wrote last,
// and when. It is not safe for concurrent use.
type Holder[B any] struct {
	store   itsm.Store
	rec     Record[B]
	version int64
	body    B
	renewed time.Time
}

// Take writes body, which says the lease is held (by whom, and anything
// else), over version, the version of the record read and judged free
// (0: there was none), and returns the hold. now is when the take began, by
// the taker's clock. When another process wrote the record since it was read,
// Take fails with CodeConflict: that process holds the lease now.
func Take[B any](ctx context.Context, store itsm.Store, rec Record[B], version int64, body B, now time.Time) (*Holder[B], error) {
	h := &Holder[B]{store: store, rec: rec, body: body, renewed: now}
	err := store.Write(ctx, func(tx itsm.WriteTx) error {
		var err error
		h.version, err = rec.Put(tx, body, version)
		return err
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Body returns the body the holder wrote last.
func (h *Holder[B]) Body() B { return h.body }

// Renewed returns when the take or the last renewal that succeeded began, by
// the holder's clock: the others presume it dead a lease time after they
// first read the version written then, so the lease is surely the holder's
// until Renewed plus that time, and maybe not after.
func (h *Holder[B]) Renewed() time.Time { return h.renewed }

// Renew writes the record again, with its body changed by change (nil
// leaves it as it is), so that the others see a new version: the holder is
// alive. now is when the renewal began. It fails with ErrLost when another
// process wrote the record since the holder did; another failure (the store
// unavailable) leaves the hold as it was, to be renewed again.
func (h *Holder[B]) Renew(ctx context.Context, now time.Time, change func(*B)) error {
	body := h.body
	if change != nil {
		change(&body)
	}
	if err := h.write(ctx, body); err != nil {
		return err
	}
	h.renewed = now
	return nil
}

// Release writes the record a last time, with its body changed by change
// to say the lease is free (or whatever the users of the lease agree on), so
// that another process may take it at once rather than after a lease time.
// It fails with ErrLost when another process took the lease meanwhile, and
// with the store's error when the record could not be written: the others
// then take the lease when it seems dead to them.
func (h *Holder[B]) Release(ctx context.Context, change func(*B)) error {
	body := h.body
	change(&body)
	return h.write(ctx, body)
}

// write puts body over the version the holder wrote last.
func (h *Holder[B]) write(ctx context.Context, body B) error {
	var v int64
	err := h.store.Write(ctx, func(tx itsm.WriteTx) error {
		var err error
		v, err = h.rec.Put(tx, body, h.version)
		return err
	})
	if itsm.IsCode(err, itsm.CodeConflict) {
		return ErrLost
	}
	if err != nil {
		return err
	}
	h.version, h.body = v, body
	return nil
}
