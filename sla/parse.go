package sla

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func dayKey(wd time.Weekday) string { return weekdayKeys[wd] }

// calendarJSON is the wire form of a calendar.
type calendarJSON struct {
	Name     string              `json:"name"`
	Location string              `json:"location"`
	Hours    json.RawMessage     `json:"hours"`
	Holidays []string            `json:"holidays,omitempty"`
	Days     map[string][]string `json:"days,omitempty"`
}

// always is the "hours" value of a calendar open around the clock.
const always = "24x7"

// ParseCalendar builds a calendar from JSON such as
//
//	{"name": "stockholm-office", "location": "Europe/Stockholm",
//	 "hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
//	           "thu": ["08:00-17:00"], "fri": ["08:00-16:00"]},
//	 "holidays": ["se"],
//	 "days": {"2026-04-30": ["08:00-13:00"], "2026-12-23": []}}
//
// Weekdays (sun, mon, tue, wed, thu, fri, sat) without an entry are closed;
// "hours": "24x7" is open around the clock; a span may end at 24:00. A date
// in "days" replaces that date's hours entirely: an empty list closes it, and
// it wins over a public holiday. "location" is an IANA zone name; unknown
// fields are errors. Errors name the field and the value at fault.
func ParseCalendar(data []byte) (*Calendar, error) {
	var in calendarJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar: unexpected data after the calendar object")
	}
	spec := CalendarSpec{Name: in.Name, Holidays: in.Holidays}
	if in.Location == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: location must name a time zone, such as \"Europe/Stockholm\"", in.Name)
	}
	if in.Location == "Local" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: location \"Local\" depends on the machine; name the zone", in.Name)
	}
	loc, err := time.LoadLocation(in.Location)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: location %q is not a known time zone", in.Name, in.Location)
	}
	spec.Location = loc

	week, err := parseHours(in.Hours)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: %w", in.Name, err)
	}
	spec.Week = week

	if in.Days != nil {
		spec.Days = make(map[Date][]Span, len(in.Days))
	}
	for key, list := range in.Days {
		date, err := ParseDate(key)
		if err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: days: %w", in.Name, err)
		}
		spans, err := parseSpans(list)
		if err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "calendar %q: days %s%w", in.Name, key, err)
		}
		spec.Days[date] = spans
	}
	return NewCalendar(spec)
}

func parseHours(raw json.RawMessage) ([7][]Span, error) {
	var week [7][]Span
	if len(raw) == 0 || string(raw) == "null" {
		return week, itsm.Errorf(itsm.CodeInvalid, "hours: missing; give weekday spans or \"24x7\"")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s != always {
			return week, itsm.Errorf(itsm.CodeInvalid, "hours: %q is neither %q nor an object of weekdays", s, always)
		}
		return AlwaysOpen(), nil
	}
	var days map[string][]string
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&days); err != nil {
		return week, itsm.Errorf(itsm.CodeInvalid, "hours: %w", err)
	}
	for key, list := range days {
		wd := -1
		for i, k := range weekdayKeys {
			if k == key {
				wd = i
			}
		}
		if wd < 0 {
			return week, itsm.Errorf(itsm.CodeInvalid, "hours: %q is not a weekday (sun, mon, tue, wed, thu, fri, sat)", key)
		}
		spans, err := parseSpans(list)
		if err != nil {
			return week, itsm.Errorf(itsm.CodeInvalid, "hours %s%w", key, err)
		}
		week[wd] = spans
	}
	return week, nil
}

// parseSpans parses a list of spans; its errors start with the index.
func parseSpans(list []string) ([]Span, error) {
	spans := make([]Span, 0, len(list))
	for i, text := range list {
		sp, err := ParseSpan(text)
		if err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "[%d]: %w", i, err)
		}
		spans = append(spans, sp)
	}
	return spans, nil
}

// MarshalJSON encodes the calendar in the form ParseCalendar reads.
func (c *Calendar) MarshalJSON() ([]byte, error) {
	out := calendarJSON{Name: c.spec.Name, Location: c.loc.String(), Holidays: c.spec.Holidays}
	if isAlwaysOpen(c.spec.Week) {
		out.Hours, _ = json.Marshal(always)
	} else {
		hours := map[string][]string{}
		for wd, spans := range c.spec.Week {
			if len(spans) > 0 {
				hours[weekdayKeys[wd]] = spanStrings(spans)
			}
		}
		out.Hours, _ = json.Marshal(hours)
	}
	if len(c.spec.Days) > 0 {
		out.Days = make(map[string][]string, len(c.spec.Days))
		for d, spans := range c.spec.Days {
			out.Days[d.String()] = spanStrings(spans)
		}
	}
	return json.Marshal(out)
}

func spanStrings(spans []Span) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.String()
	}
	return out
}

func isAlwaysOpen(week [7][]Span) bool {
	for _, spans := range week {
		if len(spans) != 1 || spans[0] != (Span{0, 24 * time.Hour}) {
			return false
		}
	}
	return true
}
