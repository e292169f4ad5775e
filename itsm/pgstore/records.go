package pgstore

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

// uuidArg passes an ID as a uuid parameter; PostgreSQL compares uuids byte
// by byte, which is the contract's ID order.
func uuidArg(id itsm.ID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func notFound(kind string, id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "%s %s not found", kind, id)
}

// Get returns the record of kind with id, or an error with CodeNotFound.
func (t *txn) Get(kind string, id itsm.ID) (itsm.Record, error) {
	// Before PostgreSQL sees the kind, where one with a NUL byte would
	// abort the transaction.
	if err := backend.ValidateKind(kind); err != nil {
		return itsm.Record{}, err
	}
	if id.IsZero() {
		return itsm.Record{}, notFound(kind, id)
	}
	var row recordRow
	var xmin uint32
	found, err := t.queryRow(op{"get", kind, id}, t.s.sql.get, []any{kind, uuidArg(id)}, append(row.dest()[1:], &xmin)...)
	if err != nil {
		return itsm.Record{}, err
	}
	if !found {
		return itsm.Record{}, notFound(kind, id)
	}
	row.id = uuidArg(id)
	t.saw(kind, id, seenRow{version: row.version, xmin: xmin, names: row.names, vals: row.vals, uniqs: row.uniqs})
	return row.record(kind), nil
}

// seenRow is a records row as a write transaction last read or wrote it: what
// Put and Delete need to change it and its entries in one round trip.
type seenRow struct {
	version int64
	xmin    uint32
	names   []string
	vals    []string
	uniqs   []bool
}

// seenKey names a record in a transaction's seen rows.
type seenKey struct {
	kind string
	id   itsm.ID
}

// saw remembers the row of kind and id that a write transaction read or
// wrote; a read transaction remembers nothing.
func (t *txn) saw(kind string, id itsm.ID, r seenRow) {
	if !t.writes {
		return
	}
	if t.seen == nil {
		t.seen = make(map[seenKey]seenRow)
	}
	t.seen[seenKey{kind, id}] = r
}

// current returns the row of kind and id as the transaction last saw it, or
// reads it. found is false when there is no such record.
func (t *txn) current(kind string, id itsm.ID) (r seenRow, found bool, err error) {
	if r, ok := t.seen[seenKey{kind, id}]; ok {
		return r, true, nil
	}
	found, err = t.queryRow(op{"read", kind, id}, t.s.sql.current, []any{kind, uuidArg(id)}, &r.version, &r.names, &r.vals, &r.uniqs, &r.xmin)
	if err == nil && found {
		t.saw(kind, id, r)
	}
	return r, found, err
}

// entryChanges returns the statements that take the entries of record id
// from old to the new names, vals and uniqs: one insert of the new values,
// one delete of the old values that go and one flip of the uniq flag of
// those that moved between Unique and Index, each only when there is
// something to change. Both lists are in backend.Entries order, sorted by
// name and value, so one merge finds the difference.
func (st *statements) entryChanges(kind string, id pgtype.UUID, old seenRow, names, vals []string, uniqs []bool) []*stmt {
	var add struct {
		names, vals []string
		uniqs       []bool
	}
	var drop, flip entrySet
	i, j := 0, 0
	for i < len(old.names) || j < len(names) {
		c := 0
		switch {
		case i == len(old.names):
			c = 1
		case j == len(names):
			c = -1
		default:
			c = strings.Compare(old.names[i], names[j])
			if c == 0 {
				c = strings.Compare(old.vals[i], vals[j])
			}
		}
		switch {
		case c < 0: // an old value that goes
			drop.add(old.names[i], old.vals[i])
			i++
		case c > 0: // a new value
			add.names, add.vals, add.uniqs = append(add.names, names[j]), append(add.vals, vals[j]), append(add.uniqs, uniqs[j])
			j++
		default:
			if old.uniqs[i] != uniqs[j] {
				flip.add(names[j], vals[j])
			}
			i++
			j++
		}
	}
	var out []*stmt
	if len(drop.pairs) > 0 {
		out = append(out, &stmt{sql: st.dropEntries, args: []any{kind, drop.names, drop.vals, id, drop.pairs}})
	}
	if len(flip.pairs) > 0 {
		out = append(out, &stmt{sql: st.flipEntries, args: []any{kind, flip.names, flip.vals, id, flip.pairs}})
	}
	if len(add.names) > 0 {
		out = append(out, &stmt{sql: st.addEntries, args: []any{kind, id, add.names, add.vals, add.uniqs}})
	}
	return out
}

