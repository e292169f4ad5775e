package search

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	unitok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"
)

// analyzerName is the name of the Nordic analyser in bleve's registry; the
// index maps every text field to it, and queries run their words through
// the same steps (see analyzeWord), so both sides agree term for term.
const analyzerName = "spoc_nordic"

func init() {
	// Registration is global in bleve; a second registration would be an
	// error, which can only mean two packages chose the same name.
	if err := registry.RegisterAnalyzer(analyzerName, func(map[string]any, *registry.Cache) (analysis.Analyzer, error) {
		return nordicAnalyzer{}, nil
	}); err != nil {
		panic(err)
	}
}

// nordicAnalyzer splits text into words with Unicode word boundaries
// (bleve's tokenizer), then turns each word into index terms: the stem of
// its folded form and, for a compound, the stems of its parts, at the same
// position and with the word's own offsets, so that a highlighted part
// marks the whole compound.
type nordicAnalyzer struct{}

var tokenizer = unitok.NewUnicodeTokenizer()

// Analyze implements analysis.Analyzer.
func (nordicAnalyzer) Analyze(text []byte) analysis.TokenStream {
	in := tokenizer.Tokenize(text)
	out := make(analysis.TokenStream, 0, len(in))
	pos := 0
	for _, tok := range in {
		terms := analyzeWord(string(tok.Term))
		if len(terms) == 0 {
			continue
		}
		pos++
		for _, t := range terms {
			out = append(out, &analysis.Token{
				Start:    tok.Start,
				End:      tok.End,
				Term:     []byte(t),
				Position: pos,
				Type:     tok.Type,
			})
		}
	}
	return out
}

// analyzeWord is the whole pipeline for one word: fold, drop stop words,
// stem, split compounds. The first term is the word's own stem; parts
// follow. A word that is only a stop word gives no term.
func analyzeWord(word string) []string {
	if terms, ok := analysed.Load(word); ok {
		return terms.([]string)
	}
	terms := analyzeWordUncached(word)
	if analysedCount.Load() < maxAnalysed {
		analysedCount.Add(1)
		analysed.Store(word, terms)
	}
	return terms
}

// analysed remembers the terms of the words seen, up to maxAnalysed of
// them: a collection repeats its words, and stemming and splitting a
// word was most of the cost of indexing it. The terms of a word never
// change, so a remembered one is never stale.
var (
	analysed      sync.Map // word -> []string
	analysedCount atomic.Int64
)

const maxAnalysed = 200_000

func analyzeWordUncached(word string) []string {
	f := fold(word)
	if f == "" || stopwords[f] {
		return nil
	}
	s, parts := compound(f)
	if len(parts) == 0 {
		return []string{s}
	}
	terms := make([]string, 0, len(parts)+1)
	terms = append(terms, s)
	for _, p := range parts {
		if p != s && !contains(terms, p) {
			terms = append(terms, p)
		}
	}
	return terms
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fold lower-cases a word and writes it the way a keyboard without Nordic
// letters would: å, ä and æ become a, ö and ø become o, any other accent
// is dropped, and the digraphs people type instead (aa, ae, oe) collapse
// to the same letter when typed as plain letters, so "Tromsø", "tromso"
// and "tromsoe" fold alike and "ærlig" meets "aerlig". The colon of Swedish "PC:n" ends the word, as
// the ending after it is not part of the name.
func fold(word string) string {
	if i := strings.IndexByte(word, ':'); i > 0 {
		word = word[:i]
	}
	// A digraph collapses only when both its letters were typed as plain
	// letters, and a letter absorbs one other at most: the o of "køen"
	// stands for ø, so it keeps its e ("koen", as "kø" + "en", meeting
	// "utskriftskøen"'s part), while "koeen", typed for "køen", collapses
	// once to "koen" too. Collapsing whatever the letters folded from
	// made "køen" "kon", and "sjøen", "tåen", "strået" lose their endings.
	out := make([]byte, 0, len(word))
	const (
		plain    = 1 // typed as it is written here, no mark folded away
		absorbed = 2 // already took the second letter of a digraph
	)
	var state []byte // per byte of out
	add := func(c byte, st byte) {
		if n := len(out); n > 0 && st&plain != 0 && state[n-1] == plain &&
			(out[n-1] == 'a' && (c == 'a' || c == 'e') || out[n-1] == 'o' && c == 'e') {
			state[n-1] |= absorbed
			return
		}
		out, state = append(out, c), append(state, st)
	}
	rs := []rune(norm.NFD.String(strings.ToLower(word)))
	for i, r := range rs {
		// A letter followed by a combining mark (å = a + ring, ä = a +
		// diaeresis in NFD) was not typed plain.
		st := byte(plain)
		if i+1 < len(rs) && unicode.Is(unicode.Mn, rs[i+1]) {
			st = 0
		}
		switch {
		case r == 'æ':
			add('a', 0)
		case r == 'ø' || r == 'œ':
			add('o', 0)
		case r == 'ß':
			add('s', 0)
			add('s', 0)
		case unicode.Is(unicode.Mn, r):
			// the mark itself is dropped
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			add(byte(r), st)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			for _, c := range []byte(string(r)) {
				add(c, 0)
			}
		}
	}
	return string(out)
}

// runeLen counts the letters of a folded word.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
