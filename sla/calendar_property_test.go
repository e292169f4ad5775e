package sla_test

// Property tests: the calendar against the day-walking oracle of
// oracle_test.go, on random and fixed calendars in zones with awkward
// daylight-saving rules, plus invariants of the arithmetic that need no
// oracle. Everything is deterministic: a failure names its subtest, seed,
// stream and case, and prints the spec and inputs as Go literals.

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/sla"
)

const propertySeed = 0x5_1a_2026

// calendarZones are the zones calendars are built in: European and American
// DST, a 30-minute DST shift (Lord Howe), irregular DST (Cairo), transitions
// at midnight (Havana), a skipped day (Apia, 2011-12-30), no DST at all.
var calendarZones = []string{
	"Europe/Stockholm", "Europe/Oslo", "America/New_York", "Australia/Lord_Howe",
	"Africa/Cairo", "America/Havana", "Pacific/Apia", "Asia/Kolkata", "UTC",
}

// inputZones are the zones inputs are given in; results must not depend on it.
func inputZones() []*time.Location {
	zs := []*time.Location{time.UTC, time.FixedZone("+0545", 5*3600+45*60), time.FixedZone("-0930", -(9*3600 + 30*60))}
	for _, z := range calendarZones {
		zs = append(zs, mustLoad(z))
	}
	return zs
}

func swedishOfficeSpec() sla.CalendarSpec {
	var w [7][]sla.Span
	for d := time.Monday; d <= time.Thursday; d++ {
		w[d] = []sla.Span{sp("08:00-17:00")}
	}
	w[time.Friday] = []sla.Span{sp("08:00-16:00")}
	return sla.CalendarSpec{Name: "stockholm-office", Location: mustLoad("Europe/Stockholm"), Week: w, Holidays: []string{"se"}}
}

func officeSpec(name, zone, country string, start, end time.Duration) sla.CalendarSpec {
	return sla.CalendarSpec{Name: name, Location: mustLoad(zone), Week: sla.OfficeHours(start, end), Holidays: []string{country}}
}

// workCalendar is the arithmetic under test: a *sla.Calendar, or another
// oracle when the oracle is checked against its own invariants.
type workCalendar interface {
	Add(from time.Time, d time.Duration) time.Time
	Between(from, to time.Time) time.Duration
	IsWorking(t time.Time) bool
	Next(t time.Time) time.Time
}

// propRun checks one calendar against the oracle on many random cases.
type propRun struct {
	t      *testing.T
	r      *rand.Rand
	stream uint64
	spec   sla.CalendarSpec
	cal    workCalendar // the code under test
	o      *oracle
	loc    *time.Location
	zones  []*time.Location
	focus  []time.Time // instants the cases concentrate around
	weekly time.Duration
	maxD   time.Duration
	fails  *int
	cases  *atomic.Int64
}

const maxFailsPerSubtest = 8

// newPropRun sets up a run; with selfCheck, a second oracle stands in for the
// implementation (whose NewCalendar is then not called).
func newPropRun(t *testing.T, r *rand.Rand, stream uint64, spec sla.CalendarSpec, fails *int, cases *atomic.Int64, selfCheck bool) *propRun {
	t.Helper()
	var c workCalendar = newOracle(spec)
	if !selfCheck {
		cal, err := sla.NewCalendar(spec)
		if err != nil {
			t.Fatalf("stream %d: NewCalendar(%s): %v", stream, specString(spec), err)
		}
		if cal == nil {
			t.Fatalf("stream %d: NewCalendar(%s) returned nil", stream, specString(spec))
		}
		c = cal
	}
	p := &propRun{t: t, r: r, stream: stream, spec: spec, cal: c, o: newOracle(spec), zones: inputZones(), fails: fails, cases: cases}
	p.loc = p.o.loc
	for _, spans := range spec.Week {
		for _, s := range spans {
			p.weekly += s.End - s.Start
		}
	}
	// Up to ~90 days of working time, but no more than ~1.5 calendar years of
	// it, so that the oracle's walk stays short on sparse calendars.
	p.maxD = min(90*24*time.Hour, p.weekly*78)
	if p.maxD <= 0 {
		p.maxD = 90 * 24 * time.Hour
	}
	return p
}

