package sqlitestore

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// short is the context of the statements that touch a few rows by key.
// Every method checks the transaction's context before it starts, and these
// statements neither wait for a lock (Write holds the write lock from BEGIN
// IMMEDIATE on; a read takes none) nor run long enough to be worth
// interrupting. The driver watches a cancellable context with a goroutine
// per statement, which cost a point read half its speed again; only BEGIN
// IMMEDIATE, Query and Events, which may wait or run long, get the caller's.
var short = context.Background()

// txn is a read transaction, and the reading half of a write transaction.
type txn struct {
	ctx  context.Context
	c    *connStmts
	done bool
	row  [7]driver.Value // reused for every row read
}

// check fails once the transaction is over or its context is done, before any
// statement runs, so that a cancelled write fails at its first call.
func (t *txn) check(what string) error {
	if t.done {
		return itsm.Errorf(itsm.CodeInternal, "sqlitestore: %s: transaction used after its function returned", what)
	}
	if err := t.ctx.Err(); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "sqlitestore: %s", what)
	}
	return nil
}

// checkKind applies backend.ValidateKind, saying which method refused the
// kind.
func checkKind(kind string, what string) error {
	if err := backend.ValidateKind(kind); err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "sqlitestore: %s: record kind %q is not a-z followed by up to 63 of a-z, 0-9, _ . -", what, kind)
	}
	return nil
}

// Get reads one record.
func (t *txn) Get(kind string, id itsm.ID) (itsm.Record, error) {
	if err := t.check("get"); err != nil {
		return itsm.Record{}, err
	}
	if err := checkKind(kind, "get"); err != nil {
		return itsm.Record{}, err
	}
	r, es, err := t.load(kind, id, true)
	if err != nil {
		return itsm.Record{}, err
	}
	if r.Version == 0 {
		return itsm.Record{}, itsm.Errorf(itsm.CodeNotFound, "sqlitestore: %s %s not found", kind, id)
	}
	backend.SetEntries(&r, es)
	return r, nil
}

// load reads the row of kind and id and its entries, the record's Version 0
// when there is none. The body is left out, unread, when only the version
// and index values are needed.
func (t *txn) load(kind string, id itsm.ID, withBody bool) (r itsm.Record, es []backend.IndexEntry, err error) {
	q, row := sqlHead, t.row[:2]
	if withBody {
		q, row = sqlGet, t.row[:3]
	}
	found, err := t.c.queryRow(short, q, row, kind, id[:])
	if err == nil && found {
		r.Kind, r.ID = kind, id
		var idx []byte
		if r.Version, err = asInt64(row[0]); err == nil {
			idx, err = asBytes(row[1])
		}
		if err == nil {
			es, err = decodeEntries(idx)
		}
		if err == nil && withBody {
			r.Body, err = asBytes(row[2])
		}
	}
	if err != nil {
		return itsm.Record{}, nil, mapErr(t.ctx, err, "sqlitestore: get %s %s", kind, id)
	}
	return r, es, nil
}

// Query runs q as a range scan of the entries' primary key (or of the
// records' for Index ""), fetching one more row than the limit to learn
// whether there is a next page.
func (t *txn) Query(q itsm.Query) (itsm.Page, error) {
	if err := t.check("query"); err != nil {
		return itsm.Page{}, err
	}
	limit, err := backend.ValidateQuery(q)
	if err != nil {
		return itsm.Page{}, err
	}
	k, args, empty := queryPlan(q)
	if empty {
		return itsm.Page{}, nil
	}
	args = append(args, int64(limit+1))

	var page itsm.Page
	row := t.row[:5]
	if k.byID {
		row = t.row[:4]
	}
	err = t.c.query(t.ctx, querySQLs[k], args, row, func() (bool, error) {
		if len(page.Matches) == limit {
			last := page.Matches[limit-1]
			page.Next = backend.NewCursor(last.Value, last.Record.ID)
			return false, nil
		}
		h, err := scanHit(q.Kind, k.byID, row)
		if err != nil {
			return false, err
		}
		page.Matches = append(page.Matches, h)
		return true, nil
	})
	if err != nil {
		return itsm.Page{}, mapErr(t.ctx, err, "sqlitestore: query %s by %q", q.Kind, q.Index)
	}
	return page, nil
}

