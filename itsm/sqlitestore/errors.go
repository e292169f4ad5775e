package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/spoc-itsm/spoc/itsm"
)

// mapErr turns an error of database/sql or the driver into an *itsm.Error
// whose message says what was being done (format and args, which name the
// kind, id or index concerned). An *itsm.Error passes unchanged.
func mapErr(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var ie *itsm.Error
	if errors.As(err, &ie) {
		return err
	}
	msg := fmt.Sprintf(format, args...)
	// Once the context is done, database/sql and the driver report it in
	// several ways (an interrupted statement, a transaction already rolled
	// back); the context's own error is the one callers test for.
	if cerr := ctx.Err(); cerr != nil {
		return itsm.Wrap(itsm.CodeUnavailable, cerr, "%s", msg)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return itsm.Wrap(itsm.CodeUnavailable, err, "%s", msg)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		// Extended result codes are on; the low byte is the primary code.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
			// The file is locked, the disk is full or unreadable: the
			// environment, not the request, and it may recover.
			return itsm.Wrap(itsm.CodeUnavailable, err, "%s", msg)
		case sqlite3.SQLITE_CONSTRAINT:
			return itsm.Wrap(itsm.CodeConflict, err, "%s", msg)
		}
		return itsm.Wrap(itsm.CodeInternal, err, "%s", msg)
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return itsm.Wrap(itsm.CodeUnavailable, err, "%s", msg)
	}
	return itsm.Wrap(itsm.CodeInternal, err, "%s", msg)
}

// isConstraint reports whether err is SQLite's refusal of a constraint, such
// as a duplicate primary key.
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
