package followup_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_followup_")
}

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// Approvers racing to approve and reject the same draft: exactly one wins,
// every other gets CodeConflict naming the state the winner left, and the log
// holds exactly one decision.
func TestConcurrentApproveAndReject(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			months := []report.Period{report.Month(2026, time.July, stockholm), report.Month(2026, time.August, stockholm),
				report.Month(2026, time.September, stockholm), w.oct, w.nov}
			for _, m := range months {
				f := w.draft(w.city.ID, m)
				const racers = 6
				var (
					wg   sync.WaitGroup
					mu   sync.Mutex
					wins []string
					errs []error
				)
				start := make(chan struct{})
				for i := range racers {
					wg.Go(func() {
						<-start
						var err error
						cmd := "approve"
						if i%2 == 0 {
							_, err = w.svc.Approve(w.ctx, w.approver, f.ID, "", "fine")
						} else {
							cmd = "reject"
							_, err = w.svc.Reject(w.ctx, w.approver, f.ID, "", "not fine")
						}
						mu.Lock()
						defer mu.Unlock()
						if err == nil {
							wins = append(wins, cmd)
						} else {
							errs = append(errs, err)
						}
					})
				}
				close(start)
				wg.Wait()
				if len(wins) != 1 {
					t.Fatalf("%s: %d winners %v, want 1; errors %v", f.Month, len(wins), wins, errs)
				}
				for _, err := range errs {
					wantErr(t, err, itsm.CodeConflict, `"carl"`, "only a drafted version")
				}
				stored, err := w.svc.Get(w.ctx, w.agent, f.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantState := map[string]followup.State{"approve": followup.StateApproved, "reject": followup.StateRejected}[wins[0]]
				events := w.events(f.ID)
				wantTypes := []string{"followup.drafted", "followup." + map[string]string{"approve": "approved", "reject": "rejected"}[wins[0]]}
				if stored.State != wantState || !slices.Equal(types(events), wantTypes) {
					t.Errorf("%s: %s won, stored %s, events %v", f.Month, wins[0], stored.State, types(events))
				}
				if err := followup.Verify(stored, events); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// Agents drafting the same new month at once make one follow-up: one wins
// the creation, the others find it and redraft it.
func TestConcurrentDrafts(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			const agents = 5
			var wg sync.WaitGroup
			errs := make(chan error, agents)
			ids := make(chan itsm.ID, agents)
			for range agents {
				wg.Go(func() {
					f, err := w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)
					errs <- err
					if err == nil {
						ids <- f.ID
					}
				})
			}
			wg.Wait()
			close(errs)
			close(ids)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			key, _ := followup.Key(w.desk.ID, w.city.ID, w.nov)
			for id := range ids {
				if id != key {
					t.Errorf("draft returned %s, want %s", id, key)
				}
			}
			events := w.events(key)
			want := []string{"followup.drafted"}
			for range agents - 1 {
				want = append(want, "followup.redrafted")
			}
			if !slices.Equal(types(events), want) {
				t.Errorf("events %v, want %v", types(events), want)
			}
			stored, err := w.svc.Get(w.ctx, w.agent, key)
			if err != nil {
				t.Fatal(err)
			}
			if len(stored.Versions) != 1 || len(stored.Current().Drafts) != agents {
				t.Errorf("%d versions, %d drafts", len(stored.Versions), len(stored.Current().Drafts))
			}
			if err := followup.Verify(stored, events); err != nil {
				t.Error(err)
			}
		})
	}
}

// racingStore lets a command lose an optimistic race on purpose, as writers
// do on a backend that runs them side by side (pgstore; memstore and
// sqlitestore run one writer at a time, so there a command never reads a
// stale follow-up). Before the next Write it lets a competitor commit, then
// runs the command with the follow-up as it was before the competitor's
// write, so that the command decides on a stale read and its Put fails with
// CodeConflict.
type racingStore struct {
	itsm.Store
	mu         sync.Mutex
	key        itsm.ID
	competitor func() // commits before the next Write, once
	putsFail   bool   // every Put fails with CodeConflict
	writes     int
}

func (s *racingStore) race(key itsm.ID, competitor func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key, s.competitor = key, competitor
}

