package knowledge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge/markdown"
	"github.com/spoc-itsm/spoc/knowledge/search"
	"github.com/spoc-itsm/spoc/problem"
)

// shared is what a Service and the copies IfVersion makes share: the
// search index, a projection of the event log, and its follower.
type shared struct {
	ix *search.Index

	// follow serialises catching up with the log; kePos, guarded by it,
	// is how far known errors were followed since the stored cursor.
	follow sync.Mutex
	kePos  int64

	mu      sync.Mutex // guards what follows
	pos     int64      // the last event applied to the index
	meta    map[itsm.ID]docMeta
	desks   map[itsm.ID]int // desks of indexed articles, counted
	caught  time.Time       // when the index last reached the end of the log
	lastErr error
	rebuilt time.Time
	took    time.Duration
	closed  bool
	pending map[gapKey]*pendingGap // gaps not yet written

	nudges chan struct{}
	stop   chan struct{}
	done   chan struct{}
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

// start rebuilds the index from the records and starts following the log.
func start(ctx context.Context, s *Service) (*shared, error) {
	ix, err := search.New()
	if err != nil {
		return nil, err
	}
	sh := &shared{ix: ix, meta: map[itsm.ID]docMeta{}, desks: map[itsm.ID]int{}, pending: map[gapKey]*pendingGap{},
		nudges: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	s.shared = sh
	if err := s.rebuild(ctx); err != nil {
		ix.Close()
		return nil, err
	}
	go s.run()
	return sh, nil
}

// rebuild fills the index from the article records as of the log's
// current end, which becomes its position: events after it are followed.
func (s *Service) rebuild(ctx context.Context) error {
	began := time.Now()
	err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		head, err := logHead(tx)
		if err != nil {
			return err
		}
		stats := map[itsm.ID]Stats{}
		err = itsm.Scan(ctx, tx, itsm.Query{Kind: KindStats, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
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
		if err := flush(); err != nil {
			return err
		}
		s.mu.Lock()
		s.pos, s.caught = head, time.Now()
		s.mu.Unlock()
		return nil
	})
	s.mu.Lock()
	s.rebuilt, s.took = time.Now(), time.Since(began)
	s.mu.Unlock()
	return err
}

// logHead returns the sequence number of the log's last event, zero for
// an empty log: the least n after which no event is, found by doubling
// and halving, some 2 log2(n) reads of one event.
func logHead(tx itsm.ReadTx) (int64, error) {
	after := func(n int64) (bool, error) {
		es, err := tx.Events(n, 1)
		return len(es) > 0, err
	}
	hi := int64(1)
	for {
		more, err := after(hi)
		if err != nil {
			return 0, err
		}
		if !more {
			break
		}
		hi *= 2
	}
	lo := hi / 2 // events after lo exist (or lo is 0)
	if hi == 1 {
		more, err := after(0)
		if err != nil || !more {
			return 0, err
		}
		return 1, nil
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		more, err := after(mid)
		if err != nil {
			return 0, err
		}
		if more {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil
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

// run follows the log until Close: at once when a command of this
// process nudges it, and every Poll for other processes' writes.
func (s *Service) run() {
	defer close(s.done)
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.nudges:
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = s.catchUp(ctx)
		cancel()
	}
}

// nudge asks the follower to catch up now.
func (s *Service) nudge() {
	select {
	case s.nudges <- struct{}{}:
	default:
	}
}

// catchUp makes the published known errors articles, flushes the gap
// list's counts, and applies the events after the index's position.
func (s *Service) catchUp(ctx context.Context) error {
	s.follow.Lock()
	defer s.follow.Unlock()
	err := errors.Join(s.followKnownErrors(ctx), s.flushGaps(ctx), s.followIndex(ctx))
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
	return err
}

// followIndex applies the events after the index's position: each article
// an event is about is read again and put in the index whole, so applying
// an event twice does no harm.
func (s *Service) followIndex(ctx context.Context) error {
	for {
		s.mu.Lock()
		pos := s.pos
		s.mu.Unlock()
		var es []itsm.Event
		err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			if es, err = tx.Events(pos, itsm.MaxLimit); err != nil || len(es) == 0 {
				return err
			}
			var ids []itsm.ID
			seen := map[itsm.ID]bool{}
			for _, e := range es {
				if (e.Kind == Kind || e.Kind == KindStats) && !seen[e.Subject] {
					seen[e.Subject] = true
					ids = append(ids, e.Subject)
				}
			}
			return s.reindex(tx, ids)
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		if len(es) > 0 {
			s.pos = es[len(es)-1].Seq
		}
		if len(es) < itsm.MaxLimit {
			s.caught = time.Now()
		}
		s.mu.Unlock()
		if len(es) < itsm.MaxLimit {
			return nil
		}
	}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	st := IndexStatus{Position: s.pos, Documents: len(s.meta), Rebuilt: s.rebuilt, RebuildTime: s.took}
	if s.lastErr != nil {
		st.Err = s.lastErr.Error()
	}
	if st.Behind = time.Since(s.caught); st.Behind < s.cfg.Poll && s.lastErr == nil {
		st.Behind = 0
	}
	return st
}

func (s *Service) sync(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return itsm.Errorf(itsm.CodeInvalid, "knowledge: the service is closed")
	}
	return s.catchUp(ctx)
}

func (s *Service) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.follow.Lock()
	err := s.flushGaps(ctx)
	s.follow.Unlock()
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
