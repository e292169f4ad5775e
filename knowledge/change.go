package knowledge

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/spoc-itsm/spoc/itsm"
)

// change is the work of one command in its write transaction: the
// records it changed and their events, as an itsm.Batch.
type change struct {
	*itsm.Batch[record]
}

// record is a record as change saves it.
type record interface {
	record() (itsm.Record, error)
}

// article applies payloads to a and records their events.
func (c change) article(a *Article, ps ...Payload) error {
	c.Touch(a, a.ID, &a.Version)
	return itsm.Apply(c.Batch, articleCodec, a.ID, a, Payload.apply, ps...)
}

// stats applies payloads to an article's stats and records their events.
func (c change) stats(st *statsRecord, ps ...StatsPayload) error {
	c.Touch(st, st.ID, &st.version)
	return itsm.Apply(c.Batch, statsCodec, st.ID, &st.Stats, StatsPayload.apply, ps...)
}

// write runs fn in a write transaction and saves what it changed. A
// refusal by fn is returned at once; a conflict from the store runs fn
// again on fresh records. A write that commits nudges the index.
func (s *Service) write(ctx context.Context, fn func(c change) error) error {
	now := func() time.Time { return s.clock.Now().UTC() }
	err := itsm.WriteBatch(ctx, s.cfg.Store, now, func(r record, _ time.Time) (itsm.Record, error) { return r.record() },
		func(b *itsm.Batch[record]) error { return fn(change{b}) })
	if err == nil {
		s.nudge()
	}
	return err
}

// Index names of article records.
const (
	IndexNumber = "number" // unique: the master number
	// IndexFamilyLanguage is unique: "family language", one article a
	// language in a family.
	IndexFamilyLanguage = "family_language"
	// IndexKnownError is unique: the known error an article is made from.
	IndexKnownError = "known_error"
	IndexFamily     = "family" // the family
	IndexDesk       = "desk"   // the desk
	IndexOwner      = "owner"  // the owner organisation
	IndexState      = "state"  // the state
	// IndexReview holds the review date of a live article, so that what
	// is past review is a range read.
	IndexReview = "review"
	// IndexCount sorts the gap list by count.
	IndexCount = "count"
)

func (a *Article) record() (itsm.Record, error) {
	c := *a
	c.Stats, c.PastReview = Stats{}, false
	body, err := json.Marshal(&c)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode article %s", a.Number)
	}
	unique := map[string]string{IndexNumber: a.Number.String(), IndexFamilyLanguage: a.Family.String() + " " + string(a.Language)}
	if !a.KnownError.IsZero() {
		unique[IndexKnownError] = a.KnownError.String()
	}
	idx := map[string][]string{
		IndexFamily: {a.Family.String()}, IndexDesk: {a.Desk.String()},
		IndexOwner: {a.Owner.String()}, IndexState: {string(a.State)},
	}
	if a.Live() {
		idx[IndexReview] = []string{itsm.IndexTime(a.ReviewBy)}
	}
	return itsm.Record{Kind: Kind, ID: a.ID, Body: body, Unique: unique, Index: idx}, nil
}

// versionRecord is one published version, stored under an ID derived from
// the article's and the number, so that reading version n is one Get.
type versionRecord struct{ *Version }

func versionID(article itsm.ID, n int) itsm.ID {
	return derive("version", article.String(), itoa(n))
}

func (v versionRecord) record() (itsm.Record, error) {
	c := *v.Version
	c.HTML = ""
	body, err := json.Marshal(&c)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode version %d of %s", v.Number, v.Article)
	}
	return itsm.Record{Kind: KindVersion, ID: versionID(v.Article, v.Number), Body: body}, nil
}

// statsRecord is an article's usefulness, under the article's ID.
type statsRecord struct {
	ID      itsm.ID `json:"id"`
	version int64
	Stats
}

func (st *statsRecord) record() (itsm.Record, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode stats of %s", st.ID)
	}
	return itsm.Record{Kind: KindStats, ID: st.ID, Body: body}, nil
}

