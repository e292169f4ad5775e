package itsm

import (
	"context"
	"math/rand/v2"
	"time"
)

// WriteAttempts bounds how often a command runs its write transaction when
// it keeps losing optimistic races (CodeConflict from the store); each
// attempt reads and decides again. Ten were once lost in a row by one of
// four writers on one incident on PostgreSQL while CI loaded the machine;
// twenty, with Backoff's longer waits, make that practically impossible.
const WriteAttempts = 20

// Backoff waits before attempt+1 of a write that lost a race: a random time
// up to 100 µs doubled per attempt (at most 51.2 ms from the ninth on), so
// that writers colliding on one record spread out even when a transaction
// takes milliseconds. It reports false when ctx ends first.
func Backoff(ctx context.Context, attempt int) bool {
	t := time.NewTimer(time.Duration(rand.Int64N(int64(100*time.Microsecond) << min(attempt, 9))))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// WriteRetrying runs fn in write transactions of store until one commits,
// fn refuses, or it loses WriteAttempts races. fn reports whether its error
// is a refusal by the rules, which deciding again on the same input cannot
// change, and is returned at once; a conflict from the store (another
// command changed a record fn read since) runs fn again on fresh records,
// after Backoff.
func WriteRetrying(ctx context.Context, store Store, fn func(tx WriteTx) (refused bool, err error)) error {
	for attempt := 1; ; attempt++ {
		refused := false
		err := store.Write(ctx, func(tx WriteTx) error {
			var err error
			refused, err = fn(tx)
			return err
		})
		if refused || !IsCode(err, CodeConflict) || attempt == WriteAttempts || !Backoff(ctx, attempt) {
			return err
		}
	}
}
