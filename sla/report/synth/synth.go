// Package synth generates a realistic year of incident tickets for trying
// out, demonstrating and benchmarking reports without a production system.
//
// The delivery is a Swedish municipality of about 46,000 users served by one
// service desk and four suppliers (network, workplace, applications,
// telephony), measured on office hours with the Swedish public holidays in
// Europe/Stockholm. Tickets arrive by weekday and hour (Monday mornings
// busiest, few at night and on weekends and holidays, dips in the summer and
// at Christmas), at priorities P1 to P4 in shares of about 1, 9, 60 and 30
// percent. About two in five are resolved at first contact by the desk; the
// rest are delegated to a supplier group, sometimes to the wrong one, which
// rejects them, sometimes back and forth (ping-pong). Suppliers accept, post
// status updates, wait for the user or their own vendor, and report back;
// the desk closes, sometimes reopens, and cancels a few duplicates. Working
// times are log-normal, so a tail of tickets breaches, and the suppliers
// differ: the network supplier usually meets its contract and the
// applications supplier often does not.
//
// A Generator is deterministic: the same Config gives the same tickets, in
// order of registration, every time its Tickets source is iterated. It
// builds each ticket as it is asked for, so a million tickets stream through
// a report in constant memory.
package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// The states of the tickets: those of package incident, spelt out here so
// that the generator does not depend on it.
const (
	StateRegistered    itsm.State = "registered"
	StateInProgress    itsm.State = "in_progress"
	StateDelegated     itsm.State = "delegated"
	StateWaitingUser   itsm.State = "waiting_user"
	StateWaitingVendor itsm.State = "waiting_vendor"
	StateResolved      itsm.State = "resolved"
	StateClosed        itsm.State = "closed"
	StateCancelled     itsm.State = "cancelled"
)

// Config says what to generate. The zero Config is a valid one.
type Config struct {
	// Seed selects one of the possible years; the same Seed and Config give
	// the same tickets.
	Seed uint64
	// Year is the calendar year, in Europe/Stockholm, in which the tickets
	// are registered; 0 means 2025. Tickets registered late in the year may
	// end in the next.
	Year int
	// Incidents is the expected number of tickets in the year (the actual
	// number varies by a few hundred, as arrivals do); 0 means
	// DefaultIncidents.
	Incidents int
}

// DefaultIncidents is a year of a customer of 46,000 users, a little over
// two incidents a user.
const DefaultIncidents = 100_000

// Supplier is one supplier of the delivery: the category of incidents it
// resolves and its resolver groups.
type Supplier struct {
	Organisation itsm.Organisation
	Category     string
	Groups       []string
	// UC is its underpinning contract with the desk.
	UC *sla.Agreement

	// How it works, relative to a typical supplier: its working times are
	// multiplied by slowness, it accepts after acceptMedian working time,
	// it rejects misrouted tickets, and it lets an update interval run
	// over with the probability lateUpdates.
	slowness     float64
	acceptMedian time.Duration
	lateUpdates  float64
}

// Delivery is the organisations and agreements that the generated tickets
// belong to.
type Delivery struct {
	Customer  itsm.Organisation
	Desk      itsm.Organisation
	Suppliers []Supplier
	// Office is Monday to Friday 08:00-17:00 in Europe/Stockholm without the
	// Swedish public holidays; Always is around the clock, for P1.
	Office, Always *sla.Calendar
	// SLA is the customer's agreement with the desk.
	SLA *sla.Agreement
}

// Agreements returns the SLA and then each supplier's UC.
func (d *Delivery) Agreements() []*sla.Agreement {
	out := []*sla.Agreement{d.SLA}
	for _, s := range d.Suppliers {
		out = append(out, s.UC)
	}
	return out
}

// Names returns the display name of every organisation by ID, for
// report.Spec.Names.
func (d *Delivery) Names() map[itsm.ID]string {
	m := map[itsm.ID]string{d.Customer.ID: d.Customer.Name, d.Desk.ID: d.Desk.Name}
	for _, s := range d.Suppliers {
		m[s.Organisation.ID] = s.Organisation.Name
	}
	return m
}

