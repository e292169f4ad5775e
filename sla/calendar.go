package sla

import (
	"fmt"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// The years a Calendar covers. Public holidays and daylight-saving changes are
// precomputed for them at construction, which is what makes the arithmetic
// closed-form; before FirstYear and after LastYear a calendar has no working
// time at all.
const (
	FirstYear = 1970
	LastYear  = 2199
)

// Span is a stretch of working time within one day, given as wall-clock
// offsets from midnight: 07:30-12:00 is Span{7*time.Hour + 30*time.Minute,
// 12 * time.Hour}. End may be 24h, the following midnight.
type Span struct {
	Start time.Duration
	End   time.Duration
}

// ParseSpan parses "HH:MM-HH:MM", as in "07:30-12:00" or "16:00-24:00";
// seconds may be given as HH:MM:SS.
func ParseSpan(s string) (Span, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Span{}, itsm.Errorf(itsm.CodeInvalid, "span %q is not HH:MM-HH:MM", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return Span{}, itsm.Errorf(itsm.CodeInvalid, "span %q: %w", s, err)
	}
	end, err := parseClock(to)
	if err != nil {
		return Span{}, itsm.Errorf(itsm.CodeInvalid, "span %q: %w", s, err)
	}
	sp := Span{start, end}
	if err := sp.validate(); err != nil {
		return Span{}, itsm.Errorf(itsm.CodeInvalid, "span %q: %w", s, err)
	}
	return sp, nil
}

// parseClock parses "HH:MM" or "HH:MM:SS" from 00:00 to 24:00.
func parseClock(s string) (time.Duration, error) {
	if (len(s) != 5 && len(s) != 8) || s[2] != ':' || (len(s) == 8 && s[5] != ':') {
		return 0, itsm.Errorf(itsm.CodeInvalid, "time %q is not HH:MM", s)
	}
	var parts [3]int
	for i, c := range []byte(s) {
		if i == 2 || i == 5 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, itsm.Errorf(itsm.CodeInvalid, "time %q is not HH:MM", s)
		}
		parts[i/3] = parts[i/3]*10 + int(c-'0')
	}
	h, m, sec := parts[0], parts[1], parts[2]
	if h > 24 || m > 59 || sec > 59 || (h == 24 && (m != 0 || sec != 0)) {
		return 0, itsm.Errorf(itsm.CodeInvalid, "time %q is not between 00:00 and 24:00", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, nil
}

// String formats the span as "HH:MM-HH:MM" (with seconds when it has any).
func (s Span) String() string { return clockString(s.Start) + "-" + clockString(s.End) }

func clockString(d time.Duration) string {
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	if sec != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

func (s Span) validate() error {
	switch {
	case s.Start < 0 || s.End > 24*time.Hour:
		return itsm.Errorf(itsm.CodeInvalid, "span %s is outside 00:00-24:00", s)
	case s.Start%time.Second != 0 || s.End%time.Second != 0:
		return itsm.Errorf(itsm.CodeInvalid, "span %s is not in whole seconds", s)
	case s.End <= s.Start:
		return itsm.Errorf(itsm.CodeInvalid, "span %s does not end after it starts", s)
	}
	return nil
}

// CalendarSpec describes a calendar. NewCalendar checks it and precomputes
// what the arithmetic needs; ParseCalendar builds one from JSON.
type CalendarSpec struct {
	// Name identifies the calendar in agreements and reports.
	Name string
	// Location is the time zone the hours are given in; nil means UTC.
	Location *time.Location
	// Week holds the working spans of each weekday, indexed by time.Weekday.
	// A weekday without spans is closed. Spans must be in order and must not
	// overlap; adjacent spans are merged.
	Week [7][]Span
	// Holidays are country codes (see Countries) whose public holidays close
	// the calendar for the whole day.
	Holidays []string
	// Days replaces the hours of single dates: a shorter day before a holiday,
	// an extra closed day (an empty list), an extra open Saturday. A date here
	// wins over a public holiday.
	Days map[Date][]Span
}

// AlwaysOpen returns the week of a 24x7 calendar: every day 00:00-24:00.
func AlwaysOpen() [7][]Span {
	var w [7][]Span
	for i := range w {
		w[i] = []Span{{0, 24 * time.Hour}}
	}
	return w
}

// OfficeHours returns a week open Monday to Friday from start to end.
func OfficeHours(start, end time.Duration) [7][]Span {
	var w [7][]Span
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = []Span{{start, end}}
	}
	return w
}
