package itsm

import (
	"context"
	"math/rand/v2"
	"time"
)

// WriteAttempts bounds how often a command runs its write transaction when
// it keeps losing optimistic races (CodeConflict from the store); each
// attempt reads and decides again.
const WriteAttempts = 10

// Backoff waits before attempt+1 of a write that lost a race: a random time
// that grows with the attempt, so that writers colliding on one record
// spread out. It reports false when ctx ends first.
func Backoff(ctx context.Context, attempt int) bool {
	t := time.NewTimer(time.Duration(rand.Int64N(int64(50*time.Microsecond) << min(attempt, 8))))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
