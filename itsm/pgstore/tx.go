package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spoc-itsm/spoc/itsm"
)

// planSettings tells the planner, for the transaction, what is true of every
// statement pgstore runs: it reaches its rows through an index, in index
// order, and joins row by row through an index. Without it the planner
// weighs a whole-table scan, a hash or merge join, a bitmap scan or a sort
// against the index by the tables' statistics, and a connection keeps the
// generic plan of a prepared statement that it made once: made while a
// table was small, or from statistics taken then (autovacuum off, or
// behind), that plan scans the table whole on every command for the life of
// the connection, however large the table has grown. The settings disable
// those plans where an index plan exists, so a plan made on an empty table
// is the one a large table needs; where there is no other way (the one-row
// event_seq table) the planner still takes the disabled plan. That plan's
// cost then includes the penalty that disables it, far above
// jit_above_cost, so JIT is off as well: compiling a one-row update took
// 30 ms, and no statement of pgstore runs long enough for JIT to pay.
//
// They are SET LOCAL (set_config's third argument), so they end with the
// transaction and never reach other users of a pool given to New, and they
// travel with BEGIN, so they cost no round trip.
const planSettings = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
	set_config('enable_sort', 'off', true), set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
	set_config('jit', 'off', true)`

// txn is one Read or Write transaction. It holds a pooled connection from
// the start but sends BEGIN (and planSettings) only with its first
// statement, in the same batch (pgx's Batch.BeginTx), so that a transaction
// costs the round trips of its statements plus the one of its end, and no
// more. A transaction whose fn
// runs no statement never talks to the server at all.
type txn struct {
	s    *Store
	ctx  context.Context
	conn *pgxpool.Conn
	opts pgx.TxOptions
	tx   pgx.Tx // nil until the first statement

	ended bool
	done  bool // committed or rolled back: nothing left for release to do
	// broken is the error of the first statement that failed: PostgreSQL
	// has aborted the transaction and refuses every later statement, so
	// every later call returns this error instead of a confusing one.
	broken error
	// failed is the first failed write, which spoils a Write whatever fn
	// returns.
	failed error

	writes bool                // a Write's transaction
	seen   map[seenKey]seenRow // the records rows a Write read or wrote
}

// writeTxn adds the write methods; Read hands out the bare txn so that a
// ReadTx cannot be asserted into a WriteTx.
type writeTxn struct{ *txn }

var (
	_ itsm.ReadTx  = (*txn)(nil)
	_ itsm.WriteTx = writeTxn{}
)

// usable reports why the transaction cannot run a statement now, if it
// cannot.
func (t *txn) usable() error {
	switch {
	case t.ended:
		return itsm.Errorf(itsm.CodeInternal, "pgstore: transaction used after its function returned")
	case t.broken != nil:
		return t.broken
	}
	if err := t.ctx.Err(); err != nil {
		return itsm.Errorf(itsm.CodeUnavailable, "pgstore: %w", err)
	}
	return nil
}

// fail records err as the transaction's first failed write, if it is the
// first, and returns it.
func (t *txn) fail(err error) error {
	if t.failed == nil {
		t.failed = err
	}
	return err
}

// op names what a statement does, for error messages. It is formatted only
// when there is an error to report, so that the path that succeeds builds no
// strings.
type op struct {
	verb string
	name string  // a kind, an event type or a number prefix
	id   itsm.ID // zero when the statement is not about one record
}

func (o op) String() string {
	s := "pgstore: " + o.verb
	if o.name != "" {
		s += " " + o.name
	}
	if !o.id.IsZero() {
		s += " " + o.id.String()
	}
	return s
}

// stmt is one statement of a round trip.
type stmt struct {
	sql  string
	args []any
	// each is called for every row the statement returns; nil means the
	// statement returns no rows to read.
	each func(pgx.Rows) error
	tag  pgconn.CommandTag // set by send
}

// send runs stmts in order, in one round trip: they go to the server in one
// pgx batch, preceded by BEGIN when they are the transaction's first. Each
// statement still gets its own snapshot at READ COMMITTED, taken when the one
// before has finished, which the versioned writes rely on.
//
// An error from the server or the connection is mapped, remembered as broken
// and returned; an error from an each function (a row that does not scan,
// which is a bug) has CodeInternal.
func (t *txn) send(what op, stmts ...*stmt) error {
	if err := t.usable(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	begin := t.tx == nil
	if begin {
		b.BeginTx(t.opts)
		b.Queue(planSettings)
	}
	for _, s := range stmts {
		b.Queue(s.sql, s.args...)
	}
	var br pgx.BatchResults
	if begin {
		br = t.conn.SendBatch(t.ctx, b)
		t.tx = br.Tx()
		for range 2 { // BEGIN and planSettings
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return t.broke(err, what)
			}
		}
	} else {
		br = t.tx.SendBatch(t.ctx, b)
	}
	var eachErr error
	for _, s := range stmts {
		var err error
		if s.each == nil {
			s.tag, err = br.Exec()
		} else {
			rows, _ := br.Query() // the error, if any, is also rows.Err()
			for eachErr == nil && rows.Next() {
				eachErr = s.each(rows)
			}
			rows.Close()
			s.tag, err = rows.CommandTag(), rows.Err()
		}
		if err != nil {
			_ = br.Close()
			return t.broke(err, what)
		}
	}
	if err := br.Close(); err != nil {
		return t.broke(err, what)
	}
	if eachErr != nil {
		return itsm.Wrap(itsm.CodeInternal, eachErr, "%s: read row", what)
	}
	return nil
}

func (t *txn) broke(err error, what op) error {
	t.broken = mapError(t.ctx, err, "%s", what)
	return t.broken
}

// scanOne returns a stmt whose first row, if any, is scanned into dest, and
// reports in *found whether there was one.
func scanOne(sql string, args []any, found *bool, dest ...any) *stmt {
	return &stmt{sql: sql, args: args, each: func(rows pgx.Rows) error {
		if *found {
			return nil
		}
		*found = true
		return rows.Scan(dest...)
	}}
}

// queryRow runs a statement that returns at most one row and scans it into
// dest; found is false when there was no row.
func (t *txn) queryRow(what op, sql string, args []any, dest ...any) (found bool, err error) {
	err = t.send(what, scanOne(sql, args, &found, dest...))
	return found, err
}

// commit commits a Write whose fn succeeded. Commit errors have
// CodeUnavailable (the outcome may be unknown: the connection broke) or
// CodeConflict, as the contract says.
func (t *txn) commit() error {
	if t.tx == nil {
		// fn ran no statement: there is nothing to commit.
		return nil
	}
	err := t.tx.Commit(t.ctx)
	if err == nil {
		t.done = true
		return nil
	}
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		return itsm.Errorf(itsm.CodeConflict, "pgstore: commit: the server rolled the transaction back")
	}
	mapped := mapError(t.ctx, err, "pgstore: commit")
	if itsm.ErrorCode(mapped) == itsm.CodeInternal {
		// Whatever the server said, the caller can only try again later.
		return itsm.Wrap(itsm.CodeUnavailable, err, "pgstore: commit")
	}
	return mapped
}

// release rolls back whatever commit did not finish and gives the connection
// back. Once the caller's context is cancelled the rollback gets one of its
// own: after a cancel between statements the connection is still sound, and
// rolling back is what lets the pool keep it. pgxpool closes a connection
// that comes back broken or inside a transaction.
func (t *txn) release() {
	t.ended = true
	if t.tx != nil && !t.done {
		if t.ctx.Err() == nil {
			_ = t.tx.Rollback(t.ctx)
		} else {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), endTimeout)
			_ = t.tx.Rollback(ctx)
			cancel()
		}
	}
	t.conn.Release()
}
