package pgstore

import "strings"

// statements are the SQL texts of one store, with its schema filled in once
// at Open. pgx prepares each text once per connection and reuses it.
//
// Each write method costs one round trip: the record row and its index
// entries change together in one statement, through data-modifying WITH
// clauses, which PostgreSQL runs to completion whether or not the final
// SELECT reads them.
type statements struct {
	get, version          string
	create, createIndexed string
	update, del           string
	appendEvent, events   string
	nextNumber            string
	queryIndex, queryByID string // heads that Query completes
}

func newStatements(schema string) statements {
	r := strings.NewReplacer("{schema}", schema)
	return statements{
		get:     r.Replace(`SELECT version, body, names, vals, uniqs FROM {schema}.records WHERE kind = $1 AND id = $2`),
		version: r.Replace(`SELECT version FROM {schema}.records WHERE kind = $1 AND id = $2`),

		// ON CONFLICT DO NOTHING turns a record that exists, or that a
		// concurrent transaction is creating and then commits, into zero
		// rows instead of an error that would abort the transaction. A
		// Unique value another record holds still fails, with 23505 on
		// entries_unique. Put tells success from the row count: 1 for
		// create, the number of entries for createIndexed, whose entry
		// insert selects from r and so inserts nothing when r did not.
		create: r.Replace(`
INSERT INTO {schema}.records (kind, id, version, body, names, vals, uniqs)
VALUES ($1, $2, 1, $3, $4, $5, $6)
ON CONFLICT DO NOTHING`),
		createIndexed: r.Replace(`
WITH r AS (
	INSERT INTO {schema}.records (kind, id, version, body, names, vals, uniqs)
	VALUES ($1, $2, 1, $3, $4, $5, $6)
	ON CONFLICT DO NOTHING
	RETURNING kind, id
)
INSERT INTO {schema}.entries (kind, name, value, id, uniq)
SELECT r.kind, n.name, n.value, r.id, n.uniq
FROM r, unnest($4::text[], $5::text[], $6::boolean[]) AS n(name, value, uniq)`),

		// The version check is the WHERE clause. At READ COMMITTED the
		// UPDATE finds the row in the statement's snapshot and, if a
		// concurrent writer has changed or locked it, waits for that
		// writer and re-checks the WHERE on the row it committed. So r
		// holds a row only if the snapshot's row and the latest one both
		// have the version asked for; versions only grow (and a record
		// deleted and created again is a new row, which the snapshot does
		// not show), so no commit came in between, and the entries the
		// snapshot shows are the record's latest. When r is empty the
		// entry clauses, each guarded by EXISTS (SELECT FROM r), do
		// nothing. del relies on the same.
		//
		// The entry clauses name the record by the parameters rather than
		// by joining r, so that the planner has no join to choose: each
		// finds the record's entries through entries_record, and i checks
		// for an entry the record keeps through the primary key, which ON
		// CONFLICT probes without a plan at all. (Written as NOT EXISTS,
		// that check became a hash anti-join over the whole table in the
		// generic plan of a connection that first ran it on a small one.)
		//
		// The entries change by difference, not by deleting all and
		// inserting again: the clauses of one statement run in no defined
		// order, and an insert that ran before the delete of the same key
		// would collide with it. d deletes only values not in n and i
		// inserts only values in n, so they never meet; entries the record
		// keeps are not touched, which is also how a record keeps its own
		// Unique value. The conflict target is the primary key alone, so a
		// Unique value another record holds still fails on entries_unique.
		// u flips the uniq flag of a value whose name moved between Unique
		// and Index.
		update: r.Replace(`
WITH n AS (
	SELECT * FROM unnest($5::text[], $6::text[], $7::boolean[]) AS n(name, value, uniq)
), r AS (
	UPDATE {schema}.records SET version = version + 1, body = $4, names = $5, vals = $6, uniqs = $7
	WHERE kind = $1 AND id = $2 AND version = $3
	RETURNING version
), d AS (
	DELETE FROM {schema}.entries e
	WHERE e.kind = $1 AND e.id = $2 AND EXISTS (SELECT FROM r)
	AND NOT EXISTS (SELECT FROM n WHERE n.name = e.name AND n.value = e.value)
), u AS (
	UPDATE {schema}.entries e SET uniq = n.uniq FROM n
	WHERE e.kind = $1 AND e.id = $2 AND EXISTS (SELECT FROM r)
	AND e.name = n.name AND e.value = n.value AND e.uniq <> n.uniq
), i AS (
	INSERT INTO {schema}.entries (kind, name, value, id, uniq)
	SELECT $1, n.name, n.value, $2, n.uniq FROM n WHERE EXISTS (SELECT FROM r)
	ON CONFLICT (kind, name, value, id) DO NOTHING
)
SELECT version FROM r`),

		del: r.Replace(`
WITH r AS (
	DELETE FROM {schema}.records WHERE kind = $1 AND id = $2 AND version = $3
	RETURNING id
), d AS (
	DELETE FROM {schema}.entries e WHERE e.kind = $1 AND e.id = $2 AND EXISTS (SELECT FROM r)
)
SELECT count(*) FROM r`),

		// The event sequence is a counter row, not a SEQUENCE, because a
		// sequence hands out values outside the transaction and a rollback
		// leaves a gap. UPDATE ... RETURNING takes the row lock and keeps
		// it until commit or rollback, so a second appender waits, then
		// reads the first one's last if it committed or the old one if it
		// rolled back: no gap, no duplicate. Since the lock is released
		// only after the commit is visible, Seq n is visible before n+1 is
		// even assigned, so readers see the log grow in Seq order without
		// holes. The price is that transactions that append are serialised
		// from their Append to their commit.
		appendEvent: r.Replace(`
WITH s AS (
	UPDATE {schema}.event_seq SET last = last + 1 RETURNING last
)
INSERT INTO {schema}.events (seq, id, type, kind, subject, at, at_nanos, data)
SELECT s.last, $1, $2, $3, $4, $5, $6, $7 FROM s
RETURNING seq`),
		events: r.Replace(`
SELECT seq, id, type, kind, subject, at, at_nanos, data FROM {schema}.events
WHERE seq > $1 ORDER BY seq LIMIT $2`),

		// Numbers are gapless per prefix for the same reason as events: the
		// first transaction to take a prefix inserts its row, and a
		// concurrent one waits on that insert and then updates the row,
		// or inserts after all if the first rolled back.
		nextNumber: r.Replace(`
INSERT INTO {schema}.numbers AS n (prefix, last) VALUES ($1, 1)
ON CONFLICT (prefix) DO UPDATE SET last = n.last + 1
RETURNING last`),

		queryIndex: r.Replace(`
SELECT e.value, r.id, r.version, r.body, r.names, r.vals, r.uniqs
FROM {schema}.entries e JOIN {schema}.records r ON r.kind = e.kind AND r.id = e.id
WHERE e.kind = $1 AND e.name = $2`),
		queryByID: r.Replace(`
SELECT '', r.id, r.version, r.body, r.names, r.vals, r.uniqs
FROM {schema}.records r
WHERE r.kind = $1`),
	}
}
