package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// migration is one step of the schema. Steps are never edited once released:
// a change is a new step, so that every file reaches the same schema whatever
// version it starts from.
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations is the schema's history in version order. It is a variable only
// so that the tests can add a step that fails.
var migrations = []migration{{
	version: 1,
	name:    "records, index entries, events and ticket counters",
	stmts: []string{
		// A record is looked up by (kind, id) far more often than scanned,
		// so the table is clustered on that key: one B-tree search per Get.
		// idx keeps the record's normalised index values (see
		// encodeEntries), so that Get and Query read one row per record and
		// Put and Delete know which entries to remove without an index on
		// entries.id. It comes before body so that reading it does not walk
		// the overflow pages of a large body.
		`CREATE TABLE records (
			kind    TEXT    NOT NULL,
			id      BLOB    NOT NULL,
			version INTEGER NOT NULL,
			idx     BLOB,
			body    BLOB    NOT NULL,
			PRIMARY KEY (kind, id)
		) WITHOUT ROWID`,
		// One row per stored index value. The primary key is the order
		// Query returns (TEXT and BLOB compare bytewise under the default
		// BINARY collation), so every query is a range scan of it.
		`CREATE TABLE entries (
			kind  TEXT    NOT NULL,
			name  TEXT    NOT NULL,
			value TEXT    NOT NULL,
			id    BLOB    NOT NULL,
			uniq  INTEGER NOT NULL,
			PRIMARY KEY (kind, name, value, id)
		) WITHOUT ROWID`,
		// Put checks unique values itself to report who holds one; the
		// index is the backstop that makes a duplicate impossible.
		`CREATE UNIQUE INDEX entries_unique ON entries (kind, name, value) WHERE uniq`,
		// seq is the rowid: Append sets it to MAX(seq)+1 under the write
		// lock, which makes it gapless (see Append).
		`CREATE TABLE events (
			seq     INTEGER PRIMARY KEY,
			id      BLOB    NOT NULL,
			type    TEXT    NOT NULL,
			kind    TEXT    NOT NULL,
			subject BLOB,
			time    TEXT    NOT NULL,
			data    BLOB
		)`,
		`CREATE TABLE counters (
			prefix TEXT    PRIMARY KEY,
			last   INTEGER NOT NULL
		) WITHOUT ROWID`,
	},
}, {
	version: 2,
	name:    "events by kind and subject",
	stmts: []string{
		// EventsOf reads one record's events without scanning the log.
		// SQLite ends every index entry with the rowid, which is seq, so
		// the entries of one kind and subject are in seq order and
		// "seq > ?" is a seek: naming seq as a column would store it twice.
		// Events without a subject, which EventsOf never asks for, stay
		// out of the index.
		`CREATE INDEX events_subject ON events (kind, subject) WHERE subject IS NOT NULL`,
	},
}}

// migrate brings the file up to the newest schema in one IMMEDIATE
// transaction (the writer's _txlock), so that two processes opening a new file
// at once do not both create it, and a failing step leaves the file at the
// version it had.
func migrate(ctx context.Context, db *sql.DB, path string) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(ctx, err, "sqlitestore: open %s", path)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	_, err = tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT    NOT NULL
	)`)
	if err != nil {
		return mapErr(ctx, err, "sqlitestore: open %s: create schema_migrations", path)
	}
	var current int
	err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		return mapErr(ctx, err, "sqlitestore: open %s: read schema version", path)
	}
	known := migrations[len(migrations)-1].version
	if current > known {
		return itsm.Errorf(itsm.CodeInvalid,
			"sqlitestore: %s has schema version %d, newer than version %d that this build knows; open it with a newer spoc",
			path, current, known)
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		for _, stmt := range m.stmts {
			if _, err = tx.ExecContext(ctx, stmt); err != nil {
				return mapErr(ctx, err, "sqlitestore: %s: migration %d (%s)", path, m.version, m.name)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.version, time.Now().UTC().Format(timeFormat))
		if err != nil {
			return mapErr(ctx, err, "sqlitestore: %s: record migration %d", path, m.version)
		}
	}
	if err = tx.Commit(); err != nil {
		return mapErr(ctx, err, "sqlitestore: open %s: commit migrations", path)
	}
	return nil
}
