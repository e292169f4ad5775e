package sla

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

const (
	secondsPerDay = 86400
	// Bucket widths of the lookup indexes: 32 days for exception days (a
	// bucket holds about one), 2^22 s (48.5 days) for zone changes (about
	// two a year).
	exShift   = 5
	zoneShift = 22
)

// Calendar answers when work happens and how much working time lies between
// two instants. It is immutable and safe for concurrent use.
//
// Arithmetic is closed-form. A calendar keeps its weekly pattern and, sorted
// by date, the few days that differ from it: public holidays, per-date
// overrides and the days around a daylight-saving change. A span of any length
// costs a week-pattern formula plus a few indexed lookups of those days, and a
// due time a formula more; see docs/decisions.md.
//
// Working time is real elapsed time: on the day the clocks spring forward a
// 24x7 day has 23 hours. Each working span on a date is the interval between
// the instants time.Date gives for its wall-clock ends in the calendar's zone.
type Calendar struct {
	spec CalendarSpec
	loc  *time.Location

	week    [7][]wallSpan // spans per weekday, seconds after midnight
	nominal [7]int64      // working seconds per weekday
	weekSum int64         // working seconds per week
	prefix  [15]int64     // prefix[i] = sum of nominal[j%7] for j < i

	// The covered days [lo, hi) and their instants (unix seconds).
	lo, hi             int64
	domStart, domEndAt int64

	// Zone offsets: from unix second zoneAt[i] on, the offset is zoneOff[i].
	// zoneIdx[k] is the last i with zoneAt[i] <= zoneBase + k<<zoneShift, so
	// a lookup is an index and a step or two instead of a binary search.
	zoneAt   []int64
	zoneOff  []int64
	zoneIdx  []int32
	zoneBase int64

	// Days that differ from the weekly pattern, sorted by day number.
	exDay []int64
	exIdx []int32 // exIdx[k] is the first i with exDay[i] >= lo + k<<exShift
	ex    []exception
	cum   []int64 // cum[i] = sum of (ex[j].dur - nominal) for j < i
	spans []absSpan
}

// wallSpan is a working span in seconds after local midnight.
type wallSpan struct{ start, end int64 }

// absSpan is a working span in unix seconds.
type absSpan struct{ start, end int64 }

// exception is a day whose spans were computed one by one with time.Date.
type exception struct {
	mid, next   int64 // unix seconds of this day's midnight and the next one's
	first, last int32 // its spans are spans[first:last]
	dur         int64 // working seconds
}

