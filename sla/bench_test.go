package sla_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/se"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// The benchmarks compare spoc with github.com/rickar/cal/v2 on the same
// calendar: Monday to Friday 08:00-17:00 in Europe/Stockholm with the Swedish
// holidays (rickar's business calendar has one span a day). Each reports the
// ratio to rickar measured in the same run as "x_rickar".

func benchCalendars(b *testing.B) (*sla.Calendar, *cal.BusinessCalendar, []time.Time) {
	b.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		b.Fatal(err)
	}
	c, err := sla.NewCalendar(sla.CalendarSpec{Name: "office", Location: loc,
		Week: sla.OfficeHours(8*time.Hour, 17*time.Hour), Holidays: []string{"se"}})
	if err != nil {
		b.Fatal(err)
	}
	rc := cal.NewBusinessCalendar()
	rc.SetWorkHours(8*time.Hour, 17*time.Hour)
	rc.AddHoliday(se.Holidays...)
	rc.Cacheable = true
	r := rand.New(rand.NewPCG(1, 2))
	starts := make([]time.Time, 1024)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	for i := range starts {
		starts[i] = base.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
	}
	return c, rc, starts
}

// ratio times baseline after the benchmark's own loop and reports how many
// times faster the benchmark was. (testing.Benchmark cannot be nested in a
// running benchmark: both take the testing package's benchmark lock.)
func ratio(b *testing.B, baseline func(i int)) {
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	for n := 1; ; n *= 2 {
		start := time.Now()
		for i := range n {
			baseline(i)
		}
		if el := time.Since(start); el > 500*time.Millisecond {
			b.ReportMetric(float64(el.Nanoseconds())/float64(n)/perOp, "x_rickar")
			return
		}
	}
}

func BenchmarkAdd40Hours(b *testing.B) {
	c, rc, starts := benchCalendars(b)
	b.ReportAllocs()
	var sink time.Time
	for i := 0; b.Loop(); i++ {
		sink = c.Add(starts[i%len(starts)], 40*time.Hour)
	}
	_ = sink
	ratio(b, func(i int) { sink = rc.AddWorkHours(starts[i%len(starts)], 40*time.Hour) })
}

func benchBetween(b *testing.B, span time.Duration, withRickar bool) {
	c, rc, starts := benchCalendars(b)
	b.ReportAllocs()
	var sink time.Duration
	for i := 0; b.Loop(); i++ {
		s := starts[i%len(starts)]
		sink += c.Between(s, s.Add(span))
	}
	if withRickar {
		ratio(b, func(i int) {
			s := starts[i%len(starts)]
			sink += rc.WorkHoursInRange(s, s.Add(span))
		})
	}
}

func BenchmarkBetween(b *testing.B) {
	b.Run("1d", func(b *testing.B) { benchBetween(b, 24*time.Hour, false) })
	b.Run("365d", func(b *testing.B) { benchBetween(b, 365*24*time.Hour, true) })
	b.Run("10y", func(b *testing.B) { benchBetween(b, 3652*24*time.Hour, false) })
}

// BenchmarkMeasure20 measures a 20-interval timeline: the work behind every
// clock shown on a ticket.
func BenchmarkMeasure20(b *testing.B) {
	c, _, _ := benchCalendars(b)
	desk, supplier, customer := itsm.NewID(), itsm.NewID(), itsm.NewID()
	a := &sla.Agreement{Name: "sla", Kind: sla.KindUC, Provider: supplier, Consumer: customer, Objective: 0.95,
		Warnings: []float64{0.5, 0.75},
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 3, Within: 80 * time.Hour, Calendar: c,
			Pause: []itsm.State{"waiting_user", "waiting_vendor"}, Stop: []itsm.State{"resolved", "closed"}}}}
	states := []itsm.State{"in_progress", "delegated", "accepted", "waiting_user", "accepted"}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, c.Location())
	var tl itsm.Timeline
	for i := range 20 {
		holder := supplier
		if i%5 == 0 {
			holder = desk
		}
		tl = append(tl, itsm.Interval{Start: start.Add(time.Duration(i) * 5 * time.Hour), State: states[i%len(states)],
			Holder: holder, Priority: 3})
	}
	now := start.Add(100 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Measure(tl, sla.MetricResolution, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestArithmeticDoesNotAllocate keeps the hot paths free of garbage: they run
// for every clock of every ticket on every read.
func TestArithmeticDoesNotAllocate(t *testing.T) {
	c := stockholm(t)
	from := time.Date(2026, 6, 17, 10, 0, 0, 0, c.Location())
	to := from.AddDate(1, 0, 0)
	for name, f := range map[string]func(){
		"Add":       func() { c.Add(from, 40*time.Hour) },
		"Between":   func() { c.Between(from, to) },
		"IsWorking": func() { c.IsWorking(from) },
		"Next":      func() { c.Next(to) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

// BenchmarkNewCalendar is the cost of building a Swedish office calendar:
// 230 years of holidays (shared once computed) and zone changes.
func BenchmarkNewCalendar(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		b.Fatal(err)
	}
	spec := sla.CalendarSpec{Name: "office", Location: loc, Week: sla.OfficeHours(8*time.Hour, 17*time.Hour),
		Holidays: []string{"se"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sla.NewCalendar(spec); err != nil {
			b.Fatal(err)
		}
	}
}
