package itsm

import (
	"context"
	"iter"
	"time"
)

// Batch is the work of one command in its write transaction: the records
// it changed, each with the version it was read at, and their events in
// the order they happened. A command of a domain with records of several
// kinds (an order and its tasks, a problem and its known error) changes
// them in one batch, so that they never disagree; the domain says once,
// in NewBatch, how a record of its R becomes a Record.
//
// Request tasks, problems and the records beside them are written through
// it: one unit of work, not one a domain.
type Batch[R any] struct {
	tx      WriteTx
	at      time.Time
	record  func(r R, at time.Time) (Record, error)
	changed []batched[R]
	// touched holds the IDs of changed once there are more than
	// touchScan of them.
	touched map[ID]struct{}
	events  []Event
}

// touchScan is how many records a batch finds by scanning before it
// keeps a map of them.
const touchScan = 32

// batched is a record of a batch: where its new version goes and the
// version it was read at.
type batched[R any] struct {
	r       R
	id      ID
	read    int64
	version *int64
}

// NewBatch returns an empty batch of tx at the instant at. record returns
// r's record as it stands at at; the batch sets its Version.
func NewBatch[R any](tx WriteTx, at time.Time, record func(r R, at time.Time) (Record, error)) *Batch[R] {
	return &Batch[R]{tx: tx, at: at, record: record}
}

// Tx is the batch's write transaction, for the command's reads.
func (b *Batch[R]) Tx() WriteTx { return b.tx }

// At is the instant of the batch: of every event and record it saves.
func (b *Batch[R]) At() time.Time { return b.at }

// Touch adds r, the record id, to the records the batch saves, unless it
// holds it already. *version is the version r was read at (0 for a new
// record); Save puts r with it, so that a record another command changed
// since is a conflict, and stores the new version there. A nil version is
// a record whose version no one keeps: it is new.
func (b *Batch[R]) Touch(r R, id ID, version *int64) {
	// A command touches a handful of records, for which a scan beats a
	// map; an import touches thousands, for which it does not.
	if b.touched != nil {
		if _, ok := b.touched[id]; ok {
			return
		}
		b.touched[id] = struct{}{}
	} else {
		for i := range b.changed {
			if b.changed[i].id == id {
				return
			}
		}
		if len(b.changed) >= touchScan {
			b.touched = make(map[ID]struct{}, 2*touchScan)
			for _, c := range b.changed {
				b.touched[c.id] = struct{}{}
			}
			b.touched[id] = struct{}{}
		}
	}
	var read int64
	if version != nil {
		read = *version
	}
	b.changed = append(b.changed, batched[R]{r: r, id: id, read: read, version: version})
}

// Changed returns the records touched, in the order they were first
// touched.
func (b *Batch[R]) Changed() iter.Seq[R] {
	return func(yield func(R) bool) {
		for _, c := range b.changed {
			if !yield(c.r) {
				return
			}
		}
	}
}

// Apply applies payloads to v, one after another at the batch's instant,
// and records their events about subject, encoded by codec. apply is the
// domain's (often a method expression, such as Payload.apply). The caller
// touches v's record.
func Apply[R, T any, P Typed](b *Batch[R], codec *Codec[P], subject ID, v T, apply func(P, T, time.Time), payloads ...P) error {
	for _, p := range payloads {
		apply(p, v, b.at)
		if err := Emit(b, codec, subject, p); err != nil {
			return err
		}
	}
	return nil
}

// Emit records the event of payload p about subject, encoded by codec,
// without applying it to anything: the event of a record whose payload is
// the whole of it.
func Emit[R any, P Typed](b *Batch[R], codec *Codec[P], subject ID, p P) error {
	e, err := codec.Encode(subject, p, b.at)
	if err == nil {
		b.events = append(b.events, e)
	}
	return err
}

// Save puts every record touched with the version it was read at, then
// appends the events.
func (b *Batch[R]) Save() error {
	for _, c := range b.changed {
		rec, err := b.record(c.r, b.at)
		if err != nil {
			return err
		}
		rec.Version = c.read
		v, err := b.tx.Put(rec)
		if err != nil {
			return err
		}
		if c.version != nil {
			*c.version = v
		}
	}
	for _, e := range b.events {
		if _, err := b.tx.Append(e); err != nil {
			return err
		}
	}
	return nil
}

// WriteBatch runs fn on a new batch in write transactions of store, as
// WriteRetrying does, and saves the batch when fn returns nil. Every error
// of fn is a refusal, returned at once; a conflict from the store, another
// command having changed a record since it was read, runs fn again on a
// fresh batch at a fresh now().
func WriteBatch[R any](ctx context.Context, store Store, now func() time.Time, record func(r R, at time.Time) (Record, error), fn func(b *Batch[R]) error) error {
	return WriteRetrying(ctx, store, func(tx WriteTx) (bool, error) {
		b := NewBatch(tx, now(), record)
		if err := fn(b); err != nil {
			return true, err
		}
		return false, b.Save()
	})
}
