// Package sqlitestore is an itsm.Store kept in one SQLite file, through the
// pure-Go driver modernc.org/sqlite: no server, no cgo.
//
// The file is in WAL mode. Writes go through one connection whose
// transactions begin IMMEDIATE, so writers of one process queue in
// database/sql and writers of several processes queue on SQLite's write lock
// (waiting up to Options.BusyTimeout) instead of failing half-way with
// SQLITE_BUSY. Reads use a separate pool of read-only connections and never
// wait for writers.
//
// Several processes may open the same file at once; every guarantee of
// itsm.Store (gapless event sequence and ticket numbers, optimistic versions,
// unique values) holds across them, because each write transaction holds the
// database's single write lock from its first statement to its commit.
// SQLite does not queue waiting processes fairly, though: a waiter sleeps
// between attempts (1 ms, then longer), so a process that writes without
// pause can hold the lock for long runs and another may reach
// Options.BusyTimeout (CodeUnavailable). Run one process per file under
// sustained write load, and use pgstore for several replicas.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	// The driver registers itself as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/spoc-itsm/spoc/itsm"
)

var _ itsm.Store = (*Store)(nil)

// Durability says when a committed write is safe: what Write returning nil
// promises if the machine loses power right after.
type Durability int

const (
	// DurabilityFull (the default) syncs the write-ahead log to disk at every
	// commit (PRAGMA synchronous=FULL): no acknowledged write is lost, even
	// on power loss or an operating system crash.
	DurabilityFull Durability = iota
	// DurabilityNormal syncs only at checkpoints (PRAGMA synchronous=NORMAL
	// in WAL mode). A crash of the process loses nothing, but power loss or
	// an operating system crash can lose the last transactions acknowledged
	// before it; the file stays consistent either way. A commit then costs
	// no sync, which matters most on disks where a sync is slow.
	DurabilityNormal
)

// String returns the PRAGMA synchronous value the durability stands for.
func (d Durability) String() string {
	switch d {
	case DurabilityFull:
		return "FULL"
	case DurabilityNormal:
		return "NORMAL"
	}
	return "Durability(" + strconv.Itoa(int(d)) + ")"
}

// Options tunes Open. The zero value is the safe default.
type Options struct {
	// Durability selects how hard a commit is synced; the default is
	// DurabilityFull.
	Durability Durability
	// Readers is the most read transactions that run at once; more wait
	// for a connection. 0 means DefaultReaders().
	Readers int
	// BusyTimeout is how long a statement waits for a lock another process
	// holds (or, at Open, for the schema migration of another process)
	// before failing with CodeUnavailable. 0 means 5 seconds.
	BusyTimeout time.Duration
}

// DefaultReaders returns the Readers of Options left at zero: the number of
// CPUs, at least 4, since a reader waiting for a page from disk leaves its CPU
// to another.
func DefaultReaders() int { return max(runtime.NumCPU(), 4) }

// DefaultBusyTimeout is the BusyTimeout of Options left at zero.
const DefaultBusyTimeout = 5 * time.Second

// Store is an itsm.Store in one SQLite file. It is safe for concurrent use,
// and several processes may open the same file.
type Store struct {
	path string
	// w has exactly one connection, so that the write transactions of this
	// process queue in database/sql rather than contend for SQLite's lock.
	w *sql.DB
	// r is the pool of query_only connections that Read uses.
	r *sql.DB
	// conns keeps the statements each connection has prepared.
	conns conns
}

// Open opens the store in the SQLite file at path, creating the file if it
// does not exist and bringing its schema up to date. A file written by a newer
// version of this package is refused with CodeInvalid rather than risk
// misreading it. ctx bounds the migration, which may wait for the write lock.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Durability != DurabilityFull && opts.Durability != DurabilityNormal {
		return nil, itsm.Errorf(itsm.CodeInvalid, "sqlitestore: unknown durability %d", int(opts.Durability))
	}
	if opts.Readers < 0 || opts.BusyTimeout < 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "sqlitestore: negative Readers (%d) or BusyTimeout (%s)", opts.Readers, opts.BusyTimeout)
	}
	if opts.Readers == 0 {
		opts.Readers = DefaultReaders()
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if path == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "sqlitestore: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInvalid, err, "sqlitestore: path %s", path)
	}

	s := &Store{path: abs}
	s.w, err = sql.Open("sqlite", dsn(abs, opts, true))
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "sqlitestore: open %s", abs)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, s.w, abs); err != nil {
		s.w.Close()
		return nil, err
	}

	s.r, err = sql.Open("sqlite", dsn(abs, opts, false))
	if err != nil {
		s.w.Close()
		return nil, itsm.Wrap(itsm.CodeInternal, err, "sqlitestore: open %s", abs)
	}
	s.r.SetMaxOpenConns(opts.Readers)
	s.r.SetMaxIdleConns(opts.Readers)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	return s, nil
}