// markRecord is one reader's mark, under an ID derived from the article
// and the reader's digest.
type markRecord struct {
	ID      itsm.ID `json:"id"`
	version int64
	Article itsm.ID `json:"article"`
	Mark    Mark    `json:"mark"`
}

func (m *markRecord) record() (itsm.Record, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode mark %s", m.ID)
	}
	return itsm.Record{Kind: KindMark, ID: m.ID, Body: body}, nil
}

// useRecord is one incident an article resolved, under an ID derived from
// both.
type useRecord struct {
	ID       itsm.ID   `json:"id"`
	Article  itsm.ID   `json:"article"`
	Incident itsm.ID   `json:"incident"`
	At       time.Time `json:"at"`
}

func (u *useRecord) record() (itsm.Record, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode use %s", u.ID)
	}
	return itsm.Record{Kind: KindUse, ID: u.ID, Body: body}, nil
}

// gapRecord is one search that found nothing, counted.
type gapRecord struct {
	ID      itsm.ID `json:"id"`
	version int64
	Gap
}

func gapID(query string, lang Language) itsm.ID { return derive("gap", string(lang), query) }

func (g *gapRecord) record() (itsm.Record, error) {
	body, err := json.Marshal(g)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode gap %s", g.ID)
	}
	return itsm.Record{Kind: KindGap, ID: g.ID, Body: body,
		Index: map[string][]string{IndexCount: {itsm.IndexInt(int64(g.Count))}}}, nil
}

// cursorRecord keeps a position in the log or a count, under a fixed ID.
type cursorRecord struct {
	ID      itsm.ID `json:"id"`
	version int64
	Seq     int64 `json:"seq"`
}

var (
	knownErrorCursor = derive("cursor", "known_error")
	gapCounter       = derive("cursor", "gaps")
)

func (c *cursorRecord) record() (itsm.Record, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode cursor %s", c.ID)
	}
	return itsm.Record{Kind: KindCursor, ID: c.ID, Body: body}, nil
}

// namespace derives the IDs of records keyed by what they are about.
var namespace = uuid.MustParse("4b1d3a52-8f0c-4e55-9a43-6c2d6f0e7a11")

// derive returns the ID named by parts, the same every time.
func derive(parts ...string) itsm.ID {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(append(b, p...), 0)
	}
	return itsm.ID(uuid.NewSHA1(namespace, b))
}

func itoa(n int) string { return strconv.Itoa(n) }

func notFound(what string, id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "%s %s not found", what, id)
}

// loadArticle reads an article, without its stats.
func loadArticle(tx itsm.ReadTx, id itsm.ID) (*Article, error) {
	a, v, err := itsm.LoadRecord[Article](tx, Kind, id, "article")
	if err == nil {
		a.Version = v
	}
	return a, err
}

// loadStats reads an article's stats; none yet is zero stats.
func loadStats(tx itsm.ReadTx, id itsm.ID) (*statsRecord, error) {
	st, v, err := itsm.LoadRecord[statsRecord](tx, KindStats, id, "stats")
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return &statsRecord{ID: id}, nil
	}
	if err == nil {
		st.version = v
	}
	return st, err
}

// loadVersion reads version n of an article.
func loadVersion(tx itsm.ReadTx, article itsm.ID, n int) (*Version, error) {
	v, _, err := itsm.LoadRecord[Version](tx, KindVersion, versionID(article, n), "version")
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, itsm.Errorf(itsm.CodeNotFound, "version %d of article %s not found", n, article)
	}
	return v, err
}

// loadCursor reads a cursor; none yet is zero.
func loadCursor(tx itsm.ReadTx, id itsm.ID) (*cursorRecord, error) {
	c, v, err := itsm.LoadRecord[cursorRecord](tx, KindCursor, id, "cursor")
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return &cursorRecord{ID: id}, nil
	}
	if err == nil {
		c.version = v
	}
	return c, err
}