// pickYear prefers the years with real zone data and near the present, and
// sometimes picks the domain's edges.
func pickYear(r *rand.Rand) int {
	switch x := r.IntN(100); {
	case x < 50:
		return 2020 + r.IntN(16)
	case x < 70:
		return 1970 + r.IntN(50)
	case x < 94:
		return 2036 + r.IntN(sla.LastYear-2036+1)
	case x < 97:
		return sla.FirstYear
	default:
		return sla.LastYear
	}
}

// transitions lists the instants in year at which loc's offset changes.
func transitions(loc *time.Location, year int) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	limit := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
	for range 16 {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(limit) {
			break
		}
		out = append(out, end)
		t = end
	}
	return out
}

// focusDates returns instants in loc worth testing around in year: offset
// changes, Midsommarafton, Julafton, the holidays of the given countries,
// the domain's edges when the year is one, and a random day.
func focusDates(r *rand.Rand, loc *time.Location, countries []string, year int) []time.Time {
	out := transitions(loc, year)
	// Midsommarafton: the Friday from 19 June; Julafton: 24 December.
	mid := time.Date(year, time.June, 19, 0, 0, 0, 0, loc)
	for mid.Weekday() != time.Friday {
		mid = time.Date(year, time.June, mid.Day()+1, 0, 0, 0, 0, loc)
	}
	out = append(out, mid, time.Date(year, time.December, 24, 0, 0, 0, 0, loc))
	for _, c := range countries {
		for _, h := range oracleCountries[c] {
			if r.IntN(3) != 0 {
				continue
			}
			a, o := h.Calc(year)
			if a.IsZero() {
				continue
			}
			for _, x := range []time.Time{a, o} {
				y, m, d := x.Date()
				out = append(out, time.Date(y, m, d, 0, 0, 0, 0, loc))
			}
		}
	}
	if year == sla.FirstYear {
		out = append(out, time.Date(sla.FirstYear, 1, 1, 0, 0, 0, 0, loc))
	}
	if year == sla.LastYear {
		out = append(out, time.Date(sla.LastYear+1, 1, 1, 0, 0, 0, 0, loc))
	}
	if loc.String() == "Pacific/Apia" && year == 2011 {
		out = append(out, time.Date(2011, 12, 29, 12, 0, 0, 0, loc))
	}
	out = append(out, time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, loc))
	return out
}

// randomBoundary draws a wall-clock offset in whole seconds, biased to the
// hours where DST changes happen and to the ends of the day.
func randomBoundary(r *rand.Rand) time.Duration {
	switch x := r.IntN(10); {
	case x < 4:
		pool := []time.Duration{0, 30 * time.Minute, time.Hour, 90 * time.Minute, 2 * time.Hour,
			2*time.Hour + 15*time.Minute, 150 * time.Minute, 3 * time.Hour, 210 * time.Minute,
			4 * time.Hour, 23 * time.Hour, 23*time.Hour + 30*time.Minute, 24 * time.Hour}
		return pool[r.IntN(len(pool))]
	case x < 8:
		return time.Duration(r.IntN(24*60+1)) * time.Minute
	default:
		return time.Duration(r.IntN(24*3600+1)) * time.Second
	}
}

// randomSpans returns 1-3 valid spans in order (possibly adjacent).
func randomSpans(r *rand.Rand) []sla.Span {
	k := 1 + r.IntN(3)
	b := make([]time.Duration, 2*k)
	for i := range b {
		b[i] = randomBoundary(r)
	}
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	var out []sla.Span
	for i := 0; i < len(b); i += 2 {
		s, e := b[i], b[i+1]
		if e <= s || (len(out) > 0 && s < out[len(out)-1].End) {
			continue
		}
		out = append(out, sla.Span{Start: s, End: e})
	}
	if len(out) == 0 {
		s := time.Duration(r.IntN(23)) * time.Hour
		out = []sla.Span{{Start: s, End: s + time.Duration(1+r.IntN(60))*time.Minute}}
	}
	return out
}

