package search

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetLength is the most bytes of body text a snippet shows.
const snippetLength = 200

// Highlighting is done here, on the text the index keeps beside bleve
// (meta), rather than by bleve's highlighter, which runs the query a
// second time over the page's documents and needs every field stored
// with its term positions: that second search was about a quarter of a
// search's time. A word is textMarks when one of its terms (its stem or a
// compound part, by the same analysis as the index) is a term the query
// asked for, so a compound found by its part is textMarks whole, as bleve
// textMarks it.

// textMarks are the words of a text, with whether each is to be textMarks.
type textMarks struct {
	text  string
	start []int
	end   []int
	hit   []bool
	hits  int
}

// marker marks the words of one search's hits: it remembers whether
// each word it has seen is marked, since the page's titles and bodies
// repeat their words, and a map of this search's words costs less than
// the shared analysis cache and the terms behind it (highlighting was a
// fifth of a one-word search).
type marker struct {
	terms map[string]bool
	seen  map[string]bool
}

func newMarker(terms map[string]bool) *marker {
	return &marker{terms: terms, seen: map[string]bool{}}
}

// marks reports whether one of word's terms is one the query asked for.
func (mk *marker) marks(word string) bool {
	if hit, ok := mk.seen[word]; ok {
		return hit
	}
	hit := false
	for _, t := range analyzeWord(word) {
		if mk.terms[t] {
			hit = true
			break
		}
	}
	mk.seen[word] = hit
	return hit
}

func (mk *marker) markWords(text string) textMarks {
	m := textMarks{text: text}
	words(text, func(start, end int) {
		hit := mk.marks(text[start:end])
		if hit {
			m.hits++
		}
		m.start, m.end, m.hit = append(m.start, start), append(m.end, end), append(m.hit, hit)
	})
	return m
}

// words calls f with the byte offsets of each word of text: a run of
// letters, digits and combining marks, with an apostrophe or colon inside
// it (PC:n). It finds the words the index's tokenizer finds in ordinary
// prose at a fraction of the cost of Unicode word segmentation, which was
// most of highlighting's time; a word the two split differently is at
// worst not marked.
func words(text string, f func(start, end int)) {
	start := -1
	for i, r := range text {
		in := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		if !in && start >= 0 && (r == ':' || r == '\'' || r == '’') {
			// inside a word only when a letter follows
			if next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):]); unicode.IsLetter(next) {
				in = true
			}
		}
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			f(start, i)
			start = -1
		}
	}
	if start >= 0 {
		f(start, len(text))
	}
}

// render writes text[from:to] HTML-escaped, the textMarks words of tokens
// [a, b) in <mark>…</mark>.
func (m textMarks) render(b *strings.Builder, from, to, a, c int) {
	at := from
	for i := a; i < c; i++ {
		if !m.hit[i] {
			continue
		}
		b.WriteString(html.EscapeString(m.text[at:m.start[i]]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(m.text[m.start[i]:m.end[i]]))
		b.WriteString("</mark>")
		at = m.end[i]
	}
	b.WriteString(html.EscapeString(m.text[at:to]))
}

// highlight returns the whole text HTML-escaped with the words that hold
// one of the terms in <mark>…</mark>.
func highlight(text string, terms map[string]bool) string {
	return newMarker(terms).highlight(text)
}

func (mk *marker) highlight(text string) string {
	m := mk.markWords(text)
	var b strings.Builder
	m.render(&b, 0, len(text), 0, len(m.hit))
	return b.String()
}

// snippet returns the fragment of at most snippetLength bytes of the body
// that holds the most textMarks words (the first such), escaped and textMarks,
// with an ellipsis where it cuts the text; the start of the body when no
// word is textMarks.
func snippet(body string, terms map[string]bool) string {
	return newMarker(terms).snippet(body)
}

func (mk *marker) snippet(body string) string {
	m := mk.markWords(body)
	if m.hits == 0 {
		return html.EscapeString(lead(body, snippetLength))
	}
	const context = 3 // words shown before the first textMarks one
	bestA, bestC, best := 0, 0, -1
	for i, hit := range m.hit {
		if !hit {
			continue
		}
		a := max(0, i-context)
		c, n := a, 0
		for c < len(m.hit) && m.end[c]-m.start[a] <= snippetLength {
			if m.hit[c] {
				n++
			}
			c++
		}
		if n > best {
			bestA, bestC, best = a, c, n
		}
	}
	// Room left after the last word fitting goes to the words before.
	for bestA > 0 && m.end[bestC-1]-m.start[bestA-1] <= snippetLength {
		bestA--
	}
	from, to := m.start[bestA], m.end[bestC-1]
	if bestA == 0 {
		from = 0
	}
	if bestC == len(m.hit) && len(body)-from <= snippetLength {
		to = len(body)
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	m.render(&b, from, to, bestA, bestC)
	if to < len(strings.TrimRight(body, " \t\n")) {
		b.WriteString("…")
	}
	return strings.TrimSpace(b.String())
}