// dsn returns the data source name of the writer's or the readers'
// connections. Every setting is a DSN parameter, not a statement run once,
// so that each connection database/sql opens, now or after a broken one was
// dropped, gets it. busy_timeout is applied first by the driver.
func dsn(path string, opts Options, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous("+opts.Durability.String()+")")
	// The schema has no foreign keys; saying so keeps a build whose default
	// differs from checking them on every write.
	q.Add("_pragma", "foreign_keys(0)")
	// Reads of the main file go through a memory map of its first 256 MiB:
	// every connection (and process) shares the operating system's cached
	// pages instead of filling its own page cache with pread, which made
	// point reads about twice as fast. Pages still in the write-ahead log
	// are read as before. The cost is SQLite's caveat on mmap: an I/O error
	// on the mapped file crashes the process instead of failing a query.
	q.Add("_pragma", "mmap_size(268435456)")
	if writer {
		// journal_mode is a property of the file; only the writer sets it, as
		// switching to WAL needs a write lock. Open migrates through the
		// writer before any reader connects.
		q.Add("_pragma", "journal_mode(WAL)")
		// A statement that writes several rows (a record's index entries,
		// inserted several to a statement) keeps the pages it changes in a
		// statement journal, to undo itself alone should it fail. Past 64
		// KiB, the default spills that journal to a temporary file, a
		// write(2) per page: in a transaction of many records (an import
		// applies thousands in one) that was a fifth of the time. In memory
		// it holds one statement's pages, freed when the statement ends.
		q.Add("_pragma", "temp_store(2)")
		// Deferred transactions upgrade to a write lock at their first write
		// and fail with SQLITE_BUSY, without calling the busy handler, when
		// another connection wrote since they first read; IMMEDIATE takes
		// the write lock at BEGIN, where the busy timeout applies. Write
		// says BEGIN IMMEDIATE itself; this covers the migration's sql.Tx.
		q.Add("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	// url.URL writes "file:///abs/path", which SQLite reads as an empty
	// authority and an absolute path; the path itself is percent-escaped, so
	// '?' and '#' in file names survive.
	return u.String()
}

// Read runs fn in a read transaction on one of the reader connections. SQLite
// fixes the snapshot at the transaction's first statement, so everything fn
// reads is from one committed state.
func (s *Store) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "sqlitestore: read")
	}
	return withConn(ctx, s.r, &s.conns, func(c *connStmts) (discard bool, err error) {
		// A deferred BEGIN takes no lock yet, so it has nothing to wait for.
		// A BEGIN that failed left no transaction behind.
		if err := c.exec(short, sqlBegin); err != nil {
			return false, mapErr(ctx, err, "sqlitestore: begin read")
		}
		t := &txn{ctx: ctx, c: c}
		defer func() {
			t.done = true
			// A read transaction has nothing to commit: rolling back ends
			// it whatever fn did, panic included. A connection that could
			// not roll back is not handed out again.
			if rerr := c.exec(context.Background(), sqlRollback); rerr != nil {
				discard = true
			}
		}()
		return false, fn(t)
	})
}

// Write runs fn in an IMMEDIATE transaction on the writer connection, which
// holds SQLite's write lock until it commits or rolls back. fn must not call
// Write on the same Store: the inner call would wait for the connection the
// outer one holds until its context ends.
func (s *Store) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	if err := ctx.Err(); err != nil {
		return itsm.Wrap(itsm.CodeUnavailable, err, "sqlitestore: write")
	}
	return withConn(ctx, s.w, &s.conns, func(c *connStmts) (discard bool, err error) {
		// BEGIN IMMEDIATE waits up to the busy timeout for another
		// process's write transaction to end.
		if err := c.exec(ctx, sqlBeginImmediate); err != nil {
			return false, mapErr(ctx, err, "sqlitestore: begin write")
		}
		t := &writeTx{txn: txn{ctx: ctx, c: c}}
		committed := false
		defer func() {
			t.done = true
			if !committed {
				if rerr := c.exec(context.Background(), sqlRollback); rerr != nil {
					discard = true
				}
			}
		}()
		if err := fn(t); err != nil {
			return false, err
		}
		if t.failed != nil {
			return false, t.failed
		}
		// A context that ended during fn may have interrupted a statement
		// whose error fn did not see; commit nothing then.
		if err := ctx.Err(); err != nil {
			return false, itsm.Wrap(itsm.CodeUnavailable, err, "sqlitestore: commit")
		}
		// COMMIT is not interrupted half-way: the context was checked just
		// above, and a commit that has started is better finished.
		if err := c.exec(short, sqlCommit); err != nil {
			return false, mapErr(ctx, err, "sqlitestore: commit")
		}
		committed = true
		return false, nil
	})
}

// Close finalizes the prepared statements and closes the connections. The
// last connection to the file to close checkpoints the write-ahead log into
// the main file.
func (s *Store) Close() error {
	errs := []error{s.conns.closeAll()}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return itsm.Wrap(itsm.CodeUnavailable, errors.Join(errs...), "sqlitestore: close %s", s.path)
}
