package knowledge

import (
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Kinds of the records the package keeps, and the prefix of an article's
// master number (KB0000042).
const (
	// Kind is an article: one language of one piece of knowledge.
	Kind = "knowledge.article"
	// KindVersion is one published version of an article, a record of its
	// own so that an article's record stays small however often it is
	// published.
	KindVersion = "knowledge.version"
	// KindStats counts an article's marks and uses, a record of its own so
	// that readers marking an article never make an editor's If-Match
	// stale.
	KindStats = "knowledge.stats"
	// KindMark is one reader's mark of one article.
	KindMark = "knowledge.mark"
	// KindUse is one incident an article resolved.
	KindUse = "knowledge.use"
	// KindGap is one search that found nothing, counted.
	KindGap = "knowledge.gap"
	// KindCursor keeps how far the known errors of the event log were
	// made into articles.
	KindCursor = "knowledge.cursor"

	PrefixArticle = "KB"
)

// ArticleKind is what sort of knowledge an article holds.
type ArticleKind string

// The kinds of articles.
const (
	// KindFAQ is a question and its answer.
	KindFAQ ArticleKind = "faq"
	// KindGuide is a quick guide, a "lathund": how to do one thing.
	KindGuide ArticleKind = "guide"
	// KindKnownError is a known error told to users, with what they can
	// do meanwhile. Articles made from problem's known errors have it; an
	// author may write one by hand too.
	KindKnownError ArticleKind = "known_error"
)

// Valid reports whether k is one of the ArticleKind constants.
func (k ArticleKind) Valid() bool {
	switch k {
	case KindFAQ, KindGuide, KindKnownError:
		return true
	}
	return false
}

// Language is the language an article is written in.
type Language string

// The languages of articles: Swedish, Norwegian Bokmål and Nynorsk, and
// English.
const (
	Swedish Language = "sv"
	Bokmal  Language = "nb"
	Nynorsk Language = "nn"
	English Language = "en"
)

// Valid reports whether l is one of the Language constants.
func (l Language) Valid() bool {
	switch l {
	case Swedish, Bokmal, Nynorsk, English:
		return true
	}
	return false
}

// Audience is who may read an article once it is published.
type Audience string

// The audiences.
const (
	// AudiencePublic: everyone with read access to knowledge.
	AudiencePublic Audience = "public"
	// AudienceUsers: the users of the customers the article names, or of
	// every customer working with its desk when it names none; and the
	// support chain.
	AudienceUsers Audience = "users"
	// AudienceChain: the support chain only: the desk and the suppliers
	// working with it. Never a customer, not even as a search snippet.
	AudienceChain Audience = "chain"
)

// Valid reports whether a is one of the Audience constants.
func (a Audience) Valid() bool {
	switch a {
	case AudiencePublic, AudienceUsers, AudienceChain:
		return true
	}
	return false
}

// State is where an article is in its lifecycle (KM-1).
type State string

// The states of an article. An article that has been published keeps its
// current version readable while a new draft of it is written and
// reviewed: State is the state of the working copy, Current the version
// readers see.
const (
	// StateDraft: being written; an edit of a published or retired
	// article starts a new draft.
	StateDraft State = "draft"
	// StateReview: submitted; the reviewer publishes it or sends it back
	// to draft.
	StateReview State = "review"
	// StatePublished: the working copy is the current version.
	StatePublished State = "published"
	// StateRetired: withdrawn; its versions stay readable to its
	// audience, shown as retired and ranked last in searches, so that a
	// link from an old incident still works. An edit starts a new draft,
	// which may be published again as a new version.
	StateRetired State = "retired"
)

// States lists the states in lifecycle order.
func States() []State { return []State{StateDraft, StateReview, StatePublished, StateRetired} }

// Valid reports whether s is one of the State constants.
func (s State) Valid() bool {
	switch s {
	case StateDraft, StateReview, StatePublished, StateRetired:
		return true
	}
	return false
}

// Content is what a version of an article says and to whom: everything
// an edit may change, and so everything a version keeps.
type Content struct {
	// Title is a label, required.
	Title string `json:"title"`
	// Body is Markdown, at most MaxBody bytes; rendered to safe HTML on
	// reading (Version.HTML).
	Body string `json:"body"`
	// Service and Category are labels, optional.
	Service  string `json:"service,omitempty"`
	Category string `json:"category,omitempty"`
	// Keywords are labels, each once, at most MaxKeywords; a search ranks
	// them as it ranks the title.
	Keywords []string `json:"keywords,omitempty"`
	// Audience is who reads the version; Customers names the customers of
	// AudienceUsers (none means every customer of the desk) and is empty
	// otherwise.
	Audience  Audience  `json:"audience"`
	Customers []itsm.ID `json:"customers,omitempty"`
}

// Article is one piece of knowledge in one language. It is built only by
// applying its events in order (Replay). Its published versions are
// records of their own (Version); its marks and uses are counted in Stats.
type Article struct {
	ID     itsm.ID     `json:"id"`
	Number itsm.Number `json:"number"`
	// Version is the store's version of the record (HTTP's ETag).
	Version int64 `json:"-"`

	// Family is the ID of the article its translations are kept with:
	// the first article's own ID. One article a language in a family.
	Family   itsm.ID     `json:"family"`
	Language Language    `json:"language"`
	Kind     ArticleKind `json:"kind"`

	// Desk is the desk whose delivery the article belongs to; its agents
	// review and publish it.
	Desk itsm.ID `json:"desk"`
	// Owner is the organisation that keeps the article current, and
	// OwnerPerson the person in it who is told when it is past review.
	Owner       itsm.ID `json:"owner"`
	OwnerPerson string  `json:"owner_person"`

	State State `json:"state"`
	// Draft is the working copy: what the next version will say. Only the
	// article's editors see it (the owner and the desk); to anyone else
	// it is the current version's content.
	Draft Content `json:"draft"`
	// Current is the number of the version readers see, from 1; zero
	// until the article is first published.
	Current int `json:"current"`
	// Published is the current version as readers see it, nil before the
	// first publication.
	Published *Version `json:"published,omitempty"`
	// ReviewBy is the date by which the owner confirms that the article
	// is still right (KM-1); zero until first published.
	ReviewBy time.Time `json:"review_by,omitzero"`
	// PastReview reports that ReviewBy has passed: computed when read,
	// never stored.
	PastReview bool `json:"past_review"`
	// SentBack is the reviewer's reason the last time the article was
	// sent back to draft.
	SentBack string `json:"sent_back,omitempty"`

	// KnownError is the known error of package problem the article is
	// made from, if any; such an article changes only through its known
	// error. KnownErrorSeq is the sequence number of the last event of
	// the known error applied, so that an event followed twice changes
	// the article once.
	KnownError    itsm.ID `json:"known_error,omitzero"`
	KnownErrorSeq int64   `json:"known_error_seq,omitempty"`

	// Stats are the article's marks and uses: read from their own record
	// when the article is read, never stored with it.
	Stats Stats `json:"stats"`

	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
}

// Live reports whether readers see a of a version: it has been published
// and is not retired.
func (a *Article) Live() bool { return a.Current > 0 && a.State != StateRetired }

// Version is one published version of an article: what it said, who
// approved it and what changed.
type Version struct {
	Article itsm.ID `json:"article"`
	// Number counts the article's publications, from 1.
	Number int `json:"number"`
	Content
	// HTML is Body rendered to safe HTML: filled when read, never stored.
	HTML string `json:"html,omitempty"`
	// ApprovedBy published it; Note says what changed.
	ApprovedBy itsm.Actor `json:"approved_by"`
	Note       string     `json:"note,omitempty"`
	Published  time.Time  `json:"published"`
}

// Stats counts how useful an article has been.
type Stats struct {
	// Helpful and Unhelpful count the readers' current marks: one a
	// reader, changeable.
	Helpful   int `json:"helpful"`
	Unhelpful int `json:"unhelpful"`
	// Uses counts the incidents the desk recorded the article resolved at
	// first contact.
	Uses int `json:"uses"`
	// LastUsed is when the last use was recorded.
	LastUsed time.Time `json:"last_used,omitzero"`
}

// Limits on what an article holds, so that a record stays well within the
// store's record size however long it lives.
const (
	// MaxBody is the longest body, in bytes.
	MaxBody = 64 << 10
	// MaxKeywords is the most keywords of an article.
	MaxKeywords = 30
	// MaxCustomers is the most customers an audience names.
	MaxCustomers = 50
	// MaxText is the longest note or reason, in bytes.
	MaxText = 4 << 10
	// DefaultReviewPeriod is how long after publishing or confirming an
	// article's review comes due when the command names no date.
	DefaultReviewPeriod = 365 * 24 * time.Hour
)