// Generator makes the tickets of one Config.
type Generator struct {
	cfg      Config
	delivery Delivery
	loc      *time.Location
	// rates holds the expected arrivals in each hour of the year, from its
	// first hour in Europe/Stockholm.
	rates []float64
	start time.Time
}

// New checks cfg and prepares the delivery and the arrival rates.
func New(cfg Config) (*Generator, error) {
	if cfg.Year == 0 {
		cfg.Year = 2025
	}
	if cfg.Incidents == 0 {
		cfg.Incidents = DefaultIncidents
	}
	switch {
	case cfg.Year < sla.FirstYear || cfg.Year >= sla.LastYear:
		return nil, itsm.Errorf(itsm.CodeInvalid, "synth: year %d is outside %d to %d", cfg.Year, sla.FirstYear, sla.LastYear-1)
	case cfg.Incidents < 0 || cfg.Incidents > 100_000_000:
		return nil, itsm.Errorf(itsm.CodeInvalid, "synth: %d incidents is outside 0 to 100,000,000", cfg.Incidents)
	}
	d, err := newDelivery()
	if err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, delivery: d, loc: d.Office.Location()}
	g.start = time.Date(cfg.Year, time.January, 1, 0, 0, 0, 0, g.loc)
	g.rates = arrivalRates(d.Office, g.start, time.Date(cfg.Year+1, time.January, 1, 0, 0, 0, 0, g.loc), float64(cfg.Incidents))
	return g, nil
}

// Delivery returns the organisations and agreements of the tickets.
func (g *Generator) Delivery() *Delivery { return &g.delivery }

// Year returns the calendar year of the tickets in Europe/Stockholm.
func (g *Generator) Year() report.Period { return report.Year(g.cfg.Year, g.loc) }

// Tickets yields the year's tickets in order of registration; it never
// yields an error. Every iteration yields the same tickets.
func (g *Generator) Tickets() report.Source {
	return func(yield func(report.Ticket, error) bool) {
		w := newWalker(g)
		var arrivals []time.Time
		for h, rate := range g.rates {
			n := poisson(w.rng, rate)
			if n == 0 {
				continue
			}
			hour := g.start.Add(time.Duration(h) * time.Hour)
			arrivals = arrivals[:0]
			for range n {
				arrivals = append(arrivals, hour.Add(time.Duration(w.rng.Int64N(int64(time.Hour)))).Truncate(time.Second))
			}
			sortTimes(arrivals)
			for _, at := range arrivals {
				if !yield(w.ticket(at), nil) {
					return
				}
			}
		}
	}
}

// sortTimes sorts the few arrivals of an hour by insertion.
func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// poisson draws from the Poisson distribution with mean lambda: by
// multiplying uniforms for a small mean, by the normal approximation (which
// is within a fraction of a percent there) for a large one.
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*rng.NormFloat64())))
	}
	limit, p, n := math.Exp(-lambda), rng.Float64(), 0
	for p > limit {
		p *= rng.Float64()
		n++
	}
	return n
}

// fixedID is a constant ID for the organisations of the delivery, so that
// reports of different runs compare.
func fixedID(n byte) itsm.ID {
	var id itsm.ID
	copy(id[:], []byte{0x01, 0x90, 0x00, 0x00, 0x00, 0x00, 0x70, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5e, n})
	return id
}

// GroupID is the ID of the group named name of the organisation org in the
// delivery, the zero ID for the empty name: derived from both, so that it
// repeats from run to run as the organisations' IDs do.
func GroupID(org itsm.ID, name string) itsm.ID {
	var id itsm.ID
	if name == "" {
		return id
	}
	sum := sha256.Sum256(append(org[:], name...))
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 0x80 // version 8: a custom UUID
	id[8] = id[8]&0x3f | 0x80
	return id
}

