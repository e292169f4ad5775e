package cmdb

import (
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the default zone on machines without a zone database

	"github.com/spoc-itsm/spoc/itsm"
)

// DefaultZone is the zone of change windows and of the forward schedule's
// weeks when neither the window nor Config.Zone names one.
const DefaultZone = "Europe/Stockholm"

// defaultZone is DefaultZone loaded once.
var defaultZone = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation(DefaultZone)
	if err != nil {
		panic(err) // time/tzdata is imported
	}
	return loc
})

// zone is the desks' zone: Config.Zone, or DefaultZone.
func (s *Service) zone() *time.Location {
	if s.cfg.Zone != nil {
		return s.cfg.Zone
	}
	return defaultZone()
}

// Window is when a change happens: two instants, and the zone in which
// they were given and are shown, so that a window across a change of
// daylight saving time is as long as the clocks on the wall say it is.
type Window struct {
	// Start and End are instants, in UTC; End is after Start.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Zone is the IANA name of the zone, such as Europe/Stockholm.
	Zone string `json:"zone"`
}

// Location returns the window's zone; UTC when this machine does not know
// it.
func (w Window) Location() *time.Location {
	loc, err := lookupZone(w.Zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// zones holds the zones loaded, by name: loading one reads the zone
// database, and a schedule shows hundreds of windows. Only names that
// load are kept, so the map is bounded by the database.
var zones sync.Map

// lookupZone loads the zone named name, once.
func lookupZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// Local returns the window as its zone's wall clocks show it, with an
// offset, so that a time in the hour the clocks go back says which of
// the two it is: the input EditChange takes to keep the window as it is.
func (w Window) Local() LocalWindow {
	loc := w.Location()
	return LocalWindow{Start: w.Start.In(loc).Format(time.RFC3339), End: w.End.In(loc).Format(time.RFC3339), Zone: w.Zone}
}

// Overlaps reports whether the window and the period [from, to) share an
// instant.
func (w Window) Overlaps(from, to time.Time) bool { return w.Start.Before(to) && w.End.After(from) }

// Holds reports whether the instant at is in the window: from its start,
// before its end.
func (w Window) Holds(at time.Time) bool { return !at.Before(w.Start) && at.Before(w.End) }

// LocalWindow is a change window as people give it: dates and times on
// the wall clocks of a zone. Start and End are "2026-10-25T01:30" (or
// with seconds, or a space for the T); a time the clocks show twice, in
// the hour they go back, also takes its offset, "2026-10-25T02:30+01:00",
// and may always have one that agrees with the zone. A time the clocks
// skip, in the hour they go forward, does not exist and is refused.
type LocalWindow struct {
	Start string `json:"start"`
	End   string `json:"end"`
	// Zone is an IANA zone name; "" means Config.Zone, Europe/Stockholm
	// by default.
	Zone string `json:"zone,omitempty"`
}

// Limits of change windows.
const (
	// MaxWindow is the longest window. It also bounds how far before a
	// period the forward schedule looks for a change that overlaps it.
	MaxWindow = 92 * 24 * time.Hour
	// MaxAhead is how far ahead of now a window may start.
	MaxAhead = 2 * 366 * 24 * time.Hour
)

// window checks w and returns it as instants in its zone, "" meaning the
// service's. It does not compare the window with now; see checkWhen.
func (s *Service) window(w LocalWindow) (Window, error) {
	loc := s.zone()
	if name := strings.TrimSpace(w.Zone); name != "" {
		var err error
		if loc, err = loadZone(name); err != nil {
			return Window{}, err
		}
	}
	start, err := localInstant("window start", w.Start, loc)
	if err != nil {
		return Window{}, err
	}
	end, err := localInstant("window end", w.End, loc)
	if err != nil {
		return Window{}, err
	}
	switch {
	case !end.After(start):
		return Window{}, itsm.Errorf(itsm.CodeInvalid, "window end %s is not after its start %s", strings.TrimSpace(w.End), strings.TrimSpace(w.Start))
	case end.Sub(start) > MaxWindow:
		return Window{}, itsm.Errorf(itsm.CodeInvalid, "window of %s is longer than %d days", end.Sub(start), MaxWindow/(24*time.Hour))
	}
	return Window{Start: start, End: end, Zone: loc.String()}, nil
}

// checkWhen checks a window set at now: it has not ended (a change that
// is over is not announced) and starts within MaxAhead.
func checkWhen(w Window, now time.Time) error {
	loc := w.Location()
	switch {
	case !w.End.After(now):
		return itsm.Errorf(itsm.CodeInvalid, "window ends at %s, which has passed", w.End.In(loc).Format(time.RFC3339))
	case w.Start.Sub(now) > MaxAhead:
		return itsm.Errorf(itsm.CodeInvalid, "window starts at %s, more than %d days ahead", w.Start.In(loc).Format(time.RFC3339), MaxAhead/(24*time.Hour))
	}
	return nil
}

// loadZone loads an IANA zone by name, refusing "Local", which means
// whatever zone the machine is set to.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" || len(name) > 64 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "zone %q is not an IANA zone name such as Europe/Stockholm", itsm.Printable(name, 64))
	}
	loc, err := lookupZone(name)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "zone %q is not an IANA zone name such as Europe/Stockholm", itsm.Printable(name, 64))
	}
	return loc, nil
}

