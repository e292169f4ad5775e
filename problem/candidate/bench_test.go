package candidate_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/spoc-itsm/spoc/internal/benchtest"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// BenchmarkDetect scans a synthetic year (sla/report/synth's municipality,
// with CIs, summaries and 13 planted problems) of 25,000 to 200,000
// incidents week by week on office hours, from incidents already in memory.
// It reports ns/incident, which stays flat if the cost grows linearly, and
// peak_MiB, the highest heap in use (HeapInuse through runtime/metrics,
// sampled every millisecond) over the heap before, against the 200 MiB
// target.
func BenchmarkDetect(b *testing.B) {
	for _, n := range []int{25_000, 50_000, 100_000, 200_000} {
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			w := newWorld(b, 1, n, 13)
			cfg := candidate.Config{Windows: -1, Calendar: w.gen.Delivery().Office}
			runtime.GC()
			base := benchtest.HeapInUse()
			stop := benchtest.SampleHeap()
			b.ResetTimer()
			for range b.N {
				if _, err := candidate.Detect(w.source(), cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			high := stop()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(w.incidents)), "ns/incident")
			b.ReportMetric(float64(high-min(base, high))/(1<<20), "peak_MiB")
		})
	}
}