// NewCalendar checks spec and precomputes the calendar. Errors name the field
// and the value at fault.
func NewCalendar(spec CalendarSpec) (*Calendar, error) {
	if spec.Name == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar: name must not be empty")
	}
	loc := spec.Location
	if loc == nil {
		loc = time.UTC
	}
	c := &Calendar{loc: loc}
	for wd := range spec.Week {
		spans, err := normalizeSpans(spec.Week[wd])
		if err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: hours %s: %w", spec.Name, dayKey(time.Weekday(wd)), err)
		}
		spec.Week[wd] = spans
		for _, s := range spans {
			c.week[wd] = append(c.week[wd], wallSpan{int64(s.Start / time.Second), int64(s.End / time.Second)})
			c.nominal[wd] += int64((s.End - s.Start) / time.Second)
		}
		c.weekSum += c.nominal[wd]
	}
	if c.weekSum == 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: hours: the week has no working time", spec.Name)
	}
	for i := 1; i < len(c.prefix); i++ {
		c.prefix[i] = c.prefix[i-1] + c.nominal[(i-1)%7]
	}

	var holidays []int64 // sorted day numbers
	spec.Holidays = slices.Clone(spec.Holidays)
	for _, code := range spec.Holidays {
		days, ok := holidayDays(code)
		if !ok {
			return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: holidays: unknown country code %q (known: %v)", spec.Name, code, Countries())
		}
		if holidays == nil {
			holidays = days // shared and read-only
		} else {
			holidays = slices.Compact(slices.Sorted(slices.Values(slices.Concat(holidays, days))))
		}
	}

	c.lo = daysFromCivil(Date{FirstYear, time.January, 1})
	c.hi = daysFromCivil(Date{LastYear + 1, time.January, 1})
	override := make(map[int64][]wallSpan, len(spec.Days))
	days := make(map[Date][]Span, len(spec.Days))
	for date, spans := range spec.Days {
		if !date.Valid() {
			return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: days: %s is not a valid date", spec.Name, date)
		}
		if date.Year < FirstYear || date.Year > LastYear {
			return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: days: %s is outside the years %d-%d", spec.Name, date, FirstYear, LastYear)
		}
		norm, err := normalizeSpans(spans)
		if err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: days %s: %w", spec.Name, date, err)
		}
		days[date] = norm
		ws := make([]wallSpan, 0, len(norm))
		for _, s := range norm {
			ws = append(ws, wallSpan{int64(s.Start / time.Second), int64(s.End / time.Second)})
		}
		override[daysFromCivil(date)] = ws
	}
	spec.Days = days
	spec.Location = loc
	c.spec = spec

	c.domStart = c.midnight(c.lo)
	c.domEndAt = c.midnight(c.hi)
	shifted := c.buildZone()

	overrides := slices.Sorted(maps.Keys(override))

	// Walk the sorted lists of days that may differ from the pattern.
	c.cum = append(c.cum, 0)
	var hi, oi, si int
	for {
		d := int64(math.MaxInt64)
		if hi < len(holidays) {
			d = holidays[hi]
		}
		if oi < len(overrides) {
			d = min(d, overrides[oi])
		}
		if si < len(shifted) {
			d = min(d, shifted[si])
		}
		if d == math.MaxInt64 {
			break
		}
		isHoliday := hi < len(holidays) && holidays[hi] == d
		isOverride := oi < len(overrides) && overrides[oi] == d
		isShifted := si < len(shifted) && shifted[si] == d
		if isHoliday {
			hi++
		}
		if isOverride {
			oi++
		}
		if isShifted {
			si++
		}
		if d < c.lo || d >= c.hi {
			continue
		}
		wall := c.week[weekdayOf(d)]
		switch {
		case isOverride:
			wall = override[d]
		case !isShifted && len(wall) == 0:
			continue // a holiday on a closed day changes nothing
		case isHoliday:
			wall = nil
		}
		c.addException(d, wall, isShifted)
	}
	c.buildExceptionIndex()
	return c, nil
}

func (c *Calendar) buildExceptionIndex() {
	c.exIdx = make([]int32, (c.hi-c.lo)>>exShift+2)
	i := 0
	for k := range c.exIdx {
		start := c.lo + int64(k)<<exShift
		for i < len(c.exDay) && c.exDay[i] < start {
			i++
		}
		c.exIdx[k] = int32(i)
	}
}

func (c *Calendar) buildZoneIndex() {
	c.zoneBase = c.domStart - 3*secondsPerDay
	c.zoneIdx = make([]int32, (c.domEndAt+3*secondsPerDay-c.zoneBase)>>zoneShift+2)
	i := 0
	for k := range c.zoneIdx {
		start := c.zoneBase + int64(k)<<zoneShift
		for i+1 < len(c.zoneAt) && c.zoneAt[i+1] <= start {
			i++
		}
		c.zoneIdx[k] = int32(i)
	}
}

// exLower returns the index of the first exception day >= n, for n in
// [lo, hi].
func (c *Calendar) exLower(n int64) int {
	i := int(c.exIdx[(n-c.lo)>>exShift])
	for i < len(c.exDay) && c.exDay[i] < n {
		i++
	}
	return i
}

// addException records day d with the given wall-clock spans. Only days near
// a zone change need time.Date; on the others the pattern's arithmetic gives
// the same instants.
func (c *Calendar) addException(d int64, wall []wallSpan, shifted bool) {
	var e exception
	instant := func(sec int64) int64 { return c.wallInstant(d, sec) }
	if shifted {
		e.mid, e.next = c.midnight(d), c.midnight(d+1)
	} else {
		base := d*secondsPerDay - c.offsetAt(d*secondsPerDay)
		e.mid, e.next = base, base+secondsPerDay
		instant = func(sec int64) int64 { return base + sec }
	}
	e.first = int32(len(c.spans))
	prev := e.mid
	for _, w := range wall {
		s := max(instant(w.start), prev)
		end := min(max(instant(w.end), s), e.next)
		s = min(s, end)
		if end > s {
			c.spans = append(c.spans, absSpan{s, end})
			e.dur += end - s
		}
		prev = end
	}
	e.last = int32(len(c.spans))
	c.exDay = append(c.exDay, d)
	c.ex = append(c.ex, e)
	c.cum = append(c.cum, c.cum[len(c.cum)-1]+e.dur-c.nominal[weekdayOf(d)])
}

