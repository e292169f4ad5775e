package memstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"

	"github.com/hashicorp/go-memdb"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// readTx is the transaction Read passes to fn, and the reading half of
// writeTx.
type readTx struct {
	ctx  context.Context
	txn  *memdb.Txn
	done bool // fn has returned; go-memdb would panic on a finished write txn
}

var (
	_ itsm.ReadTx  = (*readTx)(nil)
	_ itsm.WriteTx = (*writeTx)(nil)
)

func (t *readTx) end() { t.done = true }

// check fails once the transaction is over or its context is done.
func (t *readTx) check() error {
	if t.done {
		return itsm.Errorf(itsm.CodeInternal, "memstore: transaction used after its function returned")
	}
	return ctxErr(t.ctx)
}

// Get returns a copy of the record of kind with id.
func (t *readTx) Get(kind string, id itsm.ID) (itsm.Record, error) {
	if err := t.check(); err != nil {
		return itsm.Record{}, err
	}
	e, err := t.lookup(idKey(kind, id))
	return found(kind, id, e, err)
}

// found returns what Get returns for the lookup of kind and id. The kind
// is checked only when nothing was found: keys are stored for valid kinds
// only, and a key's length fixes the kind's, so an invalid kind finds
// nothing.
func found(kind string, id itsm.ID, e *entry, err error) (itsm.Record, error) {
	switch {
	case err != nil:
		return itsm.Record{}, err
	case e != nil:
		return e.record(), nil
	}
	if err := backend.ValidateKind(kind); err != nil {
		return itsm.Record{}, err
	}
	return itsm.Record{}, itsm.Errorf(itsm.CodeNotFound, "%s %s not found", kind, id)
}

// lookup returns the entry with the id index key, or nil.
func (t *readTx) lookup(key []byte) (*entry, error) {
	raw, err := t.txn.First(tableRecords, indexID, key)
	if err != nil {
		return nil, internal(err)
	}
	e, _ := raw.(*entry)
	return e, nil
}

// Events returns copies of up to limit events after Seq after.
func (t *readTx) Events(after int64, limit int) ([]itsm.Event, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	limit, err := itsm.ValidateLimit(limit)
	if err != nil {
		return nil, err
	}
	return t.events(indexID, nil, after, limit, func(*storedEvent) bool { return true })
}

// EventsOf returns copies of up to limit events about kind and subject
// after Seq after, from the subject index: a seek to the record's first
// event after after, then its events alone.
func (t *readTx) EventsOf(kind string, subject itsm.ID, after int64, limit int) ([]itsm.Event, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	limit, err := backend.ValidateEventsOf(kind, subject, limit)
	if err != nil {
		return nil, err
	}
	prefix := subjectPrefix(kind, subject)
	// The seek runs on past the prefix into the next record's events; the
	// first of them ends this one's.
	return t.events(indexSubject, prefix, after, limit, func(se *storedEvent) bool { return bytes.HasPrefix(se.subKey, prefix) })
}

// events returns copies of up to limit events of an index of the events
// table whose keys are prefix followed by the Seq, from the first after
// after, while in says they belong.
func (t *readTx) events(index string, prefix []byte, after int64, limit int, in func(*storedEvent) bool) ([]itsm.Event, error) {
	if after == math.MaxInt64 {
		return nil, nil
	}
	from := binary.BigEndian.AppendUint64(prefix, uint64(max(after, 0)+1))
	it, err := t.txn.LowerBound(tableEvents, index, from)
	if err != nil {
		return nil, internal(err)
	}
	var out []itsm.Event
	for len(out) < limit {
		raw := it.Next()
		if raw == nil {
			break
		}
		se := raw.(*storedEvent)
		if !in(se) {
			break
		}
		out = append(out, copyEvent(se.ev))
	}
	return out, nil
}

// copyEvent gives the caller its own Data.
func copyEvent(e itsm.Event) itsm.Event {
	e.Data = bytes.Clone(e.Data)
	return e
}

// internal reports a go-memdb error, which only a bug in this package
// causes: every table, index and key argument is this package's own.
func internal(err error) error {
	return itsm.Wrap(itsm.CodeInternal, err, "memstore")
}

// writeTx is the transaction Write passes to fn.
type writeTx struct {
	readTx
	db *memdb.MemDB
	// failed is the first error of a write method; once set, Write rolls
	// back whatever fn returns.
	failed error
	// lastSeq is the Seq of the last event, once seqKnown.
	lastSeq  int64
	seqKnown bool

	// Put, Delete and Get look records and unique values up without
	// reading the records indexes of txn once it has changed them:
	// go-memdb clones a changed index for every read and drops its cache
	// of nodes already copied, so that every later insert copies whole
	// paths again (avoiding that made BenchmarkStore/PutBatch about 3.5
	// times faster). They look first at what this transaction changed,
	// then at base, a snapshot of the database as the transaction found
	// it: the root cannot move while this transaction holds the writer
	// lock. Query and Events read txn itself.
	//
	// A transaction that writes one record never looks anything up after
	// its write, so changes are first only listed in pending, and the maps
	// are built when a lookup needs them.
	pending []change
	first   [1]change         // pending's first array, saving an allocation
	records map[string]*entry // by id key; nil for a deleted record
	holders map[string]*entry // by values key less the ID; nil when given up
	base    *memdb.Txn
}

