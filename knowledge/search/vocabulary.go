package search

import (
	"cmp"
	"slices"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segapi "github.com/blevesearch/scorch_segment_api/v2"
)

// vocabulary answers what the index holds of the terms of its text
// fields: which terms (terms, the index's own count of the documents
// holding each) and, from one snapshot of bleve's index, which are near a
// misspelling or complete a prefix.
type vocabulary struct {
	r     index.IndexReader
	terms map[string]int
}

// Most terms a misspelling or a prefix expands to: the most frequent
// win. Beyond them a search costs more and finds nothing better.
const (
	maxNear        = 16
	maxCompletions = 12
)

// known reports whether any document holds the term in a text field.
func (v vocabulary) known(term string) bool { return v.terms[term] > 0 }

type nearTerm struct {
	term     string
	distance int
	count    uint64
}

// near returns the indexed terms within d edits of term, nearest and
// then most frequent (by the index's own counts) first, from the
// dictionaries of both text fields.
//
// On scorch it builds the Levenshtein automaton once and walks the
// body's dictionaries with the one bleve built for the head's: bleve
// builds one per field dictionary, and building them was most of a
// misspelling's cost and most of what a search allocated.
func (v vocabulary) near(term string, d int) []nearTerm {
	found := map[string]nearTerm{}
	add := func(t string, distance uint8) {
		if t == term || distance == 0 || !v.known(t) {
			return
		}
		found[t] = nearTerm{term: t, distance: int(distance), count: uint64(v.terms[t])}
	}
	if snap, ok := v.r.(*scorch.IndexSnapshot); ok {
		dict, fa, err := snap.FieldDictFuzzyAutomaton(fHead, term, d, "")
		if err != nil {
			return nil
		}
		for e, err := dict.Next(); err == nil && e != nil; e, err = dict.Next() {
			add(e.Term, e.EditDistance)
		}
		dict.Close()
		a, ok := fa.(segapi.Automaton)
		if !ok || fa == nil {
			return nil
		}
		for _, ss := range snap.Segments() {
			td, err := ss.Segment().Dictionary(fBody)
			if err != nil || td == nil {
				continue
			}
			it := td.AutomatonIterator(a, nil, nil)
			for e, err := it.Next(); err == nil && e != nil; e, err = it.Next() {
				if _, ok := found[e.Term]; ok {
					continue
				}
				if match, distance := fa.MatchAndDistance(e.Term); match {
					add(e.Term, distance)
				}
			}
		}
	} else if fz, ok := v.r.(index.IndexReaderFuzzy); ok {
		for _, f := range []string{fHead, fBody} {
			dict, err := fz.FieldDictFuzzy(f, term, d, "")
			if err != nil {
				continue
			}
			for e, err := dict.Next(); err == nil && e != nil; e, err = dict.Next() {
				add(e.Term, e.EditDistance)
			}
			dict.Close()
		}
	}
	out := make([]nearTerm, 0, len(found))
	for _, t := range found {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b nearTerm) int {
		return cmp.Or(cmp.Compare(a.distance, b.distance), cmp.Compare(b.count, a.count), cmp.Compare(a.term, b.term))
	})
	return out[:min(len(out), maxNear)]
}

// completions returns the indexed terms that start with prefix, most
// frequent first.
func (v vocabulary) completions(prefix string) []string {
	counts := map[string]uint64{}
	for _, f := range []string{fHead, fBody} {
		dict, err := v.r.FieldDictPrefix(f, []byte(prefix))
		if err != nil {
			continue
		}
		for e, err := dict.Next(); err == nil && e != nil; e, err = dict.Next() {
			counts[e.Term] += e.Count
		}
		dict.Close()
	}
	out := make([]string, 0, len(counts))
	for t := range counts {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b)) })
	return out[:min(len(out), maxCompletions)]
}
