package synth_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
	"github.com/spoc-itsm/spoc/sla/report/synth"
)

func generate(t *testing.T, cfg synth.Config) (*synth.Generator, []report.Ticket) {
	t.Helper()
	g, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ts []report.Ticket
	for tk, err := range g.Tickets() {
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tk)
	}
	return g, ts
}

// The same Config gives the same tickets, from one generator or another; a
// different seed gives others.
func TestDeterministic(t *testing.T) {
	cfg := synth.Config{Seed: 3, Incidents: 3000}
	g, first := generate(t, cfg)
	var again []report.Ticket
	for tk := range g.Tickets() {
		again = append(again, tk)
	}
	_, other := generate(t, cfg)
	for name, ts := range map[string][]report.Ticket{"iterated again": again, "another generator": other} {
		if reflect.DeepEqual(first, ts) {
			continue
		}
		if d := cmp.Diff(first, ts); d != "" {
			t.Errorf("%s (-first +again):\n%s", name, d)
		}
	}
	cfg.Seed = 4
	if _, ts := generate(t, cfg); reflect.DeepEqual(first, ts) {
		t.Error("seeds 3 and 4 give the same tickets")
	}
}

// Every ticket is one that package incident could have made: a valid
// timeline that starts registered at the desk when the ticket was registered
// and ends closed or cancelled, only the delivery's organisations and their
// groups, priorities P1 to P4, counters that agree with the timeline
// (re-assignments, ping-pong as SD-7 counts it, reopens, first contact), and
// tickets in order of registration within the year with unique IDs and
// consecutive numbers.
func TestTicketsAreConsistent(t *testing.T) {
	g, ts := generate(t, synth.Config{Seed: 1, Incidents: 20_000})
	d := g.Delivery()
	groups := map[itsm.ID][]itsm.ID{d.Desk.ID: {{}}}
	for _, s := range d.Suppliers {
		for _, name := range s.Groups {
			groups[s.Organisation.ID] = append(groups[s.Organisation.ID], synth.GroupID(s.Organisation.ID, name))
		}
	}
	year := g.Year()
	ids := make(map[itsm.ID]bool)
	for i, tk := range ts {
		name := tk.Number
		if want := fmt.Sprintf("INC%07d", i+1); tk.Number != want {
			t.Fatalf("ticket %d is numbered %s, want %s", i, tk.Number, want)
		}
		if tk.ID.IsZero() || ids[tk.ID] {
			t.Fatalf("%s: ID %s is zero or taken", name, tk.ID)
		}
		ids[tk.ID] = true
		if tk.Desk != d.Desk.ID || tk.Customer != d.Customer.ID || tk.Category == "" || tk.Service == "" {
			t.Fatalf("%s: desk %s, customer %s, category %q, service %q", name, tk.Desk, tk.Customer, tk.Category, tk.Service)
		}
		if tk.Registered.Before(year.From) || !tk.Registered.Before(year.To) || i > 0 && tk.Registered.Before(ts[i-1].Registered) {
			t.Fatalf("%s: registered %s, out of the year or of order", name, tk.Registered)
		}
		tl := tk.Timeline
		if err := tl.Validate(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, tl)
		}
		if first := tl[0]; !first.Start.Equal(tk.Registered) || first.State != synth.StateRegistered || first.Holder != d.Desk.ID {
			t.Fatalf("%s: starts %s %s held by %s", name, first.Start, first.State, first.Holder)
		}
		if last := tl[len(tl)-1].State; last != synth.StateClosed && last != synth.StateCancelled {
			t.Fatalf("%s: ends %s\n%s", name, last, tl)
		}
		var delegations, pingPong, reopened int
		var held []itsm.ID
		for j, iv := range tl {
			if !slices.Contains(groups[iv.Holder], iv.Group) || iv.Priority < 1 || iv.Priority > 4 {
				t.Fatalf("%s: interval %d held by %s group %s at P%d", name, j, iv.Holder, iv.Group, iv.Priority)
			}
			if j == 0 {
				continue
			}
			prev := tl[j-1]
			switch {
			case iv.State == synth.StateDelegated:
				if iv.Holder == d.Desk.ID {
					t.Fatalf("%s: delegated to the desk", name)
				}
				delegations++
				if prev.Holder != iv.Holder && slices.Contains(held, iv.Holder) {
					pingPong++
				}
				held = append(held, iv.Holder)
			case iv.State == synth.StateInProgress && (prev.State == synth.StateResolved || prev.State == synth.StateClosed):
				reopened++
			}
		}
		if tk.Reassignments != max(0, delegations-1) || tk.PingPong != pingPong || tk.Reopened != reopened {
			t.Fatalf("%s: reassignments %d, ping-pong %d, reopened %d; the timeline has %d delegations, %d ping-pong, %d reopens\n%s",
				name, tk.Reassignments, tk.PingPong, tk.Reopened, delegations, pingPong, reopened, tl)
		}
		if tk.FirstContact && (delegations > 0 || reopened > 0 || tl[len(tl)-1].State == synth.StateCancelled) {
			t.Fatalf("%s: first contact, but delegated, reopened or cancelled\n%s", name, tl)
		}
	}
}

