package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

// cachedBackends are the stores the freshness tests run on: a second open
// of the same test's SQLite file is a second process.
func cachedBackends() map[string]backend {
	all := backends()
	return map[string]backend{"memstore": all["memstore"], "sqlitestore": all["sqlitestore"]}
}

// countingStore counts the read transactions of a real store, to tell a
// read from memory apart from one of the store.
type countingStore struct {
	itsm.Store
	reads atomic.Int64
}

func (s *countingStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	s.reads.Add(1)
	return s.Store.Read(ctx, fn)
}

func refused(err error) bool { return errors.Is(err, auth.ErrUnauthenticated) }

// Within the window an accepted token and its organisation are served from
// memory, not the store; at the window's end, and always with a window of
// zero, they are read again.
func TestAuthenticateServesFromMemoryWithinTheWindow(t *testing.T) {
	w := newWorld(t, memstore.New())
	_, secret := w.issue(w.deskAgent, time.Time{})
	store := &countingStore{Store: w.store}
	dir, err := auth.NewDirectory(w.ctx, store, w.clock)
	if err != nil {
		t.Fatal(err)
	}
	if dir.Freshness() != auth.DefaultFreshness || auth.DefaultFreshness != time.Second {
		t.Fatalf("freshness %s, default %s", dir.Freshness(), auth.DefaultFreshness)
	}
	tokens := auth.NewTokens(dir, nil)
	reads := func() int64 {
		t.Helper()
		before := store.reads.Load()
		actor, _, err := tokens.Authenticate(w.ctx, secret)
		if err != nil || actor.Person != w.deskAgent.Person {
			t.Fatalf("authenticate: %+v %v", actor, err)
		}
		return store.reads.Load() - before
	}
	if n := reads(); n != 2 {
		t.Errorf("first authentication: %d reads, want 2 (the token, its organisation)", n)
	}
	w.clock.Advance(auth.DefaultFreshness - time.Nanosecond)
	if n := reads(); n != 0 {
		t.Errorf("within the window: %d reads, want 0", n)
	}
	w.clock.Advance(time.Nanosecond)
	if n := reads(); n != 2 {
		t.Errorf("at the window's end: %d reads, want 2", n)
	}
	// A clock set back does not make an entry fresh for longer.
	w.clock.Advance(-time.Hour)
	if n := reads(); n != 2 {
		t.Errorf("after the clock went back: %d reads, want 2", n)
	}
	dir.SetFreshness(0)
	for range 2 {
		if n := reads(); n != 2 {
			t.Errorf("with no window: %d reads, want 2", n)
		}
	}
	dir.SetFreshness(-time.Second)
	if dir.Freshness() != 0 {
		t.Errorf("a negative window is %s, want 0", dir.Freshness())
	}
}

