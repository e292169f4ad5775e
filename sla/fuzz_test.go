package sla_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/sla"
)

// Fuzz inputs are mapped onto instants from 1965 to 2205, a little beyond the
// calendar's domain on both sides.
var (
	fuzzBase = time.Date(1965, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	fuzzSpan = time.Date(2205, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - fuzzBase
)

func fuzzInstant(sec, nsec int64, zone int) time.Time {
	zs := inputZones()
	s := (sec - fuzzBase) % fuzzSpan // seconds in range are taken as they are
	if s < 0 {
		s += fuzzSpan
	}
	ns := nsec % 1e9
	if ns < 0 {
		ns += 1e9
	}
	if zone < 0 {
		zone = -zone
	}
	return time.Unix(fuzzBase+s, ns).In(zs[zone%len(zs)])
}

// fuzzDuration maps an int64 onto 1 ns .. max.
func fuzzDuration(x int64, max time.Duration) time.Duration {
	if x < 0 {
		x = -(x + 1)
	}
	return time.Duration(x%int64(max)) + 1
}

// checkInvariants checks the arithmetic of c on instants a and b and an
// amount d of working time: Add against Between, Add's earliest-ness,
// monotonicity and additivity of Between, and Next. With a non-nil oracle the
// answers are also compared with it.
func checkInvariants(t *testing.T, c workCalendar, o *oracle, desc string, a, b time.Time, d time.Duration) {
	t.Helper()
	loc := time.UTC
	if o != nil {
		loc = o.loc
	}
	ts := func(x time.Time) string { return timeString(x, loc) }
	end := time.Date(sla.LastYear+1, 1, 1, 0, 0, 0, 0, loc)
	if b.Before(a) {
		a, b = b, a
	}
	r := c.Add(a, d)
	if r.Before(a) {
		t.Fatalf("%s: Add(%s, %v) = %s is before from", desc, ts(a), d, ts(r))
	}
	if r.Before(end) {
		if got := c.Between(a, r); got != d {
			t.Fatalf("%s: Between(a, Add(a, d)) = %v, want %v; a = %s, Add = %s", desc, got, d, ts(a), ts(r))
		}
		if got := c.Between(a, r.Add(-1)); got >= d {
			t.Fatalf("%s: Between(a, Add(a, d)-1ns) = %v >= %v; a = %s, Add = %s", desc, got, d, ts(a), ts(r))
		}
	} else if !r.Equal(end) && !r.Equal(a) {
		t.Fatalf("%s: Add(%s, %v) = %s, after the end of the domain %s", desc, ts(a), d, ts(r), ts(end))
	}
	if r2 := c.Add(a, d+time.Second); r2.Before(r) {
		t.Fatalf("%s: Add(a, d+1s) = %s before Add(a, d) = %s; a = %s", desc, ts(r2), ts(r), ts(a))
	}
	// a <= m <= b, and b <= r or r <= b: Between is additive and monotonic.
	m := a.Add(b.Sub(a) / 2)
	for _, x := range [][3]time.Time{{a, m, b}, {a, minTime(b, r), maxTime(b, r)}} {
		p, q, s := x[0], x[1], x[2]
		bpq, bqs, bps := c.Between(p, q), c.Between(q, s), c.Between(p, s)
		if bpq < 0 || bqs < 0 || bps != bpq+bqs {
			t.Fatalf("%s: Between not additive: p = %s, q = %s, s = %s: %v + %v != %v", desc, ts(p), ts(q), ts(s), bpq, bqs, bps)
		}
		if c.Between(q, s) > c.Between(p, s) || c.Between(p, q) > c.Between(p, s) {
			t.Fatalf("%s: Between not monotonic: p = %s, q = %s, s = %s", desc, ts(p), ts(q), ts(s))
		}
	}
	if got := c.Between(b, a); a.Before(b) && got != 0 {
		t.Fatalf("%s: Between(b, a) = %v with a < b", desc, got)
	}
	for _, x := range []time.Time{a, b} {
		n := c.Next(x)
		if n.Before(end) && (!c.IsWorking(n) || n.Before(x)) {
			t.Fatalf("%s: Next(%s) = %s: IsWorking %v", desc, ts(x), ts(n), c.IsWorking(n))
		}
		if got := c.Between(x, n); got != 0 {
			t.Fatalf("%s: Between(t, Next(t)) = %v; t = %s, Next = %s", desc, got, ts(x), ts(n))
		}
		if c.IsWorking(x) && !n.Equal(x) {
			t.Fatalf("%s: IsWorking(%s) but Next = %s", desc, ts(x), ts(n))
		}
	}
	if o == nil {
		return
	}
	if got, want := c.Add(a, d), o.Add(a, d); !got.Equal(want) {
		t.Fatalf("%s: Add(%s, %v [%d]) = %s, oracle %s", desc, ts(a), d, int64(d), ts(got), ts(want))
	}
	if got, want := c.Between(a, b), o.Between(a, b); got != want {
		t.Fatalf("%s: Between(%s, %s) = %v, oracle %v", desc, ts(a), ts(b), got, want)
	}
	for _, x := range []time.Time{a, b} {
		if got, want := c.IsWorking(x), o.IsWorking(x); got != want {
			t.Fatalf("%s: IsWorking(%s) = %v, oracle %v", desc, ts(x), got, want)
		}
		if got, want := c.Next(x), o.Next(x); !got.Equal(want) {
			t.Fatalf("%s: Next(%s) = %s, oracle %s", desc, ts(x), ts(got), ts(want))
		}
	}
}

// weekly returns the working time of a spec's week.
func weekly(spec sla.CalendarSpec) time.Duration {
	var w time.Duration
	for _, spans := range spec.Week {
		for _, s := range spans {
			w += s.End - s.Start
		}
	}
	return w
}

func FuzzParseCalendar(f *testing.F) {
	f.Add([]byte(`{"name": "stockholm-office", "location": "Europe/Stockholm", "hours": {"mon": ["08:00-17:00"], "fri": ["08:00-16:00"]}, "holidays": ["se"], "days": {"2026-04-30": ["08:00-13:00"], "2026-12-23": []}}`), int64(1781820000), int64(8*time.Hour))
	f.Add([]byte(`{"name": "ops", "location": "America/Havana", "hours": "24x7"}`), int64(1772946000), int64(time.Hour))
	f.Fuzz(func(t *testing.T, doc []byte, sec int64, dur int64) {
		c, err := sla.ParseCalendar(doc)
		if err != nil {
			if c != nil {
				t.Fatalf("ParseCalendar returned a calendar and the error %v", err)
			}
			return
		}
		if c == nil {
			t.Fatalf("ParseCalendar(%q) = nil, nil", doc)
		}
		if c.Location() == nil {
			t.Fatalf("ParseCalendar(%q): nil Location", doc)
		}
		spec := c.Spec()
		// The oracle of the calendar's own (normalized) spec; its walks are
		// only bounded when the calendar has some working time every week.
		var o *oracle
		maxD := 400 * 24 * time.Hour
		known := true
		for _, code := range spec.Holidays {
			_, ok := oracleCountries[code]
			known = known && ok
		}
		if w := weekly(spec); w > 0 && known {
			o = newOracle(spec)
			maxD = min(maxD, w*60)
		}
		a := fuzzInstant(sec, dur, int(sec>>40))
		b := a.Add(fuzzDuration(dur>>3, 20*24*time.Hour))
		checkInvariants(t, c, o, string(doc), a, b, fuzzDuration(dur, maxD))
	})
}

var (
	fuzzCalendarsOnce sync.Once
	fuzzSpecs         []sla.CalendarSpec
	fuzzCalendars     []*sla.Calendar
)

// fuzzCalendarSet returns fixed calendars: the Swedish office, 24x7 in every
// test zone, a night shift around the DST hours, and a few random ones.
func fuzzCalendarSet(t testing.TB) ([]sla.CalendarSpec, []*sla.Calendar) {
	fuzzCalendarsOnce.Do(func() {
		fuzzSpecs = append(fuzzSpecs, swedishOfficeSpec())
		for _, z := range calendarZones {
			fuzzSpecs = append(fuzzSpecs, sla.CalendarSpec{Name: "24x7", Location: mustLoad(z), Week: sla.AlwaysOpen()})
		}
		fuzzSpecs = append(fuzzSpecs, sla.CalendarSpec{Name: "havana-night", Location: mustLoad("America/Havana"),
			Week: [7][]sla.Span{{sp("00:00-01:00"), sp("23:00-24:00")}, {sp("00:00-02:30")}, {sp("00:30-24:00")},
				{sp("01:00-02:00")}, {sp("00:00-00:30"), sp("22:00-24:00")}, {sp("08:00-16:00")}, {}},
			Holidays: []string{"nl"}})
		fuzzSpecs = append(fuzzSpecs, officeSpec("us-office", "America/New_York", "us", 9*time.Hour, 17*time.Hour))
		r := rand.New(rand.NewPCG(propertySeed, 7))
		for k := range 6 {
			spec, _ := randomSpec(r, k)
			fuzzSpecs = append(fuzzSpecs, spec)
		}
		for _, spec := range fuzzSpecs {
			c, err := sla.NewCalendar(spec)
			if err != nil {
				panic(err)
			}
			fuzzCalendars = append(fuzzCalendars, c)
		}
	})
	return fuzzSpecs, fuzzCalendars
}

func FuzzCalendarInvariants(f *testing.F) {
	f.Add(uint8(0), int64(1781776800), int64(0), int64(8*time.Hour))            // Thursday 12:00 before Midsommarafton 2026
	f.Add(uint8(4), int64(1775311200), int64(999_999_999), int64(24*time.Hour)) // Lord Howe, 2026-04-05 01:00 (DST ends)
	f.Add(uint8(6), int64(1772938800), int64(1), int64(90*24*time.Hour))        // Havana, 2026-03-07 22:00 (DST at midnight)
	f.Add(uint8(7), int64(1325181600), int64(0), int64(36*time.Hour))           // Apia, 2011-12-29 08:00 (2011-12-30 skipped)
	f.Add(uint8(1), int64(7258107600), int64(0), int64(3*time.Hour))            // Stockholm 2199-12-31 22:00, the end of the domain
	f.Add(uint8(8), int64(-19800-60), int64(500), int64(time.Hour))             // Kolkata, just before the domain starts
	f.Fuzz(func(t *testing.T, choice uint8, sec, nsec, dur int64) {
		specs, cals := fuzzCalendarSet(t)
		i := int(choice) % len(cals)
		spec, c := specs[i], cals[i]
		maxD := min(120*24*time.Hour, weekly(spec)*60)
		a := fuzzInstant(sec, nsec, int(choice/32))
		b := a.Add(fuzzDuration(nsec^dur, 15*24*time.Hour))
		checkInvariants(t, c, newOracle(spec), specString(spec), a, b, fuzzDuration(dur, maxD))
	})
}
