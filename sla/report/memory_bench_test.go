package report_test

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/benchtest"
	"github.com/spoc-itsm/spoc/sla/report"
	"github.com/spoc-itsm/spoc/sla/report/synth"
)

// BenchmarkYearlyReportMemory computes a yearly report over a million
// generated tickets (sla/report/synth, seed 1, 2025: the municipality's
// delivery ten times over) streamed one by one from the generator into
// Compute, with the SLA and the four UCs, and reports the peak heap in use
// while it runs as peak_MiB: the bytes of live and not yet collected objects
// plus the unused parts of their spans (what ReadMemStats calls HeapInuse),
// sampled every millisecond through runtime/metrics. The target is under
// 2048 MiB. base_MiB is the heap in use before the report starts.
//
// The baseline is the generator alone over the same year, run once just
// before the timed loop and b.N times after it, so that load from elsewhere
// on the machine drifting during the run hits both alike: x_generate is the
// report's time over the generator's mean time, what Compute adds to merely
// producing the tickets.
//
// SPOC_BENCH_TICKETS sets another number of tickets.
func BenchmarkYearlyReportMemory(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 20_000 // CI's one run proves the benchmark works, not the figure
	}
	if v := os.Getenv("SPOC_BENCH_TICKETS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("SPOC_BENCH_TICKETS=%q is not a positive number", v)
		}
	}
	g, err := synth.New(synth.Config{Seed: 1, Year: 2025, Incidents: n})
	if err != nil {
		b.Fatal(err)
	}
	d := g.Delivery()
	spec := report.Spec{Period: g.Year(), Agreements: d.Agreements(), Names: d.Names()}

	var genD time.Duration
	tickets := 0
	generate := func() {
		start := time.Now()
		tickets = 0
		for _, err := range g.Tickets() {
			if err != nil {
				b.Fatal(err)
			}
			tickets++
		}
		genD += time.Since(start)
	}
	generate()

	runtime.GC()
	base := benchtest.HeapInUse()
	peak := benchtest.SampleHeap()
	b.ResetTimer()
	var r *report.Report
	for range b.N {
		if r, err = report.Compute(spec, g.Tickets()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	high := peak()
	reportD := b.Elapsed()
	for range b.N {
		generate()
	}
	// The mean of the b.N+1 runs, for each of the b.N reports.
	genD = genD * time.Duration(b.N) / time.Duration(b.N+1)
	if r.Total.Registered != tickets {
		b.Fatalf("the report registered %d tickets, the generator made %d", r.Total.Registered, tickets)
	}
	b.ReportMetric(float64(tickets), "tickets")
	b.ReportMetric(float64(high)/(1<<20), "peak_MiB")
	b.ReportMetric(float64(base)/(1<<20), "base_MiB")
	b.ReportMetric(reportD.Seconds()/genD.Seconds(), "x_generate")
}