// Changes made through this process's Directory and Tokens apply at once,
// however fresh what was kept of the token or organisation: a revoked
// token, a removed organisation's tokens, a renamed organisation, a grant.
func TestInProcessChangesApplyAtOnce(t *testing.T) {
	for name, b := range cachedBackends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, b(t)(t))
			tok, secret := w.issue(w.deskAgent, time.Time{})
			_, supSecret := w.issue(w.supplierAgent, time.Time{})
			warm := func() {
				t.Helper()
				for _, s := range []string{secret, supSecret} {
					if _, _, err := w.tokens.Authenticate(w.ctx, s); err != nil {
						t.Fatal(err)
					}
				}
				for _, id := range []itsm.ID{w.desk.ID, w.supplier.ID, w.customer.ID} {
					if _, err := w.dir.Organisation(w.ctx, id); err != nil {
						t.Fatal(err)
					}
				}
			}
			warm()

			// Renamed and made a supplier: the next lookup says so.
			if _, err := w.dir.Update(w.ctx, w.admin, itsm.Organisation{ID: w.customer.ID, Name: "Town of Example", Role: itsm.OrgSupplier}); err != nil {
				t.Fatal(err)
			}
			if got, err := w.dir.Organisation(w.ctx, w.customer.ID); err != nil || got.Name != "Town of Example" || got.Role != itsm.OrgSupplier {
				t.Errorf("after the update: %+v %v", got, err)
			}

			// Granted and revoked: Permissions follows, and a lookup from
			// memory afterwards puts back nothing.
			perms := w.dir.Permissions()
			if _, err := w.dir.Grant(w.ctx, w.admin, w.supplier.ID, itsm.DomainIncident, itsm.AccessAll); err != nil {
				t.Fatal(err)
			}
			warm()
			if _, err := w.dir.Revoke(w.ctx, w.admin, w.supplier.ID, itsm.DomainIncident, itsm.AccessWrite); err != nil {
				t.Fatal(err)
			}
			warm()
			if got := perms.Granted(w.supplier.ID, itsm.DomainIncident); got != itsm.AccessRead|itsm.AccessReport {
				t.Errorf("after grant and revoke: %s", got)
			}

			// Revoked: refused at once, also through a second Tokens of the
			// same Directory; the other token still works.
			warm()
			other := auth.NewTokens(w.dir, nil)
			if _, _, err := other.Authenticate(w.ctx, secret); err != nil {
				t.Fatal(err)
			}
			if _, err := w.tokens.Revoke(w.ctx, w.admin, tok.ID); err != nil {
				t.Fatal(err)
			}
			for i, tk := range []*auth.Tokens{w.tokens, other} {
				if _, _, err := tk.Authenticate(w.ctx, secret); !refused(err) {
					t.Errorf("Tokens %d: revoked token: %v, want unauthenticated", i+1, err)
				}
			}
			if _, _, err := w.tokens.Authenticate(w.ctx, supSecret); err != nil {
				t.Errorf("the other token: %v", err)
			}

			// Removed: its organisation unknown and its tokens refused at
			// once, also through the second Tokens of the Directory.
			if _, _, err := other.Authenticate(w.ctx, supSecret); err != nil {
				t.Fatal(err)
			}
			if err := w.dir.Remove(w.ctx, w.admin, w.supplier.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := w.dir.Organisation(w.ctx, w.supplier.ID); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("removed organisation: %v, want not found", err)
			}
			for i, tk := range []*auth.Tokens{w.tokens, other} {
				if _, _, err := tk.Authenticate(w.ctx, supSecret); !refused(err) {
					t.Errorf("Tokens %d: token of a removed organisation: %v, want unauthenticated", i+1, err)
				}
			}
			if got := perms.Granted(w.supplier.ID, itsm.DomainIncident); got != 0 {
				t.Errorf("removed organisation keeps %s", got)
			}
		})
	}
}

