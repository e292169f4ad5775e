package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Transactions run on the driver's connection directly, through
// database/sql's Conn.Raw, rather than through sql.Tx and sql.Stmt. A point
// read through sql.Tx costs three statement round trips with database/sql
// bookkeeping around each (a goroutine watching the context, a statement
// handle bound to the transaction, BEGIN and ROLLBACK parsed anew every time
// by the driver) and reached about half the raw driver's rate. Here
// database/sql still pools the connections and hands one out under the
// context, and each connection keeps its own prepared statements, BEGIN and
// COMMIT included, for its whole life.

// connStmts is one driver connection and the statements prepared on it. It is
// used only inside Conn.Raw, which gives the caller the connection alone.
type connStmts struct {
	conn  driver.Conn
	stmts map[string]driver.Stmt
}

// conns maps each driver connection to its prepared statements. Readers
// look their connection up on every transaction, hence a sync.Map.
type conns struct {
	m sync.Map // driver.Conn -> *connStmts
}

func (cs *conns) get(dc driver.Conn) *connStmts {
	if c, ok := cs.m.Load(dc); ok {
		return c.(*connStmts)
	}
	// Only the caller holds dc, so no one else can store it meanwhile.
	c := &connStmts{conn: dc, stmts: make(map[string]driver.Stmt)}
	cs.m.Store(dc, c)
	return c
}

// drop finalizes c's statements before its connection is closed: SQLite
// keeps a connection with unfinalized statements open as a zombie.
func (cs *conns) drop(c *connStmts) error {
	cs.m.Delete(c.conn)
	return c.closeStmts()
}

// closeAll finalizes every statement; Store.Close calls it when no
// transaction runs, just before closing the pools.
func (cs *conns) closeAll() error {
	var errs []error
	cs.m.Range(func(dc, c any) bool {
		errs = append(errs, c.(*connStmts).closeStmts())
		cs.m.Delete(dc)
		return true
	})
	return errors.Join(errs...)
}

func (c *connStmts) closeStmts() error {
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// withConn runs fn on a connection of db. When fn fails in a way that may
// leave the connection inside a transaction, or its context ended and a
// statement may have been interrupted half-way, the connection is closed
// rather than returned to the pool, after its statements are finalized.
// A panic in fn reaches the caller once the connection is back in the pool.
func withConn(ctx context.Context, db *sql.DB, cs *conns, fn func(c *connStmts) (discard bool, err error)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return mapErr(ctx, err, "sqlitestore: get a connection")
	}
	defer conn.Close()
	var result error
	var panicked any
	rawErr := conn.Raw(func(dc any) error {
		c := cs.get(dc.(driver.Conn))
		discard := true
		func() {
			defer func() {
				if p := recover(); p != nil {
					panicked = p
				}
			}()
			discard, result = fn(c)
		}()
		if discard || ctx.Err() != nil {
			_ = cs.drop(c)
			return driver.ErrBadConn
		}
		return nil
	})
	if panicked != nil {
		panic(panicked)
	}
	if rawErr != nil && !errors.Is(rawErr, driver.ErrBadConn) && result == nil {
		result = mapErr(ctx, rawErr, "sqlitestore: connection")
	}
	return result
}

// stmt returns the statement q prepared on c.
func (c *connStmts) stmt(ctx context.Context, q string) (driver.Stmt, error) {
	if st := c.stmts[q]; st != nil {
		return st, nil
	}
	st, err := c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.stmts[q] = st
	return st, nil
}

// named turns arguments into the driver's form. Every argument is already a
// type the driver binds (int64, string, []byte, bool or nil).
func named(args []any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// exec runs a statement that returns no rows.
func (c *connStmts) exec(ctx context.Context, q string, args ...any) error {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return err
	}
	_, err = st.(driver.StmtExecContext).ExecContext(ctx, named(args))
	return err
}

// query runs q and calls each with every row's values in row, which it
// reuses. The driver gives each []byte value its own copy, so each may keep
// them.
func (c *connStmts) query(ctx context.Context, q string, args []any, row []driver.Value, each func() (more bool, err error)) (err error) {
	st, err := c.stmt(ctx, q)
	if err != nil {
		return err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, named(args))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	for {
		if err := rows.Next(row); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if more, err := each(); err != nil || !more {
			return err
		}
	}
}

// queryRow runs q and returns its first row's values, or found false.
func (c *connStmts) queryRow(ctx context.Context, q string, row []driver.Value, args ...any) (found bool, err error) {
	err = c.query(ctx, q, args, row, func() (bool, error) {
		found = true
		return false, nil
	})
	return found, err
}

// The column values of the driver come as int64, string, []byte or nil.

func asInt64(v driver.Value) (int64, error) {
	if n, ok := v.(int64); ok {
		return n, nil
	}
	return 0, fmt.Errorf("column holds %T, want an integer", v)
}

func asString(v driver.Value) (string, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	}
	return "", fmt.Errorf("column holds %T, want text", v)
}

// asBytes accepts text too: SQLite keeps what was bound, and a blob column
// written by another tool may hold text.
func asBytes(v driver.Value) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case string:
		return []byte(b), nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("column holds %T, want bytes", v)
}
