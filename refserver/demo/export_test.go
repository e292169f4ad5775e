package demo

import "testing"

// WithoutHistory makes SeedWithPast import no history until t ends; the
// servers still take turns on Past.Store.
func WithoutHistory(t testing.TB) {
	skipHistory = true
	t.Cleanup(func() { skipHistory = false })
}
