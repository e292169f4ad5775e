package sqlitestore

import "strings"

// bound is how a query constrains index values from below or from above.
// Query folds the cursor into the bounds, rather than adding it as one more
// condition, because SQLite then has a single range to seek to: with both
// "value >= From" and "(value, id) > cursor" it seeks with one and filters
// with the other, and every later page would scan from the range's start.
type bound uint8

const (
	boundNone  bound = iota
	boundValue       // value >= ? from below, value < ? from above
	boundRow         // (value, id) > (?, ?) from below, < from above
)

// queryKey names one of the query statements.
type queryKey struct {
	// byID lists records by ID; cursor then means "id > ?" ("<" reversed).
	byID bool
	// equal selects one value; cursor then means "id > ?" ("<" reversed).
	equal   bool
	cursor  bool
	lower   bound
	upper   bound
	reverse bool
}

// The statements of the store. Each connection prepares a statement the
// first time it runs it and keeps it until it is closed.
const (
	sqlBegin          = `BEGIN`
	sqlBeginImmediate = `BEGIN IMMEDIATE`
	sqlCommit         = `COMMIT`
	sqlRollback       = `ROLLBACK`

	sqlGet    = `SELECT version, idx, body FROM records WHERE kind = ? AND id = ?`
	sqlHead   = `SELECT version, idx FROM records WHERE kind = ? AND id = ?`
	sqlEvents = `SELECT seq, id, type, kind, subject, time, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?`
	// The condition on subject implies the partial index's, which lets
	// SQLite use events_subject.
	sqlEventsOf = `SELECT seq, id, type, kind, subject, time, data FROM events
		WHERE kind = ? AND subject = ? AND seq > ? ORDER BY seq LIMIT ?`

	sqlInsertRecord = `INSERT INTO records (kind, id, version, idx, body) VALUES (?, ?, 1, ?, ?)`
	sqlUpdateRecord = `UPDATE records SET version = ?, idx = ?, body = ? WHERE kind = ? AND id = ?`
	sqlDeleteRecord = `DELETE FROM records WHERE kind = ? AND id = ?`
	sqlHolder       = `SELECT id FROM entries WHERE kind = ? AND name = ? AND value = ? AND uniq`
	sqlDeleteEntry  = `DELETE FROM entries WHERE kind = ? AND name = ? AND value = ? AND id = ?`
	// MAX(seq) of a rowid table is one step to the B-tree's last row.
	sqlAppendEvent = `INSERT INTO events (seq, id, type, kind, subject, time, data)
		VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?, ?, ?, ?, ?, ?) RETURNING seq`
	sqlNextNumber = `INSERT INTO counters (prefix, last) VALUES (?, 1)
		ON CONFLICT (prefix) DO UPDATE SET last = last + 1 RETURNING last`
)

// sqlInsertEntries[n-1] inserts n entries.
var sqlInsertEntries = func() []string {
	qs := make([]string, 8)
	for i := range qs {
		qs[i] = `INSERT INTO entries (kind, name, value, id, uniq) VALUES (?, ?, ?, ?, ?)` +
			strings.Repeat(`, (?, ?, ?, ?, ?)`, i)
	}
	return qs
}()

// querySQLs holds the text of every query statement, built once.
var querySQLs = func() map[queryKey]string {
	m := make(map[queryKey]string)
	for _, k := range queryKeys() {
		m[k] = querySQL(k)
	}
	return m
}()

// queryKeys lists every statement Query may use.
func queryKeys() []queryKey {
	var ks []queryKey
	for _, reverse := range []bool{false, true} {
		for _, cursor := range []bool{false, true} {
			ks = append(ks, queryKey{byID: true, cursor: cursor, reverse: reverse},
				queryKey{equal: true, cursor: cursor, reverse: reverse})
		}
		for lower := boundNone; lower <= boundRow; lower++ {
			for upper := boundNone; upper <= boundRow; upper++ {
				ks = append(ks, queryKey{lower: lower, upper: upper, reverse: reverse})
			}
		}
	}
	return ks
}

// querySQL builds the statement of k. Its parameters are the kind, the index
// name, then the bounds' values in the order lower, upper, and the limit. The
// records are joined with CROSS JOIN, which SQLite never reorders, so that
// the scan of entries in index order drives the query and no sort is needed
// whatever the statistics say.
func querySQL(k queryKey) string {
	var b strings.Builder
	dir, after := "", ">"
	if k.reverse {
		dir, after = " DESC", "<"
	}
	if k.byID {
		b.WriteString(`SELECT id, version, idx, body FROM records WHERE kind = ?`)
		if k.cursor {
			b.WriteString(` AND id ` + after + ` ?`)
		}
		b.WriteString(` ORDER BY id` + dir + ` LIMIT ?`)
		return b.String()
	}
	b.WriteString(`SELECT e.value, r.id, r.version, r.idx, r.body FROM entries AS e CROSS JOIN records AS r
		ON r.kind = e.kind AND r.id = e.id WHERE e.kind = ? AND e.name = ?`)
	if k.equal {
		b.WriteString(` AND e.value = ?`)
		if k.cursor {
			b.WriteString(` AND e.id ` + after + ` ?`)
		}
	}
	switch k.lower {
	case boundValue:
		b.WriteString(` AND e.value >= ?`)
	case boundRow:
		b.WriteString(` AND (e.value, e.id) > (?, ?)`)
	}
	switch k.upper {
	case boundValue:
		b.WriteString(` AND e.value < ?`)
	case boundRow:
		b.WriteString(` AND (e.value, e.id) < (?, ?)`)
	}
	b.WriteString(` ORDER BY e.value` + dir + `, e.id` + dir + ` LIMIT ?`)
	return b.String()
}
