package candidate_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

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
			base := heapInUse()
			stop := sampleHeap()
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

// heapSamples are the runtime/metrics that add up to HeapInuse.
var heapSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
}

func heapInUse() uint64 {
	s := make([]metrics.Sample, len(heapSamples))
	copy(s, heapSamples)
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// sampleHeap samples the heap in use every millisecond until the returned
// function is called, which returns the highest sample.
func sampleHeap() (stop func() uint64) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var high uint64
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			high = max(high, heapInUse())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(high, heapInUse())
	}
}