// entrySet is a set of entries as dropEntries and flipEntries take it: the
// names and the values among them, each once, and every pair as name, a
// space and value.
type entrySet struct {
	names, vals, pairs []string
}

func (s *entrySet) add(name, value string) {
	if !slices.Contains(s.names, name) {
		s.names = append(s.names, name)
	}
	if !slices.Contains(s.vals, value) {
		s.vals = append(s.vals, value)
	}
	s.pairs = append(s.pairs, name+" "+value)
}

// recordRow is a records row as Get and Query read it.
type recordRow struct {
	value   string // the matching entry's value, for Query
	id      pgtype.UUID
	version int64
	body    []byte
	names   []string
	vals    []string
	uniqs   []bool
}

func (r *recordRow) dest() []any {
	return []any{&r.id, &r.version, &r.body, &r.names, &r.vals, &r.uniqs}
}

// record builds the Record the caller gets: every slice and map is new, so
// the caller may change them freely.
func (r *recordRow) record(kind string) itsm.Record {
	rec := itsm.Record{Kind: kind, ID: itsm.ID(r.id.Bytes), Version: r.version, Body: r.body}
	// The entries only carry the arrays over to backend.SetEntries, so a
	// record's usual handful stays on the stack instead of costing every
	// Get and every hit an allocation.
	var buf [16]backend.IndexEntry
	es := buf[:0]
	for i := range min(len(r.names), len(r.vals), len(r.uniqs)) {
		es = append(es, backend.IndexEntry{Name: r.names[i], Value: r.vals[i], Unique: r.uniqs[i]})
	}
	// Put stored the arrays in the order of backend.Entries, which is the
	// order backend.SetEntries wants.
	backend.SetEntries(&rec, es)
	return rec
}

// flatten lays backend.Entries(r) out as the parallel arrays that the
// records row keeps and the entries rows are made from. The slices are never
// nil, because pgx sends a nil slice as NULL.
func flatten(r itsm.Record) (names, vals []string, uniqs []bool) {
	es := backend.Entries(r)
	names, vals, uniqs = make([]string, len(es)), make([]string, len(es)), make([]bool, len(es))
	for i, e := range es {
		names[i], vals[i], uniqs[i] = e.Name, e.Value, e.Unique
	}
	return names, vals, uniqs
}

