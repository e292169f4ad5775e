package knowledge

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Payload is the data of one article event: what happened and who did
// it. Every change to an article is one Payload applied to it, so the
// article can be rebuilt from its events (Replay).
type Payload interface {
	Type() string
	Actor() itsm.Actor
	apply(a *Article, at time.Time)
}

// StatsPayload is the data of one event of an article's usefulness
// (ReplayStats): a reader's mark or a recorded use.
type StatsPayload interface {
	Type() string
	Actor() itsm.Actor
	apply(s *Stats, at time.Time)
}

// By is the actor of an event, embedded in every article payload.
type By = itsm.By

// Created: an author wrote a new article as a draft, or the knowledge
// base made one from a published known error (KnownError set).
type Created struct {
	By
	Number      itsm.Number `json:"number"`
	Family      itsm.ID     `json:"family"`
	Language    Language    `json:"language"`
	Kind        ArticleKind `json:"kind"`
	Desk        itsm.ID     `json:"desk"`
	Owner       itsm.ID     `json:"owner"`
	OwnerPerson string      `json:"owner_person"`
	KnownError  itsm.ID     `json:"known_error,omitzero"`
	Content
}

// Edited: the working copy is now this; a published or retired article
// became a draft of its next version.
type Edited struct {
	By
	Content
}

// Submitted: the draft was sent to review.
type Submitted struct{ By }

// SentBack: the reviewer, or the owner withdrawing it, returned the
// article in review to draft.
type SentBack struct {
	By
	Reason string `json:"reason"`
}

// Published: the working copy became version Version, approved by the
// actor, which readers see from now on.
type Published struct {
	By
	Version  int       `json:"version"`
	Note     string    `json:"note,omitempty"`
	ReviewBy time.Time `json:"review_by"`
}

// Retired: the article was withdrawn.
type Retired struct {
	By
	Reason string `json:"reason"`
}

// ReviewConfirmed: the owner checked the article and it is still right;
// its next review is due at ReviewBy (KM-1).
type ReviewConfirmed struct {
	By
	ReviewBy time.Time `json:"review_by"`
}

// HandedOver: Person of the owner organisation keeps the article current
// from now on.
type HandedOver struct {
	By
	Person string `json:"person"`
}

// KnownErrorFollowed: the article now says what its known error said at
// the event Seq of the log; an event at or before it is not applied again.
type KnownErrorFollowed struct {
	By
	Seq int64 `json:"seq"`
}

// Marked: a reader marked the article helpful or not. Reader is a digest
// of the organisation and person, so that one reader has one mark without
// the log naming them; Was is the reader's mark before, if any.
type Marked struct {
	Organisation itsm.ID `json:"organisation"`
	Reader       string  `json:"reader"`
	Helpful      bool    `json:"helpful"`
	Was          Mark    `json:"was,omitempty"`
}

// Mark is a reader's judgment of an article.
type Mark string

// The marks.
const (
	MarkHelpful   Mark = "helpful"
	MarkUnhelpful Mark = "unhelpful"
)

func markOf(helpful bool) Mark {
	if helpful {
		return MarkHelpful
	}
	return MarkUnhelpful
}

// Used: the desk recorded that the article resolved the incident at first
// contact.
type Used struct {
	By
	Incident       itsm.ID     `json:"incident"`
	IncidentNumber itsm.Number `json:"incident_number"`
}

// Type returns "knowledge.created".
func (Created) Type() string { return "knowledge.created" }

// Type returns "knowledge.edited".
func (Edited) Type() string { return "knowledge.edited" }

// Type returns "knowledge.submitted".
func (Submitted) Type() string { return "knowledge.submitted" }

// Type returns "knowledge.sent_back".
func (SentBack) Type() string { return "knowledge.sent_back" }

// Type returns "knowledge.published".
func (Published) Type() string { return "knowledge.published" }

// Type returns "knowledge.retired".
func (Retired) Type() string { return "knowledge.retired" }

// Type returns "knowledge.review_confirmed".
func (ReviewConfirmed) Type() string { return "knowledge.review_confirmed" }

// Type returns "knowledge.handed_over".
func (HandedOver) Type() string { return "knowledge.handed_over" }

// Type returns "knowledge.known_error_followed".
func (KnownErrorFollowed) Type() string { return "knowledge.known_error_followed" }

// Type returns "knowledge.marked".
func (Marked) Type() string { return "knowledge.marked" }

// Type returns "knowledge.used".
func (Used) Type() string { return "knowledge.used" }

