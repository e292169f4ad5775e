package knowledge

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Usage is one article's line in a report of usefulness.
type Usage struct {
	Article  itsm.ID     `json:"article"`
	Number   itsm.Number `json:"number"`
	Title    string      `json:"title"`
	Language Language    `json:"language"`
	Owner    itsm.ID     `json:"owner"`
	Stats
}

// Gap is a search that found nothing, counted over every reader: the
// knowledge owners' list of what to write.
type Gap struct {
	// Query is the search's text normalised: lower case, words separated
	// by single spaces, at most MaxGapQuery bytes.
	Query    string    `json:"query"`
	Language Language  `json:"language"`
	Count    int       `json:"count"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// Limits of the gap list, so that searches that find nothing cost a
// bounded amount however many there are.
const (
	// MaxGapQuery is the longest normalised query kept, in bytes.
	MaxGapQuery = 100
	// MaxGaps is the most distinct gaps kept; once full, only those kept
	// are counted further.
	MaxGaps = 10000
)

// MostUsed reports the articles the actor may read that resolved the most
// incidents, then were marked helpful most, at most limit (0: 20; at most
// MaxLimit): organisations with report access to knowledge (SD-13).
func (s *Service) MostUsed(ctx context.Context, actor itsm.Actor, limit int) ([]Usage, error) {
	return s.mostUsed(ctx, actor, limit)
}

// LeastHelpful reports the articles the actor may read that readers
// marked unhelpful most, relative to their marks, at most limit: those
// with report access.
func (s *Service) LeastHelpful(ctx context.Context, actor itsm.Actor, limit int) ([]Usage, error) {
	return s.leastHelpful(ctx, actor, limit)
}

// PastReview reports the live articles the actor's organisation may edit
// that are past their review date, the longest overdue first, at most
// limit: those with report access (the owners' own list is List with
// Filter.PastReview).
func (s *Service) PastReview(ctx context.Context, actor itsm.Actor, limit int) ([]*Article, error) {
	return s.pastReview(ctx, actor, limit)
}

// Gaps reports the searches that found nothing, the most frequent first,
// at most limit: agents of organisations with report access (the gap list
// shows what every reader searched for).
func (s *Service) Gaps(ctx context.Context, actor itsm.Actor, limit int) ([]Gap, error) {
	return s.gaps(ctx, actor, limit)
}

// MayReport reports whether the actor's organisation has report access to
// knowledge.
func (s *Service) MayReport(actor itsm.Actor) bool {
	return s.cfg.Permissions.Allows(actor.Organisation, itsm.DomainKnowledge, itsm.AccessReport)
}
