package report_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// TestComputeGroupOLAAppliesToItsGroupsTickets is SL-1 between groups in
// the monthly report: the desk's second line's OLA measures the tickets the
// second line held, over its own intervals only, and a ticket only the
// first line held is none of its business, so it falls outside the OLA's
// provider group, as a ticket no supplier held falls outside a UC's.
func TestComputeGroupOLAAppliesToItsGroupsTickets(t *testing.T) {
	always, _ := goldenCalendars(t)
	first := itsm.MustParseID("0198a000-0000-7000-8000-0000000000e1")
	second := itsm.MustParseID("0198a000-0000-7000-8000-0000000000e2")
	done := []itsm.State{sResolved, sClosed, sCancelled}
	ola := &sla.Agreement{Name: "Second line OLA", Kind: sla.KindOLA, Provider: gDesk, Consumer: gDesk,
		ProviderGroup: second, ConsumerGroup: first, Objective: 0.9,
		Targets: []sla.Target{{Metric: sla.MetricResolution, Priority: 3, Within: time.Hour, Calendar: always, Stop: done}}}
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	held := func(start time.Time, s itsm.State, g itsm.ID) itsm.Interval {
		return itsm.Interval{Start: start, State: s, Holder: gDesk, Group: g, Priority: 3}
	}
	tickets := []report.Ticket{
		// The second line holds it 10:00-10:20 and 11:00-11:30: 50m, met.
		{ID: itsm.NewID(), Number: "INC1", Desk: gDesk, Registered: at(9, 0), Timeline: itsm.Timeline{
			held(at(9, 0), sInProgress, first), held(at(10, 0), sInProgress, second),
			held(at(10, 20), sInProgress, first), held(at(11, 0), sInProgress, second), held(at(11, 30), sResolved, second)}},
		// The second line holds it 2h: breached.
		{ID: itsm.NewID(), Number: "INC2", Desk: gDesk, Registered: at(9, 0), Timeline: itsm.Timeline{
			held(at(9, 0), sRegistered, first), held(at(9, 30), sInProgress, second), held(at(11, 30), sResolved, second)}},
		// Only the first line held it: the OLA does not apply.
		{ID: itsm.NewID(), Number: "INC3", Desk: gDesk, Registered: at(9, 0), Timeline: itsm.Timeline{
			held(at(9, 0), sInProgress, first), held(at(15, 0), sResolved, first)}},
	}
	r, err := report.Compute(report.Spec{Period: report.Month(2026, time.March, time.UTC), Agreements: []*sla.Agreement{ola}},
		report.Tickets(tickets))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Agreements) != 1 || len(r.Agreements[0].Metrics) != 1 {
		t.Fatalf("agreements: %+v", r.Agreements)
	}
	m := r.Agreements[0].Metrics[0]
	if m.Met != 1 || m.Breached != 1 || m.Stopped != 2 || m.Mean == nil || time.Duration(*m.Mean) != 85*time.Minute {
		t.Errorf("the second line's OLA: %+v, want one met (50m) and one breached (2h)", m)
	}
	for _, g := range r.Suppliers {
		if g.Figures.Registered != 2 {
			t.Errorf("the tickets of the second line's OLA (%s): %d registered, want 2", g.Key, g.Figures.Registered)
		}
	}
}