func (s *racingStore) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	s.mu.Lock()
	competitor, putsFail := s.competitor, s.putsFail
	s.competitor = nil
	s.writes++
	s.mu.Unlock()
	tx := &racingTx{putsFail: putsFail}
	if competitor != nil {
		err := s.Store.Read(ctx, func(r itsm.ReadTx) error {
			rec, err := r.Get(followup.Kind, s.key)
			if err == nil {
				tx.stale = &rec
			}
			return nil
		})
		if err != nil {
			return err
		}
		tx.key, tx.racing = s.key, true
		competitor()
	}
	return s.Store.Write(ctx, func(inner itsm.WriteTx) error {
		tx.WriteTx = inner
		return fn(tx)
	})
}

type racingTx struct {
	itsm.WriteTx
	racing   bool
	key      itsm.ID
	stale    *itsm.Record // nil: the follow-up did not exist yet
	putsFail bool
}

func (tx *racingTx) Get(kind string, id itsm.ID) (itsm.Record, error) {
	if !tx.racing || kind != followup.Kind || id != tx.key {
		return tx.WriteTx.Get(kind, id)
	}
	if tx.stale == nil {
		return itsm.Record{}, itsm.Errorf(itsm.CodeNotFound, "%s %s not found", kind, id)
	}
	return *tx.stale, nil
}

func (tx *racingTx) Put(r itsm.Record) (int64, error) {
	if tx.putsFail {
		return 0, itsm.Errorf(itsm.CodeConflict, "%s %s changed meanwhile", r.Kind, r.ID)
	}
	return tx.WriteTx.Put(r)
}

// A command that decided on a stale follow-up and lost the race at Put
// decides again on the fresh one: an approval that lost to a rejection is
// refused for the state the rejection left, a draft that lost the creation
// of the month to another becomes a redraft, and a command that keeps
// losing gives up with CodeConflict. Nothing of a lost attempt is written.
func TestLostRaceIsDecidedAgain(t *testing.T) {
	ms := memstore.New()
	t.Cleanup(func() { ms.Close() })
	store := &racingStore{Store: ms}
	w := newWorldOn(t, store)

	key, _ := followup.Key(w.desk.ID, w.city.ID, w.nov)
	store.race(key, func() { w.must(w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)) })
	f, err := w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)
	if err != nil {
		t.Fatal(err)
	}
	if got := types(w.events(key)); !slices.Equal(got, []string{"followup.drafted", "followup.redrafted"}) || len(f.Current().Drafts) != 2 {
		t.Fatalf("a draft that lost the creation: events %v, %d drafts", got, len(f.Current().Drafts))
	}

	store.race(key, func() { w.must(w.svc.Reject(w.ctx, w.approver, key, "", "no")) })
	_, err = w.svc.Approve(w.ctx, w.approver, key, "", "yes")
	wantErr(t, err, itsm.CodeConflict, `"carl"`, "state rejected")
	if got := types(w.events(key)); !slices.Equal(got, []string{"followup.drafted", "followup.redrafted", "followup.rejected"}) {
		t.Fatalf("an approval that lost to a rejection: events %v", got)
	}

	// A redraft that lost to another redraft still lands, after it.
	store.race(key, func() { w.must(w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)) })
	f, err = w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)
	if err != nil || len(f.Current().Drafts) != 4 {
		t.Fatalf("a redraft that lost to a redraft: %v, %d drafts", err, len(f.Current().Drafts))
	}

	store.mu.Lock()
	store.putsFail, store.writes = true, 0
	store.mu.Unlock()
	_, err = w.svc.Approve(w.ctx, w.approver, key, "", "")
	wantErr(t, err, itsm.CodeConflict, "changed meanwhile")
	store.mu.Lock()
	if store.writes < 2 {
		t.Errorf("gave up after %d attempts", store.writes)
	}
	store.mu.Unlock()
	stored, err := w.svc.Get(w.ctx, w.agent, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := followup.Verify(stored, w.events(key)); err != nil || stored.State != followup.StateDrafted {
		t.Errorf("after the lost races: %s, %v", stored.State, err)
	}
}