// scanHit makes a hit of a query's row: the value unless byID, then the
// record's id, version, entries and body.
func scanHit(kind string, byID bool, row []driver.Value) (h itsm.Hit, err error) {
	if !byID {
		if h.Value, err = asString(row[0]); err != nil {
			return h, err
		}
		row = row[1:]
	}
	h.Record.Kind = kind
	id, err := asBytes(row[0])
	if err != nil || len(id) != len(h.Record.ID) {
		return h, errors.New("malformed record id")
	}
	copy(h.Record.ID[:], id)
	if byID {
		h.Value = h.Record.ID.String()
	}
	if h.Record.Version, err = asInt64(row[1]); err != nil {
		return h, err
	}
	idx, err := asBytes(row[2])
	if err != nil {
		return h, err
	}
	es, err := decodeEntries(idx)
	if err != nil {
		return h, err
	}
	backend.SetEntries(&h.Record, es)
	h.Record.Body, err = asBytes(row[3])
	return h, err
}

// queryPlan picks q's statement and its arguments but the limit; empty says
// that the cursor lies beyond every possible match.
func queryPlan(q itsm.Query) (k queryKey, args []any, empty bool) {
	k.reverse = q.Reverse
	args = make([]any, 0, 7)
	args = append(args, q.Kind)
	var cv string
	var cid itsm.ID
	if q.After != "" {
		cv, cid, _ = backend.ParseCursor(q.After) // ValidateQuery checked it
	}
	if q.Index == "" {
		k.byID = true
		if q.After != "" {
			k.cursor = true
			args = append(args, cid[:])
		}
		return k, args, false
	}
	args = append(args, q.Index)

	if q.Match == itsm.MatchEqual {
		k.equal = true
		args = append(args, q.Value)
		if q.After != "" {
			// A cursor on the far side of the value has seen it all; one on
			// the near side has seen none of it.
			switch c := strings.Compare(cv, q.Value); {
			case c == 0:
				k.cursor = true
				args = append(args, cid[:])
			case (c > 0) != q.Reverse:
				return k, nil, true
			}
		}
		return k, args, false
	}

	var lo, hi string
	switch q.Match {
	case itsm.MatchPrefix:
		if q.Value != "" {
			lo, k.lower = q.Value, boundValue
			if end, ok := itsm.PrefixEnd(q.Value); ok {
				hi, k.upper = end, boundValue
			}
		}
	case itsm.MatchRange:
		lo, k.lower = q.From, boundValue
		if q.To != "" {
			hi, k.upper = q.To, boundValue
		}
	}
	// The cursor replaces the bound it is inside: everything strictly after
	// it (before it, reversed) is then within that bound. A cursor outside
	// the bound is no constraint at all.
	if q.After != "" {
		if !q.Reverse && (k.lower == boundNone || cv >= lo) {
			k.lower = boundRow
		}
		if q.Reverse && (k.upper == boundNone || cv < hi) {
			k.upper = boundRow
		}
	}
	switch k.lower {
	case boundValue:
		args = append(args, lo)
	case boundRow:
		args = append(args, cv, cid[:])
	}
	switch k.upper {
	case boundValue:
		args = append(args, hi)
	case boundRow:
		args = append(args, cv, cid[:])
	}
	return k, args, false
}

// Events reads the log after a position.
func (t *txn) Events(after int64, limit int) ([]itsm.Event, error) {
	if err := t.check("events"); err != nil {
		return nil, err
	}
	limit, err := itsm.ValidateLimit(limit)
	if err != nil {
		return nil, err
	}
	out, err := t.events(sqlEvents, after, int64(limit))
	if err != nil {
		return nil, mapErr(t.ctx, err, "sqlitestore: events after %d", after)
	}
	return out, nil
}