func randomSpec(r *rand.Rand, n int) (sla.CalendarSpec, []int) {
	zone := calendarZones[r.IntN(len(calendarZones))]
	loc := mustLoad(zone)
	var week [7][]sla.Span
	for d := range week {
		if r.IntN(4) != 0 {
			week[d] = randomSpans(r)
		}
	}
	if r.IntN(20) == 0 { // some calendars are open every hour of the week
		week = sla.AlwaysOpen()
	}
	var countries []string
	switch r.IntN(5) {
	case 0:
	case 1:
		countries = []string{"se"}
	case 2:
		countries = []string{"no"}
	case 3:
		countries = []string{"nl"}
	case 4:
		countries = []string{"se", "no"}
	}
	years := []int{pickYear(r)}
	if r.IntN(3) == 0 {
		years = append(years, pickYear(r))
	}
	if zone == "Pacific/Apia" && r.IntN(3) == 0 {
		years[0] = 2011
	}
	days := map[sla.Date][]sla.Span{}
	for _, y := range years {
		focus := focusDates(r, loc, slices.Concat(countries, []string{"se"}), y)
		for range r.IntN(7) {
			f := focus[r.IntN(len(focus))]
			yy, mm, dd := f.Date()
			dd += r.IntN(3) - 1
			date := civilOf(time.Date(yy, mm, dd, 12, 0, 0, 0, time.UTC))
			if date.Year < sla.FirstYear || date.Year > sla.LastYear {
				continue // NewCalendar rejects dates it does not cover
			}
			if r.IntN(3) == 0 {
				days[date] = []sla.Span{} // closed
			} else {
				days[date] = randomSpans(r)
			}
		}
	}
	spec := sla.CalendarSpec{Name: fmt.Sprintf("random-%d", n), Location: loc, Week: week, Holidays: countries}
	if len(days) > 0 {
		spec.Days = days
	}
	return spec, years
}

// instant draws an input instant near one of the focus instants, in a random
// input zone.
func (p *propRun) instant() time.Time {
	r := p.r
	f := p.focus[r.IntN(len(p.focus))]
	var t time.Time
	switch r.IntN(10) {
	case 0:
		t = f
	case 1:
		t = f.Add(time.Duration(r.Int64N(int64(6*time.Hour))) - 3*time.Hour)
	case 2:
		t = f.Add(time.Duration(r.IntN(13)-6) * 30 * time.Minute)
	case 3, 4: // a wall-clock time near the focus date
		y, m, d := f.In(p.loc).Date()
		mins := []int{0, 30, r.IntN(60)}
		t = time.Date(y, m, d+r.IntN(5)-2, r.IntN(25), mins[r.IntN(3)], 0, 0, p.loc)
	case 5: // a span boundary of the calendar, on a date near the focus
		y, m, d := f.In(p.loc).Date()
		off := randomBoundary(r)
		var spans []sla.Span
		for _, s := range p.spec.Week {
			spans = append(spans, s...)
		}
		if len(spans) > 0 {
			s := spans[r.IntN(len(spans))]
			off = []time.Duration{s.Start, s.End}[r.IntN(2)]
		}
		t = time.Date(y, m, d+r.IntN(5)-2, 0, 0, int(off/time.Second), 0, p.loc)
	default:
		t = f.Add(time.Duration(r.Int64N(int64(8*24*time.Hour))) - 4*24*time.Hour)
	}
	if r.IntN(10) == 0 {
		t = t.Add(time.Duration(r.IntN(3) - 1))
	}
	if r.IntN(1000) == 0 { // far outside the domain
		t = time.Date([]int{1901, 1969, 2200, 2262}[r.IntN(4)], time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), 0, 0, r.IntN(1e9), p.loc)
	}
	return t.In(p.zones[r.IntN(len(p.zones))])
}