// normalizeSpans validates spans, sorts them and merges adjacent ones.
func normalizeSpans(in []Span) ([]Span, error) {
	out := slices.Clone(in)
	for _, s := range out {
		if err := s.validate(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Span) int { return int(a.Start - b.Start) })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 {
			last := &merged[n-1]
			if s.Start < last.End {
				return nil, itsm.Errorf(itsm.CodeInvalid, "spans %s and %s overlap", *last, s)
			}
			if s.Start == last.End {
				last.End = s.End
				continue
			}
		}
		merged = append(merged, s)
	}
	return merged, nil
}

// wallInstant returns the instant time.Date gives for a wall-clock time of a
// day: the definition every other path must agree with.
func (c *Calendar) wallInstant(day, sec int64) int64 {
	d := civilFromDays(day)
	return time.Date(d.Year, d.Month, d.Day, 0, 0, int(sec), 0, c.loc).Unix()
}

func (c *Calendar) midnight(day int64) int64 { return c.wallInstant(day, 0) }

// buildZone records the zone's offset changes over the covered years and
// returns the days whose wall clock they disturb: the local dates just before
// and after each change and one day either side. On every other day local
// midnight is the day number times 86400 minus one constant offset, and the
// day's spans follow from the weekly pattern by addition.
func (c *Calendar) buildZone() []int64 {
	var shifted []int64 // sorted, distinct
	t := time.Unix(c.domStart-3*secondsPerDay, 0).In(c.loc)
	_, off := t.Zone()
	c.zoneAt = append(c.zoneAt, math.MinInt64)
	c.zoneOff = append(c.zoneOff, int64(off))
	limit := c.domEndAt + 3*secondsPerDay
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() {
			break
		}
		if !end.After(t) {
			// Past the zone's table Go derives periods from its rule and, in
			// some leap years (2192 for Europe/Stockholm), reports a period
			// that ends where it starts. Step over it.
			end = t.Add(time.Hour)
		}
		if end.Unix() > limit {
			break
		}
		at := end.Unix()
		_, next := end.Zone()
		if int64(next) != c.zoneOff[len(c.zoneOff)-1] {
			before := floorDiv(at-1+c.zoneOff[len(c.zoneOff)-1], secondsPerDay)
			after := floorDiv(at+int64(next), secondsPerDay)
			for d := min(before, after) - 1; d <= max(before, after)+1; d++ {
				if len(shifted) == 0 || d > shifted[len(shifted)-1] {
					shifted = append(shifted, d)
				}
			}
			c.zoneAt = append(c.zoneAt, at)
			c.zoneOff = append(c.zoneOff, int64(next))
		}
		t = end
	}
	c.buildZoneIndex()
	return shifted
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// offsetAt returns the zone offset in seconds at a unix second.
func (c *Calendar) offsetAt(sec int64) int64 {
	k := (sec - c.zoneBase) >> zoneShift
	if k < 0 || k >= int64(len(c.zoneIdx)) {
		i, _ := slices.BinarySearch(c.zoneAt, sec+1)
		return c.zoneOff[i-1]
	}
	i := int(c.zoneIdx[k])
	for i+1 < len(c.zoneAt) && c.zoneAt[i+1] <= sec {
		i++
	}
	return c.zoneOff[i]
}

// instant is a unix time split into seconds and nanoseconds, so that the
// arithmetic covers the calendar's centuries without overflowing int64
// nanoseconds.
type instant struct{ sec, nsec int64 }

func instantOf(t time.Time) instant { return instant{t.Unix(), int64(t.Nanosecond())} }

func (a instant) before(b instant) bool {
	return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec)
}

// sub returns a-b in nanoseconds; callers keep it within one day.
func (a instant) sub(b instant) int64 { return (a.sec-b.sec)*1e9 + a.nsec - b.nsec }

func (a instant) add(ns int64) instant {
	a.nsec += ns
	carry := floorDiv(a.nsec, 1e9)
	a.sec += carry
	a.nsec -= carry * 1e9
	return a
}

func (c *Calendar) clamp(a instant) instant {
	if a.sec < c.domStart {
		return instant{c.domStart, 0}
	}
	if a.sec >= c.domEndAt {
		return instant{c.domEndAt, 0}
	}
	return a
}

func (c *Calendar) timeOf(a instant, loc *time.Location) time.Time {
	return time.Unix(a.sec, a.nsec).In(loc)
}