// Put stores r and returns its new version; see itsm.WriteTx.
func (w writeTxn) Put(r itsm.Record) (int64, error) {
	t := w.txn
	if err := t.usable(); err != nil {
		return 0, t.fail(err)
	}
	if err := backend.ValidateRecord(r); err != nil {
		return 0, t.fail(err)
	}
	names, vals, uniqs := flatten(r)
	id := uuidArg(r.ID)
	what := op{"put", r.Kind, r.ID}
	if r.Version == 0 {
		create := &stmt{sql: t.s.sql.create, args: []any{r.Kind, id, []byte(r.Body), names, vals, uniqs}}
		if len(names) > 0 {
			create.sql = t.s.sql.createIndexed
		}
		if err := t.send(what, create); err != nil {
			return 0, t.fail(t.uniqueConflict(err, r))
		}
		if create.tag.RowsAffected() == 0 {
			return 0, t.fail(itsm.Errorf(itsm.CodeConflict, "%s %s already exists", r.Kind, r.ID))
		}
		return 1, nil
	}
	old, found, err := t.current(r.Kind, r.ID)
	switch {
	case err != nil:
		return 0, t.fail(err)
	case !found || old.version != r.Version:
		return 0, t.fail(t.stale(r.Kind, r.ID, r.Version, itsm.CodeConflict))
	}
	var next seenRow
	update := scanOne(t.s.sql.update, []any{r.Kind, id, r.Version, []byte(r.Body), names, vals, uniqs, old.xmin}, &found, &next.version, &next.xmin)
	found = false
	stmts := append([]*stmt{update}, t.s.sql.entryChanges(r.Kind, id, old, names, vals, uniqs)...)
	if err := t.send(what, stmts...); err != nil {
		if !found && update.tag.String() != "" {
			// The update matched no row, and a change of the entries,
			// which was not to be made, failed after it: the stale
			// version is the news, though the aborted transaction can no
			// longer tell what the record's version is.
			t.broken = itsm.Errorf(itsm.CodeConflict, "%s %s changed since it was read at version %d", r.Kind, r.ID, r.Version)
			return 0, t.fail(t.broken)
		}
		return 0, t.fail(t.uniqueConflict(err, r))
	}
	if !found {
		return 0, t.fail(t.stale(r.Kind, r.ID, r.Version, itsm.CodeConflict))
	}
	next.names, next.vals, next.uniqs = names, vals, uniqs
	t.saw(r.Kind, r.ID, next)
	return next.version, nil
}

// stale explains why a versioned write matched no row: the record is gone
// (an error with code gone: Delete says CodeNotFound, while for Put the
// record changed since it was read, CodeConflict), or it has moved on.
// PostgreSQL does not abort a transaction for a statement that matched
// nothing, so one more query can tell; only failures pay for it.
func (t *txn) stale(kind string, id itsm.ID, version int64, gone itsm.Code) error {
	var current int64
	found, err := t.queryRow(op{"version of", kind, id}, t.s.sql.version, []any{kind, uuidArg(id)}, &current)
	switch {
	case err != nil:
		return err
	case !found && gone == itsm.CodeNotFound:
		return notFound(kind, id)
	case !found:
		return itsm.Errorf(gone, "%s %s does not exist any more, or not yet", kind, id)
	}
	if current == version {
		// The same version in another row: the record was deleted and
		// created again since the transaction read it.
		return itsm.Errorf(itsm.CodeConflict, "%s %s was replaced since it was read", kind, id)
	}
	return itsm.Errorf(itsm.CodeConflict, "%s %s is at version %d, not %d: it changed since it was read", kind, id, current, version)
}

// uniqueConflict words a unique violation as the index and value that
// collided. The violation has aborted the transaction, so the message comes
// from the server's detail rather than from a query.
func (t *txn) uniqueConflict(err error, r itsm.Record) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != uniqueViolation {
		return err
	}
	name, value, ok := uniqueValue(pe)
	if !ok {
		err = itsm.Errorf(itsm.CodeConflict, "%s %s: a unique value is already held by another %s: %w", r.Kind, r.ID, r.Kind, err)
	} else {
		err = itsm.Errorf(itsm.CodeConflict, "%s %s: unique %s %s is already held by another %s",
			r.Kind, r.ID, name, strconv.Quote(value), r.Kind)
	}
	t.broken = err
	return err
}

