package sla_test

// The oracle: a slow, obviously correct, day-walking model of a working-time
// calendar, written from the contract alone. It looks at one civil date at a
// time, builds that date's spans with time.Date in the calendar's zone, asks
// github.com/rickar/cal directly whether the date is a public holiday, and
// sums, walks or searches those spans. It never calls the code under test.
//
// The contract it implements:
//
//   - A span "HH:MM-HH:MM" on date D is the real-time interval
//     [time.Date(D, start, loc), time.Date(D, end, loc)), 24:00 meaning
//     time.Date(D+1, 00:00, loc).
//   - Within a day each span starts no earlier than the previous span's end
//     and ends no earlier than it starts; everything is clamped to
//     [midnight(D), midnight(D+1)], midnight(D) = time.Date(D, 00:00, loc).
//     Zero-length spans are not working time.
//   - Days[D] replaces D's hours (an empty list closes it) and wins over a
//     public holiday; otherwise the actual and the observed date of every
//     entry of each country's Holidays list close the whole day; otherwise
//     the weekday's hours apply. Adjacent spans are merged.
//   - Only dates from FirstYear-01-01 through LastYear-12-31 have working
//     time; Add and Next return the later of their input and
//     time.Date(LastYear+1, 1, 1, 0, 0, 0, 0, loc) when the working time runs
//     out.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	calar "github.com/rickar/cal/v2/ar"
	calat "github.com/rickar/cal/v2/at"
	calbe "github.com/rickar/cal/v2/be"
	calbg "github.com/rickar/cal/v2/bg"
	calbr "github.com/rickar/cal/v2/br"
	calca "github.com/rickar/cal/v2/ca"
	calch "github.com/rickar/cal/v2/ch"
	calcz "github.com/rickar/cal/v2/cz"
	calde "github.com/rickar/cal/v2/de"
	caldk "github.com/rickar/cal/v2/dk"
	calecb "github.com/rickar/cal/v2/ecb"
	cales "github.com/rickar/cal/v2/es"
	calfr "github.com/rickar/cal/v2/fr"
	calgb "github.com/rickar/cal/v2/gb"
	calgr "github.com/rickar/cal/v2/gr"
	calhr "github.com/rickar/cal/v2/hr"
	calie "github.com/rickar/cal/v2/ie"
	calit "github.com/rickar/cal/v2/it"
	caljp "github.com/rickar/cal/v2/jp"
	callt "github.com/rickar/cal/v2/lt"
	callv "github.com/rickar/cal/v2/lv"
	calmw "github.com/rickar/cal/v2/mw"
	calnc "github.com/rickar/cal/v2/nc"
	calnl "github.com/rickar/cal/v2/nl"
	calno "github.com/rickar/cal/v2/no"
	calnz "github.com/rickar/cal/v2/nz"
	calpl "github.com/rickar/cal/v2/pl"
	calro "github.com/rickar/cal/v2/ro"
	calru "github.com/rickar/cal/v2/ru"
	calse "github.com/rickar/cal/v2/se"
	calsi "github.com/rickar/cal/v2/si"
	calsk "github.com/rickar/cal/v2/sk"
	calua "github.com/rickar/cal/v2/ua"
	calus "github.com/rickar/cal/v2/us"
	calza "github.com/rickar/cal/v2/za"

	"github.com/spoc-itsm/spoc/sla"
)

// oracleCountries maps country codes to rickar's national Holidays lists:
// every rickar package that has one (the tests use se, no, nl, gb, us, de).
var oracleCountries = map[string][]*cal.Holiday{
	"ar":  calar.Holidays,
	"at":  calat.Holidays,
	"be":  calbe.Holidays,
	"bg":  calbg.Holidays,
	"br":  calbr.Holidays,
	"ca":  calca.Holidays,
	"ch":  calch.Holidays,
	"cz":  calcz.Holidays,
	"de":  calde.Holidays,
	"dk":  caldk.Holidays,
	"ecb": calecb.Holidays,
	"es":  cales.Holidays,
	"fr":  calfr.Holidays,
	"gb":  calgb.Holidays,
	"gr":  calgr.Holidays,
	"hr":  calhr.Holidays,
	"ie":  calie.Holidays,
	"it":  calit.Holidays,
	"jp":  caljp.Holidays,
	"lt":  callt.Holidays,
	"lv":  callv.Holidays,
	"mw":  calmw.Holidays,
	"nc":  calnc.Holidays,
	"nl":  calnl.Holidays,
	"no":  calno.Holidays,
	"nz":  calnz.Holidays,
	"pl":  calpl.Holidays,
	"ro":  calro.Holidays,
	"ru":  calru.Holidays,
	"se":  calse.Holidays,
	"si":  calsi.Holidays,
	"sk":  calsk.Holidays,
	"ua":  calua.Holidays,
	"us":  calus.Holidays,
	"za":  calza.Holidays,
}