// EventsOf reads one record's events after a position, through the
// events_subject index.
func (t *txn) EventsOf(kind string, subject itsm.ID, after int64, limit int) ([]itsm.Event, error) {
	if err := t.check("events of"); err != nil {
		return nil, err
	}
	limit, err := backend.ValidateEventsOf(kind, subject, limit)
	if err != nil {
		return nil, err
	}
	out, err := t.events(sqlEventsOf, kind, subject[:], after, int64(limit))
	if err != nil {
		return nil, mapErr(t.ctx, err, "sqlitestore: events of %s %s after %d", kind, subject, after)
	}
	return out, nil
}

// events runs a statement that selects events and scans them.
func (t *txn) events(sql string, args ...any) ([]itsm.Event, error) {
	var out []itsm.Event
	row := t.row[:7]
	err := t.c.query(t.ctx, sql, args, row, func() (bool, error) {
		e, err := scanEvent(row)
		if err != nil {
			return false, err
		}
		out = append(out, e)
		return true, nil
	})
	return out, err
}

func scanEvent(row []driver.Value) (e itsm.Event, err error) {
	if e.Seq, err = asInt64(row[0]); err != nil {
		return e, err
	}
	id, err := asBytes(row[1])
	if err != nil || len(id) != len(e.ID) {
		return e, errors.New("malformed event id")
	}
	copy(e.ID[:], id)
	if e.Type, err = asString(row[2]); err != nil {
		return e, err
	}
	if e.Kind, err = asString(row[3]); err != nil {
		return e, err
	}
	subject, err := asBytes(row[4])
	if err != nil || (subject != nil && len(subject) != len(e.Subject)) {
		return e, errors.New("malformed event subject")
	}
	copy(e.Subject[:], subject)
	at, err := asString(row[5])
	if err != nil {
		return e, err
	}
	if e.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return e, err
	}
	if data, err := asBytes(row[6]); err != nil {
		return e, err
	} else if len(data) > 0 {
		e.Data = data
	}
	return e, nil
}

// writeTx is a write transaction.
type writeTx struct {
	txn
	// failed is the first error of a write method: it spoils the
	// transaction.
	failed error
}

func (t *writeTx) fail(err error) error {
	if err != nil && t.failed == nil {
		t.failed = err
	}
	return err
}

// Put stores r. The version check, and the check that r's new unique values
// are free, run before anything is written, so that a refused Put leaves the
// transaction as it was (it is spoiled all the same, as the contract says).
func (t *writeTx) Put(r itsm.Record) (int64, error) {
	v, err := t.put(r)
	return v, t.fail(err)
}

