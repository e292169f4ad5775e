package pgstore

import (
	"errors"
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
	found, err := t.queryRow(op{"get", kind, id}, t.s.sql.get, []any{kind, uuidArg(id)}, row.dest()[1:]...)
	if err != nil {
		return itsm.Record{}, err
	}
	if !found {
		return itsm.Record{}, notFound(kind, id)
	}
	row.id = uuidArg(id)
	return row.record(kind), nil
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
	var version int64
	found, err := t.queryRow(what, t.s.sql.update, []any{r.Kind, id, r.Version, []byte(r.Body), names, vals, uniqs}, &version)
	if err != nil {
		return 0, t.fail(t.uniqueConflict(err, r))
	}
	if !found {
		return 0, t.fail(t.stale(r.Kind, r.ID, r.Version, itsm.CodeConflict))
	}
	return version, nil
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
	var n int64
	if _, err := t.queryRow(op{"delete", kind, id}, t.s.sql.del, []any{kind, uuidArg(id), version}, &n); err != nil {
		return t.fail(err)
	}
	if n == 0 {
		return t.fail(t.stale(kind, id, version, itsm.CodeNotFound))
	}
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