// The layouts of local times, without and with an offset.
var (
	wallLayouts   = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}
	offsetLayouts = []string{"2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00"}
)

// localInstant returns the instant the wall-clock time v (named name in
// errors) means in loc: the only one, or the one its offset chooses.
func localInstant(name, v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, itsm.Errorf(itsm.CodeInvalid, "%s is empty", name)
	}
	if len(v) > 10 && v[10] == ' ' {
		v = v[:10] + "T" + v[11:]
	}
	for _, l := range offsetLayouts {
		t, err := time.Parse(l, v)
		if err != nil {
			continue
		}
		_, given := t.Zone()
		if _, off := t.In(loc).Zone(); off != given {
			return time.Time{}, itsm.Errorf(itsm.CodeInvalid, "%s %s: %s is not at offset %s then", name, v, loc, t.Format("-07:00"))
		}
		return t.UTC(), nil
	}
	for _, l := range wallLayouts {
		wall, err := time.Parse(l, v)
		if err != nil {
			continue
		}
		ts := instants(wall, loc)
		switch len(ts) {
		case 0:
			return time.Time{}, itsm.Errorf(itsm.CodeInvalid, "%s %s does not exist in %s: the clocks skip it", name, v, loc)
		case 1:
			return ts[0], nil
		}
		return time.Time{}, itsm.Errorf(itsm.CodeInvalid, "%s %s happens twice in %s, as the clocks go back: give its offset, %s or %s",
			name, v, loc, ts[0].In(loc).Format(time.RFC3339), ts[1].In(loc).Format(time.RFC3339))
	}
	return time.Time{}, itsm.Errorf(itsm.CodeInvalid, "%s %q is not a local date and time such as 2026-12-07T22:00", name, itsm.Printable(v, 64))
}

// instants returns, in order, the instants at which loc's clocks show
// wall (a time whose fields are read, its zone ignored): one, none when
// the clocks skip it, two when they show it twice. time.Date picks one
// of two without saying which, so every offset loc has around then is
// tried.
func instants(wall time.Time, loc *time.Location) []time.Time {
	naive := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
	var out []time.Time
	for _, probe := range []time.Duration{-48 * time.Hour, 0, 48 * time.Hour} {
		_, off := naive.Add(probe).In(loc).Zone()
		t := naive.Add(-time.Duration(off) * time.Second)
		l := t.In(loc)
		if l.Year() == naive.Year() && l.YearDay() == naive.YearDay() && l.Hour() == naive.Hour() && l.Minute() == naive.Minute() &&
			l.Second() == naive.Second() && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}