var (
	holidayMu   sync.Mutex
	holidaySets = map[string]map[sla.Date]bool{}
)

// holidaySet returns every actual and observed date of every holiday of a
// country, for the years around the calendar's domain. rickar computes the
// dates as midnights "in the system location", so only their Y/M/D is read.
func holidaySet(code string) map[sla.Date]bool {
	holidayMu.Lock()
	defer holidayMu.Unlock()
	if s, ok := holidaySets[code]; ok {
		return s
	}
	list, ok := oracleCountries[code]
	if !ok {
		panic(fmt.Sprintf("oracle: no rickar package mapped for country %q", code))
	}
	s := map[sla.Date]bool{}
	for y := sla.FirstYear - 1; y <= sla.LastYear+1; y++ {
		for _, h := range list {
			actual, observed := h.Calc(y)
			if actual.IsZero() {
				continue
			}
			s[civilOf(actual)] = true
			s[civilOf(observed)] = true
		}
	}
	holidaySets[code] = s
	return s
}

func civilOf(t time.Time) sla.Date {
	y, m, d := t.Date()
	return sla.Date{Year: y, Month: m, Day: d}
}

// ival is a half-open real-time interval [s, e).
type ival struct{ s, e time.Time }

// oracle is not safe for concurrent use (it memoises days).
type oracle struct {
	spec        sla.CalendarSpec
	loc         *time.Location
	week        [7][]sla.Span
	days        map[sla.Date][]sla.Span
	holidays    []map[sla.Date]bool
	first, last int64     // day numbers of FirstYear-01-01 and LastYear-12-31
	end         time.Time // time.Date(LastYear+1, 1, 1, 0, 0, 0, 0, loc)
	cache       map[int64][]ival
}

func newOracle(spec sla.CalendarSpec) *oracle {
	o := &oracle{spec: spec, loc: spec.Location, days: map[sla.Date][]sla.Span{}, cache: map[int64][]ival{}}
	if o.loc == nil {
		o.loc = time.UTC
	}
	for w := range spec.Week {
		o.week[w] = mergeSpans(spec.Week[w])
	}
	for d, spans := range spec.Days {
		o.days[d] = mergeSpans(spans)
	}
	for _, code := range spec.Holidays {
		o.holidays = append(o.holidays, holidaySet(strings.ToLower(code)))
	}
	o.first = dayNumber(sla.FirstYear, time.January, 1)
	o.last = dayNumber(sla.LastYear, time.December, 31)
	o.end = time.Date(sla.LastYear+1, time.January, 1, 0, 0, 0, 0, o.loc)
	return o
}

// mergeSpans joins spans where one ends exactly where the next starts.
func mergeSpans(in []sla.Span) []sla.Span {
	var out []sla.Span
	for _, sp := range in {
		if n := len(out); n > 0 && out[n-1].End == sp.Start {
			out[n-1].End = sp.End
			continue
		}
		out = append(out, sp)
	}
	return out
}

// dayNumber counts civil days from 1970-01-01 (proleptic Gregorian), using
// the time package's UTC arithmetic, which has no daylight-saving changes.
func dayNumber(y int, m time.Month, d int) int64 {
	sec := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	n := sec / 86400
	if sec%86400 != 0 && sec < 0 {
		n--
	}
	return n
}

func civilDate(n int64) (int, time.Month, int) {
	return time.Unix(n*86400, 0).UTC().Date()
}

// dayOf returns the day number of t's civil date in the calendar's zone.
func (o *oracle) dayOf(t time.Time) int64 {
	y, m, d := t.In(o.loc).Date()
	return dayNumber(y, m, d)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// hoursOf returns the (merged) spans that apply to a civil date.
func (o *oracle) hoursOf(y int, m time.Month, d int) []sla.Span {
	key := sla.Date{Year: y, Month: m, Day: d}
	if spans, ok := o.days[key]; ok {
		return spans
	}
	for _, set := range o.holidays {
		if set[key] {
			return nil
		}
	}
	return o.week[time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()]
}

// day returns the working intervals of civil day n, in time order, without
// empty ones.
func (o *oracle) day(n int64) []ival {
	if n < o.first || n > o.last {
		return nil
	}
	if iv, ok := o.cache[n]; ok {
		return iv
	}
	y, m, d := civilDate(n)
	lo := time.Date(y, m, d, 0, 0, 0, 0, o.loc)
	hi := time.Date(y, m, d+1, 0, 0, 0, 0, o.loc)
	clamp := func(t time.Time) time.Time { return minTime(maxTime(t, lo), hi) }
	wall := func(off time.Duration) time.Time {
		// time.Date normalises hour 24 to 00:00 of the next day.
		h, mi, s := int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second)
		return time.Date(y, m, d, h, mi, s, 0, o.loc)
	}
	var out []ival
	prevEnd := lo
	for _, sp := range o.hoursOf(y, m, d) {
		s := wall(sp.Start)
		e := wall(sp.End)
		s = maxTime(s, prevEnd)
		e = maxTime(e, s)
		s, e = clamp(s), clamp(e)
		prevEnd = e
		if e.After(s) {
			out = append(out, ival{s, e})
		}
	}
	o.cache[n] = out
	return out
}

