package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// TestZoneSurvivesJSON: a report of October in Stockholm, whose month ends
// in another offset than it begins, keeps its zone's name across JSON and
// CSV, so that the page read back still labels the months by name and
// charts per month.
func TestZoneSurvivesJSON(t *testing.T) {
	slaA, _, _ := goldenAgreements(t)
	loc := gStockholm(t)
	r, err := report.Compute(report.Spec{Period: report.Month(2026, time.October, loc), Previous: 2,
		Agreements: []*sla.Agreement{slaA}, Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, report.Tickets(nil))
	if err != nil {
		t.Fatal(err)
	}
	if r.Zone != "Europe/Stockholm" {
		t.Errorf("zone %q, want Europe/Stockholm", r.Zone)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON report.Report
	if err := json.Unmarshal(b, &fromJSON); err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	if err := report.WriteCSV(&c, r); err != nil {
		t.Fatal(err)
	}
	fromCSV, err := report.ReadCSV(&c)
	if err != nil {
		t.Fatal(err)
	}
	for name, back := range map[string]*report.Report{"JSON": &fromJSON, "CSV": fromCSV} {
		if got := back.Period.From.Location().String(); got != "Europe/Stockholm" {
			t.Errorf("%s: the period is in %q", name, got)
		}
		if d := cmp.Diff(r, back, cmp.Comparer(func(a, b time.Time) bool {
			return a.Equal(b) && a.Location().String() == b.Location().String()
		})); d != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, d)
		}
		page := htmlPage(t, back)
		for _, want := range []string{"October 2026", "Compliance per month", "Backlog at the end of each month"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q", name, want)
			}
		}
		texts := strings.Join(readSVGs(t, page).texts["chart-compliance"], "|")
		if !strings.Contains(texts, "Oct") || strings.Contains(texts, "1 Oct") {
			t.Errorf("%s: October's tick is not Oct: %s", name, texts)
		}
	}
	var bad report.Report
	if err := json.Unmarshal(bytes.Replace(b, []byte("Europe/Stockholm"), []byte("Europe/Atlantis"), 1), &bad); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("an unknown zone gives %v, want an invalid error", err)
	}
}
