package pgstore

import "strings"

// statements are the SQL texts of one store, with its schema filled in once
// at Open. pgx prepares each text once per connection and reuses it.
//
// Each write method costs one round trip when the transaction has read the
// record: the record row and its index entries change together, in one
// statement through data-modifying WITH clauses for a new record, and for
// an existing one in a pipeline of the row's update and at most three
// statements for its entries (delete, flip, insert), however many change.
type statements struct {
	get, version          string
	current               string
	create, createIndexed string
	update, del           string
	addEntries            string
	dropEntries           string
	flipEntries           string
	appendEvent, events   string
	eventsOf              string
	nextNumber            string
	queryIndex, queryByID string // heads that Query completes
}

func newStatements(schema string) statements {
	r := strings.NewReplacer("{schema}", schema)
	return statements{
		// xmin, the transaction that wrote the row, tells a row from
		// one that replaced it with the same version: a record deleted and
		// created again starts from version 1 once more.
		get:     r.Replace(`SELECT version, body, names, vals, uniqs, xmin FROM {schema}.records WHERE kind = $1 AND id = $2`),
		version: r.Replace(`SELECT version FROM {schema}.records WHERE kind = $1 AND id = $2`),
		current: r.Replace(`SELECT version, names, vals, uniqs, xmin FROM {schema}.records WHERE kind = $1 AND id = $2`),

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

		// update and del check the version and the row read (xmin) in
		// the WHERE clause. At READ COMMITTED the statement finds the row
		// in its snapshot and, if a concurrent writer has changed or
		// locked it, waits for that writer and re-checks the WHERE on the
		// row it committed, whose xmin differs: so the statement changes
		// the row only if it is still the one the transaction read, and
		// the record's entries are still those that row lists.
		//
		// The entries change by difference, which Put works out from the
		// row it read: addEntries inserts the new values, dropEntries
		// deletes the old values that go and flipEntries flips the uniq
		// flag of those that moved between Unique and Index. They go in
		// the same round trip as update, after it, and each binds every
		// column of the entries' primary key, so that the planner has no
		// plan that reads more than the record's own entries (see
		// planSettings). When update matches no row they change entries
		// all the same, but the failed Put spoils the transaction, which
		// then rolls back.
		update: r.Replace(`
UPDATE {schema}.records SET version = version + 1, body = $4, names = $5, vals = $6, uniqs = $7
WHERE kind = $1 AND id = $2 AND version = $3 AND xmin = $8
RETURNING version, xmin`),
		del: r.Replace(`DELETE FROM {schema}.records WHERE kind = $1 AND id = $2 AND version = $3 AND xmin = $4`),
		addEntries: r.Replace(`
INSERT INTO {schema}.entries (kind, name, value, id, uniq)
SELECT $1, n.name, n.value, $2, n.uniq FROM unnest($3::text[], $4::text[], $5::boolean[]) AS n(name, value, uniq)`),
		// dropEntries and flipEntries name the entries by the names and
		// the values among them, which binds every column of the primary
		// key, so that the index probes each combination, and then keep
		// the pairs asked for (names have no space). A join with the
		// pairs would let the planner weigh reading every entry of the
		// kind instead.
		dropEntries: r.Replace(`
DELETE FROM {schema}.entries
WHERE kind = $1 AND name = ANY($2::text[]) AND value = ANY($3::text[]) AND id = $4
AND name || ' ' || value = ANY($5::text[])`),
		flipEntries: r.Replace(`
UPDATE {schema}.entries SET uniq = NOT uniq
WHERE kind = $1 AND name = ANY($2::text[]) AND value = ANY($3::text[]) AND id = $4
AND name || ' ' || value = ANY($5::text[])`),

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
		// subject = $2 implies the partial index's subject IS NOT NULL,
		// so the generic plan may use events_subject too.
		eventsOf: r.Replace(`
SELECT seq, id, type, kind, subject, at, at_nanos, data FROM {schema}.events
WHERE kind = $1 AND subject = $2 AND seq > $3 ORDER BY seq LIMIT $4`),

		// Numbers are gapless per prefix for the same reason as events: the
		// first transaction to take a prefix inserts its row, and a
		// concurrent one waits on that insert and then updates the row,
		// or inserts after all if the first rolled back.
		nextNumber: r.Replace(`
INSERT INTO {schema}.numbers AS n (prefix, last) VALUES ($1, 1)
ON CONFLICT (prefix) DO UPDATE SET last = n.last + 1
RETURNING last`),

		// The records of the entries come from a LATERAL subquery that
		// OFFSET 0 keeps from being merged into a join: planned on its
		// own, it finds each record by its whole primary key, the one
		// plan it has. As a join, the planner also weighed reading every
		// record of the kind once per entry, and took it when the
		// statistics said the table was small.
		queryIndex: r.Replace(`
SELECT e.value, r.id, r.version, r.body, r.names, r.vals, r.uniqs
FROM {schema}.entries e CROSS JOIN LATERAL (
	SELECT r.id, r.version, r.body, r.names, r.vals, r.uniqs FROM {schema}.records r
	WHERE r.kind = e.kind AND r.id = e.id OFFSET 0
) r
WHERE e.kind = $1 AND e.name = $2`),
		queryByID: r.Replace(`
SELECT '', r.id, r.version, r.body, r.names, r.vals, r.uniqs
FROM {schema}.records r
WHERE r.kind = $1`),
	}
}