// Delete removes the record of kind with id if its version is still
// version; see itsm.WriteTx.
func (w writeTxn) Delete(kind string, id itsm.ID, version int64) error {
	t := w.txn
	if err := t.usable(); err != nil {
		return t.fail(err)
	}
	if err := backend.ValidateKind(kind); err != nil {
		return t.fail(err)
	}
	if id.IsZero() {
		return t.fail(notFound(kind, id))
	}
	old, found, err := t.current(kind, id)
	switch {
	case err != nil:
		return t.fail(err)
	case !found || old.version != version:
		return t.fail(t.stale(kind, id, version, itsm.CodeNotFound))
	}
	uid := uuidArg(id)
	del := &stmt{sql: t.s.sql.del, args: []any{kind, uid, version, old.xmin}}
	stmts := append([]*stmt{del}, t.s.sql.entryChanges(kind, uid, old, nil, nil, nil)...)
	if err := t.send(op{"delete", kind, id}, stmts...); err != nil {
		return t.fail(err)
	}
	if del.tag.RowsAffected() == 0 {
		return t.fail(t.stale(kind, id, version, itsm.CodeNotFound))
	}
	delete(t.seen, seenKey{kind, id})
	return nil
}

// Query returns the records matching q in index order; see itsm.Query.
func (t *txn) Query(q itsm.Query) (itsm.Page, error) {
	limit, err := backend.ValidateQuery(q)
	if err != nil {
		return itsm.Page{}, err
	}
	sql, args := t.s.sql.query(q, limit)
	var page itsm.Page
	var last recordRow
	n := 0
	err = t.send(op{verb: "query", name: q.Kind}, &stmt{sql: sql, args: args, each: func(rows pgx.Rows) error {
		n++
		if n > limit {
			return nil
		}
		var row recordRow
		if err := rows.Scan(append([]any{&row.value}, row.dest()...)...); err != nil {
			return err
		}
		if q.Index == "" {
			row.value = itsm.ID(row.id.Bytes).String()
		}
		page.Matches = append(page.Matches, itsm.Hit{Value: row.value, Record: row.record(q.Kind)})
		last = row
		return nil
	}})
	if err != nil {
		return itsm.Page{}, err
	}
	if n > limit {
		page.Next = backend.NewCursor(last.value, itsm.ID(last.id.Bytes))
	}
	return page, nil
}

// query returns the statement and arguments of a validated q. It walks the
// entries primary key (kind, name, value, id), or the records primary key
// (kind, id) for Index "", in order, backwards for Reverse, from just after
// the cursor, and stops after limit+1 rows: the extra row only tells whether
// there is a next page. The row comparison (value, id) > (cursor) is one
// index condition, so a page costs the same wherever it starts.
func (st *statements) query(q itsm.Query, limit int) (string, []any) {
	var after struct {
		value string
		id    itsm.ID
	}
	if q.After != "" {
		// ValidateQuery has checked the cursor.
		after.value, after.id, _ = backend.ParseCursor(q.After)
	}
	var b strings.Builder
	args := []any{q.Kind}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	cmp, dir := " > ", ""
	if q.Reverse {
		cmp, dir = " < ", " DESC"
	}
	if q.Index == "" {
		b.WriteString(st.queryByID)
		if q.After != "" {
			b.WriteString(" AND r.id" + cmp + arg(uuidArg(after.id)))
		}
		b.WriteString(" ORDER BY r.id" + dir)
	} else {
		b.WriteString(st.queryIndex)
		arg(q.Index)
		switch q.Match {
		case itsm.MatchEqual:
			b.WriteString(" AND e.value = " + arg(q.Value))
		case itsm.MatchPrefix:
			b.WriteString(" AND e.value >= " + arg(q.Value))
			if end, ok := itsm.PrefixEnd(q.Value); ok {
				b.WriteString(" AND e.value < " + arg(end))
			}
		case itsm.MatchRange:
			b.WriteString(" AND e.value >= " + arg(q.From))
			if q.To != "" {
				b.WriteString(" AND e.value < " + arg(q.To))
			}
		}
		if q.After != "" {
			b.WriteString(" AND (e.value, e.id)" + cmp + "(" + arg(after.value) + ", " + arg(uuidArg(after.id)) + ")")
		}
		b.WriteString(" ORDER BY e.value" + dir + ", e.id" + dir)
	}
	b.WriteString(" LIMIT " + arg(limit+1))
	return b.String(), args
}