// Between sums the overlaps of [from, to) with the spans of every day from
// two days before from's date to two days after to's date.
func (o *oracle) Between(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	n0, n1 := max(o.dayOf(from)-2, o.first), min(o.dayOf(to)+2, o.last)
	var sum time.Duration
	for n := n0; n <= n1; n++ {
		for _, iv := range o.day(n) {
			s, e := maxTime(iv.s, from), minTime(iv.e, to)
			if e.After(s) {
				sum += e.Sub(s)
			}
		}
	}
	return sum
}

// Add walks the days from two days before from's date, spending d on the
// working time at or after from.
func (o *oracle) Add(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	rem := d
	for n := max(o.dayOf(from)-2, o.first); n <= o.last; n++ {
		for _, iv := range o.day(n) {
			s := maxTime(iv.s, from)
			if !iv.e.After(s) {
				continue
			}
			if avail := iv.e.Sub(s); rem <= avail {
				return s.Add(rem)
			} else {
				rem -= avail
			}
		}
	}
	return maxTime(o.end, from)
}

// IsWorking reports whether some span of a nearby day contains t.
func (o *oracle) IsWorking(t time.Time) bool {
	n0, n1 := max(o.dayOf(t)-2, o.first), min(o.dayOf(t)+2, o.last)
	for n := n0; n <= n1; n++ {
		for _, iv := range o.day(n) {
			if !t.Before(iv.s) && t.Before(iv.e) {
				return true
			}
		}
	}
	return false
}

// Next returns the first working instant >= t: the later of t and the start
// of the first span that ends after t.
func (o *oracle) Next(t time.Time) time.Time {
	for n := max(o.dayOf(t)-2, o.first); n <= o.last; n++ {
		for _, iv := range o.day(n) {
			if iv.e.After(t) {
				return maxTime(iv.s, t)
			}
		}
	}
	return maxTime(o.end, t)
}

// specString formats a spec as a Go literal, to paste into a reproduction.
func specString(spec sla.CalendarSpec) string {
	var b strings.Builder
	loc := "nil"
	if spec.Location != nil {
		loc = fmt.Sprintf("mustLoad(%q)", spec.Location.String())
	}
	fmt.Fprintf(&b, "sla.CalendarSpec{Name: %q, Location: %s, Week: [7][]sla.Span{", spec.Name, loc)
	for w, spans := range spec.Week {
		if len(spans) > 0 {
			fmt.Fprintf(&b, "time.%s: %s, ", time.Weekday(w), spansString(spans))
		}
	}
	fmt.Fprintf(&b, "}, Holidays: %#v", spec.Holidays)
	if len(spec.Days) > 0 {
		keys := make([]sla.Date, 0, len(spec.Days))
		for d := range spec.Days {
			keys = append(keys, d)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteString(", Days: map[sla.Date][]sla.Span{")
		for _, d := range keys {
			fmt.Fprintf(&b, "{%d, %d, %d}: %s, ", d.Year, d.Month, d.Day, spansString(spec.Days[d]))
		}
		b.WriteString("}")
	}
	b.WriteString("}")
	return b.String()
}

func spansString(spans []sla.Span) string {
	parts := make([]string, len(spans))
	for i, sp := range spans {
		parts[i] = fmt.Sprintf("sp(%q)", sp.String())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// timeString shows an instant exactly, in its own zone and in the calendar's.
func timeString(t time.Time, loc *time.Location) string {
	return fmt.Sprintf("%s [%s; time.Unix(%d, %d)]", t.Format(time.RFC3339Nano+" MST"),
		t.In(loc).Format(time.RFC3339Nano+" MST"), t.Unix(), t.Nanosecond())
}

// sp parses a span or panics; for literals in tests.
func sp(s string) sla.Span {
	span, err := sla.ParseSpan(s)
	if err != nil {
		panic(err)
	}
	return span
}

var (
	locMu    sync.Mutex
	locCache = map[string]*time.Location{}
)

func mustLoad(name string) *time.Location {
	locMu.Lock()
	defer locMu.Unlock()
	if l, ok := locCache[name]; ok {
		return l
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	locCache[name] = l
	return l
}