func (t *writeTx) put(r itsm.Record) (int64, error) {
	if err := t.check("put"); err != nil {
		return 0, err
	}
	if err := backend.ValidateRecord(r); err != nil {
		return 0, err
	}
	// A create does not read the row first: the INSERT's primary key
	// refuses an existing record, before anything of this Put is written.
	var old itsm.Record
	var oldEs []backend.IndexEntry
	if r.Version != 0 {
		var err error
		if old, oldEs, err = t.load(r.Kind, r.ID, false); err != nil {
			return 0, err
		}
		switch {
		case old.Version == 0:
			return 0, itsm.Errorf(itsm.CodeConflict, "sqlitestore: put %s %s at version %d: the record does not exist (any more)", r.Kind, r.ID, r.Version)
		case old.Version != r.Version:
			return 0, itsm.Errorf(itsm.CodeConflict, "sqlitestore: put %s %s at version %d: it is at version %d", r.Kind, r.ID, r.Version, old.Version)
		}
	}
	exists := func() error {
		return itsm.Errorf(itsm.CodeConflict, "sqlitestore: create %s %s: the record exists already", r.Kind, r.ID)
	}
	newEs := backend.Entries(r)
	gone, added := diffEntries(oldEs, newEs)
	for _, e := range added {
		if !e.Unique {
			continue
		}
		row := t.row[:1]
		found, err := t.c.queryRow(short, sqlHolder, row, r.Kind, e.Name, e.Value)
		if err != nil {
			return 0, mapErr(t.ctx, err, "sqlitestore: put %s %s: unique index %s", r.Kind, r.ID, e.Name)
		}
		if found {
			var h itsm.ID
			if b, _ := asBytes(row[0]); len(b) == len(h) {
				copy(h[:], b)
			}
			if h == r.ID {
				return 0, exists() // only a create gets here with its own value
			}
			return 0, itsm.Errorf(itsm.CodeConflict, "sqlitestore: put %s %s: unique index %s value %q is held by %s %s", r.Kind, r.ID, e.Name, e.Value, r.Kind, h)
		}
	}

	var idx any // NULL without entries
	if b := encodeEntries(newEs); b != nil {
		idx = b
	}
	version := old.Version + 1
	var err error
	if version == 1 {
		err = t.c.exec(short, sqlInsertRecord, r.Kind, r.ID[:], idx, []byte(r.Body))
		if isConstraint(err) && t.ctx.Err() == nil {
			return 0, exists()
		}
	} else {
		err = t.c.exec(short, sqlUpdateRecord, version, idx, []byte(r.Body), r.Kind, r.ID[:])
	}
	if err != nil {
		return 0, mapErr(t.ctx, err, "sqlitestore: put %s %s", r.Kind, r.ID)
	}
	if err := t.deleteEntries(r.Kind, r.ID, gone); err != nil {
		return 0, err
	}
	if err := t.insertEntries(r.Kind, r.ID, added); err != nil {
		return 0, err
	}
	return version, nil
}

// insertEntries inserts es several rows to a statement, which costs SQLite
// less than a statement a row.
func (t *writeTx) insertEntries(kind string, id itsm.ID, es []backend.IndexEntry) error {
	for len(es) > 0 {
		n := min(len(es), len(sqlInsertEntries))
		args := make([]any, 0, 5*n)
		for _, e := range es[:n] {
			args = append(args, kind, e.Name, e.Value, id[:], e.Unique)
		}
		if err := t.c.exec(short, sqlInsertEntries[n-1], args...); err != nil {
			return mapErr(t.ctx, err, "sqlitestore: put %s %s: index %s value %q and %d more", kind, id, es[0].Name, es[0].Value, n-1)
		}
		es = es[n:]
	}
	return nil
}

// diffEntries returns the entries of old that new lacks and those of new that
// old lacks; both lists are in the order of backend.Entries. An entry that
// turns from unique to not, or back, is in both.
func diffEntries(old, new []backend.IndexEntry) (gone, added []backend.IndexEntry) {
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new):
			gone = append(gone, old[i])
			i++
		case i == len(old):
			added = append(added, new[j])
			j++
		default:
			switch c := backend.CompareIndexEntries(old[i], new[j]); {
			case c < 0:
				gone = append(gone, old[i])
				i++
			case c > 0:
				added = append(added, new[j])
				j++
			default:
				if old[i].Unique != new[j].Unique {
					gone = append(gone, old[i])
					added = append(added, new[j])
				}
				i++
				j++
			}
		}
	}
	return gone, added
}

func (t *writeTx) deleteEntries(kind string, id itsm.ID, es []backend.IndexEntry) error {
	for _, e := range es {
		if err := t.c.exec(short, sqlDeleteEntry, kind, e.Name, e.Value, id[:]); err != nil {
			return mapErr(t.ctx, err, "sqlitestore: %s %s: remove index %s value %q", kind, id, e.Name, e.Value)
		}
	}
	return nil
}

