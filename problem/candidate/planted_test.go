package candidate_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// TestPlantedProblems scans synthetic years (several seeds) week by week
// and checks that the detector finds most planted problems and proposes
// few candidates that are none: recall at least 0.7 and at most 1.5 false
// positives a month over all seeds. Run with -v for the figures that
// docs/validation.md quotes.
func TestPlantedProblems(t *testing.T) {
	if testing.Short() {
		t.Skip("planted problems skipped in -short mode: they generate five years of 100,000 incidents")
	}
	if seqtest.Race() {
		// One goroutine: the race detector has nothing to find, and the
		// run without it checks the same figures ten times faster.
		t.Skip("planted problems skipped under the race detector: single-goroutine, checked by the ordinary run")
	}
	for _, exp := range []struct {
		name string
		e    candidate.Exposure
	}{{"working time", candidate.WorkingTime}, {"desk volume", candidate.DeskVolume}} {
		var total score
		for seed := uint64(1); seed <= 5; seed++ {
			w := newWorld(t, seed, 100_000, 13)
			cfg := candidate.Config{Windows: -1, Exposure: exp.e, Calendar: w.gen.Delivery().Office}
			cs, err := candidate.Detect(w.source(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			months := float64(52*7*24*time.Hour-candidate.DefaultBaseline) / float64(30.44*24*float64(time.Hour))
			s := w.grade(cs, months)
			t.Logf("%s, seed %d: %d incidents, found %d of %d planted problems, %d false positives (%.2f a month), %d candidates",
				exp.name, seed, len(w.incidents), s.found, s.problems, s.falsePos, float64(s.falsePos)/s.months, len(cs))
			total.found += s.found
			total.problems += s.problems
			total.falsePos += s.falsePos
			total.months += s.months
		}
		recall := float64(total.found) / float64(total.problems)
		fp := float64(total.falsePos) / total.months
		t.Logf("%s: recall %.3f (%d of %d), %.2f false positives a month", exp.name, recall, total.found, total.problems, fp)
		if recall < 0.7 || fp > 1.5 {
			t.Errorf("%s: recall %.3f, %.2f false positives a month; want at least 0.7 and at most 1.5", exp.name, recall, fp)
		}
	}
}
