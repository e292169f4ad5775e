package sla_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

var (
	desk     = itsm.MustParseID("01900000-0000-7000-8000-000000000001")
	customer = itsm.MustParseID("01900000-0000-7000-8000-000000000002")
	network  = itsm.MustParseID("01900000-0000-7000-8000-000000000003")
	hosting  = itsm.MustParseID("01900000-0000-7000-8000-000000000004")

	// The desk's first and second line, and two of the network supplier's
	// teams (package chain's groups, by ID).
	firstLine  = itsm.MustParseID("01900000-0000-7000-8000-000000000011")
	secondLine = itsm.MustParseID("01900000-0000-7000-8000-000000000012")
	netCore    = itsm.MustParseID("01900000-0000-7000-8000-000000000031")
	netField   = itsm.MustParseID("01900000-0000-7000-8000-000000000032")
)

// groupsOf are the groups of each organisation the random timelines use;
// the zero ID stands for a ticket held by no group.
var groupsOf = map[itsm.ID][]itsm.ID{
	desk:    {{}, firstLine, secondLine, secondLine},
	network: {{}, netCore, netField, netCore},
	hosting: {{}, {}, {}, {}},
}

// groupOLA builds an OLA whose clocks run while group of provider holds a
// ticket, promised to consumer's group from.
func groupOLA(t testing.TB, provider, group, consumer, from itsm.ID, within map[sla.Metric][3]time.Duration) *sla.Agreement {
	t.Helper()
	a := draft(t, sla.KindOLA, provider, within)
	a.Name = "OLA-" + group.String()
	a.Consumer, a.ProviderGroup, a.ConsumerGroup = consumer, group, from
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	return a
}

