package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// Refused secrets are never kept: a flood of made-up, malformed, revoked
// and expired tokens leaves the cache empty, and each is refused alike.
func TestRefusedTokensAreNotKept(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	admin := NewSecret()
	if err := Bootstrap(ctx, store, admin, io.Discard); err != nil {
		t.Fatal(err)
	}
	clock := itsm.NewManualClock(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
	dir, err := NewDirectory(ctx, store, clock)
	if err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens(dir, nil)
	revoked, revokedSecret, err := tokens.Issue(ctx, Admin(), Request{Actor: Admin(), Name: "revoked"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Revoke(ctx, Admin(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	_, expiredSecret, err := tokens.Issue(ctx, Admin(), Request{Actor: Admin(), Name: "expired", Expires: clock.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	flood := []string{revokedSecret, expiredSecret, "", "spoc_", "Bearer", strings.Repeat("x", 10000), admin[:len(admin)-1] + "!"}
	for range 1000 {
		flood = append(flood, NewSecret())
		var b [24]byte
		_, _ = rand.Read(b[:])
		flood = append(flood, base64.RawURLEncoding.EncodeToString(b[:]))
	}
	for _, s := range flood {
		if _, _, err := tokens.Authenticate(ctx, s); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("a refused secret: %v", err)
		}
	}
	if n := dir.tokens.len(); n != 0 {
		t.Errorf("%d refused secrets kept", n)
	}
	if _, _, err := tokens.Authenticate(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if n := dir.tokens.len(); n != 1 {
		t.Errorf("%d tokens kept after one accepted", n)
	}
	// Unknown organisations are not kept either.
	for range 100 {
		if _, err := dir.Organisation(ctx, itsm.NewID()); !itsm.IsCode(err, itsm.CodeNotFound) {
			t.Fatal(err)
		}
	}
	if n := dir.orgs.len(); n != 1 {
		t.Errorf("%d organisations kept, want the administration's only", n)
	}
}

// A read that began before a drop is not kept, whichever comes first of
// its put and the drop; a slower read never replaces a newer version; and
// the cache stays within maxCached.
func TestCacheRules(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	var c cache[int, string]

	gen := c.generation()
	c.drop(1) // the writer's drop before the reader's put
	c.put(1, "old", 1, at, gen)
	if v, ok := c.get(1, at, time.Second); ok {
		t.Errorf("a read from before a drop was kept: %q", v)
	}
	gen = c.generation()
	c.put(1, "old", 1, at, gen) // the reader's put before the writer's drop
	c.drop(1)
	if v, ok := c.get(1, at, time.Second); ok {
		t.Errorf("a read from before a drop was kept: %q", v)
	}
	gen = c.generation()
	c.put(1, "old", 1, at, gen)
	c.clear()
	if v, ok := c.get(1, at, time.Second); ok {
		t.Errorf("kept across clear: %q", v)
	}

	gen = c.generation()
	c.put(2, "v2", 2, at, gen)
	c.put(2, "v1", 1, at, gen)
	if v, ok := c.get(2, at, time.Second); !ok || v != "v2" {
		t.Errorf("after a slower read of an older version: %q %v", v, ok)
	}
	c.forget(2)
	if _, ok := c.get(2, at, time.Second); ok {
		t.Error("kept after forget")
	}

	for i := range 2 * maxCached {
		c.put(i, "v", 1, at, c.generation())
		if n := c.len(); n > maxCached {
			t.Fatalf("%d entries, more than %d", n, maxCached)
		}
	}
	if n := c.len(); n != maxCached {
		t.Errorf("%d entries after filling, want %d", n, maxCached)
	}
}

// An organisation read at a version older than the rights Permissions
// holds (a slower reader, overtaken by one that read a newer commit) is
// answered but not kept, so that memory never holds an older record than
// Permissions does.
func TestOlderReadIsNotKept(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	if err := Bootstrap(ctx, store, NewSecret(), io.Discard); err != nil {
		t.Fatal(err)
	}
	dir, err := NewDirectory(ctx, store, itsm.NewManualClock(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	sup, err := dir.Create(ctx, Admin(), itsm.Organisation{Name: "Supplier", Role: itsm.OrgSupplier})
	if err != nil {
		t.Fatal(err)
	}
	// What the faster reader applied: a later version, which took the
	// rights away; its own put was lost to a drop.
	dir.apply(&orgRecord{ID: sup.ID, Name: "Supplier", Role: itsm.OrgSupplier, version: 1 << 40})
	if _, err := dir.Organisation(ctx, sup.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.orgs.get(sup.ID, dir.clock.Now(), time.Hour); ok {
		t.Error("an organisation older than its applied rights was kept")
	}
	if _, err := dir.Organisation(ctx, AdminOrganisation); err != nil {
		t.Fatal(err)
	}
	if _, ok := dir.orgs.get(AdminOrganisation, dir.clock.Now(), time.Hour); !ok {
		t.Error("a current organisation was not kept")
	}
}
