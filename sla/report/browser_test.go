package report_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/spoc-itsm/spoc/sla/report"
	"github.com/spoc-itsm/spoc/sla/report/synth"
)

// chromium finds a Chromium or Chrome: $CHROMIUM, /usr/bin/chromium, or
// one of the usual names on the PATH. Without one the test skips, except
// in CI (CI=true), where a browser is installed first and its absence is
// a failure: a test that silently skips there proves nothing.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium: CI must install one (apt-get install chromium) or set $CHROMIUM")
	}
	t.Skip("no Chromium at /usr/bin/chromium, $CHROMIUM or on the PATH (apt-get install chromium); skipping the browser test")
	return ""
}

// yearReport is December 2025 of the synthetic municipality, with the
// eleven months before it as its trend: the SLA and four UCs, each with
// its metrics per priority, charted over a year.
func yearReport(t testing.TB) *report.Report {
	t.Helper()
	g, err := synth.New(synth.Config{Seed: 1, Year: 2025, Incidents: 6000})
	if err != nil {
		t.Fatal(err)
	}
	d := g.Delivery()
	year := g.Year()
	r, err := report.Compute(report.Spec{
		Period:     report.Month(2025, time.December, year.From.Location()),
		Previous:   11,
		Agreements: d.Agreements(),
		Names:      d.Names(),
		Now:        year.To,
	}, g.Tickets())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHTMLInBrowser renders the page of a year's report in headless
// Chromium, served with a policy as strict as the reference server's
// (default-src 'none', the style sheet by its hash), at a phone's width
// (390 px) and a laptop's (1280 px). At both the page must not scroll
// sideways, the style sheet must apply (the policy lets it), and there
// must be one compliance chart per agreement; at 1280 px every table must
// show whole, without scrolling in its box. Screenshots go to
// $SPOC_SCREENSHOTS, or a temporary folder, for a person to look at.
func TestHTMLInBrowser(t *testing.T) {
	browser := chromium(t)
	r := yearReport(t)
	var page bytes.Buffer
	if err := report.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy",
			"default-src 'none'; style-src "+strings.Join(report.HTMLStyleSources(), " "))
		w.Write(page.Bytes())
	}))
	defer srv.Close()

	dir := os.Getenv("SPOC_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	// The deadline ends the browser too, should it hang.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	ctx, cancel = chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Flag("hide-scrollbars", true))...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()

	for _, width := range []int64{390, 1280} {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(srv.URL),
		); err != nil {
			t.Fatalf("%d px: %v", width, err)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%d px: screenshot: %v", width, err)
		}
		path := filepath.Join(dir, "report-"+strconv.FormatInt(width, 10)+".png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d px: %s", width, path)

		type facts struct {
			ScrollWidth, InnerWidth int
			BodyMaxWidth            string
			Charts                  int
			// CutTables counts the tables wider than their box, which
			// a reader must scroll sideways.
			CutTables int
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[facts](`({
			ScrollWidth: document.documentElement.scrollWidth,
			InnerWidth: window.innerWidth,
			BodyMaxWidth: getComputedStyle(document.body).maxWidth,
			Charts: document.querySelectorAll("svg.compliance").length,
			CutTables: [...document.querySelectorAll(".scroll")].filter(e => e.scrollWidth > e.clientWidth).length,
		})`))
		if err != nil {
			t.Fatalf("%d px: %v", width, err)
		}
		if f.InnerWidth != int(width) {
			t.Errorf("%d px: the window is %d px wide", width, f.InnerWidth)
		}
		if f.ScrollWidth > f.InnerWidth {
			t.Errorf("%d px: the page is %d px wide and scrolls sideways", width, f.ScrollWidth)
		}
		// A phone scrolls the wide tables in their boxes; a laptop shows
		// them whole.
		if width >= 1280 && f.CutTables > 0 {
			t.Errorf("%d px: %d tables are cut and scroll sideways", width, f.CutTables)
		}
		if f.BodyMaxWidth == "none" {
			t.Errorf("%d px: the style sheet did not apply (refused by the policy?)", width)
		}
		if f.Charts != len(r.Agreements) {
			t.Errorf("%d px: %d compliance charts, want one per agreement (%d)", width, f.Charts, len(r.Agreements))
		}
	}
}
