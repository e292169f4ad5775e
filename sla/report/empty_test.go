package report_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// TestNoTicketNoFigure: a month without tickets has no compliance, not
// 100 %, and no mean, median or 90th percentile of working time, not 0s:
// null in JSON (which the schema allows), an empty cell in CSV that reads
// back as none, "no tickets" on the page, and no point in the compliance
// chart.
func TestNoTicketNoFigure(t *testing.T) {
	slaA, netUC, _ := goldenAgreements(t)
	r, err := report.Compute(report.Spec{Period: report.Month(2026, time.March, gStockholm(t)), Previous: 2,
		Agreements: []*sla.Agreement{slaA, netUC}, Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, report.Tickets(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range r.Agreements {
		for _, m := range a.Metrics {
			if m.Compliance != nil || m.Shortfall != 0 {
				t.Errorf("%s %s: compliance %v, shortfall %v; want none", a.Agreement, m.Metric, *m.Compliance, m.Shortfall)
			}
		}
		if a.Credit != nil && a.Credit.Amount != 0 {
			t.Errorf("%s owes %d for a month without tickets", a.Agreement, a.Credit.Amount)
		}
	}
	for _, p := range r.Trend {
		for _, m := range p.Metrics {
			if m.Compliance != nil {
				t.Errorf("trend %v %s: compliance %v, want none", p.Period.From, m.Metric, *m.Compliance)
			}
		}
	}

	b, c := forms(t, r)
	if !bytes.Contains(b, []byte(`"compliance":null`)) || bytes.Contains(b, []byte(`"compliance":1`)) {
		t.Errorf("JSON does not say null: %s", b)
	}
	for _, stat := range []string{"mean", "median", "p90"} {
		if !bytes.Contains(b, []byte(`"`+stat+`":null`)) || bytes.Contains(b, []byte(`"`+stat+`":"0s"`)) {
			t.Errorf("JSON has a %s of no stopped clock: %s", stat, b)
		}
	}
	records := readRecords(t, c)
	for _, name := range []string{"compliance", "mean", "median", "p90"} {
		col := indexOf(records[0], name)
		for _, rec := range records[1:] {
			if rec[col] != "" {
				t.Errorf("CSV %s row has %s %q, want empty", rec[2], name, rec[col])
			}
		}
	}

	page := htmlPage(t, r)
	if strings.Contains(page, `class="n">100%<`) || !strings.Contains(page, "no tickets") {
		t.Errorf("the page shows 100%% or lacks \"no tickets\":\n%s", page)
	}
	if facts := readSVGs(t, page); facts.points["chart-compliance"] != 0 {
		t.Errorf("%d compliance points for periods without tickets, want none", facts.points["chart-compliance"])
	}
}

// TestChartLeavesOutEmptyPeriods: a series with a figure in some periods
// only has points there, and its line breaks at the period without one.
func TestChartLeavesOutEmptyPeriods(t *testing.T) {
	r := richReport()
	r.Trend[1].Metrics[0].Compliance = nil
	r.Trend[1].Metrics[0].Met, r.Trend[1].Metrics[0].Breached = 0, 0
	facts := readSVGs(t, htmlPage(t, r))
	if got := facts.points["chart-compliance"]; got != 2+1+4 {
		t.Errorf("%d compliance points, want 7", got)
	}
}

func indexOf(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}

// TestNoResolutionNoRate: the first-contact and reopen rates are shares of
// the tickets resolved in the period, so a group that resolved none has
// neither (decision 43): null in JSON, empty in CSV, "none resolved" on the
// page, not 0 %. An empty month has no rate anywhere; a month with tickets
// has rates only in the groups that resolved some.
func TestNoResolutionNoRate(t *testing.T) {
	slaA, netUC, _ := goldenAgreements(t)
	march := report.Month(2026, time.March, gStockholm(t))
	compute := func(tickets ...report.Ticket) *report.Report {
		t.Helper()
		r, err := report.Compute(report.Spec{Period: march, Agreements: []*sla.Agreement{slaA, netUC},
			Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, report.Tickets(tickets))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// rates reads each group's rates from the JSON and CSV forms, by
	// section and key, nil where the form has no figure.
	rates := func(r *report.Report) map[string][2]any {
		t.Helper()
		b, c := forms(t, r)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string][2]any{}
		add := func(name string, f map[string]any) {
			for _, k := range []string{"first_contact_rate", "reopen_rate"} {
				if _, ok := f[k]; !ok {
					t.Errorf("JSON %s lacks %s", name, k)
				}
			}
			out[name] = [2]any{f["first_contact_rate"], f["reopen_rate"]}
		}
		add("total", doc["total"].(map[string]any))
		for _, s := range []string{"priorities", "suppliers", "categories"} {
			for _, g := range doc[s].([]any) {
				g := g.(map[string]any)
				add(s+" "+g["key"].(string), g["figures"].(map[string]any))
			}
		}
		records := readRecords(t, c)
		fc, ro := indexOf(records[0], "first_contact_rate"), indexOf(records[0], "reopen_rate")
		sec, key := indexOf(records[0], "section"), indexOf(records[0], "key")
		for _, rec := range records[1:] {
			name := map[string]string{"priority": "priorities", "supplier": "suppliers", "category": "categories"}[rec[sec]] + " " + rec[key]
			if rec[sec] == "total" {
				name = "total"
			}
			j, ok := out[name]
			if !ok {
				continue // an agreement's or the trend's row, which has no rates
			}
			for i, col := range []int{fc, ro} {
				if want := cellOf(j[i]); rec[col] != want {
					t.Errorf("CSV %s: %s is %q, JSON says %q", name, records[0][col], rec[col], want)
				}
			}
		}
		return out
	}

	empty := compute()
	for name, rr := range rates(empty) {
		if rr[0] != nil || rr[1] != nil {
			t.Errorf("empty month, %s: rates %v, want null", name, rr)
		}
	}
	page := htmlPage(t, empty)
	if strings.Contains(page, "(0%)") || !strings.Contains(page, "0 (none resolved)") {
		t.Errorf("the empty month's page shows 0%% or lacks \"0 (none resolved)\"")
	}
	// The chart's description, which screen readers read instead of the
	// lines, says so too rather than list nothing.
	if !regexp.MustCompile(`of Network UC, per month\. [^<]*update, objective 95%: no tickets\.`).MatchString(page) {
		t.Errorf("the compliance chart's description does not say \"no tickets\"")
	}

	// One ticket the desk resolved at once, one it delegated to Netcom,
	// which has not resolved it yet.
	atOnce := goldenTicket(t, "INC1", gCustomer, "", gStep{"03-10 09:00", sRegistered, gDesk, 3, false},
		gStep{"03-10 09:30", sResolved, gDesk, 3, false})
	atOnce.FirstContact = true
	waiting := goldenTicket(t, "INC2", gCustomer, "", gStep{"03-11 09:00", sRegistered, gDesk, 2, false},
		gStep{"03-11 09:10", sDelegated, gNetcom, 2, false})
	got := rates(compute(atOnce, waiting))
	want := map[string][2]any{
		"total":                         {1.0, 0.0},
		"priorities P3":                 {1.0, 0.0},
		"priorities P2":                 {nil, nil},
		"suppliers " + gNetcom.String(): {nil, nil},
		"categories ":                   {1.0, 0.0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rates by group (-want +got):\n%s", d)
	}
	if page := htmlPage(t, compute(waiting)); !strings.Contains(page, "none resolved") || strings.Contains(page, "(0%)") {
		t.Errorf("a month with a ticket but no resolution shows 0%% or lacks \"none resolved\"")
	}
}

// cellOf is the CSV cell of a JSON number or null.
func cellOf(v any) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(v.(float64), 'g', -1, 64)
}

// forms writes r as JSON, which the schema must accept, and as CSV, and
// checks that each reads back as r.
func forms(t *testing.T, r *report.Report) (jsonForm, csvForm []byte) {
	t.Helper()
	jsonForm, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := schematest.MustNew(t, mustSchema(t)).Check(jsonForm); err != nil {
		t.Errorf("schema: %v", err)
	}
	var back report.Report
	if err := json.Unmarshal(jsonForm, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, &back); d != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", d)
	}
	csvForm = writeCSV(t, r)
	fromCSV, err := report.ReadCSV(bytes.NewReader(csvForm))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, fromCSV); d != "" {
		t.Errorf("CSV round trip (-want +got):\n%s", d)
	}
	return jsonForm, csvForm
}
