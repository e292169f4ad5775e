package knowledge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/follow"
	"github.com/spoc-itsm/spoc/knowledge/markdown"
	"github.com/spoc-itsm/spoc/knowledge/search"
	"github.com/spoc-itsm/spoc/problem"
)

// shared is what a Service and the copies IfVersion makes share: the
// search index, a projection of the event log, and its follower.
type shared struct {
	ix       *search.Index
	follower *follow.Follower

	// kePos is how far known errors were followed since the stored
	// cursor; only the follower's catch-ups, one at a time, use it.
	kePos int64

	mu      sync.Mutex // guards what follows
	meta    map[itsm.ID]docMeta
	desks   map[itsm.ID]int // desks of indexed articles, counted
	closed  bool
	pending map[gapKey]*pendingGap // gaps not yet written
}

// docMeta is what a hit shows of an indexed article beyond the index's
// own fields.
type docMeta struct {
	number   itsm.Number
	family   itsm.ID
	kind     ArticleKind
	desk     itsm.ID
	reviewBy time.Time
	retired  bool
}

// start rebuilds the index from the records and starts following the
// log: at each catch-up, the published known errors become articles and
// the gap list's counts are written before the events are indexed.
func start(ctx context.Context, s *Service) (*shared, error) {
	ix, err := search.New()
	if err != nil {
		return nil, err
	}
	sh := &shared{ix: ix, meta: map[itsm.ID]docMeta{}, desks: map[itsm.ID]int{}, pending: map[gapKey]*pendingGap{}}
	s.shared = sh
	f, err := follow.Start(ctx, follow.Config{Store: s.cfg.Store, Poll: s.cfg.Poll, Build: s.rebuild, Apply: s.followIndex,
		Before: func(ctx context.Context) error { return errors.Join(s.followKnownErrors(ctx), s.flushGaps(ctx)) }})
	if err != nil {
		ix.Close()
		return nil, err
	}
	sh.follower = f
	return sh, nil
}