// begin is the check every write method starts with.
func (t *writeTx) begin() error {
	if err := t.check(); err != nil {
		return t.fail(err)
	}
	if t.failed != nil {
		// Going on would hand out numbers and sequence values that the
		// rollback takes back, so later writes fail too.
		return itsm.Wrap(itsm.ErrorCode(t.failed), t.failed, "memstore: an earlier write of this transaction failed")
	}
	return nil
}

// fail spoils the transaction with err unless an earlier error did.
func (t *writeTx) fail(err error) error {
	if t.failed == nil {
		t.failed = err
	}
	return err
}

// change is one Put (old may be nil) or Delete (new is nil).
type change struct{ old, new *entry }

// changed notes a write for later lookups.
func (t *writeTx) changed(old, new *entry) {
	if t.records == nil {
		if t.pending == nil {
			t.pending = t.first[:0]
		}
		t.pending = append(t.pending, change{old, new})
		return
	}
	if new != nil {
		t.records[string(new.idKey)] = new
	} else {
		t.records[string(old.idKey)] = nil
	}
	// Release before taking, for a record that keeps its value.
	if old != nil {
		for i, v := range old.vals {
			if v.Unique {
				t.holders[string(uniquePrefix(old.valKeys[i]))] = nil
			}
		}
	}
	if new != nil {
		for i, v := range new.vals {
			if v.Unique {
				t.holders[string(uniquePrefix(new.valKeys[i]))] = new
			}
		}
	}
}

// overlay reports whether records were written, building the maps of
// changes if so.
func (t *writeTx) overlay() bool {
	if t.records != nil {
		return true
	}
	if len(t.pending) == 0 {
		return false
	}
	t.records = make(map[string]*entry, len(t.pending))
	t.holders = make(map[string]*entry)
	t.base = t.db.Txn(false)
	for _, c := range t.pending {
		t.changed(c.old, c.new)
	}
	t.pending = nil
	return true
}

// find returns the record with the id key as this transaction sees it.
func (t *writeTx) find(key []byte) (*entry, error) {
	if !t.overlay() {
		return t.lookup(key) // txn has not changed the index: no clone
	}
	if e, ok := t.records[string(key)]; ok {
		return e, nil
	}
	raw, err := t.base.First(tableRecords, indexID, key)
	if err != nil {
		return nil, internal(err)
	}
	e, _ := raw.(*entry)
	return e, nil
}

// Get returns a copy of the record of kind with id, as this transaction
// has left it.
func (t *writeTx) Get(kind string, id itsm.ID) (itsm.Record, error) {
	if err := t.check(); err != nil {
		return itsm.Record{}, err
	}
	e, err := t.find(idKey(kind, id))
	return found(kind, id, e, err)
}

// Put stores a copy of r.
func (t *writeTx) Put(r itsm.Record) (int64, error) {
	if err := t.begin(); err != nil {
		return 0, err
	}
	if err := backend.ValidateRecord(r); err != nil {
		return 0, t.fail(err)
	}
	e := newEntry(&r, r.Version+1)
	old, err := t.find(e.idKey)
	if err != nil {
		return 0, t.fail(err)
	}
	switch {
	case old == nil && r.Version != 0:
		return 0, t.fail(itsm.Errorf(itsm.CodeConflict, "%s %s: cannot update version %d, the record does not exist", r.Kind, r.ID, r.Version))
	case old != nil && r.Version == 0:
		return 0, t.fail(itsm.Errorf(itsm.CodeConflict, "%s %s already exists", r.Kind, r.ID))
	case old != nil && old.version != r.Version:
		return 0, t.fail(itsm.Errorf(itsm.CodeConflict, "%s %s: version %d is stale, the stored version is %d", r.Kind, r.ID, r.Version, old.version))
	}
	for i, v := range e.vals {
		if !v.Unique {
			continue
		}
		holder, err := t.uniqueHolder(uniquePrefix(e.valKeys[i]), v)
		if err != nil {
			return 0, t.fail(err)
		}
		if holder != nil && holder.id != r.ID {
			return 0, t.fail(itsm.Errorf(itsm.CodeConflict, "%s %s: %s %q is already held by %s", r.Kind, r.ID, v.Name, v.Value, holder.id))
		}
	}
	if err := t.txn.Insert(tableRecords, e); err != nil {
		return 0, t.fail(internal(err))
	}
	t.changed(old, e)
	return e.version, nil
}