// A year has the shape the package promises: about the number asked for, the
// priority shares, first contact, ping-pong, reopens and cancellations in
// their ranges, Monday the busiest day, few arrivals at night and on
// weekends, July the quietest month, and the network supplier meeting its
// resolution target far more often than the applications supplier.
func TestYearShape(t *testing.T) {
	const n = 40_000
	g, ts := generate(t, synth.Config{Seed: 1, Incidents: n})
	if len(ts) < n*97/100 || len(ts) > n*103/100 {
		t.Errorf("%d tickets, want about %d", len(ts), n)
	}
	loc := g.Year().From.Location()
	var prio [5]int
	var fcr, pingPong, reopened, cancelled, night int
	var weekday [7]int
	var month [13]int
	for _, tk := range ts {
		prio[tk.Timeline[0].Priority]++
		if tk.FirstContact {
			fcr++
		}
		if tk.PingPong > 0 {
			pingPong++
		}
		if tk.Reopened > 0 {
			reopened++
		}
		if tk.Timeline[len(tk.Timeline)-1].State == synth.StateCancelled {
			cancelled++
		}
		l := tk.Registered.In(loc)
		weekday[l.Weekday()]++
		month[l.Month()]++
		if l.Hour() < 6 {
			night++
		}
	}
	share := func(k int) float64 { return float64(k) / float64(len(ts)) }
	for _, c := range []struct {
		what     string
		got      float64
		from, to float64
	}{
		{"P1", share(prio[1]), 0.007, 0.013},
		{"P2", share(prio[2]), 0.08, 0.10},
		{"P3", share(prio[3]), 0.58, 0.62},
		{"P4", share(prio[4]), 0.28, 0.32},
		{"first contact", share(fcr), 0.35, 0.45},
		{"ping-pong", share(pingPong), 0.01, 0.06},
		{"reopened", share(reopened), 0.02, 0.04},
		{"cancelled", share(cancelled), 0.01, 0.03},
		{"saturday", share(weekday[time.Saturday]), 0, 0.05},
		{"sunday", share(weekday[time.Sunday]), 0, 0.05},
		{"night", share(night), 0, 0.03},
	} {
		if c.got < c.from || c.got > c.to {
			t.Errorf("%s: share %.4f, want %.3f to %.3f", c.what, c.got, c.from, c.to)
		}
	}
	for wd := time.Tuesday; wd <= time.Friday; wd++ {
		if weekday[wd] >= weekday[time.Monday] {
			t.Errorf("%s has %d tickets, Monday %d; want Monday the busiest", wd, weekday[wd], weekday[time.Monday])
		}
	}
	for m := time.January; m <= time.December; m++ {
		if m != time.July && month[m] <= month[time.July] {
			t.Errorf("%s has %d tickets, July %d; want July the quietest", m, month[m], month[time.July])
		}
	}

	d := g.Delivery()
	compliance := func(s synth.Supplier) float64 {
		met, all := 0, 0
		for _, tk := range ts {
			if !slices.ContainsFunc(tk.Timeline, func(iv itsm.Interval) bool { return iv.Holder == s.Organisation.ID }) {
				continue
			}
			m, err := s.UC.Measure(tk.Timeline, sla.MetricResolution, tk.Timeline[len(tk.Timeline)-1].Start)
			if err != nil {
				t.Fatal(err)
			}
			all++
			if !m.Breached {
				met++
			}
		}
		return float64(met) / float64(all)
	}
	network, apps := compliance(d.Suppliers[0]), compliance(d.Suppliers[2])
	if network < 0.95 || apps > 0.9 {
		t.Errorf("resolution compliance: network %.3f, applications %.3f; want the network supplier at least 0.95 and the applications supplier below 0.9", network, apps)
	}
}

// A consumer may stop early.
func TestStopEarly(t *testing.T) {
	g, err := synth.New(synth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range g.Tickets() {
		if n++; n == 10 {
			break
		}
	}
	if n != 10 {
		t.Errorf("%d tickets before stopping, want 10", n)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, cfg := range []synth.Config{{Year: 1900}, {Year: 3000}, {Incidents: -1}} {
		if _, err := synth.New(cfg); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%+v: error %v, want CodeInvalid", cfg, err)
		}
	}
}
