// Package markdown turns the Markdown of knowledge articles into HTML that
// is safe to show in a browser, into plain text for the search index, and
// gives headings anchors that keep the letters of Swedish and Norwegian
// ("Byt lösenord" is #byt-lösenord, not #byt-lsenord).
//
// Markdown is parsed by goldmark (CommonMark with tables, strikethrough
// and bare links), and its HTML is sanitised by bluemonday whatever
// goldmark makes of it: no script or style, no event handler attribute,
// no URL but http, https and mailto (and links within the page) survives.
package markdown

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"golang.org/x/text/unicode/norm"
)

var (
	md = goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
	policy = newPolicy()
)

// anchorPattern is what a heading's id may be once sanitised: what Anchor
// makes and nothing else.
var anchorPattern = regexp.MustCompile(`^[\p{L}\p{N}_-]+$`)

func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("id").Matching(anchorPattern).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
}

// HTML renders Markdown src as sanitised HTML. It never fails: what is
// not Markdown is text, and what is not safe is removed.
func HTML(src string) string {
	var buf bytes.Buffer
	ctx := parser.NewContext(parser.WithIDs(newIDs()))
	if err := md.Convert([]byte(src), &buf, parser.WithContext(ctx)); err != nil {
		// goldmark's renderer fails only when its writer does, and a
		// bytes.Buffer does not: show the source as text rather than
		// nothing.
		return policy.Sanitize("<pre>" + escape(src) + "</pre>")
	}
	return policy.Sanitize(buf.String())
}

func escape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

// Text returns the words of Markdown src as plain text, for the search
// index: the text of headings, paragraphs, lists, tables and code, one
// block a line, without markup, raw HTML or link targets.
func Text(src string) string {
	source := []byte(src)
	doc := md.Parser().Parse(text.NewReader(source))
	var b strings.Builder
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.Text:
			if entering {
				b.Write(n.Segment.Value(source))
				if n.SoftLineBreak() || n.HardLineBreak() {
					b.WriteByte(' ')
				}
			}
		case *ast.String:
			if entering {
				b.Write(n.Value)
			}
		case *ast.AutoLink:
			if entering {
				b.Write(n.Label(source))
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			if entering {
				lines := n.Lines()
				for i := 0; i < lines.Len(); i++ {
					seg := lines.At(i)
					b.Write(seg.Value(source))
				}
			}
			return ast.WalkSkipChildren, nil
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		}
		if !entering && n.Type() == ast.TypeBlock && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		} else if !entering && n.Kind() == east.KindTableCell {
			b.WriteByte(' ')
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// Anchor returns the id of a heading whose text is heading: lower case,
// letters and digits of every script kept as they are (in NFC), every
// other run of characters one hyphen, none at either end. A heading of no
// letters or digits is "heading".
func Anchor(heading string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFC.String(strings.ToLower(heading)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	if b.Len() == 0 {
		return "heading"
	}
	return b.String()
}

// ids gives each heading of one document its Anchor, numbered from the
// second of the same text on ("svar", "svar-1").
type ids struct{ used map[string]bool }

func newIDs() *ids { return &ids{used: map[string]bool{}} }

func (s *ids) Generate(value []byte, _ ast.NodeKind) []byte {
	base := Anchor(string(value))
	id := base
	for i := 1; s.used[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	s.used[id] = true
	return []byte(id)
}

func (s *ids) Put(value []byte) { s.used[string(value)] = true }
