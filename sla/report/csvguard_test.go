package report_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/sla/report"
)

// dangerous reports whether a spreadsheet could take s for a formula, after
// the OWASP CSV injection advice: it starts with a tab or a carriage
// return, or its first character after leading white space and invisible
// formatting characters (such as a byte order mark) is = + - @ or one of
// their full-width forms. Written apart from the package's own guard, so
// that the test does not repeat its mistakes.
func dangerous(s string) bool {
	if strings.HasPrefix(s, "\t") || strings.HasPrefix(s, "\r") {
		return true
	}
	s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	return s != "" && strings.ContainsRune("=+-@＝＋－＠", []rune(s)[0])
}

// categoryReport is the minimal report with one category of the key.
func categoryReport(key string) *report.Report {
	r := minimalReport()
	r.Categories = []report.Group{{Key: key, Name: key, Figures: report.Figures{
		Backlog: report.Backlog{Ageing: []report.AgeBucket{}}, Metrics: []report.MetricFigures{}}}}
	return r
}

// checkGuarded writes a report with the text as a category's key and
// name, and checks that both cells are guarded when the text is
// dangerous (or starts with the guard's apostrophe) and quoted then, and
// that ReadCSV gives the text back exactly.
func checkGuarded(t *testing.T, text string) {
	t.Helper()
	r := categoryReport(text)
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		if strings.Contains(text, "\r\n") {
			return // CSV cannot keep it; WriteCSV says so
		}
		t.Fatalf("%q: %v", text, err)
	}
	raw := buf.String()
	records := readRecords(t, buf.Bytes())
	cell := records[len(records)-1][3]
	guard := dangerous(text) || strings.HasPrefix(text, "'")
	switch {
	case guard && cell != "'"+text:
		t.Errorf("%q is written as %q, want it guarded", text, cell)
	case guard && !strings.Contains(raw, `,"'`):
		t.Errorf("%q is guarded but not quoted:\n%s", text, raw)
	case !guard && cell != text:
		t.Errorf("%q is written as %q, want it as it is", text, cell)
	}
	back, err := report.ReadCSV(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	if d := cmp.Diff(r, back); d != "" {
		t.Errorf("%q: round trip (-want +got):\n%s", text, d)
	}
}

// TestCSVFormulaGuard: every way OWASP lists to start a formula is
// guarded, also behind white space, a byte order mark or in full width;
// harmless text is written as it is.
func TestCSVFormulaGuard(t *testing.T) {
	for _, s := range []string{
		"=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\tplain", "'quoted", "''twice",
		" =1+1", "  @x", "\u00a0=1", "\u3000+1", "\n=1", "\ufeff=HYPERLINK(\"http://x\")", "\u200b-2", " \ufeff =1",
		"＝1+1", "＋1", "－1", "＠SUM(A1)", " ＝cmd",
		"Network", "a=b", "1-2", "", " ", "\ufeff", "Köping",
	} {
		checkGuarded(t, s)
	}
}

// FuzzCSVText: whatever the text of a cell, WriteCSV guards it when a
// spreadsheet could run it and ReadCSV gives it back exactly.
func FuzzCSVText(f *testing.F) {
	for _, s := range []string{"=1", " ＝1", "\ufeff@x", "'", "plain", "\t", "-", "\u2028+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // text in a report is UTF-8
		}
		checkGuarded(t, s)
	})
}
