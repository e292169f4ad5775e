package report_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// TestComputeScope checks decision 82 in Compute: an agreement scoped to
// requests measures the orders that name it and no incident, one for
// incidents no order even when the order names it, an order's clocks are
// in no priority or category and its counts are not the incidents', and a
// task is measured by its supplier's UC but not again by the desk's SLA.
// Then that the page shows the orders' table, and that one of incidents
// alone has neither a Requests section nor the table.
func TestComputeScope(t *testing.T) {
	always, _ := goldenCalendars(t)
	supplier := itsm.MustParseID("0198a000-0000-7000-8000-0000000000f1")
	done := []itsm.State{sResolved, sClosed, sCancelled, "fulfilled", "done"}
	target := []sla.Target{{Metric: sla.MetricResolution, Priority: 3, Within: time.Hour, Calendar: always, Stop: done}}
	incidents := &sla.Agreement{Name: "Incidents", Kind: sla.KindSLA, Provider: gDesk, Consumer: gCustomer, Objective: 0.9, Targets: target}
	orders := &sla.Agreement{Name: "Orders", Kind: sla.KindSLA, Scope: sla.ScopeRequests, Provider: gDesk, Consumer: gCustomer, Objective: 0.9, Targets: target}
	uc := &sla.Agreement{Name: "Tasks UC", Kind: sla.KindUC, Scope: sla.ScopeRequests, Provider: supplier, Consumer: gDesk, Objective: 0.9, Targets: target}
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, time.UTC) }
	iv := func(start time.Time, s itsm.State, holder itsm.ID) itsm.Interval {
		return itsm.Interval{Start: start, State: s, Holder: holder, Priority: 3}
	}
	incident := report.Ticket{ID: itsm.NewID(), Number: "INC1", Desk: gDesk, Customer: gCustomer, Category: "network", Registered: at(9, 0),
		Timeline: itsm.Timeline{iv(at(9, 0), sInProgress, gDesk), iv(at(9, 30), sResolved, gDesk)}}
	order := report.Ticket{ID: itsm.NewID(), Number: "REQ1", Desk: gDesk, Customer: gCustomer, Registered: at(9, 0),
		Kind: report.KindOrder, Agreements: []string{"Orders", "Incidents", "Tasks UC"},
		Order:    &report.Order{Item: itsm.NewID(), ItemName: "Phone", Type: "C", Fulfilled: at(11, 0)},
		Timeline: itsm.Timeline{iv(at(9, 0), "in_progress", gDesk), iv(at(11, 0), "fulfilled", gDesk)}}
	task := report.Ticket{ID: itsm.NewID(), Number: "TASK1", Desk: gDesk, Customer: gCustomer, Registered: at(9, 0),
		Kind: report.KindTask, Agreements: order.Agreements,
		Timeline: itsm.Timeline{iv(at(9, 0), "delegated", supplier), iv(at(9, 40), "done", supplier)}}
	spec := report.Spec{Period: report.Month(2026, time.March, time.UTC), Agreements: []*sla.Agreement{incidents, orders, uc},
		Now: at(12, 0).AddDate(0, 1, 0)}

	r, err := report.Compute(spec, report.Tickets([]report.Ticket{incident, order, task}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Incidents": "met 1 breached 0", "Orders": "met 0 breached 1", "Tasks UC": "met 1 breached 0"}
	for _, a := range r.Agreements {
		m := a.Metrics[0]
		if got := fmtCounts(m); got != want[a.Agreement] {
			t.Errorf("%s: %s, want %s", a.Agreement, got, want[a.Agreement])
		}
	}
	if r.Total.Registered != 1 || r.Total.Resolved != 1 || len(r.Priorities) != 1 || len(r.Priorities[0].Figures.Metrics) != 1 ||
		r.Priorities[0].Figures.Metrics[0].Agreement != "Incidents" || len(r.Categories) != 1 {
		t.Errorf("the incidents' figures hold orders: total %+v, priorities %+v", r.Total, r.Priorities)
	}
	if r.Requests == nil || r.Requests.Total.Placed != 1 || r.Requests.Total.Fulfilled != 1 || r.Requests.Calendar != always.Name() ||
		r.Requests.Total.LeadTime.Median == nil || time.Duration(*r.Requests.Total.LeadTime.Median) != 2*time.Hour {
		t.Errorf("requests: %+v", r.Requests)
	}
	page := htmlPage(t, r)
	for _, s := range []string{"Orders from the catalogue", "<th scope=\"row\">Type C</th>", "<th scope=\"row\">Phone</th>"} {
		if !strings.Contains(page, s) {
			t.Errorf("the page lacks %q", s)
		}
	}

	// Incidents alone: no Requests, in Go, JSON or on the page.
	r, err = report.Compute(spec, report.Tickets([]report.Ticket{incident}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != nil || strings.Contains(string(b), "requests") || strings.Contains(htmlPage(t, r), "Orders from the catalogue") {
		t.Errorf("a report of incidents has requests: %s", b)
	}
	// A kind the report does not know is refused.
	odd := incident
	odd.Kind = "problem"
	if _, err := report.Compute(spec, report.Tickets([]report.Ticket{odd})); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("a ticket of kind problem: %v, want invalid", err)
	}
}

func fmtCounts(m report.MetricFigures) string {
	return fmt.Sprintf("met %d breached %d", m.Met, m.Breached)
}