// rebuild fills the index from the article records in tx.
func (s *Service) rebuild(ctx context.Context, tx itsm.ReadTx) error {
	stats := map[itsm.ID]Stats{}
	err := itsm.Scan(ctx, tx, itsm.Query{Kind: KindStats, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
		st, err := itsm.DecodeRecord[statsRecord](h.Record, "stats")
		if err == nil {
			stats[st.ID] = st.Stats
		}
		return err
	})
	if err != nil {
		return err
	}
	var batch []search.Document
	flush := func() error {
		err := s.ix.Put(batch...)
		batch = batch[:0]
		return err
	}
	err = itsm.Scan(ctx, tx, itsm.Query{Kind: Kind, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
		a, err := itsm.DecodeRecord[Article](h.Record, "article")
		if err != nil {
			return err
		}
		if d, ok := s.document(a, stats[a.ID]); ok {
			batch = append(batch, d)
		}
		// Each batch is a segment of the index, which compacts itself
		// past 16 (decision 147): batches this size rebuild 30,000
		// articles without setting off a compaction at start, and keep
		// a batch's documents a few megabytes.
		if len(batch) >= rebuildBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// document is what the index holds of a: its current version, if it has
// one, and who may find it. It also records a's meta and desk.
func (s *Service) document(a *Article, st Stats) (search.Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.meta[a.ID]; ok {
		delete(s.meta, a.ID)
		if s.desks[old.desk]--; s.desks[old.desk] <= 0 {
			delete(s.desks, old.desk)
		}
	}
	if a.Published == nil {
		return search.Document{}, false
	}
	v := a.Published
	s.meta[a.ID] = docMeta{number: a.Number, family: a.Family, kind: a.Kind, desk: a.Desk, reviewBy: a.ReviewBy, retired: a.State == StateRetired}
	s.desks[a.Desk]++
	return search.Document{ID: a.ID.String(), Language: string(a.Language), Title: v.Title, Keywords: v.Keywords,
		Body: markdown.Text(v.Body), Kind: string(a.Kind), Service: v.Service, Category: v.Category,
		Visible: visible(a.Desk, &v.Content), Retired: a.State == StateRetired, Helpful: st.Helpful, Unhelpful: st.Unhelpful}, true
}

// nudge asks the follower to catch up now.
func (s *Service) nudge() { s.follower.Nudge() }

// followIndex applies a page of events: each article an event is about
// is read again and put in the index whole, so applying an event twice
// does no harm.
func (s *Service) followIndex(_ context.Context, tx itsm.ReadTx, es []itsm.Event) error {
	var ids []itsm.ID
	seen := map[itsm.ID]bool{}
	for _, e := range es {
		if (e.Kind == Kind || e.Kind == KindStats) && !seen[e.Subject] {
			seen[e.Subject] = true
			ids = append(ids, e.Subject)
		}
	}
	return s.reindex(tx, ids)
}

// reindex puts the articles ids as their records stand in tx.
func (s *Service) reindex(tx itsm.ReadTx, ids []itsm.ID) error {
	var put []search.Document
	var del []string
	for _, id := range ids {
		a, err := loadArticle(tx, id)
		if err != nil {
			return err
		}
		st, err := loadStats(tx, id)
		if err != nil {
			return err
		}
		if d, ok := s.document(a, st.Stats); ok {
			put = append(put, d)
		} else {
			del = append(del, id.String())
		}
	}
	if err := s.ix.Delete(del...); err != nil {
		return err
	}
	return s.ix.Put(put...)
}

func (s *Service) status() IndexStatus {
	f := s.follower.Status()
	s.mu.Lock()
	defer s.mu.Unlock()
	return IndexStatus{Position: f.Position, Behind: f.Behind, Documents: len(s.meta), Rebuilt: f.Built, RebuildTime: f.BuildTime, Err: f.Err}
}

func (s *Service) sync(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return itsm.Errorf(itsm.CodeInvalid, "knowledge: the service is closed")
	}
	return s.follower.Sync(ctx)
}

func (s *Service) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.follower.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(err, s.follower.Locked(func() error { return s.flushGaps(ctx) }))
	return errors.Join(err, s.ix.Close())
}

// followKnownErrors makes articles of the known errors published, revised
// and retired since the stored cursor, each event once.
func (s *Service) followKnownErrors(ctx context.Context) error {
	if s.cfg.NoKnownErrors {
		return nil
	}
	for {
		var cur *cursorRecord
		var es []itsm.Event
		err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			if cur, err = loadCursor(tx, knownErrorCursor); err != nil {
				return err
			}
			es, err = tx.Events(max(cur.Seq, s.kePos), itsm.MaxLimit)
			return err
		})
		if err != nil || len(es) == 0 {
			return err
		}
		last, wrote := es[len(es)-1].Seq, false
		s.kePos = last
		for _, e := range es {
			if e.Kind != problem.KindKnownError {
				continue
			}
			switch e.Type {
			case problem.KnownErrorPublished{}.Type(), problem.KnownErrorRevised{}.Type(), problem.KnownErrorRetired{}.Type(),
				problem.WorkaroundAttached{}.Type(), problem.WorkaroundDetached{}.Type():
			default:
				continue
			}
			w, err := s.followKnownError(ctx, e)
			if err != nil {
				return err
			}
			wrote = wrote || w
		}
		// The cursor moves when articles were written, or a page of other
		// events passed: re-reading less than a page after a restart
		// costs less than a write every poll.
		if wrote || len(es) == itsm.MaxLimit {
			err := itsm.WriteBatch(ctx, s.cfg.Store, s.now, func(r record, _ time.Time) (itsm.Record, error) { return r.record() },
				func(b *itsm.Batch[record]) error {
					c, err := loadCursor(b.Tx(), knownErrorCursor)
					if err != nil || c.Seq >= last {
						return err
					}
					c.Seq = last
					b.Touch(c, c.ID, &c.version)
					return nil
				})
			if err != nil {
				return err
			}
		}
		if len(es) < itsm.MaxLimit {
			return nil
		}
	}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// rebuildBatch is how many documents a rebuild puts in the index at once.
const rebuildBatch = 2000
