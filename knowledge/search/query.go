package search

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

//go:embed synonyms.txt
var synonymsText string

// Boosts of the fields and of the ways a word can match. A word found in
// the title or the keywords outweighs the same word in the body; an exact
// (inflected, folded) match outweighs a compound's parts, a prefix, a
// synonym and a misspelling, in that order.
const (
	boostHead = 3.0 // the title and the keywords
	boostBody = 1.0

	boostExact   = 1.0
	boostParts   = 0.8
	boostPrefix  = 0.5
	boostSynonym = 0.5
	boostFuzzy   = 0.3

	minPrefix = 3 // letters a type-ahead prefix needs to be searched
)

var textFields = []struct {
	name  string
	boost float64
}{{fHead, boostHead}, {fBody, boostBody}}

// queryWord is one word the user typed, analysed.
type queryWord struct {
	folded string   // the folded word, for prefixes
	stem   string   // its stem ("" for a stop word)
	parts  []string // the stems of its parts, if a compound
	prefix bool     // the last word, still being typed
}

// parsedQuery is a query text analysed: its words and the words its
// synonyms add.
type parsedQuery struct {
	words    []queryWord
	synonyms [][]string // each a synonym's terms, all required
}

// parseQuery analyses a query's text the way documents are analysed, and
// finds the synonym list's phrases in it.
func parseQuery(text string) parsedQuery {
	toks := tokenizer.Tokenize([]byte(text))
	if len(toks) > MaxQueryWords {
		toks = toks[:MaxQueryWords]
	}
	var pq parsedQuery
	stems := make([]string, 0, len(toks)) // every word's stem, stop words too, for phrases
	for i, t := range toks {
		f := fold(string(t.Term))
		if f == "" {
			continue
		}
		w := queryWord{folded: f}
		st, parts := compound(f)
		stems = append(stems, stem(f))
		if !stopwords[f] {
			w.stem = st
			if len(parts) > 1 {
				w.parts = parts
			}
		}
		if i == len(toks)-1 && t.End == len(text) {
			// No space or punctuation after the last word: it may be unfinished.
			r, _ := utf8.DecodeLastRuneInString(text)
			w.prefix = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		pq.words = append(pq.words, w)
	}
	pq.synonyms = synonymsOf(stems)
	return pq
}

// bleveQuery turns the analysed words into a bleve query for a search
// that ranks pool hits by text score, and the terms it asks for, which
// the highlighter marks. The query is nil when nothing is searchable.
//
// The words typed are a clause each: a document matches if it matches
// any, and scores higher the more it matches (bleve's disjunction
// multiplies by the share of clauses matched). Misspellings and prefixes
// are expanded here, against the index's own vocabulary (voc), into the
// terms they stand for, once per search: bleve's fuzzy and prefix queries
// would expand them again for each field and again for the highlighter,
// and building a Levenshtein automaton was most of a search's time. A
// word is looked up as a misspelling only when its stem is in no
// document: a word that is there is taken as meant.
//
// A synonym member the words name is one more clause while the typed
// words match fewer documents than the pool. Once they surely fill it
// (one of their terms is in pool documents or more, by the index's own
// counts), synonyms only rank the documents the typed words found, and a
// member that more documents hold than the typed words match is left
// out: such members are of common words (fel, feil, fungerar), which
// distinguish little, and matching them was most of a colloquial
// search's time, for hits that would rank below the pool anyway (a
// synonym weighs half an exact match).
func (pq parsedQuery) bleveQuery(voc vocabulary, pool int) (*query.BooleanQuery, map[string]bool) {
	qb := builder{terms: map[string]bool{}, counts: voc.terms}
	var clauses []query.Query
	for i, w := range pq.words {
		var alt []query.Query
		if w.stem != "" {
			known := voc.known(w.stem)
			if known {
				alt = append(alt, qb.term(w.stem, boostExact))
			}
			parts := w.parts
			var derived string
			if !known {
				// A word no document holds: its parts among the index's
				// terms, or the word it derives from (see split.go).
				if ps := voc.split(w.folded); ps != nil {
					parts = ps
				} else if derived = voc.resolve(w.folded); derived != "" {
					alt = append(alt, qb.term(derived, boostParts))
				}
			}
			if ps := knownOnly(voc, parts); len(ps) > 1 {
				alt = append(alt, qb.anyOf(ps, boostParts))
			}
			if d := fuzziness(w.stem); d > 0 && !known {
				for _, t := range voc.near(w.stem, d) {
					if t.term == derived {
						continue // already asked for, and more strongly
					}
					boost := boostFuzzy / float64(t.distance)
					alt = append(alt, qb.term(t.term, boost))
				}
			}
			// Two words the user wrote apart that the articles write as one.
			if i+1 < len(pq.words) && pq.words[i+1].stem != "" {
				if t := voc.joined(w.folded, pq.words[i+1].folded); t != "" {
					clauses = append(clauses, qb.term(t, boostExact))
				}
			}
		}
		// A word being typed is completed from the vocabulary, unless what
		// was typed is already a term of it (then the exact clause finds it).
		if w.prefix && len(w.folded) >= minPrefix && !voc.known(w.folded) {
			for _, t := range voc.completions(w.folded) {
				if t == w.stem {
					continue
				}
				alt = append(alt, qb.term(t, boostPrefix))
			}
		}
		clauses = appendAny(clauses, alt)
	}
	typedMatches := qb.most
	fill := len(clauses) > 0 && typedMatches >= pool
	var should []query.Query
	for _, terms := range pq.synonyms {
		// A member with a word no document holds can match nothing.
		if len(knownOnly(voc, terms)) < len(terms) {
			continue
		}
		if !fill {
			clauses = append(clauses, qb.allOf(terms, boostSynonym))
			continue
		}
		// A member matches at most as many documents as its rarest term.
		matches := voc.terms[terms[0]]
		for _, t := range terms[1:] {
			matches = min(matches, voc.terms[t])
		}
		if matches <= typedMatches {
			should = append(should, qb.allOf(terms, boostSynonym))
		}
	}
	if len(clauses) == 0 {
		return nil, nil
	}
	// The clauses are the must part itself: AddMust would wrap them in a
	// conjunction of one, a layer of searcher every matching document
	// passes through for the same score.
	bq := bleve.NewBooleanQuery()
	bq.Must = anyOfQueries(clauses)
	if len(should) > 0 {
		bq.AddShould(anyOfQueries(should))
	}
	return bq, qb.terms
}

// appendAny appends to qs one query matching any of alt, if there are any.
func appendAny(qs, alt []query.Query) []query.Query {
	if q := anyOfQueries(alt); q != nil {
		return append(qs, q)
	}
	return qs
}

// anyOfQueries is a query matching any of qs; nil when qs is empty.
func anyOfQueries(qs []query.Query) query.Query {
	switch len(qs) {
	case 0:
		return nil
	case 1:
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// fuzziness is how many edits a misspelt stem may be from an indexed
// one: none for short stems (too many words are one edit apart), one from
// four letters, two from seven.
func fuzziness(stem string) int {
	switch n := runeLen(stem); {
	case n >= 7:
		return 2
	case n >= 4:
		return 1
	}
	return 0
}

// knownOnly returns the terms the index holds.
func knownOnly(voc vocabulary, terms []string) []string {
	var out []string
	for _, t := range terms {
		if voc.known(t) {
			out = append(out, t)
		}
	}
	return out
}

// builder builds a query's clauses and remembers every term they ask
// for, which the highlighter marks (see highlight.go).
type builder struct {
	terms  map[string]bool
	counts map[string]int // the index's document count of each term
	most   int            // the highest count of a term asked for
}

// term asks for a term in each text field, with the field's boost.
func (qb *builder) term(t string, boost float64) query.Query {
	qb.terms[t] = true
	qb.most = max(qb.most, qb.counts[t])
	qs := make([]query.Query, len(textFields))
	for i, f := range textFields {
		qs[i] = termQuery(f.name, t, f.boost*boost)
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// anyOf asks for any of the terms, each in any text field: bleve's
// disjunction scores a document by the share of them it holds, so one
// with all the parts of a compound ranks first, and one with its head
// alone (kamera for kameraproblem) is still found.
func (qb *builder) anyOf(terms []string, boost float64) query.Query {
	qs := make([]query.Query, len(terms))
	for i, t := range terms {
		qs[i] = qb.term(t, boost)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// allOf requires every term, each in any text field.
func (qb *builder) allOf(terms []string, boost float64) query.Query {
	qs := make([]query.Query, len(terms))
	for i, t := range terms {
		qs[i] = qb.term(t, boost)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewConjunctionQuery(qs...)
}

func termQuery(field, term string, boost float64) query.Query {
	q := bleve.NewTermQuery(term)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

// A synonym group is a set of ways to say one thing; member is one of
// them: the stems of its words (stop words too, since "funkar inte" is
// not "funkar") to find it in a query, and the analysed terms to search
// when another member was found.
type member struct {
	stems []string
	terms []string
}

var synonymGroups [][]member

func init() {
	for _, line := range dataLines(synonymsText) {
		var g []member
		for _, m := range strings.Split(line, ",") {
			var mb member
			for _, t := range tokenizer.Tokenize([]byte(m)) {
				f := fold(string(t.Term))
				if f == "" {
					continue
				}
				mb.stems = append(mb.stems, stem(f))
				if a := analyzeWord(string(t.Term)); len(a) > 0 {
					mb.terms = append(mb.terms, a[0])
				}
			}
			if len(mb.stems) > 0 {
				g = append(g, mb)
			}
		}
		if len(g) > 1 {
			synonymGroups = append(synonymGroups, g)
		}
	}
}

// synonymsOf returns the terms of the other members of every synonym
// group with a member in the query's word stems, each member once.
func synonymsOf(stems []string) [][]string {
	var out [][]string
	seen := map[string]bool{}
	for _, g := range synonymGroups {
		found := -1
		for i, m := range g {
			if containsSeq(stems, m.stems) {
				found = i
				break
			}
		}
		if found < 0 {
			continue
		}
		for i, m := range g {
			if i == found || len(m.terms) == 0 {
				continue
			}
			key := strings.Join(m.terms, " ")
			if seen[key] || containsSeq(stems, m.terms) {
				continue
			}
			seen[key] = true
			out = append(out, m.terms)
		}
	}
	return out
}

// containsSeq reports whether seq occurs in s, contiguous.
func containsSeq(s, seq []string) bool {
	if len(seq) == 0 {
		return false
	}
outer:
	for i := 0; i+len(seq) <= len(s); i++ {
		for j, x := range seq {
			if s[i+j] != x {
				continue outer
			}
		}
		return true
	}
	return false
}
