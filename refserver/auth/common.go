package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// refusal marks an error of a decision, which deciding again on the same
// records would repeat, so retry returns it at once.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

func refuse(err error) error { return refusal{err} }

// retry runs fn in a write transaction, and again when the store reports a
// conflict (another writer changed a record fn read), up to itsm.WriteAttempts.
func retry(ctx context.Context, store itsm.Store, fn func(tx itsm.WriteTx) error) error {
	for attempt := 1; ; attempt++ {
		err := store.Write(ctx, fn)
		var r refusal
		if errors.As(err, &r) {
			return r.err
		}
		if !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			return err
		}
	}
}

// checkLabel accepts one line of at most MaxName bytes (itsm.CheckLabel);
// required refuses an empty one.
func checkLabel(name, v string, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return itsm.Errorf(itsm.CodeInvalid, "%s is empty", name)
	case len(v) > MaxName:
		return itsm.Errorf(itsm.CodeInvalid, "%s is %d bytes, more than %d", name, len(v), MaxName)
	}
	return itsm.CheckLabel(name, v)
}
