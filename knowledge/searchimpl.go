package knowledge

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge/search"
)

func (s *Service) search(ctx context.Context, actor itsm.Actor, q Query) (Result, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Result{}, err
	}
	switch {
	case q.Language != "" && !q.Language.Valid():
		return Result{}, itsm.Errorf(itsm.CodeInvalid, "language %q is not sv, nb, nn or en", q.Language)
	case q.Kind != "" && !q.Kind.Valid():
		return Result{}, itsm.Errorf(itsm.CodeInvalid, "kind %q is not faq, guide or known_error", q.Kind)
	case q.Limit < 0 || q.Limit > MaxLimit:
		return Result{}, itsm.Errorf(itsm.CodeInvalid, "limit %d is outside 0 to %d", q.Limit, MaxLimit)
	case q.Offset < 0:
		return Result{}, itsm.Errorf(itsm.CodeInvalid, "offset %d is negative", q.Offset)
	}
	if err := itsm.CheckLabel("search text", q.Text); err != nil {
		return Result{}, err
	}
	s.mu.Lock()
	closed := s.closed
	desks := make([]itsm.ID, 0, len(s.desks))
	for d := range s.desks {
		desks = append(desks, d)
	}
	s.mu.Unlock()
	if closed {
		return Result{}, itsm.Errorf(itsm.CodeInvalid, "knowledge: the service is closed")
	}
	r, err := s.ix.Search(ctx, search.Query{Text: q.Text, Language: string(q.Language), Viewer: s.viewer(org, desks),
		Kind: string(q.Kind), Service: q.Service, Category: q.Category, Offset: q.Offset, Limit: q.Limit})
	if err != nil {
		return Result{}, err
	}
	out := Result{Total: r.Total, Hits: make([]Hit, 0, len(r.Hits))}
	now := s.clock.Now()
	s.mu.Lock()
	for _, h := range r.Hits {
		id, err := itsm.ParseID(h.ID)
		if err != nil {
			continue
		}
		m := s.meta[id]
		out.Hits = append(out.Hits, Hit{ID: id, Number: m.number, Family: m.family, Kind: m.kind, Language: Language(h.Language),
			Score: h.Score, Title: h.Title, Snippet: h.Snippet, Retired: m.retired, PastReview: !m.retired && now.After(m.reviewBy)})
	}
	s.mu.Unlock()
	if r.Total == 0 && q.Offset == 0 {
		s.gap(q.Text, q.Language, now)
	}
	return out, nil
}

// gapKey is a gap as it is counted.
type gapKey struct {
	query string
	lang  Language
}

// pendingGap is what searches added to a gap since the last flush.
type pendingGap struct {
	count       int
	first, last time.Time
}

// maxPending bounds the gaps counted in memory between flushes.
const maxPending = 1000

// normalise is a search's text as the gap list keeps it: lower case,
// words of letters and digits separated by single spaces, at most
// MaxGapQuery bytes of whole characters.
func normalise(text string) string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	q := strings.Join(f, " ")
	for len(q) > MaxGapQuery {
		_, n := utf8.DecodeLastRuneInString(q)
		q = q[:len(q)-n]
	}
	return strings.TrimSpace(q)
}

// gap counts a search that found nothing, in memory until the follower
// flushes it: a search does not wait for a write.
func (s *Service) gap(text string, lang Language, at time.Time) {
	q := normalise(text)
	if q == "" {
		return
	}
	k := gapKey{q, lang}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[k]
	if !ok {
		if len(s.pending) >= maxPending {
			return
		}
		p = &pendingGap{first: at}
		s.pending[k] = p
	}
	p.count++
	p.last = at
}

// flushGaps writes the counted gaps, one transaction for all. New gaps
// beyond MaxGaps are dropped; those kept count on.
func (s *Service) flushGaps(ctx context.Context) error {
	s.mu.Lock()
	pending := s.pending
	s.pending = map[gapKey]*pendingGap{}
	s.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	keys := make([]gapKey, 0, len(pending))
	for k := range pending {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b gapKey) int { return strings.Compare(a.query+" "+string(a.lang), b.query+" "+string(b.lang)) })
	return itsm.WriteBatch(ctx, s.cfg.Store, s.now, func(r record, _ time.Time) (itsm.Record, error) { return r.record() },
		func(b *itsm.Batch[record]) error {
			counter, err := loadCursor(b.Tx(), gapCounter)
			if err != nil {
				return err
			}
			added := false
			for _, k := range keys {
				p := pending[k]
				id := gapID(k.query, k.lang)
				g, v, err := itsm.LoadRecord[gapRecord](b.Tx(), KindGap, id, "gap")
				switch {
				case itsm.IsCode(err, itsm.CodeNotFound):
					if counter.Seq >= MaxGaps {
						continue
					}
					counter.Seq++
					added = true
					g = &gapRecord{ID: id, Gap: Gap{Query: k.query, Language: k.lang, First: p.first.UTC()}}
				case err != nil:
					return err
				default:
					g.version = v
				}
				g.Count += p.count
				if p.last.After(g.Last) {
					g.Last = p.last.UTC()
				}
				b.Touch(g, g.ID, &g.version)
			}
			if added {
				b.Touch(counter, counter.ID, &counter.version)
			}
			return nil
		})
}
