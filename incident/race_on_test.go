//go:build race

package incident_test

// raceEnabled reports that the tests run under the race detector, where the
// long single-goroutine replays are skipped.
const raceEnabled = true
