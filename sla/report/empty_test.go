package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// TestNoTicketNoFigure: a month without tickets has no compliance, not
// 100 %: null in JSON (which the schema allows), an empty cell in CSV that
// reads back as none, "no tickets" on the page, and no point in the
// compliance chart.
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

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"compliance":null`)) || bytes.Contains(b, []byte(`"compliance":1`)) {
		t.Errorf("JSON does not say null: %s", b)
	}
	if err := schematest.MustNew(t, mustSchema(t)).Check(b); err != nil {
		t.Errorf("schema: %v", err)
	}
	var back report.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, &back); d != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", d)
	}

	c := writeCSV(t, r)
	records := readRecords(t, c)
	col := indexOf(records[0], "compliance")
	for _, rec := range records[1:] {
		if rec[col] != "" {
			t.Errorf("CSV %s row has compliance %q, want empty", rec[2], rec[col])
		}
	}
	fromCSV, err := report.ReadCSV(bytes.NewReader(c))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, fromCSV); d != "" {
		t.Errorf("CSV round trip (-want +got):\n%s", d)
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