// day is the view of one day's working spans.
type day struct {
	abs         []absSpan  // for exception days
	wall        []wallSpan // for days that follow the pattern, from mid
	mid, next   int64      // this midnight and the next
	exceptional bool
}

func (d *day) n() int {
	if d.exceptional {
		return len(d.abs)
	}
	return len(d.wall)
}

func (d *day) span(i int) (int64, int64) {
	if d.exceptional {
		return d.abs[i].start, d.abs[i].end
	}
	return d.mid + d.wall[i].start, d.mid + d.wall[i].end
}

// dayAt returns the view of a day number.
func (c *Calendar) dayAt(n int64) day {
	if n < c.lo || n >= c.hi {
		mid := c.midnight(n)
		return day{exceptional: true, mid: mid, next: c.midnight(n + 1)}
	}
	if i := c.exLower(n); i < len(c.exDay) && c.exDay[i] == n {
		e := &c.ex[i]
		return day{exceptional: true, abs: c.spans[e.first:e.last], mid: e.mid, next: e.next}
	}
	mid := n*secondsPerDay - c.offsetAt(n*secondsPerDay)
	return day{wall: c.week[weekdayOf(n)], mid: mid, next: mid + secondsPerDay}
}

// dayOf returns the number of the day whose [midnight, next midnight) holds
// the unix second, and that day's view. sec must lie in the covered years.
func (c *Calendar) dayOf(sec int64) (int64, day) {
	off := c.offsetAt(sec)
	n := floorDiv(sec+off, secondsPerDay)
	if n >= c.lo && n < c.hi {
		if i := c.exLower(n); i == len(c.exDay) || c.exDay[i] != n {
			// An ordinary day's one offset is the instant's own.
			mid := n*secondsPerDay - off
			return n, day{wall: c.week[weekdayOf(n)], mid: mid, next: mid + secondsPerDay}
		}
	}
	d := c.dayAt(n)
	// Around a zone change the local date and the day whose midnights
	// enclose the instant can differ; the distance is at most a day or two.
	for range 3 {
		switch {
		case sec < d.mid:
			n--
		case sec >= d.next:
			n++
		default:
			return n, d
		}
		d = c.dayAt(n)
	}
	return n, d
}

// sum returns the working seconds of the whole days [a, b).
func (c *Calendar) sum(a, b int64) int64 {
	a, b = max(a, c.lo), min(b, c.hi)
	if a >= b {
		return 0
	}
	n := b - a
	w := weekdayOf(a)
	nominal := n/7*c.weekSum + c.prefix[int64(w)+n%7] - c.prefix[w]
	return nominal + c.cum[c.exLower(b)] - c.cum[c.exLower(a)]
}

