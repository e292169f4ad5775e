package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
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

// requestsReport is the rich report with request figures: an item whose
// name a spreadsheet would take for a formula, a type without approvals
// (no approval times), and the calendar named.
func requestsReport() *report.Report {
	r := richReport()
	d := func(v time.Duration) *report.Duration { return new(report.Duration(v)) }
	some := report.Times{Count: 3, Mean: d(8 * time.Hour), Median: d(10 * time.Hour), P90: d(13*time.Hour + 30*time.Minute)}
	r.Requests = &report.Requests{Calendar: "office",
		Total: report.RequestFigures{Placed: 5, Fulfilled: 3, Closed: 3, Declined: 1, Cancelled: 1, LeadTime: some, ApprovalTime: some},
		Types: []report.RequestGroup{
			{Key: "A", Figures: report.RequestFigures{Placed: 1, Fulfilled: 1, Closed: 1, LeadTime: some}},
			{Key: "C", Figures: report.RequestFigures{Placed: 4, Fulfilled: 2, Closed: 2, Declined: 1, Cancelled: 1, LeadTime: some, ApprovalTime: some}},
		},
		Items: []report.RequestGroup{
			{Key: "0198a000-0000-7000-8000-0000000000a1", Name: "=Phone", Figures: report.RequestFigures{Placed: 5}},
		},
	}
	return r
}

// TestCSVRequests checks the request rows of the CSV form: the request
// columns come after as_of only in a file of a report with Requests, one
// row per figure group, and ReadCSV refuses request rows without the
// columns, a type or item row without the requests row, and a calendar
// outside the requests row.
func TestCSVRequests(t *testing.T) {
	b := writeCSV(t, requestsReport())
	records := readRecords(t, b)
	if h := strings.Join(records[0], ","); !strings.HasSuffix(h, ",zone,as_of,calendar,placed,fulfilled,declined,lead_count,lead_mean,lead_median,lead_p90,approval_count,approval_mean,approval_median,approval_p90") {
		t.Errorf("header %s", h)
	}
	var sections []string
	for _, rec := range records[1:] {
		if s := rec[2]; strings.HasPrefix(s, "request") {
			sections = append(sections, s+" "+rec[3])
		}
	}
	if want := []string{"requests ", "request_type A", "request_type C", "request_item 0198a000-0000-7000-8000-0000000000a1"}; !slices.Equal(sections, want) {
		t.Errorf("request rows %q, want %q", sections, want)
	}
	if h := strings.Join(readRecords(t, writeCSV(t, richReport()))[0], ","); strings.Contains(h, "placed") {
		t.Errorf("a report without orders has the request columns: %s", h)
	}
	// Each broken file is the records with one change, written again.
	calendar := slices.Index(records[0], "calendar")
	typeRow := slices.IndexFunc(records, func(rec []string) bool { return rec[2] == "request_type" })
	for name, change := range map[string]func([][]string) [][]string{
		"no requests row": func(rs [][]string) [][]string { return slices.Delete(rs, typeRow-1, typeRow) },
		"calendar on a type row": func(rs [][]string) [][]string {
			rs[typeRow][calendar] = "office"
			return rs
		},
		"request rows without their columns": func(rs [][]string) [][]string {
			for i := range rs {
				rs[i] = rs[i][:calendar]
			}
			return rs
		},
	} {
		_, err := report.ReadCSV(changedCSV(t, records, change))
		if !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

// changedCSV is the file of records after change, which may change a copy
// of them as it likes.
func changedCSV(t *testing.T, records [][]string, change func([][]string) [][]string) *bytes.Buffer {
	t.Helper()
	rs := make([][]string, len(records))
	for i := range records {
		rs[i] = slices.Clone(records[i])
	}
	var buf bytes.Buffer
	if err := csv.NewWriter(&buf).WriteAll(change(rs)); err != nil {
		t.Fatal(err)
	}
	return &buf
}