// Changes another process makes apply here once the window has passed
// since this process read what they change: a revoked token, a removed
// organisation and its tokens, a grant, a rename. Before that, either
// answer is allowed.
func TestOtherProcessChangesApplyWithinTheWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spoc.db")
	w := newWorld(t, backendtest.SQLite(t, path, sqlitestore.Options{}))
	dir2, err := auth.NewDirectory(w.ctx, backendtest.SQLite(t, path, sqlitestore.Options{}), w.clock)
	if err != nil {
		t.Fatal(err)
	}
	tokens2 := auth.NewTokens(dir2, nil)
	perms2 := dir2.Permissions()
	deskTok, deskSecret := w.issue(w.deskAgent, time.Time{})
	_, supSecret := w.issue(w.supplierAgent, time.Time{})
	custAgent := itsm.Actor{Organisation: w.customer.ID, Person: "cy@city", Roles: []itsm.Role{itsm.RoleAgent}}
	_, custSecret := w.issue(custAgent, time.Time{})
	if _, err := w.dir.Grant(w.ctx, w.admin, w.customer.ID, itsm.DomainIncident, itsm.AccessRead); err != nil {
		t.Fatal(err)
	}

	// The second process reads everything at t0.
	t0 := w.clock.Now()
	for _, s := range []string{deskSecret, supSecret, custSecret} {
		if _, _, err := tokens2.Authenticate(w.ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []itsm.ID{w.desk.ID, w.supplier.ID, w.customer.ID} {
		if _, err := dir2.Organisation(w.ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := perms2.Granted(w.customer.ID, itsm.DomainIncident); got != itsm.AccessRead {
		t.Fatalf("second process before the changes: %s", got)
	}

	// The first process changes them, half a window later.
	w.clock.Set(t0.Add(auth.DefaultFreshness / 2))
	if _, err := w.tokens.Revoke(w.ctx, w.admin, deskTok.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.dir.Remove(w.ctx, w.admin, w.supplier.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.dir.Grant(w.ctx, w.admin, w.customer.ID, itsm.DomainIncident, itsm.AccessWrite); err != nil {
		t.Fatal(err)
	}
	if _, err := w.dir.Update(w.ctx, w.admin, itsm.Organisation{ID: w.desk.ID, Name: "Central Desk", Role: itsm.OrgDesk}); err != nil {
		t.Fatal(err)
	}

	// A window after the second process's reads, all of it applies there.
	w.clock.Set(t0.Add(auth.DefaultFreshness))
	if _, _, err := tokens2.Authenticate(w.ctx, deskSecret); !refused(err) {
		t.Errorf("token revoked elsewhere: %v, want unauthenticated", err)
	}
	if _, _, err := tokens2.Authenticate(w.ctx, supSecret); !refused(err) {
		t.Errorf("token of an organisation removed elsewhere: %v, want unauthenticated", err)
	}
	if _, err := dir2.Organisation(w.ctx, w.supplier.ID); !itsm.IsCode(err, itsm.CodeNotFound) {
		t.Errorf("organisation removed elsewhere: %v, want not found", err)
	}
	if got, err := dir2.Organisation(w.ctx, w.desk.ID); err != nil || got.Name != "Central Desk" {
		t.Errorf("organisation renamed elsewhere: %+v %v", got, err)
	}
	if _, _, err := tokens2.Authenticate(w.ctx, custSecret); err != nil {
		t.Errorf("untouched token: %v", err)
	}
	if got := perms2.Granted(w.customer.ID, itsm.DomainIncident); got != itsm.AccessRead|itsm.AccessWrite {
		t.Errorf("grant made elsewhere: %s", got)
	}
	if got := perms2.Granted(w.supplier.ID, itsm.DomainIncident); got != 0 {
		t.Errorf("organisation removed elsewhere keeps %s", got)
	}

	// A revocation of rights elsewhere, read here from memory first and
	// then from the store, is never undone by what memory held.
	if _, err := w.dir.Revoke(w.ctx, w.admin, w.customer.ID, itsm.DomainIncident, itsm.AccessWrite); err != nil {
		t.Fatal(err)
	}
	if _, err := dir2.Organisation(w.ctx, w.customer.ID); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(auth.DefaultFreshness)
	for range 2 {
		if _, err := dir2.Organisation(w.ctx, w.customer.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := perms2.Granted(w.customer.ID, itsm.DomainIncident); got != itsm.AccessRead {
		t.Errorf("rights revoked elsewhere: %s, want read", got)
	}

	// Reload forgets what was kept: another process's change applies at
	// once.
	if got, err := dir2.Organisation(w.ctx, w.desk.ID); err != nil || got.Name != "Central Desk" {
		t.Fatalf("before Reload: %+v %v", got, err)
	}
	if _, err := w.dir.Update(w.ctx, w.admin, itsm.Organisation{ID: w.desk.ID, Name: "Desk", Role: itsm.OrgDesk}); err != nil {
		t.Fatal(err)
	}
	if err := dir2.Reload(w.ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := dir2.Organisation(w.ctx, w.desk.ID); err != nil || got.Name != "Desk" {
		t.Errorf("after Reload: %+v %v", got, err)
	}
}

// A token that expires while it is kept is refused from its expiry on.
func TestTokenExpiresWhileKept(t *testing.T) {
	for name, b := range cachedBackends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, b(t)(t))
			expires := start.Add(auth.DefaultFreshness / 2)
			_, secret := w.issue(w.deskAgent, expires)
			if _, _, err := w.tokens.Authenticate(w.ctx, secret); err != nil {
				t.Fatal(err)
			}
			w.clock.Set(expires.Add(-time.Nanosecond))
			if _, _, err := w.tokens.Authenticate(w.ctx, secret); err != nil {
				t.Fatalf("just before expiry: %v", err)
			}
			w.clock.Set(expires)
			if _, _, err := w.tokens.Authenticate(w.ctx, secret); !refused(err) {
				t.Errorf("at expiry, within the window: %v, want unauthenticated", err)
			}
		})
	}
}

// Authentications racing a revocation: every one that begins after Revoke
// returned is refused, and the token was accepted before.
func TestConcurrentAuthenticateAndRevoke(t *testing.T) {
	w := newWorld(t, backendtest.SQLite(t, filepath.Join(t.TempDir(), "spoc.db"), sqlitestore.Options{}))
	tok, secret := w.issue(w.deskAgent, time.Time{})
	_, other := w.issue(w.supplierAgent, time.Time{})
	var (
		revoked  atomic.Bool
		accepted atomic.Int64
		wg       sync.WaitGroup
	)
	const workers, after = 4, 50
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for refusedAfter := 0; refusedAfter < after; {
				wasRevoked := revoked.Load()
				_, _, err := w.tokens.Authenticate(w.ctx, secret)
				switch {
				case err == nil && wasRevoked:
					errs <- errors.New("accepted after Revoke returned")
					return
				case err == nil:
					accepted.Add(1)
				case refused(err) && wasRevoked:
					refusedAfter++
				case !refused(err):
					errs <- err
					return
				}
				// Another token's reads keep the cache filling meanwhile.
				if _, _, err := w.tokens.Authenticate(w.ctx, other); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for accepted.Load() < 100 && len(errs) == 0 {
		if _, _, err := w.tokens.Authenticate(w.ctx, other); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.tokens.Revoke(w.ctx, w.admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	revoked.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