// duration draws an amount of working time: from 1 ns to ~90 days of it,
// rarely several years.
func (p *propRun) duration() time.Duration {
	r := p.r
	var d time.Duration
	switch r.IntN(12) {
	case 0:
		d = time.Duration(1 + r.IntN(1000))
	case 1:
		d = time.Duration(1+r.IntN(3600)) * time.Second
	case 2:
		d = time.Duration(1+r.IntN(96)) * 30 * time.Minute
	case 3, 4, 5: // log-uniform from 1 ns to maxD
		d = time.Duration(float64(p.maxD) * math.Pow(1e-15, r.Float64()))
	case 6:
		d = []time.Duration{time.Hour, 8 * time.Hour, 9 * time.Hour, 16 * time.Hour, 23 * time.Hour,
			24 * time.Hour, 25 * time.Hour, 40 * time.Hour}[r.IntN(8)]
	case 7:
		d = time.Duration(1+r.IntN(200)) * time.Hour
	default:
		d = time.Duration(1 + r.Int64N(int64(p.maxD)))
	}
	if r.IntN(20) == 0 {
		d += time.Duration(r.IntN(3) - 1)
	}
	if r.IntN(3000) == 0 { // a few spans of years
		w := p.weekly
		if w == 0 {
			w = 40 * time.Hour
		}
		d = w * time.Duration(52*(2+r.IntN(10)))
	}
	return max(d, 1)
}

func (p *propRun) failf(label, format string, args ...any) {
	p.t.Helper()
	*p.fails++
	p.t.Errorf("%s (seed=%#x stream=%d)\n  spec: %s\n  %s", label, uint64(propertySeed), p.stream,
		specString(p.spec), fmt.Sprintf(format, args...))
	if *p.fails >= maxFailsPerSubtest {
		p.t.Fatalf("too many failures, stopping this subtest")
	}
}

func (p *propRun) ts(t time.Time) string { return timeString(t, p.loc) }

