package markdown_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/knowledge/markdown"
)

// Headings keep the letters of Swedish and Norwegian in their anchors.
func TestAnchorKeepsNordicLetters(t *testing.T) {
	for in, want := range map[string]string{
		"Byt lösenord":               "byt-lösenord",
		"Tromsø: ærlig svar!":        "tromsø-ærlig-svar",
		"  Åtgärd 2 – nätverket  ":   "åtgärd-2-nätverket",
		"Byt lo\u0308senord":         "byt-lösenord", // decomposed ö is composed
		"???":                        "heading",
		"VPN & e-post (Outlook 365)": "vpn-e-post-outlook-365",
	} {
		if got := markdown.Anchor(in); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", in, got, want)
		}
	}
	html := markdown.HTML("# Byt lösenord\n\n## Byt lösenord\n")
	if !strings.Contains(html, `<h1 id="byt-lösenord">`) || !strings.Contains(html, `<h2 id="byt-lösenord-1">`) {
		t.Fatalf("html %q", html)
	}
}

// What is not safe is removed, what is Markdown is kept.
func TestHTMLIsSafe(t *testing.T) {
	for in, want := range map[string]string{
		"**fet** och [länk](https://example.com)": `<p><strong>fet</strong> och <a href="https://example.com" rel="nofollow noreferrer">länk</a></p>`,
		"[x](javascript:alert(1))":                `<p>x</p>`,
		"[x](JaVaScRiPt:alert(1))":                `<p>x</p>`,
		"[x](data:text/html;base64,PHNjcmlwdD4=)": `<p>x</p>`,
		"<script>alert(1)</script>":               ``,
		"<img src=x onerror=alert(1)>":            ``,
		"text <b onclick=\"x()\">b</b>":           `<p>text b</p>`,
		"[m](mailto:servicedesk@example.se)":      `<p><a href="mailto:servicedesk@example.se" rel="nofollow noreferrer">m</a></p>`,
	} {
		if got := strings.TrimSpace(markdown.HTML(in)); got != want {
			t.Errorf("HTML(%q) = %q, want %q", in, got, want)
		}
	}
}

// The index gets the words, not the markup.
func TestText(t *testing.T) {
	got := markdown.Text("# Byt lösenord\n\nGå till **portalen** och [logga in](https://x.se).\n\n- ett\n- två\n\n<b>rå</b>\n\n```\nkod\n```\n")
	want := "Byt lösenord\nGå till portalen och logga in.\nett\ntvå\nrå\nkod"
	if got != want {
		t.Fatalf("Text = %q, want %q", got, want)
	}
}

var (
	unsafeTag  = regexp.MustCompile(`(?i)<\s*/?\s*(script|style|iframe|object|embed|svg|math|form|input|link|meta|base)\b`)
	handler    = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	badURL     = regexp.MustCompile(`(?i)(href|src)\s*=\s*"\s*(javascript|data|vbscript|file):`)
	anyURLAttr = regexp.MustCompile(`(?i)(href|src)\s*=\s*"([^"]*)"`)
)

// FuzzHTML: whatever the Markdown, no script, no event handler and no
// URL but http, https, mailto or one within the page survives.
func FuzzHTML(f *testing.F) {
	for _, s := range []string{
		"# Byt lösenord", "[x](javascript:alert(1))", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
		"[a](java\tscript:x)", "![i](data:image/svg+xml;base64,PHN2Zz4=)", "<a href=\"&#106;avascript:x\">y</a>",
		"[x](&#x6A;avascript:x)", "<svg onload=x>", "| a |\n|---|\n| <b onmouseover=x>b</b> |",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := markdown.HTML(src)
		if unsafeTag.MatchString(out) || handler.MatchString(out) || badURL.MatchString(out) {
			t.Fatalf("unsafe output %q of %q", out, src)
		}
		for _, m := range anyURLAttr.FindAllStringSubmatch(out, -1) {
			u := strings.ToLower(strings.TrimSpace(strings.ReplaceAll(m[2], "&amp;", "&")))
			if i := strings.IndexAny(u, ":/?#"); i >= 0 && u[i] == ':' &&
				!strings.HasPrefix(u, "http:") && !strings.HasPrefix(u, "https:") && !strings.HasPrefix(u, "mailto:") {
				t.Fatalf("url %q survives in %q of %q", m[2], out, src)
			}
		}
		_ = markdown.Text(src)
	})
}

func ExampleHTML() {
	fmt.Println(markdown.HTML("## Byt lösenord\n\nKlicka [här](javascript:alert(1))."))
	// Output:
	// <h2 id="byt-lösenord">Byt lösenord</h2>
	// <p>Klicka här.</p>
}