// ticketID makes a version 7 UUID from the registration time and the
// generator's random numbers, so that IDs sort by registration as the
// store's do and repeat from run to run.
func ticketID(rng *rand.Rand, at time.Time) itsm.ID {
	var id itsm.ID
	binary.BigEndian.PutUint64(id[0:8], uint64(at.UnixMilli())<<16|rng.Uint64()&0xfff|0x7000)
	binary.BigEndian.PutUint64(id[8:16], rng.Uint64()&^(3<<62)|2<<62)
	return id
}

func mustCalendar(spec string) (*sla.Calendar, error) {
	c, err := sla.ParseCalendar([]byte(spec))
	if err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "synth: calendar")
	}
	return c, nil
}

func newDelivery() (Delivery, error) {
	office, err := mustCalendar(`{"name": "stockholm-office", "location": "Europe/Stockholm",
		"hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
		          "thu": ["08:00-17:00"], "fri": ["08:00-17:00"]},
		"holidays": ["se"]}`)
	if err != nil {
		return Delivery{}, err
	}
	always, err := mustCalendar(`{"name": "24x7", "location": "Europe/Stockholm", "hours": "24x7"}`)
	if err != nil {
		return Delivery{}, err
	}
	d := Delivery{
		Customer: itsm.Organisation{ID: fixedID(1), Name: "Lakeside Municipality", Role: itsm.OrgCustomer},
		Desk:     itsm.Organisation{ID: fixedID(2), Name: "Lakeside Service Desk", Role: itsm.OrgDesk},
		Office:   office, Always: always,
	}
	h, m := time.Hour, time.Minute
	ended := []itsm.State{StateResolved, StateClosed, StateCancelled}
	pause := []itsm.State{StateWaitingUser}
	credits := func(fee int64) *sla.Credits {
		return &sla.Credits{MonthlyFee: fee, Currency: "SEK", Cap: 15,
			Steps: []sla.CreditStep{{Above: 0, Percent: 2}, {Above: 0.02, Percent: 5}, {Above: 0.05, Percent: 10}}}
	}
	// targets builds the targets of one agreement: response, resolution
	// and, for P1 to P3, update, with P1 measured around the clock.
	targets := func(response, resolution, update [4]time.Duration, responded []itsm.State) []sla.Target {
		var ts []sla.Target
		for i := range 4 {
			p, cal := itsm.Priority(i+1), office
			if p == 1 {
				cal = always
			}
			ts = append(ts,
				sla.Target{Metric: sla.MetricResponse, Priority: p, Within: response[i], Calendar: cal, Pause: pause, Stop: responded},
				sla.Target{Metric: sla.MetricResolution, Priority: p, Within: resolution[i], Calendar: cal, Pause: pause, Stop: ended})
			if update[i] > 0 {
				ts = append(ts, sla.Target{Metric: sla.MetricUpdate, Priority: p, Within: update[i], Calendar: cal, Pause: pause, Stop: ended})
			}
		}
		return ts
	}
	d.SLA = &sla.Agreement{Name: "Lakeside SLA", Kind: sla.KindSLA, Provider: d.Desk.ID, Consumer: d.Customer.ID,
		Objective: 0.95, Warnings: []float64{0.5, 0.75}, Credits: credits(180_000_000), // 1.8 MSEK a month
		Targets: targets(
			[4]time.Duration{15 * m, 30 * m, 2 * h, 4 * h},
			[4]time.Duration{4 * h, 9 * h, 27 * h, 45 * h}, // P2 to P4: one, three and five working days
			[4]time.Duration{h, 4 * h, 18 * h, 0},
			[]itsm.State{StateInProgress, StateDelegated, StateResolved, StateClosed, StateCancelled})}
	accepted := []itsm.State{StateInProgress, StateResolved, StateClosed, StateCancelled}
	for i, s := range []struct {
		name, category string
		groups         []string
		objective      float64
		fee            int64
		slowness       float64
		accept         time.Duration
		late           float64
	}{
		{"Northwind Networks", "network", []string{"lan", "wifi", "wan"}, 0.95, 40_000_000, 0.7, 8 * m, 0.05},
		{"Fjord Workplace", "workplace", []string{"clients", "printers", "onsite"}, 0.92, 55_000_000, 1.0, 12 * m, 0.12},
		{"Appcentre", "applications", []string{"email", "e-services", "school-admin", "identity"}, 0.92, 60_000_000, 1.5, 20 * m, 0.25},
		{"Teleline", "telephony", []string{"mobile", "switchboard"}, 0.9, 20_000_000, 1.15, 15 * m, 0.15},
	} {
		org := itsm.Organisation{ID: fixedID(byte(3 + i)), Name: s.name, Role: itsm.OrgSupplier}
		uc := &sla.Agreement{Name: s.name + " UC", Kind: sla.KindUC, Provider: org.ID, Consumer: d.Desk.ID,
			Objective: s.objective, Warnings: []float64{0.75}, Credits: credits(s.fee),
			Targets: targets(
				[4]time.Duration{15 * m, 30 * m, h, 2 * h},
				[4]time.Duration{3 * h, 7 * h, 22 * h, 40 * h},
				[4]time.Duration{h, 4 * h, 18 * h, 0},
				accepted)}
		d.Suppliers = append(d.Suppliers, Supplier{Organisation: org, Category: s.category, Groups: s.groups, UC: uc,
			slowness: s.slowness, acceptMedian: s.accept, lateUpdates: s.late})
	}
	for _, a := range d.Agreements() {
		if err := a.Validate(); err != nil {
			return Delivery{}, itsm.Wrap(itsm.CodeInternal, err, "synth")
		}
	}
	return d, nil
}

