package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spoc-itsm/spoc/itsm"
)

// SQLSTATE codes that mapError and Put look at.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	lockNotAvailable     = "55P03"
)

// mapError gives an error from pgx the code the contract asks for; the
// message, formatted from format and args, says what the store was doing.
//
//   - A cancelled or expired context: CodeUnavailable wrapping ctx.Err(), so
//     that errors.Is(err, context.Canceled) holds whatever pgx reported.
//   - Serialization failures and deadlocks: CodeConflict, the caller's cue to
//     reload and try again.
//   - Unique violations: CodeConflict (Put words its own message).
//   - Connection, resource and operator errors (SQLSTATE classes 08, 53, 57,
//     58) and errors that never reached the server, such as a refused
//     connection: CodeUnavailable.
//   - Any other server error (a missing table, a failed check): CodeInternal.
func mapError(ctx context.Context, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(err, cerr) {
			return itsm.Wrap(itsm.CodeUnavailable, err, "%s", msg)
		}
		// pgx usually wraps the context's error; when it does not (the
		// server noticed the cancel first), keep both.
		return itsm.Wrap(itsm.CodeUnavailable, fmt.Errorf("%w (%w)", cerr, err), "%s", msg)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return itsm.Wrap(itsm.CodeUnavailable, err, "%s", msg)
	}
	code, class := itsm.CodeInternal, pe.Code
	if len(class) > 2 {
		class = class[:2]
	}
	switch {
	case pe.Code == serializationFailure, pe.Code == deadlockDetected, pe.Code == uniqueViolation:
		code = itsm.CodeConflict
	case pe.Code == lockNotAvailable, class == "08", class == "53", class == "57", class == "58":
		code = itsm.CodeUnavailable
	}
	return itsm.Wrap(code, err, "%s", msg)
}

// uniqueValue extracts the index name and value from the detail of a unique
// violation on entries_unique, such as
//
//	Key (kind, name, value)=(incident, number, INC0000042) already exists.
//
// Kinds and names cannot contain ", ", so the value is whatever follows the
// second one. ok is false when the detail has another form (a translated
// server message, say).
func uniqueValue(pe *pgconn.PgError) (name, value string, ok bool) {
	const head, tail = "Key (kind, name, value)=(", ") already exists."
	d := pe.Detail
	if pe.ConstraintName != "entries_unique" || !strings.HasPrefix(d, head) || !strings.HasSuffix(d, tail) {
		return "", "", false
	}
	parts := strings.SplitN(d[len(head):len(d)-len(tail)], ", ", 3)
	if len(parts) != 3 {
		return "", "", false
	}
	return parts[1], parts[2], true
}
