package itsm_test

import (
	"context"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestBackoff(t *testing.T) {
	if !itsm.Backoff(context.Background(), 1) {
		t.Error("Backoff with a live context reported false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// At attempt 8 the wait is up to 25.6 ms; a cancelled context ends it
	// at once (or, for a zero draw, the timer does).
	for range 20 {
		if itsm.Backoff(ctx, 8) {
			continue
		}
		return
	}
	t.Error("Backoff never noticed the cancelled context")
}
