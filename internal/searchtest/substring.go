package searchtest

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/knowledge/search"
)

// Substring is the "substring" baseline: a document matches a query word
// when the word occurs anywhere in its text, ignoring case (so "skrivar"
// finds "nätverksskrivaren", but "losenord" never finds "lösenord").
// Documents are ranked by the number of the query's words they contain,
// a word in the title or keywords counting titleBoost+1 times; ties go to
// the lower ID. Words of one letter are ignored, as they occur in every
// text. What a LIKE '%word%' over a table gives.
type Substring struct {
	mu   sync.RWMutex
	docs map[string]substringDoc
}

type substringDoc struct {
	head, body string // lower case: title and keywords, and body
	visible    []string
}

// NewSubstring returns an empty Substring baseline.
func NewSubstring() *Substring { return &Substring{docs: map[string]substringDoc{}} }

// Put adds or replaces documents.
func (s *Substring) Put(docs ...search.Document) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range docs {
		s.docs[d.ID] = substringDoc{
			head:    strings.ToLower(d.Title + "\n" + strings.Join(d.Keywords, "\n")),
			body:    strings.ToLower(d.Body),
			visible: slices.Clone(d.Visible),
		}
	}
	return nil
}

// Search returns one page of the documents that contain a word of q.
func (s *Substring) Search(_ context.Context, q search.Query) (search.Result, error) {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q.Text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if utf8.RuneCountInString(w) > 1 && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	type scored struct {
		id    string
		score int
	}
	var found []scored
	s.mu.RLock()
	for id, d := range s.docs {
		if !slices.ContainsFunc(d.visible, func(t string) bool { return slices.Contains(q.Viewer, t) }) {
			continue
		}
		score := 0
		for _, w := range words {
			switch {
			case strings.Contains(d.head, w):
				score += titleBoost + 1
			case strings.Contains(d.body, w):
				score++
			}
		}
		if score > 0 {
			found = append(found, scored{id, score})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(found, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id))
	})
	out := search.Result{Total: len(found)}
	for _, f := range found[min(q.Offset, len(found)):min(q.Offset+pageSize(q), len(found))] {
		out.Hits = append(out.Hits, search.Hit{ID: f.id, Score: float64(f.score)})
	}
	return out, nil
}
