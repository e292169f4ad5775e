package pgstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spoc-itsm/spoc/itsm"
)

// migrations[i] takes a schema from version i to version i+1. A released
// entry never changes: a new layout is a new entry, so that every database
// reaches the same tables whatever version it started from. "{schema}"
// stands for the quoted schema name.
var migrations = []string{
	// Version 1.
	//
	// Text that is compared or ordered uses COLLATE "C" so that PostgreSQL
	// orders it byte by byte, as the contract asks, whatever the database's
	// default collation; the indexes inherit the column collation, which is
	// what lets ORDER BY and range conditions walk them.
	//
	// records keeps the record's index values beside the body (names[i],
	// vals[i], uniqs[i]), sorted, so that Get and Query rebuild the maps
	// from the row alone; entries holds the same values once more, one row
	// each, for lookups, and entries_record finds a record's entries when
	// it changes. Both tables are written by the same statement.
	//
	// body is bytea, not jsonb, because jsonb rewrites the document and the
	// contract returns the bytes as they were put.
	//
	// events.at is the time to the microsecond, the most timestamptz holds,
	// and at_nanos the nanoseconds below it, so that Event.Time comes back
	// exactly while the column stays a real time for SQL users. (Unix
	// nanoseconds in an int64 would not do: they end in 2262 and the
	// contract allows years up to 9999.)
	//
	// event_seq and numbers are counters rather than SEQUENCEs because a
	// sequence is not gapless: a rolled-back transaction burns its values.
	`
CREATE TABLE {schema}.records (
	kind    text COLLATE "C" NOT NULL,
	id      uuid NOT NULL,
	version bigint NOT NULL CHECK (version > 0),
	body    bytea NOT NULL,
	names   text[] NOT NULL,
	vals    text[] NOT NULL,
	uniqs   boolean[] NOT NULL,
	PRIMARY KEY (kind, id)
);
CREATE TABLE {schema}.entries (
	kind  text COLLATE "C" NOT NULL,
	name  text COLLATE "C" NOT NULL,
	value text COLLATE "C" NOT NULL CHECK (value <> ''),
	id    uuid NOT NULL,
	uniq  boolean NOT NULL,
	PRIMARY KEY (kind, name, value, id)
);
CREATE UNIQUE INDEX entries_unique ON {schema}.entries (kind, name, value) WHERE uniq;
CREATE INDEX entries_record ON {schema}.entries (kind, id);
CREATE TABLE {schema}.events (
	seq      bigint PRIMARY KEY,
	id       uuid NOT NULL,
	type     text COLLATE "C" NOT NULL,
	kind     text COLLATE "C",
	subject  uuid,
	at       timestamptz NOT NULL,
	at_nanos smallint NOT NULL CHECK (at_nanos BETWEEN 0 AND 999),
	data     bytea
);
CREATE TABLE {schema}.event_seq (
	only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
	last     bigint NOT NULL
);
INSERT INTO {schema}.event_seq (last) VALUES (0);
CREATE TABLE {schema}.numbers (
	prefix text COLLATE "C" PRIMARY KEY,
	last   bigint NOT NULL
);
`,
	// Version 2.
	//
	// EventsOf reads one record's events by this index: equality on kind
	// and subject, then seq in order from the cursor, with no sort. Events
	// without a subject, which EventsOf never asks for, stay out of it.
	// Plain CREATE INDEX locks the table against appends while it is
	// built, which on an existing log happens once, inside the migration's
	// transaction (CONCURRENTLY cannot run in one).
	`
CREATE INDEX events_subject ON {schema}.events (kind, subject, seq) WHERE subject IS NOT NULL;
`,
}

// migrateLockKey names the advisory lock of one schema's migration. The lock
// is per database, so the key carries the schema name: different schemas
// migrate independently.
func migrateLockKey(schema string) string { return "spoc/pgstore migrate " + schema }

// migrate brings the schema to len(migrations), in one transaction that
// first takes an advisory lock: processes that open the same schema at once
// queue on it, and each after the first finds the work done. The schema and
// the version table are created only when missing, so that a role without
// CREATE on the database can use a schema an administrator prepared.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema, quoted string) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return mapError(ctx, err, "pgstore: migrate schema %s: begin", schema)
	}
	defer func() {
		// After Commit this is a no-op returning ErrTxClosed.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	fail := func(err error, step string) error {
		return mapError(ctx, err, "pgstore: migrate schema %s: %s", schema, step)
	}

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, migrateLockKey(schema)); err != nil {
		return fail(err, "lock")
	}
	var hasTable bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, quoted+".schema_version").Scan(&hasTable); err != nil {
		return fail(err, "look for the version table")
	}
	version := 0
	if hasTable {
		if err := tx.QueryRow(ctx, `SELECT version FROM `+quoted+`.schema_version`).Scan(&version); err != nil {
			return fail(err, "read the version")
		}
	} else {
		var hasSchema bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`, schema).Scan(&hasSchema); err != nil {
			return fail(err, "look for the schema")
		}
		if !hasSchema {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA `+quoted); err != nil {
				return fail(err, "create the schema")
			}
		}
		// Exec without arguments uses the simple protocol, which runs
		// several statements in one round trip.
		if _, err := tx.Exec(ctx, `
CREATE TABLE `+quoted+`.schema_version (
	only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
	version  integer NOT NULL
);
INSERT INTO `+quoted+`.schema_version (version) VALUES (0);`); err != nil {
			return fail(err, "create the version table")
		}
	}
	switch {
	case version > len(migrations):
		return itsm.Errorf(itsm.CodeInternal,
			"pgstore: schema %s is at version %d, newer than version %d that this build of spoc knows; upgrade spoc or open another schema",
			schema, version, len(migrations))
	case version == len(migrations) && hasTable:
		return nil
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, strings.ReplaceAll(migrations[v], "{schema}", quoted)); err != nil {
			return fail(err, "apply version "+strconv.Itoa(v+1))
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE `+quoted+`.schema_version SET version = $1`, len(migrations)); err != nil {
		return fail(err, "record the version")
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err, "commit")
	}
	return nil
}
