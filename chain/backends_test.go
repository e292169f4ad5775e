package chain_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/pgstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
)

// backends opens a fresh store of each kind; PostgreSQL only when
// SPOC_TEST_POSTGRES names a server, in a schema of its own.
func backends() map[string]func(t *testing.T) itsm.Store {
	return map[string]func(t *testing.T) itsm.Store{
		"memstore": func(t *testing.T) itsm.Store {
			s := memstore.New()
			t.Cleanup(func() { s.Close() })
			return s
		},
		"sqlitestore": func(t *testing.T) itsm.Store {
			s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "spoc.db"), sqlitestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"pgstore": func(t *testing.T) itsm.Store {
			dsn := os.Getenv("SPOC_TEST_POSTGRES")
			if dsn == "" {
				t.Skip("SPOC_TEST_POSTGRES is not set; skipping PostgreSQL (set it to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
			}
			var b [8]byte
			_, _ = rand.Read(b[:])
			schema := "spoc_chain_" + hex.EncodeToString(b[:])
			ctx := context.Background()
			s, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				s.Close()
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					t.Errorf("drop schema %s: %v", schema, err)
					return
				}
				defer conn.Close(ctx)
				if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
					t.Errorf("drop schema %s: %v", schema, err)
				}
			})
			return s
		},
	}
}

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