// reach returns the smallest day k >= a with sum(a, k+1) >= need seconds
// (need > 0), or false when the covered years hold less.
func (c *Calendar) reach(a, need int64) (int64, bool) {
	a = max(a, c.lo)
	if a >= c.hi {
		return 0, false
	}
	// The weekly pattern alone gives the answer unless an exception day
	// falls before it.
	w := int64(weekdayOf(a))
	q, r := need/c.weekSum, need%c.weekSum
	if r == 0 {
		q, r = q-1, c.weekSum
	}
	m := q * 7
	for acc := int64(0); ; m++ {
		acc += c.nominal[(w+m)%7]
		if acc >= r {
			m++
			break
		}
	}
	hi := a + m
	if hi <= c.hi {
		if i := c.exLower(a); i == len(c.exDay) || c.exDay[i] >= hi {
			return hi - 1, true
		}
	}
	// Otherwise search: gallop up until enough, then bisect.
	if c.sum(a, c.hi) < need {
		return 0, false
	}
	lo := a
	for hi = min(hi, c.hi); c.sum(a, hi) < need; hi = min(c.hi, a+2*(hi-a)+7) {
		lo = hi
	}
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		if c.sum(a, mid) >= need {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi - 1, true
}

// Between returns the working time in [from, to); 0 when to is not after
// from. A result beyond the range of time.Duration saturates at its maximum.
func (c *Calendar) Between(from, to time.Time) time.Duration {
	f, t := c.clamp(instantOf(from)), c.clamp(instantOf(to))
	if !f.before(t) {
		return 0
	}
	nf, df := c.dayOf(f.sec)
	if t.sec >= df.next {
		// The rest of from's day, the whole days between, and to's day.
		nt, dt := c.dayOf(t.sec)
		ns := overlap(&df, f, instant{df.next, 0}) + overlap(&dt, instant{dt.mid, 0}, t)
		secs := c.sum(nf+1, nt)
		if secs > (math.MaxInt64-ns)/1e9 {
			return math.MaxInt64
		}
		return time.Duration(secs*1e9 + ns)
	}
	return time.Duration(overlap(&df, f, t))
}

// overlap returns the nanoseconds of working time of one day within [f, t).
func overlap(d *day, f, t instant) int64 {
	var ns int64
	for i := range d.n() {
		s, e := d.span(i)
		lo, hi := instant{s, 0}, instant{e, 0}
		if f.sec > s || (f.sec == s && f.nsec > 0) {
			lo = f
		}
		if t.before(hi) {
			hi = t
		}
		if lo.before(hi) {
			ns += hi.sub(lo)
		}
	}
	return ns
}

// Add returns the earliest instant t with Between(from, t) == d, in from's
// location; for d <= 0 it returns from. When the covered years hold less
// working time than d after from, no such instant exists and Add returns the
// later of from and the end of the last covered year, so Add never goes back.
func (c *Calendar) Add(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	f := c.clamp(instantOf(from))
	if f.sec >= c.domEndAt {
		return from
	}
	n, today := c.dayOf(f.sec)
	rem := int64(d)
	if at, ok := walk(&today, f, &rem); ok {
		return c.timeOf(at, from.Location())
	}
	need := (rem + 1e9 - 1) / 1e9
	k, ok := c.reach(n+1, need)
	if !ok {
		return c.timeOf(instant{c.domEndAt, 0}, from.Location())
	}
	rem -= c.sum(n+1, k) * 1e9
	last := c.dayAt(k)
	at, _ := walk(&last, instant{last.mid, 0}, &rem)
	return c.timeOf(at, from.Location())
}

// walk consumes *rem nanoseconds of the day's working time from f on and
// returns the instant where it runs out, or false with *rem reduced by what
// the day held.
func walk(d *day, f instant, rem *int64) (instant, bool) {
	for i := range d.n() {
		s, e := d.span(i)
		end := instant{e, 0}
		if !f.before(end) {
			continue
		}
		start := instant{s, 0}
		if start.before(f) {
			start = f
		}
		if avail := end.sub(start); *rem <= avail {
			return start.add(*rem), true
		} else {
			*rem -= avail
		}
	}
	return instant{}, false
}

// IsWorking reports whether t falls in working time.
func (c *Calendar) IsWorking(t time.Time) bool {
	a := instantOf(t)
	if a.sec < c.domStart || a.sec >= c.domEndAt {
		return false
	}
	_, d := c.dayOf(a.sec)
	for i := range d.n() {
		s, e := d.span(i)
		if s <= a.sec && a.sec < e {
			return true
		}
	}
	return false
}

// Next returns the first working instant at or after t: t itself when it is
// working time. When no working time follows t in the covered years it
// returns the later of t and the end of the last covered year.
func (c *Calendar) Next(t time.Time) time.Time {
	a := instantOf(t)
	if a.sec < c.domStart {
		a = instant{c.domStart, 0}
	} else if a.sec >= c.domEndAt {
		return t
	}
	n, d := c.dayOf(a.sec)
	for i := range d.n() {
		s, e := d.span(i)
		if a.sec < e {
			if a.sec < s {
				return c.timeOf(instant{s, 0}, t.Location())
			}
			if a == instantOf(t) {
				return t
			}
			return c.timeOf(a, t.Location())
		}
	}
	k, ok := c.reach(n+1, 1)
	if !ok {
		return c.timeOf(instant{c.domEndAt, 0}, t.Location())
	}
	next := c.dayAt(k)
	s, _ := next.span(0)
	return c.timeOf(instant{s, 0}, t.Location())
}

// Name returns the calendar's name.
func (c *Calendar) Name() string { return c.spec.Name }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Spec returns a copy of the normalized description the calendar was built
// from: spans sorted and merged, Location never nil.
func (c *Calendar) Spec() CalendarSpec {
	s := c.spec
	for i := range s.Week {
		s.Week[i] = slices.Clone(s.Week[i])
	}
	s.Holidays = slices.Clone(s.Holidays)
	days := make(map[Date][]Span, len(s.Days))
	for d, spans := range s.Days {
		days[d] = slices.Clone(spans)
	}
	s.Days = days
	return s
}