// check runs one case: a comparison of all four operations with the oracle
// and the invariants of the arithmetic.
func (p *propRun) check(i int) {
	p.t.Helper()
	p.cases.Add(1)
	c, o, r := p.cal, p.o, p.r
	label := fmt.Sprintf("case %d", i)
	a := p.instant()
	d := p.duration()

	gotAdd, wantAdd := c.Add(a, d), o.Add(a, d)
	if !gotAdd.Equal(wantAdd) {
		p.failf(label, "Add(%s, %v [%d])\n    got  %s\n    want %s", p.ts(a), d, int64(d), p.ts(gotAdd), p.ts(wantAdd))
	}

	var b time.Time
	switch x := r.IntN(100); {
	case x < 2: // anywhere near a focus, possibly years away
		b = p.instant()
	case x < 25: // a whole day or more away, across weekends and holidays
		b = a.Add(time.Duration(r.Int64N(int64(10*24*time.Hour))) - 3*24*time.Hour)
	case x < 50:
		b = wantAdd.Add(time.Duration(r.IntN(3) - 1))
	default: // within hours
		b = a.Add(time.Duration(r.Int64N(int64(3*time.Hour))) - time.Hour)
	}
	for _, pair := range [][2]time.Time{{a, b}, {b, a}} {
		if got, want := c.Between(pair[0], pair[1]), o.Between(pair[0], pair[1]); got != want {
			p.failf(label, "Between(%s, %s)\n    got  %v [%d]\n    want %v [%d]", p.ts(pair[0]), p.ts(pair[1]), got, int64(got), want, int64(want))
		}
	}
	for _, x := range []time.Time{a, b} {
		if got, want := c.IsWorking(x), o.IsWorking(x); got != want {
			p.failf(label, "IsWorking(%s) = %v, want %v", p.ts(x), got, want)
		}
		if got, want := c.Next(x), o.Next(x); !got.Equal(want) {
			p.failf(label, "Next(%s)\n    got  %s\n    want %s", p.ts(x), p.ts(got), p.ts(want))
		}
	}

	// Invariants of the implementation itself.
	end := o.end
	if gotAdd.Before(end) {
		if got := c.Between(a, gotAdd); got != d {
			p.failf(label, "Between(a, Add(a, d)) = %v [%d], want d = %v [%d]; a = %s, Add = %s", got, int64(got), d, int64(d), p.ts(a), p.ts(gotAdd))
		}
		if got := c.Between(a, gotAdd.Add(-1)); got >= d {
			p.failf(label, "Add is not the earliest: Between(a, Add(a, d)-1ns) = %v >= d = %v; a = %s, Add = %s", got, d, p.ts(a), p.ts(gotAdd))
		}
	}
	e := time.Duration(1 + r.Int64N(int64(time.Hour)))
	if later := c.Add(a, d+e); later.Before(gotAdd) {
		p.failf(label, "Add not monotonic in d: Add(a, %v) = %s before Add(a, %v) = %s; a = %s", d+e, p.ts(later), d, p.ts(gotAdd), p.ts(a))
	}
	if a2 := a.Add(e); c.Add(a2, d).Before(gotAdd) {
		p.failf(label, "Add not monotonic in from: Add(%s, d) = %s before Add(%s, d) = %s", p.ts(a2), p.ts(c.Add(a2, d)), p.ts(a), p.ts(gotAdd))
	}
	pts := []time.Time{a, b, p.instant()}
	sort.Slice(pts, func(i, j int) bool { return pts[i].Before(pts[j]) })
	x, y, z := pts[0], pts[1], pts[2]
	bxy, byz, bxz := c.Between(x, y), c.Between(y, z), c.Between(x, z)
	if bxy < 0 || byz < 0 || bxz != bxy+byz || bxz < bxy || bxz < byz {
		p.failf(label, "Between not additive/monotonic: x = %s, y = %s, z = %s: B(x,y) = %v, B(y,z) = %v, B(x,z) = %v",
			p.ts(x), p.ts(y), p.ts(z), bxy, byz, bxz)
	}
	for _, t := range []time.Time{a, b} {
		n := c.Next(t)
		if n.Before(end) {
			if !c.IsWorking(n) {
				p.failf(label, "IsWorking(Next(t)) is false: t = %s, Next = %s", p.ts(t), p.ts(n))
			}
			if n.Before(t) {
				p.failf(label, "Next(t) before t: t = %s, Next = %s", p.ts(t), p.ts(n))
			}
		}
		if got := c.Between(t, n); got != 0 {
			p.failf(label, "Between(t, Next(t)) = %v, want 0: t = %s, Next = %s", got, p.ts(t), p.ts(n))
		}
	}
}

// scale returns n, or n/10 in -short mode.
func scale(n int) int {
	if testing.Short() {
		return max(n/10, 1)
	}
	return n
}

func TestCalendarMatchesOracle(t *testing.T) {
	var cases atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d cases checked against the oracle", cases.Load())
		if filtered := flag.Lookup("test.run").Value.String() != ""; !filtered && !testing.Short() && !t.Failed() && cases.Load() < 100_000 {
			t.Errorf("only %d cases checked, want at least 100000", cases.Load())
		}
	})

	// fixed runs one fixed calendar on n cases around focus dates of random
	// years.
	fixed := func(name string, stream uint64, spec sla.CalendarSpec, n int) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fails := 0
			r := rand.New(rand.NewPCG(propertySeed, stream))
			p := newPropRun(t, r, stream, spec, &fails, &cases, false)
			for i := range scale(n) {
				if i%50 == 0 { // a new set of focus years every 50 cases
					p.focus = nil
					for range 2 {
						p.focus = append(p.focus, focusDates(r, p.loc, spec.Holidays, pickYear(r))...)
					}
					if r.IntN(10) == 0 {
						p.focus = append(p.focus, time.Date(sla.FirstYear, 1, 1, 0, 0, 0, 0, p.loc), time.Date(sla.LastYear+1, 1, 1, 0, 0, 0, 0, p.loc))
					}
				}
				p.check(i)
			}
		})
	}

	fixed("stockholm-office", 1, swedishOfficeSpec(), 24_000)
	for i, z := range calendarZones {
		fixed("24x7/"+z, uint64(10+i), sla.CalendarSpec{Name: "24x7", Location: mustLoad(z), Week: sla.AlwaysOpen()}, 2_000)
	}
	fixed("us-office", 30, officeSpec("us-office", "America/New_York", "us", 9*time.Hour, 17*time.Hour), 2_000)
	fixed("gb-office", 31, officeSpec("gb-office", "Europe/London", "gb", 9*time.Hour, 17*time.Hour+30*time.Minute), 1_500)
	fixed("de-office", 32, officeSpec("de-office", "Europe/Berlin", "de", 7*time.Hour, 16*time.Hour), 1_500)
	fixed("oslo-night", 33, sla.CalendarSpec{Name: "oslo-night", Location: mustLoad("Europe/Oslo"),
		Week: [7][]sla.Span{{sp("00:00-03:00"), sp("22:00-24:00")}, {sp("01:00-02:30")}, {sp("02:00-03:00")},
			{sp("02:30-24:00")}, {sp("00:00-02:00"), sp("02:00-02:30")}, {sp("00:00-24:00")}, {}},
		Holidays: []string{"no"}}, 2_000)

	// Random calendars, in four parallel streams.
	for s := range 4 {
		t.Run(fmt.Sprintf("random-%d", s), func(t *testing.T) {
			t.Parallel()
			randomCalendars(t, uint64(100+s), scale(300), 50, &cases, false)
		})
	}
}

