package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/refserver/api"
)

// TestPagesCarrySecurityHeaders: the HTML answers, a report and a
// follow-up's report, are UTF-8 and never sniffed, and their
// Content-Security-Policy forbids everything the page does not need while
// the page, parsed, satisfies it: no script, no inline style but the style
// sheets whose hashes the policy lists, nothing fetched. Every other answer,
// JSON or a problem, is never sniffed either.
func TestPagesCarrySecurityHeaders(t *testing.T) {
	l := newLedger(t, monday)
	l.settle()
	l.solve("network down", l.supA, l.alice)
	l.clock.Set(time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC))

	r := l.getReport(l.agent, api.ReportFormatHTML)
	if r.StatusCode() != http.StatusOK {
		t.Fatalf("the report as HTML: %s", body(r))
	}
	checkPage(t, "the report", r.HTTPResponse.Header, r.Body)

	d, err := l.agent.DraftFollowUpWithResponse(l.ctx, api.FollowUpInput{Customer: l.city, Month: "2026-11"})
	if err != nil || d.JSON201 == nil {
		t.Fatalf("draft: %v %s", err, body(d))
	}
	f, err := l.user.GetFollowUpReportWithResponse(l.ctx, d.JSON201.ID, &api.GetFollowUpReportParams{Format: api.ReportFormatHTML}, dropZeros)
	if err != nil || f.StatusCode() != http.StatusOK {
		t.Fatalf("the follow-up's report as HTML: %v %s", err, body(f))
	}
	checkPage(t, "the follow-up's report", f.HTTPResponse.Header, f.Body)

	for name, h := range map[string]http.Header{
		"JSON":    l.getReport(l.agent, api.ReportFormatJSON).HTTPResponse.Header,
		"CSV":     l.getReport(l.agent, api.ReportFormatCsv).HTTPResponse.Header,
		"problem": l.getReport(l.bob, api.ReportFormatJSON).HTTPResponse.Header,
	} {
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", name, got)
		}
		if h.Get("Content-Security-Policy") != "" {
			t.Errorf("%s carries a page's policy", name)
		}
	}
}

// checkPage checks the headers of an HTML answer and that its page
// satisfies its policy.
func checkPage(t *testing.T, what string, h http.Header, page []byte) {
	t.Helper()
	if got := h.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q, want text/html; charset=utf-8", what, got)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want nosniff", what, got)
	}
	policy := map[string][]string{}
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if fields := strings.Fields(d); len(fields) > 0 {
			policy[fields[0]] = fields[1:]
		}
	}
	for _, d := range []string{"default-src", "base-uri", "form-action", "frame-ancestors"} {
		if got := policy[d]; !slices.Equal(got, []string{"'none'"}) {
			t.Errorf("%s: %s %q, want 'none' (policy %q)", what, d, got, h.Get("Content-Security-Policy"))
		}
	}
	for d, sources := range policy {
		for _, s := range sources {
			if s == "'unsafe-inline'" || s == "'unsafe-eval'" || s == "*" || strings.Contains(s, ":") && s != "data:" {
				t.Errorf("%s: %s allows %s", what, d, s)
			}
		}
		if d == "script-src" || d == "connect-src" {
			t.Errorf("%s: the policy allows %s %q for a page that needs none", what, d, sources)
		}
	}

	// The page as the browser would read it: every element, its
	// attributes, and the text of its style sheets.
	dec := xml.NewDecoder(bytes.NewReader(page))
	dec.Strict, dec.AutoClose, dec.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var sheets []string
	inStyle := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: the page does not parse: %v", what, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(tok.Name.Local)
			switch name {
			case "script", "link", "img", "iframe", "object", "embed", "base", "form", "image", "use", "foreignobject":
				t.Errorf("%s: the page has a <%s>, which the policy blocks or the page must not need", what, name)
			case "style":
				inStyle = true
				sheets = append(sheets, "")
			}
			for _, a := range tok.Attr {
				attr := strings.ToLower(a.Name.Local)
				switch {
				case attr == "style":
					t.Errorf("%s: <%s> has a style attribute, which the policy blocks", what, name)
				case strings.HasPrefix(attr, "on"):
					t.Errorf("%s: <%s> has the event handler %s, which the policy blocks", what, name, attr)
				case attr == "src" || (attr == "href" && !strings.HasPrefix(a.Value, "#")):
					t.Errorf("%s: <%s %s=%q> fetches or leaves the page", what, name, attr, a.Value)
				}
			}
		case xml.EndElement:
			inStyle = false
		case xml.CharData:
			if inStyle {
				sheets[len(sheets)-1] += string(tok)
			}
		}
	}
	if len(sheets) == 0 {
		t.Errorf("%s: the page has no style sheet; the test proves less than it should", what)
	}
	for _, sheet := range sheets {
		sum := sha256.Sum256([]byte(sheet))
		if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !slices.Contains(policy["style-src"], hash) {
			t.Errorf("%s: the policy's style-src %q lacks the page's style sheet %s", what, policy["style-src"], hash)
		}
	}
}
