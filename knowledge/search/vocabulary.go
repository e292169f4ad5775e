package search

import (
	"cmp"
	"slices"

	index "github.com/blevesearch/bleve_index_api"
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
// then most frequent first, from the dictionaries of both text fields.
func (v vocabulary) near(term string, d int) []nearTerm {
	fz, ok := v.r.(index.IndexReaderFuzzy)
	if !ok {
		return nil
	}
	found := map[string]nearTerm{}
	for _, f := range []string{fHead, fBody} {
		dict, err := fz.FieldDictFuzzy(f, term, d, "")
		if err != nil {
			continue
		}
		for e, err := dict.Next(); err == nil && e != nil; e, err = dict.Next() {
			if e.Term == term || e.EditDistance == 0 {
				continue
			}
			t := found[e.Term]
			t.term, t.distance, t.count = e.Term, int(e.EditDistance), t.count+e.Count
			found[e.Term] = t
		}
		dict.Close()
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