// Actor returns the organisation of the reader who marked, without the
// person.
func (e Marked) Actor() itsm.Actor { return itsm.Actor{Organisation: e.Organisation} }

// clone returns a copy of c that shares no slice with it.
func (c Content) clone() Content {
	c.Keywords, c.Customers = slices.Clone(c.Keywords), slices.Clone(c.Customers)
	return c
}

func (e Created) apply(a *Article, at time.Time) {
	a.Number, a.Family, a.Language, a.Kind = e.Number, e.Family, e.Language, e.Kind
	a.Desk, a.Owner, a.OwnerPerson, a.KnownError = e.Desk, e.Owner, e.OwnerPerson, e.KnownError
	a.State, a.Draft = StateDraft, e.Content.clone()
	a.Created, a.Changed = at, at
}

func (e Edited) apply(a *Article, at time.Time) {
	a.State, a.Draft, a.Changed = StateDraft, e.Content.clone(), at
}

func (Submitted) apply(a *Article, at time.Time) {
	a.State, a.SentBack, a.Changed = StateReview, "", at
}

func (e SentBack) apply(a *Article, at time.Time) {
	a.State, a.SentBack, a.Changed = StateDraft, e.Reason, at
}

func (e Published) apply(a *Article, at time.Time) {
	a.State, a.Current, a.ReviewBy, a.Changed = StatePublished, e.Version, e.ReviewBy, at
	a.Published = &Version{Article: a.ID, Number: e.Version, Content: a.Draft.clone(), ApprovedBy: e.By.By, Note: e.Note, Published: at}
}

func (e Retired) apply(a *Article, at time.Time) {
	a.State, a.Changed = StateRetired, at
}

func (e ReviewConfirmed) apply(a *Article, at time.Time) { a.ReviewBy, a.Changed = e.ReviewBy, at }
func (e HandedOver) apply(a *Article, at time.Time)      { a.OwnerPerson, a.Changed = e.Person, at }
func (e KnownErrorFollowed) apply(a *Article, at time.Time) {
	a.KnownErrorSeq, a.Changed = e.Seq, at
}

func (e Marked) apply(s *Stats, _ time.Time) {
	switch e.Was {
	case MarkHelpful:
		s.Helpful--
	case MarkUnhelpful:
		s.Unhelpful--
	}
	if e.Helpful {
		s.Helpful++
	} else {
		s.Unhelpful++
	}
}

func (e Used) apply(s *Stats, at time.Time) { s.Uses, s.LastUsed = s.Uses+1, at }

// The codecs of the package's events.
var (
	articleCodec = itsm.NewCodec[Payload](Kind, "an article",
		Created{}, Edited{}, Submitted{}, SentBack{}, Published{}, Retired{}, ReviewConfirmed{},
		HandedOver{}, KnownErrorFollowed{})
	statsCodec = itsm.NewCodec[StatsPayload](KindStats, "an article's usefulness", Marked{}, Used{})
)

// Payloads returns one of each article payload type, for schemas and
// documentation.
func Payloads() []Payload { return articleCodec.Payloads() }

// StatsPayloads returns one of each usefulness payload type.
func StatsPayloads() []StatsPayload { return statsCodec.Payloads() }

// Decode returns the payload of an article event.
func Decode(e itsm.Event) (Payload, error) { return articleCodec.Decode(e) }

// DecodeStats returns the payload of a usefulness event.
func DecodeStats(e itsm.Event) (StatsPayload, error) { return statsCodec.Decode(e) }

// Replay rebuilds an article from its events, in log order: everything
// but Version (the store's), PastReview (the clock's) and Stats (their own
// events'). The first must be knowledge.created, and only the first.
func Replay(events []itsm.Event) (*Article, error) {
	a := new(Article)
	return itsm.Replay(articleCodec, events, Created{}.Type(), a, &a.ID, inUTC(Payload.apply))
}

// ReplayStats rebuilds an article's usefulness from its events (an
// article's first mark or use starts them, so any may come first).
func ReplayStats(events []itsm.Event) (Stats, error) {
	var s Stats
	for _, e := range events {
		p, err := statsCodec.Decode(e)
		if err != nil {
			return Stats{}, err
		}
		p.apply(&s, e.Time.UTC())
	}
	return s, nil
}

// inUTC applies payloads at the instant in UTC, as commands do.
func inUTC[P, T any](apply func(P, T, time.Time)) func(P, T, time.Time) {
	return func(p P, v T, at time.Time) { apply(p, v, at.UTC()) }
}