// randomCalendars checks n random calendars on perCalendar cases each. With
// selfCheck the oracle is checked against the invariants instead of the
// implementation.
func randomCalendars(t *testing.T, stream uint64, n, perCalendar int, cases *atomic.Int64, selfCheck bool) {
	fails := 0
	r := rand.New(rand.NewPCG(propertySeed, stream))
	for k := range n {
		spec, years := randomSpec(r, k)
		p := newPropRun(t, r, stream, spec, &fails, cases, selfCheck)
		for _, y := range years {
			p.focus = append(p.focus, focusDates(r, p.loc, slices.Concat(spec.Holidays, []string{"se"}), y)...)
		}
		var overrides []time.Time // in order: the run must be deterministic
		for d := range spec.Days {
			overrides = append(overrides, time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, p.loc))
		}
		slices.SortFunc(overrides, time.Time.Compare)
		p.focus = append(p.focus, overrides...)
		for i := range perCalendar {
			p.check(k*perCalendar + i)
		}
	}
}

// TestOracleInvariants checks the oracle itself against the invariants, with
// a second oracle standing in for the implementation.
func TestOracleInvariants(t *testing.T) {
	t.Parallel()
	var cases atomic.Int64
	randomCalendars(t, 900, scale(40), 50, &cases, true)
}

