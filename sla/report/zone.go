package report

import (
	"encoding/json"
	"time"

	// The zone database travels with the package, so that a report read
	// back names the same months wherever it is read, whatever the host
	// has installed.
	_ "time/tzdata"

	"github.com/spoc-itsm/spoc/itsm"
)

// zoneName is the name of the location of the periods' times when a reader
// can load it again and finds the same offsets at each of them: not Local,
// which is the writer's own, nor a fixed zone, whose name may be that of a
// real zone with other rules ("CET" at a fixed +01:00 in summer).
func zoneName(periods []Period) string {
	name := periods[0].From.Location().String()
	if name == "" || name == "Local" {
		return ""
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return ""
	}
	same := func(t time.Time) bool {
		_, want := t.Zone()
		_, got := t.In(loc).Zone()
		return got == want
	}
	for _, p := range periods {
		if !same(p.From) || !same(p.To) {
			return ""
		}
	}
	return name
}

// loadZone is the location of a report's Zone.
func loadZone(name string) (*time.Location, error) {
	// "Local" would be the reader's own zone, which is not the writer's.
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" || name == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "report: unknown time zone %q", name)
	}
	return loc, nil
}

// inZone puts the report's times in its Zone, if it has one.
func (r *Report) inZone() error {
	if r.Zone == "" {
		return nil
	}
	loc, err := loadZone(r.Zone)
	if err != nil {
		return err
	}
	in := func(p *Period) {
		p.From, p.To = p.From.In(loc), p.To.In(loc)
	}
	in(&r.Period)
	for i := range r.Trend {
		in(&r.Trend[i].Period)
	}
	if !r.AsOf.IsZero() {
		r.AsOf = r.AsOf.In(loc)
	}
	return nil
}

// UnmarshalJSON reads a report as encoding/json would, then puts its times
// in its Zone: RFC 3339 keeps only offsets, and October in Stockholm
// begins at +02:00 and ends at +01:00, which only the zone makes a month.
// An unknown zone is a CodeInvalid error.
func (r *Report) UnmarshalJSON(b []byte) error {
	type plain Report // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if err := (*Report)(&p).inZone(); err != nil {
		return err
	}
	*r = Report(p)
	return nil
}