// Delete removes a record and its index entries.
func (t *writeTx) Delete(kind string, id itsm.ID, version int64) error {
	return t.fail(t.delete(kind, id, version))
}

func (t *writeTx) delete(kind string, id itsm.ID, version int64) error {
	if err := t.check("delete"); err != nil {
		return err
	}
	if err := checkKind(kind, "delete"); err != nil {
		return err
	}
	old, es, err := t.load(kind, id, false)
	switch {
	case err != nil:
		return err
	case old.Version == 0:
		return itsm.Errorf(itsm.CodeNotFound, "sqlitestore: delete %s %s: not found", kind, id)
	case old.Version != version:
		return itsm.Errorf(itsm.CodeConflict, "sqlitestore: delete %s %s at version %d: it is at version %d", kind, id, version, old.Version)
	}
	if err := t.c.exec(short, sqlDeleteRecord, kind, id[:]); err != nil {
		return mapErr(t.ctx, err, "sqlitestore: delete %s %s", kind, id)
	}
	return t.deleteEntries(kind, id, es)
}

// Append adds an event with Seq one more than the largest in the log. The
// sequence is gapless across processes too: the IMMEDIATE transaction holds
// the database's only write lock from BEGIN, so no other transaction of any
// process reads MAX(seq) or inserts until this one ends; a rolled-back
// transaction inserted nothing, so the next one takes the same number; and
// the transactions that commit do so in the order they took the lock, which
// is the order of their numbers.
func (t *writeTx) Append(e itsm.Event) (itsm.Event, error) {
	e, err := t.append(e)
	return e, t.fail(err)
}

func (t *writeTx) append(e itsm.Event) (itsm.Event, error) {
	if err := t.check("append"); err != nil {
		return itsm.Event{}, err
	}
	if err := backend.ValidateEvent(e); err != nil {
		return itsm.Event{}, err
	}
	if e.ID.IsZero() {
		e.ID = itsm.NewID()
	}
	e.Time = e.Time.UTC()
	var subject, data any // NULL when absent
	if !e.Subject.IsZero() {
		subject = e.Subject[:]
	}
	if len(e.Data) > 0 {
		data = []byte(e.Data)
		e.Data = append([]byte(nil), e.Data...)
	} else {
		e.Data = nil
	}
	row := t.row[:1]
	_, err := t.c.queryRow(short, sqlAppendEvent, row, e.ID[:], e.Type, e.Kind, subject, e.Time.Format(timeFormat), data)
	if err == nil {
		e.Seq, err = asInt64(row[0])
	}
	if err != nil {
		return itsm.Event{}, mapErr(t.ctx, err, "sqlitestore: append %s event", e.Type)
	}
	return e, nil
}

// timeFormat is RFC 3339 in UTC with all nine fraction digits, so that the
// stored text sorts in time order and keeps nanoseconds.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// NextNumber takes the next ticket number of prefix. The counter row is
// updated under the write lock, so numbers are gapless for the reasons given
// at Append.
func (t *writeTx) NextNumber(prefix string) (itsm.Number, error) {
	n, err := t.nextNumber(prefix)
	return n, t.fail(err)
}

func (t *writeTx) nextNumber(prefix string) (itsm.Number, error) {
	if err := t.check("next number"); err != nil {
		return itsm.Number{}, err
	}
	if err := itsm.ValidateNumberPrefix(prefix); err != nil {
		return itsm.Number{}, err
	}
	row := t.row[:1]
	_, err := t.c.queryRow(short, sqlNextNumber, row, prefix)
	var last int64
	if err == nil {
		last, err = asInt64(row[0])
	}
	if err != nil {
		return itsm.Number{}, mapErr(t.ctx, err, "sqlitestore: next number of %s", prefix)
	}
	n, err := itsm.NewNumber(prefix, uint64(last))
	if err != nil {
		return itsm.Number{}, itsm.Wrap(itsm.CodeInternal, err, "sqlitestore: counter %s", prefix)
	}
	return n, nil
}