// TestCalendarKnownCases pins down hand-computed answers, so that a shared
// misunderstanding between the oracle and the implementation shows.
func TestCalendarKnownCases(t *testing.T) {
	sto := mustLoad("Europe/Stockholm")
	office := swedishOfficeSpec()
	always := sla.CalendarSpec{Name: "24x7", Location: sto, Week: sla.AlwaysOpen()}
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, sto) }

	for _, tc := range []struct {
		name     string
		spec     sla.CalendarSpec
		from, to time.Time
		want     time.Duration
	}{
		{"spring-forward day is 23h", always, at(2026, 3, 29, 0, 0), at(2026, 3, 30, 0, 0), 23 * time.Hour},
		{"fall-back day is 25h", always, at(2026, 10, 25, 0, 0), at(2026, 10, 26, 0, 0), 25 * time.Hour},
		{"Midsommarafton is closed", office, at(2026, 6, 19, 0, 0), at(2026, 6, 20, 0, 0), 0},
		{"Julafton is closed", office, at(2026, 12, 24, 0, 0), at(2026, 12, 25, 0, 0), 0},
		{"Nyårsafton is closed", office, at(2026, 12, 31, 0, 0), at(2027, 1, 1, 0, 0), 0},
		{"an ordinary week", office, at(2026, 9, 7, 0, 0), at(2026, 9, 14, 0, 0), 4*9*time.Hour + 8*time.Hour},
		{"Easter week 2026", office, at(2026, 3, 30, 0, 0), at(2026, 4, 6, 0, 0), 4 * 9 * time.Hour}, // Good Friday 3 April
		{"before the domain", always, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), at(1970, 1, 1, 1, 0), time.Hour},
		{"after the domain", always, at(2199, 12, 31, 23, 0), time.Date(2200, 1, 2, 0, 0, 0, 0, time.UTC), time.Hour},
		{"reversed", always, at(2026, 1, 2, 0, 0), at(2026, 1, 1, 0, 0), 0},
	} {
		c, err := sla.NewCalendar(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.Between(tc.from, tc.to); got != tc.want {
			t.Errorf("%s: Between(%v, %v) = %v, want %v", tc.name, tc.from, tc.to, got, tc.want)
		}
		if got := newOracle(tc.spec).Between(tc.from, tc.to); got != tc.want {
			t.Errorf("%s: ORACLE Between(%v, %v) = %v, want %v", tc.name, tc.from, tc.to, got, tc.want)
		}
	}

	// The examples' answers, from the oracle and the implementation.
	parsed := office
	parsed.Days = map[sla.Date][]sla.Span{{2026, 4, 30}: {sp("08:00-13:00")}, {2026, 12, 23}: {}}
	for _, tc := range []struct {
		name string
		spec sla.CalendarSpec
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"one working day before Midsommarafton", office, at(2026, 6, 18, 14, 0), 8 * time.Hour, at(2026, 6, 22, 13, 0)},
		{"two working days across a weekend", office, at(2026, 3, 13, 13, 0), 16 * time.Hour, at(2026, 3, 17, 12, 0)},
		{"over Christmas", parsed, at(2026, 12, 22, 16, 0), 2 * time.Hour, at(2026, 12, 28, 9, 0)},
		{"24x7 over spring forward", always, at(2026, 3, 28, 12, 0), 23 * time.Hour, at(2026, 3, 29, 12, 0)},
		{"a working week", office, at(2026, 9, 7, 8, 0), 44 * time.Hour, at(2026, 9, 11, 16, 0)},
	} {
		c, err := sla.NewCalendar(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.Add(tc.from, tc.d); !got.Equal(tc.want) {
			t.Errorf("%s: Add(%v, %v) = %v, want %v", tc.name, tc.from, tc.d, got, tc.want)
		}
		if got := newOracle(tc.spec).Add(tc.from, tc.d); !got.Equal(tc.want) {
			t.Errorf("%s: ORACLE Add(%v, %v) = %v, want %v", tc.name, tc.from, tc.d, got, tc.want)
		}
	}
	if got, want := newOracle(office).Next(at(2026, 12, 31, 9, 0)), at(2027, 1, 4, 8, 0); !got.Equal(want) {
		t.Errorf("ORACLE Next after Nyårsafton = %v, want %v", got, want)
	}

	// Add across the end of the domain returns its end.
	c, _ := sla.NewCalendar(always)
	end := time.Date(sla.LastYear+1, 1, 1, 0, 0, 0, 0, sto)
	if got := c.Add(at(2199, 12, 31, 23, 0), 2*time.Hour); !got.Equal(end) {
		t.Errorf("Add past the domain = %v, want %v", got, end)
	}
	if got := c.Next(end.Add(-time.Nanosecond)); !got.Equal(end.Add(-time.Nanosecond)) {
		t.Errorf("Next(last ns) = %v", got)
	}
	if got := c.Next(end); !got.Equal(end) {
		t.Errorf("Next(end) = %v, want %v", got, end)
	}
	// Past the domain there is no working time, and neither goes back.
	later := end.Add(48 * time.Hour)
	if got := c.Add(later, time.Hour); !got.Equal(later) {
		t.Errorf("Add after the domain = %v, want its input %v", got, later)
	}
	if got := c.Next(later); !got.Equal(later) {
		t.Errorf("Next after the domain = %v, want its input %v", got, later)
	}
	if got := c.Add(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Hour); !got.Equal(at(1970, 1, 1, 1, 0)) {
		t.Errorf("Add from before the domain = %v, want 1970-01-01 01:00", got)
	}
}

