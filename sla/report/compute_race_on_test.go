//go:build race

package report_test

// computeRace reports that the tests run under the race detector, where the
// random recomputation runs on fewer tickets.
const computeRace = true
