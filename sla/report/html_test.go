package report_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/sla/report"
)

// TestHTMLDurations: the page writes durations as a service manager reads
// them, hours and minutes, minutes and seconds, or seconds, never in Go's
// form (17h39m), and counts no days in working time.
func TestHTMLDurations(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{17*time.Hour + 39*time.Minute + 12*time.Second, "17 h 39 min"},
		{26 * time.Hour, "26 h"},
		{26*time.Hour + 30*time.Minute, "26 h 30 min"},
		{76*time.Hour + 4*time.Minute, "76 h 4 min"},
		{22*time.Minute + 59*time.Second, "22 min 59 s"},
		{15 * time.Minute, "15 min"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1 h"},
		{59*time.Minute + 59*time.Second + 400*time.Millisecond, "59 min 59 s"},
		{40 * time.Second, "40 s"},
		{400 * time.Millisecond, "0 s"},
		{0, "0 s"},
	} {
		r := richReport()
		m := &r.Agreements[1].Metrics[0]
		m.Median, m.P90 = new(report.Duration(tc.d)), new(report.Duration(tc.d))
		page := htmlPage(t, r)
		cell := `<td class="n">` + tc.want + `</td>`
		if !strings.Contains(page, cell+cell) {
			t.Errorf("%s: the UC's median and P90 are not %q", tc.d, tc.want)
		}
		if goForm := regexp.MustCompile(`>[0-9.]+(h|m|s)[0-9.hms]*<`).FindString(page); goForm != "" {
			t.Errorf("%s: the page has a duration in Go's form: %s", tc.d, goForm)
		}
	}
}

// TestHTMLBreachedClocks: the breakdowns' breaches are labelled as what
// they count, clocks, and the page says why that is not tickets: a P1
// ticket that breached its response and its resolution counts twice.
func TestHTMLBreachedClocks(t *testing.T) {
	page := htmlPage(t, richReport())
	if strings.Contains(page, ">Breaches<") {
		t.Error("a column is labelled Breaches without saying what it counts")
	}
	for _, want := range []string{">Breached clocks</th>", "Breached clocks count clocks, not tickets", "Breached clocks per supplier"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestHTMLSmallMultiples: each agreement has a chart of its own with its
// metrics, one colour per metric in every chart; objectives close
// together get labels that do not overlap.
func TestHTMLSmallMultiples(t *testing.T) {
	r := richReport()
	// The SLA's update metric has an objective of its own, a point below
	// the others': its dashed line runs just under theirs.
	r.Agreements[0].Metrics[2].Objective = 0.94
	page := htmlPage(t, r)
	charts := regexp.MustCompile(`(?s)<svg [^>]*id="chart-compliance-(\d+)".*?</svg>`).FindAllStringSubmatch(page, -1)
	if len(charts) != len(r.Agreements) {
		t.Fatalf("%d compliance charts, want one per agreement (%d)", len(charts), len(r.Agreements))
	}
	for i, a := range r.Agreements {
		if !strings.Contains(charts[i][0], "<title id=\"chart-compliance-"+strconv.Itoa(i+1)+"-title\">"+htmlEscape(a.Agreement)+"</title>") {
			t.Errorf("chart %d is not titled %q", i+1, a.Agreement)
		}
	}
	paths := regexp.MustCompile(`<path class="series" [^>]*stroke="(#[0-9A-Fa-f]+)"`)
	if n := len(paths.FindAllString(charts[0][0], -1)); n != 3 {
		t.Errorf("SLA Gold's chart has %d lines, want its 3 metrics", n)
	}
	// Resolution is the SLA's second metric and the UC's first: one
	// colour in both.
	slaLines := paths.FindAllStringSubmatch(charts[0][0], -1)
	ucLines := paths.FindAllStringSubmatch(charts[1][0], -1)
	if len(slaLines) < 2 || len(ucLines) < 1 || slaLines[1][1] != ucLines[0][1] {
		t.Errorf("resolution is drawn in %q in the SLA's chart and %q in the UC's", slaLines, ucLines)
	}

	labels := regexp.MustCompile(`<text x="[0-9.]+" y="([0-9.]+)"[^>]*>objective ([0-9.]+%)</text>`).FindAllStringSubmatch(charts[0][0], -1)
	if len(labels) != 2 {
		t.Fatalf("SLA Gold's chart labels %d objectives, want 2 (95%% and 94%%): %q", len(labels), labels)
	}
	y0, _ := strconv.ParseFloat(labels[0][1], 64)
	y1, _ := strconv.ParseFloat(labels[1][1], 64)
	// Labels of font size 11 overlap when less than 12 apart.
	if d := y1 - y0; d < 12 && d > -12 {
		t.Errorf("the objectives' labels %s at %v and %s at %v overlap", labels[0][2], y0, labels[1][2], y1)
	}
	if !strings.Contains(charts[2][0], "No ticket measured.") {
		t.Error("the OLA, which measured nothing, has no chart saying so")
	}
}

// htmlEscape is what html/template writes for s in text.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
