package knowledge

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
)

// Query is one search of the knowledge base.
type Query struct {
	// Text is what the reader typed: any inflected form, compounds,
	// without diacritics, with typos; the last word may be a prefix.
	Text string
	// Language is the reader's language: its articles rank first. Empty
	// ranks none first.
	Language Language
	// Kind, Service and Category filter exactly, when set.
	Kind     ArticleKind
	Service  string
	Category string
	// Offset and Limit page the hits; Limit 0 means 10, at most MaxLimit.
	Offset, Limit int
}

// MaxLimit is the most hits one search returns.
const MaxLimit = 100

// Hit is one article found.
type Hit struct {
	ID       itsm.ID     `json:"id"`
	Number   itsm.Number `json:"number"`
	Family   itsm.ID     `json:"family"`
	Kind     ArticleKind `json:"kind"`
	Language Language    `json:"language"`
	Score    float64     `json:"score"`
	// Title and Snippet are HTML-escaped, the matched words in
	// <mark>...</mark>.
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
	// Retired and PastReview are the article's, when the index last saw
	// it.
	Retired    bool `json:"retired"`
	PastReview bool `json:"past_review"`
}

// Result is a page of hits, best first, and how many matched in all.
type Result struct {
	Total int   `json:"total"`
	Hits  []Hit `json:"hits"`
}

// Search finds the live and retired articles the actor may read, never
// one whose audience excludes it, not even as a snippet. A search whose
// first page finds nothing is counted in the gap list (Gaps), by its
// normalised text and language only: nothing of who searched is kept.
func (s *Service) Search(ctx context.Context, actor itsm.Actor, q Query) (Result, error) {
	return s.search(ctx, actor, q)
}
