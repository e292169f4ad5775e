package incident_test

import (
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// withGroupOLAs adds to the world's agreements the desk's second line's OLA
// to its first line (resolution in 2h at every priority) and the network
// core team's OLA to the desk's second line (1h).
func withGroupOLAs(t *testing.T, w *world) {
	t.Helper()
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	ola := func(name string, provider, group, from itsm.ID, within time.Duration) *sla.Agreement {
		a := &sla.Agreement{Name: name, Kind: sla.KindOLA, Provider: provider, Consumer: w.desk.ID,
			ProviderGroup: group, ConsumerGroup: from, Objective: 0.9}
		for p := itsm.Priority(1); p <= 4; p++ {
			a.Targets = append(a.Targets, sla.Target{Metric: sla.MetricResolution, Priority: p, Within: within,
				Calendar: always, Pause: []itsm.State{incident.StateWaitingUser},
				Stop: []itsm.State{incident.StateResolved, incident.StateClosed, incident.StateCancelled}})
		}
		return a
	}
	as := append(slices.Clone(w.svc.Agreements()),
		ola("second line OLA", w.desk.ID, w.g("second line"), w.g("first line"), 2*time.Hour),
		ola("core OLA", w.network.ID, w.g("core"), w.g("second line"), time.Hour))
	if err := w.svc.SetAgreements(as); err != nil {
		t.Fatal(err)
	}
}

// TestSL1GroupOLARunsWhileItsGroupHolds is SL-1 between groups: the OLA of
// the desk's second line applies to the incidents the second line held, its
// clock runs only while the second line holds one, and Due finds it due and
// breached; the core team's OLA does not apply to an incident the network
// supplier held in another of its teams.
func TestSL1GroupOLARunsWhileItsGroupHolds(t *testing.T) {
	w := newWorld(t)
	withGroupOLAs(t, w)
	m := time.Minute
	never := w.register("printer jammed")
	inc := w.register("school wifi down")
	id := inc.ID
	for _, s := range []struct {
		after time.Duration
		group string
	}{{10 * m, "second line"}, {30 * m, "first line"}, {20 * m, "second line"}} {
		w.clock.Advance(s.after)
		inc = w.must(w.svc.Assign(w.ctx, w.agent, id, incident.AssignTo{Group: w.g(s.group)}))
	}
	w.clock.Advance(15 * m)
	now := w.clock.Now()
	// 30m before the move back to the first line and 15m since.
	got := w.clockOf(inc, "second line OLA", sla.MetricResolution, now)
	if got.Elapsed != 45*m || got.Status != sla.StatusRunning || got.Provider != w.desk.ID ||
		got.Group != w.g("second line") || !got.Due.Equal(now.Add(75*m)) {
		t.Errorf("second line's OLA: %+v, want 45m running for the desk's second line, due in 75m", got)
	}
	// While the first line held it, the clock stood idle.
	if c := w.clockOf(inc, "second line OLA", sla.MetricResolution, t0.Add(50*m)); c.Elapsed != 30*m || c.Status != sla.StatusIdle {
		t.Errorf("second line's OLA while the first line held it: %s %s, want 30m idle", c.Elapsed, c.Status)
	}
	for _, c := range w.clocksOf(never, now) {
		if c.Kind == sla.KindOLA {
			t.Errorf("an incident the second line never held has the clock %s", c.Agreement)
		}
	}
	page, err := w.svc.Due(w.ctx, w.agent, incident.DueQuery{Provider: w.desk.ID, From: now, To: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(page.Clocks, func(c incident.DueClock) bool {
		return c.Incident.ID == id && c.Kind == sla.KindOLA && c.Due.Equal(now.Add(75*m))
	}) {
		t.Errorf("Due does not find the second line's OLA due in 75m: %+v", page.Clocks)
	}
	// Two hours later, still with the second line, it is breached, and Due
	// lists it up to now.
	w.clock.Advance(2 * time.Hour)
	inc = w.must(w.svc.Update(w.ctx, w.agent, id, "still looking"))
	if c := w.clockOf(inc, "second line OLA", sla.MetricResolution, w.clock.Now()); !c.Breached {
		t.Errorf("second line's OLA after 2h45m: %+v, want breached", c)
	}
	page, err = w.svc.Due(w.ctx, w.agent, incident.DueQuery{Provider: w.desk.ID, To: w.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(page.Clocks, func(c incident.DueClock) bool { return c.Incident.ID == id && c.Kind == sla.KindOLA }) {
		t.Errorf("Due does not list the second line's breached OLA: %+v", page.Clocks)
	}

	// The network holds it in its LAN team: the core team's OLA does not
	// apply until the core team takes it, and then counts its time only.
	w.must(w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))
	w.clock.Advance(20 * m)
	inc = w.must(w.svc.Accept(w.ctx, w.netAgent, id))
	for _, c := range w.clocksOf(inc, w.clock.Now()) {
		if c.Agreement == "core OLA" {
			t.Errorf("the core team's OLA applies before the core team held the incident: %+v", c)
		}
	}
	w.clock.Advance(10 * m)
	w.must(w.svc.Take(w.ctx, w.netAgent, id, w.g("core")))
	w.clock.Advance(25 * m)
	inc = w.must(w.svc.Assign(w.ctx, w.netAgent, id, incident.AssignTo{Group: w.g("wifi")}))
	w.clock.Advance(time.Hour)
	if c := w.clockOf(inc, "core OLA", sla.MetricResolution, w.clock.Now()); c.Elapsed != 25*m || c.Status != sla.StatusIdle ||
		c.Provider != w.network.ID || c.Group != w.g("core") {
		t.Errorf("core team's OLA: %+v, want 25m idle for the network's core team", c)
	}
	if c := w.clockOf(inc, "second line OLA", sla.MetricResolution, w.clock.Now()); c.Status != sla.StatusIdle {
		t.Errorf("second line's OLA while the network holds the incident: %s, want idle", c.Status)
	}
}

// clocksOf measures every clock of inc at at.
func (w *world) clocksOf(inc *incident.Incident, at time.Time) []incident.Clock {
	w.t.Helper()
	cs, err := w.svc.Clocks(inc, at)
	if err != nil {
		w.t.Fatal(err)
	}
	return cs
}
