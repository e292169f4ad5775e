package knowledge

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Draft is a new article as its author writes it.
type Draft struct {
	// Desk is the desk whose delivery the article is for: a desk's agent
	// leaves it empty (their own desk); a supplier's or customer's agent
	// names a desk it works with.
	Desk itsm.ID
	// Kind and Language are required.
	Kind     ArticleKind
	Language Language
	Content
	// OwnerPerson is who in the author's organisation keeps the article
	// current; empty means the author.
	OwnerPerson string
}

// Publishing is what the reviewer says when publishing.
type Publishing struct {
	// Note says what changed; required from the second version on.
	Note string
	// ReviewBy is when the article's review comes due; zero means the
	// Config's ReviewPeriod from now. It must be in the future.
	ReviewBy time.Time
}

// Create writes a new article as a draft, owned by the author's
// organisation: an agent of an organisation with read and write access to
// knowledge (KM-2); the desk writes for itself, a supplier or customer for
// a desk it works with. A customer writes for its own users or everyone,
// never for the chain only, and names no other customer.
func (s *Service) Create(ctx context.Context, actor itsm.Actor, d Draft) (*Article, error) {
	return s.create(ctx, actor, d)
}

// Translate writes a new draft in language lang of the article of's
// family, kept with it; one article a language in a family. Whoever may
// create articles for the desk may translate them.
func (s *Service) Translate(ctx context.Context, actor itsm.Actor, of itsm.ID, lang Language, c Content) (*Article, error) {
	return s.translate(ctx, actor, of, lang, c)
}

// Edit replaces the working copy of an article: an agent of its owner or
// its desk. A draft stays a draft; a published or retired article becomes
// a new draft while readers keep seeing its current version; an article
// in review is refused (the reviewer sends it back first).
func (s *Service) Edit(ctx context.Context, actor itsm.Actor, id itsm.ID, c Content) (*Article, error) {
	return s.edit(ctx, actor, id, c)
}

// Submit sends a draft to review: an agent of its owner or its desk.
func (s *Service) Submit(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Article, error) {
	return s.submit(ctx, actor, id)
}

// SendBack returns an article in review to draft with the reviewer's
// reason: an agent of its desk, or of its owner (withdrawing it).
func (s *Service) SendBack(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Article, error) {
	return s.sendBack(ctx, actor, id, reason)
}

// Publish approves an article in review as its next version, which
// readers see from now on; every earlier version stays readable
// (Versions). The desk's agents publish, since the desk alone speaks to
// users (SD-4); a supplier publishes its own articles for the chain only.
func (s *Service) Publish(ctx context.Context, actor itsm.Actor, id itsm.ID, p Publishing) (*Article, error) {
	return s.publish(ctx, actor, id, p)
}

// Retire withdraws an article with a reason: an agent of its owner or its
// desk. A retired article that was published stays readable, shown as
// retired; one never published is no longer listed to anyone but its
// editors. An edit starts it again as a draft.
func (s *Service) Retire(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Article, error) {
	return s.retire(ctx, actor, id, reason)
}

// ConfirmReview records that the owner checked a published article and it
// is still right, moving its review date to next (zero: the Config's
// ReviewPeriod from now; KM-1): an agent of its owner or its desk.
func (s *Service) ConfirmReview(ctx context.Context, actor itsm.Actor, id itsm.ID, next time.Time) (*Article, error) {
	return s.confirmReview(ctx, actor, id, next)
}

// HandOver makes person of the article's owner organisation the one who
// keeps it current: an agent of its owner or its desk.
func (s *Service) HandOver(ctx context.Context, actor itsm.Actor, id itsm.ID, person string) (*Article, error) {
	return s.handOver(ctx, actor, id, person)
}

// Mark records whether a reader found an article helpful: one mark a
// reader an article, which a later Mark changes. Anyone who reads the
// article may mark it; what is stored of the reader is a digest, not the
// person.
func (s *Service) Mark(ctx context.Context, actor itsm.Actor, id itsm.ID, helpful bool) (Stats, error) {
	return s.mark(ctx, actor, id, helpful)
}

// RecordUse records that an article resolved an incident at first contact:
// an agent of the desk or a supplier who reads both. Each incident counts
// once an article; recording it again is a conflict.
func (s *Service) RecordUse(ctx context.Context, actor itsm.Actor, id, incident itsm.ID) (Stats, error) {
	return s.recordUse(ctx, actor, id, incident)
}
