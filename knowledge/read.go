package knowledge

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
)

// Get returns an article as the actor may see it: its editors (agents of
// its owner and of its desk) see every state and the working copy; anyone
// else with read access sees it once published, if its audience includes
// them, with Draft the current version's content. To anyone else it is
// not found.
func (s *Service) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Article, error) {
	return s.get(ctx, actor, id)
}

// GetByNumber returns an article by its master number, as Get does.
func (s *Service) GetByNumber(ctx context.Context, actor itsm.Actor, n itsm.Number) (*Article, error) {
	return s.getByNumber(ctx, actor, n)
}

// Filter selects articles for List. Every field is optional.
type Filter struct {
	State    State
	Kind     ArticleKind
	Language Language
	// Owner lists the articles an organisation owns.
	Owner itsm.ID
	// PastReview lists only live articles past their review date, oldest
	// review date first: the owner's list of what to check (KM-1).
	PastReview bool
	Limit      int
	After      itsm.Cursor
}

// Page is one page of articles. A filtered page may hold fewer than the
// limit and still have a Next.
type Page struct {
	Articles []*Article
	Next     itsm.Cursor
}

// List returns the articles the actor may see, as Get shows them, a page
// at a time in the order of their numbers (PastReview: of review dates).
func (s *Service) List(ctx context.Context, actor itsm.Actor, f Filter) (Page, error) {
	return s.list(ctx, actor, f)
}

// Translations returns the articles of id's family the actor may see,
// id's included, in the order of their languages.
func (s *Service) Translations(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]*Article, error) {
	return s.translations(ctx, actor, id)
}

// Versions returns every published version of an article the actor may
// read, the first first, each with its HTML.
func (s *Service) Versions(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]*Version, error) {
	return s.versions(ctx, actor, id)
}

// Version returns version n of an article the actor may read.
func (s *Service) Version(ctx context.Context, actor itsm.Actor, id itsm.ID, n int) (*Version, error) {
	return s.version(ctx, actor, id, n)
}

// Events returns an article's history: its editors only.
func (s *Service) Events(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]itsm.Event, error) {
	return s.events(ctx, actor, id)
}
