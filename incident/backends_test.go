package incident_test

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// backends opens a fresh store of each kind (see internal/backendtest).
func backends(t *testing.T) map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_incident_")
}

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// Every backend runs the same lifecycle, and concurrent commands on one
// incident all land: the losers of the optimistic race decide again on the
// fresh incident instead of failing or overwriting (no lost update).
func TestBackends(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			inc := w.register("school wifi down")
			inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
			inc = w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))

			const writers, each = 4, 5
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for g := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						var err error
						if g%2 == 0 {
							_, err = w.svc.Update(w.ctx, w.netAgent, inc.ID, "still on it")
						} else {
							_, err = w.svc.Comment(w.ctx, w.agent, inc.ID, incident.EntryWorkNote, "chased")
						}
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			inc = w.must(w.svc.ReportBack(w.ctx, w.netAgent, inc.ID, incident.Resolution{Code: "fixed", Text: "new access point"}))
			inc = w.must(w.svc.Close(w.ctx, w.agent, inc.ID, "Works again."))

			events := w.events(inc.ID)
			if want := 3 + writers*each + 2; len(events) != want {
				t.Errorf("%d events, want %d", len(events), want)
			}
			if inc.Version != int64(len(events)) {
				t.Errorf("version %d after %d events", inc.Version, len(events))
			}
			replayed, err := incident.Replay(events)
			if err != nil {
				t.Fatal(err)
			}
			replayed.Version = inc.Version
			stored, err := w.svc.GetByNumber(w.ctx, w.agent, inc.Number)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(stored, replayed); d != "" {
				t.Errorf("stored and replayed differ (-stored +replayed):\n%s", d)
			}
		})
	}
}
