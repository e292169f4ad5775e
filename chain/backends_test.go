package chain_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_chain_")
}

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// On every backend: concurrent additions of members all land (each
// decides on the fresh group), two administrators renaming one group from
// the version they read get one success and one 412-style conflict, and
// concurrent creates of one name make one group. Every group stays the
// fold of its events.
func TestBackends(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			g := w.create(w.netAdmin, netID, "Network")

			const writers = 6
			run := func(f func(i int) error) []error {
				var wg sync.WaitGroup
				errs := make([]error, writers)
				for i := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs[i] = f(i)
					}()
				}
				wg.Wait()
				return errs
			}

			for _, err := range run(func(i int) error {
				_, err := w.svc.AddMember(w.ctx, w.netAdmin, g.ID, fmt.Sprintf("person%d", i))
				return err
			}) {
				if err != nil {
					t.Errorf("add member: %v", err)
				}
			}
			g = w.must(w.svc.Get(w.ctx, w.netAgent, g.ID))
			if len(g.Members) != writers {
				t.Errorf("members %v, want %d: an addition was lost", g.Members, writers)
			}

			// Two administrators rename from the same version.
			read := g.Version
			won, stale := 0, 0
			for _, err := range run(func(i int) error {
				_, err := w.svc.IfVersion(read).Rename(w.ctx, w.platform, g.ID, fmt.Sprintf("Network %d", i))
				return err
			}) {
				switch {
				case err == nil:
					won++
				case itsm.IsCode(err, itsm.CodeConflict):
					stale++
				default:
					t.Errorf("rename: %v", err)
				}
			}
			if won != 1 || stale != writers-1 {
				t.Errorf("%d renames won and %d were stale, want 1 and %d", won, stale, writers-1)
			}

			// Everyone creates "Telephony" at once, cased their own way.
			created := 0
			for _, err := range run(func(i int) error {
				name := "Telephony"
				if i%2 == 1 {
					name = "TELEPHONY"
				}
				_, err := w.svc.Create(w.ctx, w.netAdmin, netID, chain.Definition{Name: name})
				return err
			}) {
				switch {
				case err == nil:
					created++
				case !itsm.IsCode(err, itsm.CodeConflict):
					t.Errorf("create: %v", err)
				}
			}
			if created != 1 {
				t.Errorf("%d concurrent creates of one name succeeded, want 1", created)
			}
			p, err := w.svc.List(w.ctx, w.netAdmin, netID, chain.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range p.Groups {
				names = append(names, g.Name)
			}
			if len(names) != 2 || !slices.ContainsFunc(names, func(n string) bool { return n == "Telephony" || n == "TELEPHONY" }) {
				t.Errorf("groups %v after concurrent creates, want one Telephony beside the network group", names)
			}
			w.checkReplay()
		})
	}
}