// TestParseCalendarMatchesSpec parses the documented JSON form and compares
// the calendar with the oracle of the equivalent spec.
func TestParseCalendarMatchesSpec(t *testing.T) {
	doc := `{"name": "stockholm-office", "location": "Europe/Stockholm",
	  "hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
	            "thu": ["08:00-17:00"], "fri": ["08:00-12:00", "13:00-16:00"], "sat": ["10:00-24:00"]},
	  "holidays": ["se"],
	  "days": {"2026-04-30": ["08:00-13:00"], "2026-12-23": [], "2026-06-19": ["09:00-11:00"]}}`
	week := [7][]sla.Span{
		time.Monday: {sp("08:00-17:00")}, time.Tuesday: {sp("08:00-17:00")}, time.Wednesday: {sp("08:00-17:00")},
		time.Thursday: {sp("08:00-17:00")}, time.Friday: {sp("08:00-12:00"), sp("13:00-16:00")}, time.Saturday: {sp("10:00-24:00")},
	}
	spec := sla.CalendarSpec{Name: "stockholm-office", Location: mustLoad("Europe/Stockholm"), Week: week, Holidays: []string{"se"},
		Days: map[sla.Date][]sla.Span{{2026, 4, 30}: {sp("08:00-13:00")}, {2026, 12, 23}: {}, {2026, 6, 19}: {sp("09:00-11:00")}}}
	always := `{"name": "ops", "location": "America/Havana", "hours": "24x7"}`
	alwaysSpec := sla.CalendarSpec{Name: "ops", Location: mustLoad("America/Havana"), Week: sla.AlwaysOpen()}

	for _, tc := range []struct {
		doc  string
		spec sla.CalendarSpec
	}{{doc, spec}, {always, alwaysSpec}} {
		c, err := sla.ParseCalendar([]byte(tc.doc))
		if err != nil || c == nil {
			t.Fatalf("ParseCalendar(%s) = %v, %v", tc.doc, c, err)
		}
		if c.Name() != tc.spec.Name || c.Location() == nil || c.Location().String() != tc.spec.Location.String() {
			t.Errorf("ParseCalendar: name %q location %v, want %q %v", c.Name(), c.Location(), tc.spec.Name, tc.spec.Location)
		}
		fails := 0
		var cases atomic.Int64
		r := rand.New(rand.NewPCG(propertySeed, 200))
		p := newPropRun(t, r, 200, tc.spec, &fails, &cases, false)
		p.cal = c // the parsed calendar, against the oracle of the spec
		for _, y := range []int{2025, 2026, 2027} {
			p.focus = append(p.focus, focusDates(r, p.loc, []string{"se"}, y)...)
		}
		p.focus = append(p.focus, time.Date(2026, 4, 30, 12, 0, 0, 0, p.loc), time.Date(2026, 12, 23, 12, 0, 0, 0, p.loc))
		for i := range scale(2000) {
			p.check(i)
		}
	}

	for _, bad := range []string{``, `{`, `[]`, `{"name": "x", "location": "Mars/Olympus", "hours": "24x7"}`,
		`{"name": "x", "location": "UTC", "hours": {"mon": ["17:00-08:00"]}}`,
		`{"name": "x", "location": "UTC", "hours": {"mon": ["08:00-25:00"]}}`,
		`{"name": "x", "location": "UTC", "hours": {"mon": ["08:00-12:00", "11:00-13:00"]}}`,
		`{"name": "x", "location": "UTC", "hours": "24x7", "holidays": ["xx-nowhere"]}`,
		`{"name": "x", "location": "UTC", "hours": "24x7", "days": {"2026-02-30": []}}`,
	} {
		if c, err := sla.ParseCalendar([]byte(bad)); err == nil {
			t.Errorf("ParseCalendar(%s) = %v, nil; want an error", bad, c)
		}
	}
}