// stockholm is the Swedish office calendar the tests share.
func stockholm(t testing.TB) *sla.Calendar {
	t.Helper()
	c, err := sla.ParseCalendar([]byte(`{"name": "stockholm-office", "location": "Europe/Stockholm",
		"hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
		          "thu": ["08:00-17:00"], "fri": ["08:00-16:00"]},
		"holidays": ["se"]}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func always(t testing.TB) *sla.Calendar {
	t.Helper()
	c, err := sla.ParseCalendar([]byte(`{"name": "24x7", "location": "Europe/Stockholm", "hours": "24x7"}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	pauses = []itsm.State{"waiting_user", "waiting_vendor"}
	stops  = map[sla.Metric][]itsm.State{
		sla.MetricResponse:   {"in_progress", "accepted", "resolved", "closed"},
		sla.MetricResolution: {"resolved", "closed"},
		sla.MetricUpdate:     {"resolved", "closed"},
	}
)

// agreement builds an agreement with P1 on 24x7 and P2, P3 on office hours.
func agreement(t testing.TB, kind sla.Kind, provider itsm.ID, within map[sla.Metric][3]time.Duration) *sla.Agreement {
	t.Helper()
	a := draft(t, kind, provider, within)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	return a
}

// draft is agreement before validation, for the callers that change its
// parties first.
func draft(t testing.TB, kind sla.Kind, provider itsm.ID, within map[sla.Metric][3]time.Duration) *sla.Agreement {
	t.Helper()
	office, all := stockholm(t), always(t)
	a := &sla.Agreement{Name: string(kind) + "-test", Kind: kind, Provider: provider, Consumer: customer,
		Warnings: []float64{0.5, 0.75}, Objective: 0.95}
	if kind != sla.KindSLA {
		a.Consumer = desk
	}
	for _, m := range []sla.Metric{sla.MetricResponse, sla.MetricResolution, sla.MetricUpdate} {
		for p := itsm.Priority(1); p <= 3; p++ {
			cal := office
			if p == 1 {
				cal = all
			}
			a.Targets = append(a.Targets, sla.Target{Metric: m, Priority: p, Within: within[m][p-1],
				Calendar: cal, Pause: pauses, Stop: stops[m]})
		}
	}
	return a
}

var defaultWithin = map[sla.Metric][3]time.Duration{
	sla.MetricResponse:   {15 * time.Minute, time.Hour, 8 * time.Hour},
	sla.MetricResolution: {4 * time.Hour, 16 * time.Hour, 40 * time.Hour},
	sla.MetricUpdate:     {time.Hour, 4 * time.Hour, 8 * time.Hour},
}

func at(s string) time.Time {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func iv(start string, state itsm.State, holder itsm.ID, p itsm.Priority) itsm.Interval {
	return itsm.Interval{Start: at(start), State: state, Holder: holder, Priority: p}
}

func TestMeasureSLAPausesWhileWaitingForTheUser(t *testing.T) {
	a := agreement(t, sla.KindSLA, desk, defaultWithin)
	tl := itsm.Timeline{
		iv("2026-03-02 09:00", "in_progress", desk, 3),  // Monday
		iv("2026-03-02 11:00", "waiting_user", desk, 3), // paused 3 working days
		iv("2026-03-05 11:00", "in_progress", desk, 3),
	}
	m, err := a.Measure(tl, sla.MetricResolution, at("2026-03-05 12:00"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Elapsed != 3*time.Hour || m.Status != sla.StatusRunning || m.Breached {
		t.Fatalf("got %+v, want 3h running", m)
	}
	// 37 working hours remain from Thursday 12:00: Thu 5h, Fri 8h, Mon-Tue 18h, Wed 6h -> Wed 14:00.
	if want := at("2026-03-11 14:00"); !m.Due.Equal(want) {
		t.Fatalf("due %s, want %s", m.Due, want)
	}
	paused, _ := a.Measure(tl, sla.MetricResolution, at("2026-03-04 12:00"))
	if !paused.Paused() || paused.Elapsed != 2*time.Hour || !paused.Due.IsZero() {
		t.Fatalf("while waiting: %+v", paused)
	}
}

// TestMeasurePriorityChangeKeepsHistory is the SL-1/SL-3 rule that a change of
// priority re-measures the whole history: paused time stays paused, elapsed
// time is recounted on the new target's calendar.
func TestMeasurePriorityChangeKeepsHistory(t *testing.T) {
	a := agreement(t, sla.KindSLA, desk, defaultWithin)
	tl := itsm.Timeline{
		iv("2026-03-06 15:00", "in_progress", desk, 3),  // Friday, office hours until 16:00
		iv("2026-03-06 15:30", "waiting_user", desk, 3), // paused over the weekend
		iv("2026-03-07 10:00", "in_progress", desk, 3),  // Saturday: user answers
		iv("2026-03-07 11:00", "in_progress", desk, 1),  // raised to P1 (24x7)
	}
	now := at("2026-03-07 12:00")
	m, err := a.Measure(tl, sla.MetricResolution, now)
	if err != nil {
		t.Fatal(err)
	}
	// On 24x7: 30 min on Friday + 2h on Saturday; the pause is not counted.
	if m.Priority != 1 || m.Elapsed != 150*time.Minute || m.Target != 4*time.Hour {
		t.Fatalf("after raise: %+v", m)
	}
	if want := now.Add(90 * time.Minute); !m.Due.Equal(want) {
		t.Fatalf("due %s, want %s", m.Due, want)
	}
	if m.Warning != 1 {
		t.Fatalf("warning %d, want 1 (past 50%%)", m.Warning)
	}
	// Measured before the raise, the same history is P3 on office hours.
	before, _ := a.Measure(tl, sla.MetricResolution, at("2026-03-07 10:30"))
	if before.Priority != 3 || before.Elapsed != 30*time.Minute || before.Status != sla.StatusRunning {
		t.Fatalf("before raise: %+v", before)
	}
}

// TestMeasureUCCountsOnlyTheSupplierHolding is SL-1: each supplier's UC runs
// only while that supplier holds the ticket, the SLA end to end.
func TestMeasureUCCountsOnlyTheSupplierHolding(t *testing.T) {
	sl := agreement(t, sla.KindSLA, desk, defaultWithin)
	ucNet := agreement(t, sla.KindUC, network, defaultWithin)
	ucHost := agreement(t, sla.KindUC, hosting, defaultWithin)
	tl := itsm.Timeline{
		iv("2026-03-02 08:00", "in_progress", desk, 2),
		iv("2026-03-02 09:00", "delegated", network, 2),
		iv("2026-03-02 09:30", "accepted", network, 2),
		iv("2026-03-02 12:00", "delegated", desk, 2), // rejected back to the desk
		iv("2026-03-02 13:00", "delegated", hosting, 2),
		iv("2026-03-02 13:10", "accepted", hosting, 2),
		iv("2026-03-02 15:00", "resolved", hosting, 2),
	}
	now := at("2026-03-03 10:00")
	want := map[*sla.Agreement]struct {
		resolution, response time.Duration
		status               sla.Status
	}{
		sl:     {7 * time.Hour, 0, sla.StatusStopped},
		ucNet:  {3 * time.Hour, 30 * time.Minute, sla.StatusIdle},
		ucHost: {2 * time.Hour, 10 * time.Minute, sla.StatusStopped},
	}
	for a, w := range want {
		res, err := a.Measure(tl, sla.MetricResolution, now)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := a.Measure(tl, sla.MetricResponse, now)
		if res.Elapsed != w.resolution || res.Status != w.status || resp.Elapsed != w.response {
			t.Errorf("%s: resolution %s %s, response %s; want %s %s, %s",
				a.Name+" "+a.Provider.String(), res.Elapsed, res.Status, resp.Elapsed, w.resolution, w.status, w.response)
		}
	}
}

// TestMeasureGroupOLACountsOnlyTheGroupHolding is SL-1 between groups: the
// OLA of the desk's second line to its first line runs only while the second
// line holds the ticket, and an OLA of one of the supplier's teams only while
// that team holds it; moves to another group neither count nor stop them.
func TestMeasureGroupOLACountsOnlyTheGroupHolding(t *testing.T) {
	second := groupOLA(t, desk, secondLine, desk, firstLine, defaultWithin)
	core := groupOLA(t, network, netCore, desk, secondLine, defaultWithin)
	uc := agreement(t, sla.KindUC, network, defaultWithin)
	sl := agreement(t, sla.KindSLA, desk, defaultWithin)
	held := func(start string, state itsm.State, holder, group itsm.ID) itsm.Interval {
		i := iv(start, state, holder, 2)
		i.Group = group
		return i
	}
	tl := itsm.Timeline{
		held("2026-03-02 08:00", "registered", desk, firstLine),   // Monday
		held("2026-03-02 09:00", "in_progress", desk, secondLine), // moved to the second line
		held("2026-03-02 10:30", "in_progress", desk, firstLine),  // and back
		held("2026-03-02 11:00", "in_progress", desk, secondLine), // and again
		held("2026-03-02 12:00", "delegated", network, netField),
		held("2026-03-02 13:00", "accepted", network, netCore),
		held("2026-03-02 13:30", "waiting_user", network, netCore),
		held("2026-03-02 14:00", "accepted", network, netField),
		held("2026-03-02 15:00", "accepted", network, netCore),
		held("2026-03-02 15:45", "in_progress", desk, secondLine),
		held("2026-03-02 16:15", "resolved", desk, secondLine),
	}
	for _, c := range []struct {
		a                    *sla.Agreement
		at                   string
		resolution, response time.Duration
		status               sla.Status
	}{
		// 09:00-10:30, 11:00-12:00 and 15:45-16:15; responded at 09:00
		// already (in_progress stops the response clock).
		{second, "2026-03-02 17:00", 3 * time.Hour, 0, sla.StatusStopped},
		{second, "2026-03-02 11:30", 2 * time.Hour, 0, sla.StatusRunning},
		{second, "2026-03-02 10:45", 90 * time.Minute, 0, sla.StatusIdle},
		// 13:00-13:30 and 15:00-15:45; the pause and netField's hours
		// do not count, and its acceptance at 13:00 is its response.
		{core, "2026-03-02 17:00", 75 * time.Minute, 0, sla.StatusIdle},
		{core, "2026-03-02 14:30", 30 * time.Minute, 0, sla.StatusIdle},
		{core, "2026-03-02 13:45", 30 * time.Minute, 0, sla.StatusPaused},
		// The supplier as a whole: 12:00-13:30 and 14:00-15:45; the
		// delegation at 12:00 is answered by the acceptance at 13:00.
		{uc, "2026-03-02 17:00", 195 * time.Minute, time.Hour, sla.StatusIdle},
		{sl, "2026-03-02 17:00", 7*time.Hour + 45*time.Minute, time.Hour, sla.StatusStopped},
	} {
		res, err := c.a.Measure(tl, sla.MetricResolution, at(c.at))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.a.Measure(tl, sla.MetricResponse, at(c.at))
		if err != nil {
			t.Fatal(err)
		}
		if res.Elapsed != c.resolution || res.Status != c.status || resp.Elapsed != c.response {
			t.Errorf("%s at %s: resolution %s %s, response %s; want %s %s, %s",
				c.a.Name, c.at, res.Elapsed, res.Status, resp.Elapsed, c.resolution, c.status, c.response)
		}
	}
	if !second.HeldIn(tl) || !core.HeldIn(tl[:6]) || core.HeldIn(tl[:5]) {
		t.Errorf("HeldIn: the second line held it from 09:00, the core team from 13:00 only")
	}
}

// TestMeasureMissedUpdates is SD-8: a supplier's updates restart its update
// clock, and every silence longer than the target is counted.
func TestMeasureMissedUpdates(t *testing.T) {
	uc := agreement(t, sla.KindUC, network, defaultWithin)
	update := func(s string) itsm.Interval {
		i := iv(s, "accepted", network, 2)
		i.Update = true
		return i
	}
	tl := itsm.Timeline{
		iv("2026-03-02 08:00", "accepted", network, 2),
		update("2026-03-02 11:00"), // 3h: within 4h
		update("2026-03-02 16:30"), // 5.5h: missed
		update("2026-03-03 09:00"), // 1h of office time: within
	}
	m, err := uc.Measure(tl, sla.MetricUpdate, at("2026-03-03 14:00"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Missed != 2 || !m.Breached || m.Elapsed != 5*time.Hour || !m.Due.Equal(at("2026-03-03 13:00")) {
		t.Fatalf("got %+v; want the current silence (5h) and the earlier one missed, due 13:00", m)
	}
}

func TestMeasureErrors(t *testing.T) {
	a := agreement(t, sla.KindSLA, desk, defaultWithin)
	tl := itsm.Timeline{iv("2026-03-02 09:00", "in_progress", desk, 4)}
	for name, c := range map[string]struct {
		tl   itsm.Timeline
		now  time.Time
		code itsm.Code
	}{
		"empty":        {nil, at("2026-03-02 10:00"), itsm.CodeInvalid},
		"before start": {tl, at("2026-03-01 10:00"), itsm.CodeInvalid},
		"no target":    {tl, at("2026-03-02 10:00"), itsm.CodeNotFound},
		"out of order": {itsm.Timeline{tl[0], iv("2026-03-01 09:00", "x", desk, 1)}, at("2026-03-02 10:00"), itsm.CodeInvalid},
	} {
		_, err := a.Measure(c.tl, sla.MetricResolution, c.now)
		if itsm.ErrorCode(err) != c.code {
			t.Errorf("%s: error %v, want code %s", name, err, c.code)
		}
	}
}

func TestAgreementValidate(t *testing.T) {
	cal := stockholm(t)
	good := func() sla.Agreement {
		return sla.Agreement{Name: "a", Kind: sla.KindUC, Provider: network, Consumer: desk, Objective: 0.9,
			Warnings: []float64{0.5, 0.75},
			Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 1, Within: time.Hour, Calendar: cal,
				Stop: []itsm.State{"resolved"}}}}
	}
	for name, mutate := range map[string]func(*sla.Agreement){
		"name":     func(a *sla.Agreement) { a.Name = "" },
		"kind":     func(a *sla.Agreement) { a.Kind = "XLA" },
		"provider": func(a *sla.Agreement) { a.Provider = itsm.ID{} },
		"consumer": func(a *sla.Agreement) { a.Consumer = itsm.ID{} },
		"same":     func(a *sla.Agreement) { a.Consumer = a.Provider },
		"UC group": func(a *sla.Agreement) { a.ProviderGroup = netCore },
		"SLA group": func(a *sla.Agreement) {
			a.Kind, a.Provider, a.Consumer, a.ConsumerGroup = sla.KindSLA, desk, customer, firstLine
		},
		"same org, one group": func(a *sla.Agreement) {
			a.Kind, a.Provider, a.ProviderGroup = sla.KindOLA, desk, secondLine
		},
		"same org, same group": func(a *sla.Agreement) {
			a.Kind, a.Provider, a.ProviderGroup, a.ConsumerGroup = sla.KindOLA, desk, secondLine, secondLine
		},
		"same SLA": func(a *sla.Agreement) {
			a.Kind, a.Provider, a.ProviderGroup, a.ConsumerGroup = sla.KindSLA, desk, secondLine, firstLine
		},
		"objective":      func(a *sla.Agreement) { a.Objective = 1.5 },
		"warnings order": func(a *sla.Agreement) { a.Warnings = []float64{0.75, 0.5} },
		"warnings range": func(a *sla.Agreement) { a.Warnings = []float64{1} },
		"no targets":     func(a *sla.Agreement) { a.Targets = nil },
		"within":         func(a *sla.Agreement) { a.Targets[0].Within = 0 },
		"calendar":       func(a *sla.Agreement) { a.Targets[0].Calendar = nil },
		"priority":       func(a *sla.Agreement) { a.Targets[0].Priority = 0 },
		"custom metric":  func(a *sla.Agreement) { a.Targets[0].Metric = "route" },
		"mode":           func(a *sla.Agreement) { a.Targets[0].Mode = 9 },
		"no stop":        func(a *sla.Agreement) { a.Targets[0].Stop = nil },
		"pause and stop": func(a *sla.Agreement) { a.Targets[0].Pause = []itsm.State{"resolved"} },
		"duplicate":      func(a *sla.Agreement) { a.Targets = append(a.Targets, a.Targets[0]) },
	} {
		a := good()
		mutate(&a)
		if err := a.Validate(); !errors.Is(err, itsm.ErrInvalid) {
			t.Errorf("%s: Validate() = %v, want invalid", name, err)
		}
	}
	a := good()
	a.Targets = append(a.Targets, sla.Target{Metric: "route", Mode: sla.ModeOnce, Priority: 1, Within: time.Hour,
		Calendar: cal, Stop: []itsm.State{"delegated"}})
	if err := a.Validate(); err != nil {
		t.Fatalf("valid agreement: %v", err)
	}
	// The desk's second line promises its first line: one organisation on
	// both sides, told apart by the groups; and a supplier's team promises
	// the desk's second line.
	for _, g := range []struct{ provider, group, from itsm.ID }{{desk, secondLine, firstLine}, {network, netCore, secondLine}, {network, netCore, itsm.ID{}}} {
		a := good()
		a.Kind, a.Provider, a.ProviderGroup, a.ConsumerGroup = sla.KindOLA, g.provider, g.group, g.from
		if err := a.Validate(); err != nil {
			t.Errorf("group OLA %+v: %v", g, err)
		}
	}
}

// walkMeasure is the reference for Measure: it steps through the history a
// minute at a time and applies the rules as stated in the documentation. The
// tests keep every boundary on whole minutes, where the calendars' are too.
func walkMeasure(a *sla.Agreement, tl itsm.Timeline, m sla.Metric, now time.Time) (elapsed time.Duration, missed int, status sla.Status, due time.Time) {
	cur := tl.At(now)
	tg, _ := a.Target(m, tl[cur].Priority)
	mode := tg.Mode
	if mode == sla.ModeDefault {
		mode = map[sla.Metric]sla.Mode{sla.MetricResponse: sla.ModeOnce, sla.MetricResolution: sla.ModeCumulative,
			sla.MetricUpdate: sla.ModeRecurring}[m]
	}
	classify := func(i int, done bool) (counts, open bool, st sla.Status) {
		x := tl[i]
		held := heldBy(a, x)
		stop := held && slices.Contains(tg.Stop, x.State)
		switch {
		case done || stop:
			st = sla.StatusStopped
		case !held:
			st = sla.StatusIdle
		case slices.Contains(tg.Pause, x.State):
			st = sla.StatusPaused
		default:
			st = sla.StatusRunning
		}
		return st == sla.StatusRunning, held && !stop, st
	}
	var done, wasOpen, over bool
	var counted int64
	for i := 0; i <= cur; i++ {
		held := heldBy(a, tl[i])
		if mode == sla.ModeOnce && held && slices.Contains(tg.Stop, tl[i].State) {
			done = true
		}
		counts, open, st := classify(i, done)
		if mode == sla.ModeRecurring && open && (tl[i].Update || !wasOpen) {
			counted, over, due = 0, false, time.Time{}
		}
		wasOpen = open
		status = st
		end := now
		if i < cur {
			end = tl[i+1].Start
		}
		for t := tl[i].Start; t.Before(end); t = t.Add(time.Minute) {
			if counts && tg.Calendar.IsWorking(t) {
				counted++
				if time.Duration(counted)*time.Minute > tg.Within && !over {
					over = true
					missed++
				}
				if time.Duration(counted)*time.Minute == tg.Within {
					due = t.Add(time.Minute)
				}
			}
		}
	}
	elapsed = time.Duration(counted) * time.Minute
	if due.IsZero() && status == sla.StatusRunning {
		// Keep walking as if nothing changes after now.
		for t := now; ; t = t.Add(time.Minute) {
			if tg.Calendar.IsWorking(t) {
				counted++
				if time.Duration(counted)*time.Minute == tg.Within {
					due = t.Add(time.Minute)
					break
				}
			}
		}
	}
	return elapsed, missed, status, due
}

// heldBy is the documented rule of whose intervals an agreement sees: all
// for an SLA, its provider's for an OLA or UC, and only its provider group's
// for an OLA that names one.
func heldBy(a *sla.Agreement, x itsm.Interval) bool {
	switch {
	case a.Kind == sla.KindSLA:
		return true
	case !a.ProviderGroup.IsZero():
		return x.Holder == a.Provider && x.Group == a.ProviderGroup
	}
	return x.Holder == a.Provider
}

// TestMeasureAgainstMinuteWalk compares Measure with walkMeasure on random
// timelines of every kind of agreement.
func TestMeasureAgainstMinuteWalk(t *testing.T) {
	within := map[sla.Metric][3]time.Duration{
		sla.MetricResponse:   {30 * time.Minute, 2 * time.Hour, 4 * time.Hour},
		sla.MetricResolution: {6 * time.Hour, 9 * time.Hour, 20 * time.Hour},
		sla.MetricUpdate:     {90 * time.Minute, 3 * time.Hour, 5 * time.Hour},
	}
	agreements := []*sla.Agreement{
		agreement(t, sla.KindSLA, desk, within),
		agreement(t, sla.KindUC, network, within),
		agreement(t, sla.KindOLA, hosting, within),
		groupOLA(t, desk, secondLine, desk, firstLine, within),
		groupOLA(t, network, netCore, desk, secondLine, within),
	}
	states := []itsm.State{"registered", "in_progress", "delegated", "accepted", "waiting_user", "waiting_vendor", "resolved", "closed"}
	holders := []itsm.ID{desk, network, hosting}
	r := rand.New(rand.NewPCG(7, 11))
	cases := 600
	if testing.Short() {
		cases = 100
	}
	// Starts around the spring DST change, Midsommar and ordinary weeks.
	starts := []time.Time{at("2026-03-27 14:00"), at("2026-06-17 09:00"), at("2026-10-23 15:00"), at("2026-11-16 07:00")}
	for n := range cases {
		tl := itsm.Timeline{}
		t0 := starts[r.IntN(len(starts))].Add(time.Duration(r.IntN(600)) * time.Minute)
		for range 1 + r.IntN(20) {
			h := holders[r.IntN(3)]
			tl = append(tl, itsm.Interval{Start: t0, State: states[r.IntN(len(states))], Holder: h,
				Group: groupsOf[h][r.IntN(4)], Priority: itsm.Priority(1 + r.IntN(3)), Update: r.IntN(3) == 0})
			t0 = t0.Add(time.Duration(r.IntN(8*60)) * time.Minute)
		}
		now := t0.Add(time.Duration(r.IntN(12*60)) * time.Minute)
		for _, a := range agreements {
			for _, m := range []sla.Metric{sla.MetricResponse, sla.MetricResolution, sla.MetricUpdate} {
				got, err := a.Measure(tl, m, now)
				if err != nil {
					t.Fatal(err)
				}
				elapsed, missed, status, due := walkMeasure(a, tl, m, now)
				if got.Elapsed != elapsed || got.Missed != missed || got.Status != status || !got.Due.Equal(due) ||
					got.Breached != (elapsed > got.Target) || got.Remaining != got.Target-elapsed {
					t.Fatalf("case %d %s %s at %s:\n%s\ngot  %+v\nwant elapsed %s missed %d status %s due %s",
						n, a.Name, m, now, tl, got, elapsed, missed, status, due)
				}
			}
		}
	}
}

func ExampleAgreement_Measure() {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	office, _ := sla.ParseCalendar([]byte(`{"name": "office", "location": "Europe/Stockholm",
		"hours": {"mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
		          "thu": ["08:00-17:00"], "fri": ["08:00-16:00"]}, "holidays": ["se"]}`))
	desk, supplier := itsm.NewID(), itsm.NewID()
	uc := sla.Agreement{Name: "network UC", Kind: sla.KindUC, Provider: supplier, Consumer: desk,
		Objective: 0.95, Warnings: []float64{0.5, 0.75},
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 2, Within: 8 * time.Hour,
			Calendar: office, Pause: []itsm.State{"waiting_user"}, Stop: []itsm.State{"resolved"}}}}
	tl := itsm.Timeline{
		{Start: time.Date(2026, 6, 18, 10, 0, 0, 0, loc), State: "registered", Holder: desk, Priority: 2},
		{Start: time.Date(2026, 6, 18, 11, 0, 0, 0, loc), State: "delegated", Holder: supplier, Priority: 2},
	}
	m, _ := uc.Measure(tl, sla.MetricResolution, time.Date(2026, 6, 18, 16, 0, 0, 0, loc))
	fmt.Println(m.Status, m.Elapsed, m.Remaining, "warning", m.Warning)
	// One hour is left on Thursday; Midsommarafton (Friday 19 June) is a
	// holiday, so the other two run on Monday.
	fmt.Println("due", m.Due.Format("Mon 2006-01-02 15:04"))
	// Output:
	// running 5h0m0s 3h0m0s warning 1
	// due Mon 2026-06-22 10:00
}

// FuzzMeasure decodes a timeline from bytes and checks what must hold for
// every history: clocks never run backward as now advances, a UC never counts
// more than the end-to-end SLA on the same calendar, an OLA of one of the
// supplier's groups never more than the supplier's UC over the same
// intervals, nor the desk's second line's OLA more than the SLA, remaining
// and due agree with elapsed, and nothing panics.
func FuzzMeasure(f *testing.F) {
	f.Add([]byte{0, 10, 1, 3, 20, 2, 5, 40, 6, 1, 9, 30}, uint16(500))
	f.Add([]byte{4, 200, 3, 4, 0, 7, 2, 255, 1}, uint16(60))
	f.Add([]byte{}, uint16(0))
	within := map[sla.Metric][3]time.Duration{
		sla.MetricResponse:   {30 * time.Minute, 2 * time.Hour, 4 * time.Hour},
		sla.MetricResolution: {6 * time.Hour, 9 * time.Hour, 20 * time.Hour},
		sla.MetricUpdate:     {90 * time.Minute, 3 * time.Hour, 5 * time.Hour},
	}
	sl := agreement(f, sla.KindSLA, desk, within)
	uc := agreement(f, sla.KindUC, network, within)
	core := groupOLA(f, network, netCore, desk, secondLine, within)
	second := groupOLA(f, desk, secondLine, desk, firstLine, within)
	states := []itsm.State{"registered", "in_progress", "delegated", "accepted", "waiting_user", "waiting_vendor", "resolved", "closed"}
	holders := []itsm.ID{desk, network, hosting}
	f.Fuzz(func(t *testing.T, data []byte, later uint16) {
		t0 := at("2026-03-27 14:00")
		var tl itsm.Timeline
		for i := 0; i+2 < len(data) && len(tl) < 40; i += 3 {
			h := holders[int(data[i+1])%3]
			tl = append(tl, itsm.Interval{Start: t0, State: states[int(data[i])%len(states)],
				Holder: h, Group: groupsOf[h][int(data[i])>>3&3], Priority: itsm.Priority(1 + int(data[i+1])/3%3),
				Update: data[i]&0x80 != 0})
			t0 = t0.Add(time.Duration(data[i+2]) * 7 * time.Minute)
		}
		if len(tl) == 0 {
			if _, err := sl.Measure(tl, sla.MetricResolution, t0); !errors.Is(err, itsm.ErrInvalid) {
				t.Fatalf("empty timeline: %v", err)
			}
			return
		}
		now := t0
		next := now.Add(time.Duration(later) * time.Minute)
		for _, m := range []sla.Metric{sla.MetricResponse, sla.MetricResolution, sla.MetricUpdate} {
			for _, a := range []*sla.Agreement{sl, uc, core, second} {
				got, err := a.Measure(tl, m, now)
				if err != nil {
					t.Fatal(err)
				}
				if got.Elapsed < 0 || got.Remaining != got.Target-got.Elapsed || got.Breached != (got.Elapsed > got.Target) {
					t.Fatalf("%s %s inconsistent: %+v\n%s", a.Name, m, got, tl)
				}
				tg, _ := a.Target(m, got.Priority)
				if total := tg.Calendar.Between(tl[0].Start, now); got.Elapsed > total {
					t.Fatalf("%s %s elapsed %s exceeds the working time since registration %s", a.Name, m, got.Elapsed, total)
				}
				if got.Status == sla.StatusRunning && !got.Breached {
					if d := tg.Calendar.Between(now, got.Due); d != got.Remaining {
						t.Fatalf("%s %s: due %s is %s of working time away, remaining %s", a.Name, m, got.Due, d, got.Remaining)
					}
				}
				if m != sla.MetricUpdate {
					// Without new events a clock only moves forward.
					after, _ := a.Measure(tl, m, next)
					if after.Elapsed < got.Elapsed {
						t.Fatalf("%s %s ran backward from %s to %s", a.Name, m, got.Elapsed, after.Elapsed)
					}
				}
			}
			if m == sla.MetricResolution {
				s, _ := sl.Measure(tl, m, now)
				u, _ := uc.Measure(tl, m, now)
				if u.Elapsed > s.Elapsed {
					t.Fatalf("UC elapsed %s exceeds the SLA's %s\n%s", u.Elapsed, s.Elapsed, tl)
				}
				// A group sees a subset of its organisation's intervals.
				if g, _ := core.Measure(tl, m, now); g.Elapsed > u.Elapsed || g.Elapsed > s.Elapsed {
					t.Fatalf("core team's OLA elapsed %s exceeds the supplier's UC %s or the SLA %s\n%s", g.Elapsed, u.Elapsed, s.Elapsed, tl)
				}
				if g, _ := second.Measure(tl, m, now); g.Elapsed > s.Elapsed {
					t.Fatalf("second line's OLA elapsed %s exceeds the SLA's %s\n%s", g.Elapsed, s.Elapsed, tl)
				}
			}
		}
	})
}