// arrivalRates returns the expected arrivals of each hour in [from, to),
// total in all: a profile by hour of the day, busier on Monday mornings and
// quieter on Fridays, low at night, on weekends and holidays, and lower in
// the summer and around Christmas.
func arrivalRates(office *sla.Calendar, from, to time.Time, total float64) []float64 {
	// Weekday profile from midnight; 08-10 is the morning peak.
	workday := [24]float64{0.04, 0.03, 0.03, 0.03, 0.04, 0.08, 0.25, 0.9, 1.9, 2.0, 1.7, 1.4,
		1.0, 1.4, 1.3, 1.1, 0.8, 0.45, 0.25, 0.18, 0.14, 0.1, 0.07, 0.05}
	offday := [24]float64{0.03, 0.02, 0.02, 0.02, 0.02, 0.03, 0.05, 0.08, 0.12, 0.16, 0.18, 0.18,
		0.17, 0.17, 0.16, 0.15, 0.14, 0.12, 0.11, 0.1, 0.09, 0.07, 0.05, 0.04}
	weekday := [7]float64{time.Monday: 1.25, time.Tuesday: 1.05, time.Wednesday: 1.0, time.Thursday: 0.97, time.Friday: 0.85}
	var rates []float64
	sum := 0.0
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		l := t.In(from.Location())
		noon := time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, l.Location())
		r := offday[l.Hour()]
		if office.IsWorking(noon) {
			r = workday[l.Hour()] * weekday[l.Weekday()]
			if l.Weekday() == time.Monday && l.Hour() >= 8 && l.Hour() < 11 {
				r *= 1.2
			}
		}
		r *= season(l.Month(), l.Day())
		rates = append(rates, r)
		sum += r
	}
	for i := range rates {
		rates[i] *= total / sum
	}
	return rates
}

// season scales arrivals by the time of year: the summer holidays, the weeks
// around Christmas, and the busy starts of the terms.
func season(m time.Month, day int) float64 {
	switch {
	case m == time.July:
		return 0.45
	case m == time.June && day >= 20, m == time.August && day < 10:
		return 0.7
	case m == time.August:
		return 1.15
	case m == time.December && day >= 20, m == time.January && day <= 6:
		return 0.55
	case m == time.January:
		return 1.1
	}
	return 1
}