// uniquePrefix returns the part of a values index key before the record
// ID: the prefix of the keys of every record holding the value.
func uniquePrefix(key []byte) []byte { return key[:len(key)-idKeyLen] }

// uniqueHolder returns the record holding v as a Unique value, or nil.
// prefix is uniquePrefix of v's key. go-memdb does not enforce uniqueness of
// index keys (it overwrites them), so Put checks here. Records holding the
// same name and value as an Index value are passed over: a name is meant to
// be Unique in every record of a kind or in none, and only Unique holders
// clash.
func (t *writeTx) uniqueHolder(prefix []byte, v backend.IndexEntry) (*entry, error) {
	txn := t.txn // not changed yet: no clone
	if t.overlay() {
		if e, ok := t.holders[string(prefix)]; ok {
			return e, nil
		}
		txn = t.base
	}
	it, err := txn.Get(tableRecords, indexValues, prefix)
	if err != nil {
		return nil, internal(err)
	}
	// A holder found in base is still current: had this transaction
	// changed it, its first change would have given the value up in
	// holders, and the lookup above would have answered.
	for raw := it.Next(); raw != nil; raw = it.Next() {
		e := raw.(*entry)
		for _, w := range e.valuesOf(v.Name) {
			if w.Value == v.Value && w.Unique {
				return e, nil
			}
		}
	}
	return nil, nil
}

// Delete removes the record of kind with id at version.
func (t *writeTx) Delete(kind string, id itsm.ID, version int64) error {
	if err := t.begin(); err != nil {
		return err
	}
	if err := backend.ValidateKind(kind); err != nil {
		return t.fail(err)
	}
	old, err := t.find(idKey(kind, id))
	switch {
	case err != nil:
		return t.fail(err)
	case old == nil:
		return t.fail(itsm.Errorf(itsm.CodeNotFound, "%s %s not found", kind, id))
	case old.version != version:
		return t.fail(itsm.Errorf(itsm.CodeConflict, "%s %s: version %d is stale, the stored version is %d", kind, id, version, old.version))
	}
	if err := t.txn.Delete(tableRecords, old); err != nil {
		return t.fail(internal(err))
	}
	t.changed(old, nil)
	return nil
}

// Append adds e to the log with the next Seq.
func (t *writeTx) Append(e itsm.Event) (itsm.Event, error) {
	if err := t.begin(); err != nil {
		return itsm.Event{}, err
	}
	if err := backend.ValidateEvent(e); err != nil {
		return itsm.Event{}, t.fail(err)
	}
	if !t.seqKnown {
		raw, err := t.txn.Last(tableEvents, indexID)
		if err != nil {
			return itsm.Event{}, t.fail(internal(err))
		}
		if last, ok := raw.(*storedEvent); ok {
			t.lastSeq = last.ev.Seq
		}
		t.seqKnown = true
	}
	se := &storedEvent{ev: e}
	se.ev.Seq = t.lastSeq + 1
	if se.ev.ID.IsZero() {
		se.ev.ID = itsm.NewID()
	}
	se.ev.Time = e.Time.UTC()
	se.ev.Data = nil
	if len(e.Data) > 0 {
		se.ev.Data = bytes.Clone(e.Data)
	}
	binary.BigEndian.PutUint64(se.key[:], uint64(se.ev.Seq))
	if !se.ev.Subject.IsZero() {
		se.subKey = binary.BigEndian.AppendUint64(subjectPrefix(se.ev.Kind, se.ev.Subject), uint64(se.ev.Seq))
	}
	if err := t.txn.Insert(tableEvents, se); err != nil {
		return itsm.Event{}, t.fail(internal(err))
	}
	t.lastSeq++
	return copyEvent(se.ev), nil
}

// NextNumber takes the next number of prefix. The counter is a row of this
// transaction, so a rollback gives the number back.
func (t *writeTx) NextNumber(prefix string) (itsm.Number, error) {
	if err := t.begin(); err != nil {
		return itsm.Number{}, err
	}
	if err := itsm.ValidateNumberPrefix(prefix); err != nil {
		return itsm.Number{}, t.fail(err)
	}
	key := []byte(prefix)
	raw, err := t.txn.First(tableCounters, indexID, key)
	if err != nil {
		return itsm.Number{}, t.fail(internal(err))
	}
	c := &counter{key: key, seq: 1}
	if last, ok := raw.(*counter); ok {
		c.seq = last.seq + 1
	}
	n, err := itsm.NewNumber(prefix, c.seq)
	if err != nil {
		return itsm.Number{}, t.fail(err)
	}
	if err := t.txn.Insert(tableCounters, c); err != nil {
		return itsm.Number{}, t.fail(internal(err))
	}
	return n, nil
}
