package auth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

func TestNewSecret(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		s := auth.NewSecret()
		rest, ok := strings.CutPrefix(s, "spoc_")
		if !ok || len(s) != 48 || auth.SecretLen != 48 {
			t.Fatalf("secret %q: want spoc_ and 43 characters", s)
		}
		if b, err := base64.RawURLEncoding.DecodeString(rest); err != nil || len(b) != 32 {
			t.Fatalf("secret %q: %d bytes, %v", s, len(b), err)
		}
		if seen[s] {
			t.Fatalf("secret %q twice", s)
		}
		seen[s] = true
	}
}

// A token authenticates its actor until it is revoked or expires, and keeps
// doing so for a second process on the same database.
func TestTokenLifecycle(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			open := b(t)
			w := newWorld(t, open(t))
			hour, hourSecret := w.issue(w.deskAgent, start.Add(time.Hour))
			ever, everSecret := w.issue(w.supplierAgent, time.Time{})

			for _, c := range []struct {
				secret string
				actor  itsm.Actor
				id     itsm.ID
			}{{hourSecret, w.deskAgent, hour.ID}, {everSecret, w.supplierAgent, ever.ID}, {w.adminSecret, auth.Admin(), itsm.ID{}}} {
				actor, id, err := w.tokens.Authenticate(w.ctx, c.secret)
				if err != nil {
					t.Fatalf("authenticate %s: %v", c.actor.Person, err)
				}
				if diff := cmp.Diff(c.actor, actor); diff != "" {
					t.Errorf("actor (-want +got):\n%s", diff)
				}
				if !c.id.IsZero() && id != c.id {
					t.Errorf("%s: token %s, want %s", c.actor.Person, id, c.id)
				}
			}

			// A second process on the same database knows the tokens.
			dir2, err := auth.NewDirectory(w.ctx, open(t), w.clock)
			if err != nil {
				t.Fatal(err)
			}
			tokens2 := auth.NewTokens(dir2, nil)
			if actor, _, err := tokens2.Authenticate(w.ctx, hourSecret); err != nil || actor.Person != w.deskAgent.Person {
				t.Fatalf("second process: %v %v", actor, err)
			}

			// Revoked: refused at once, in both processes.
			got, err := w.tokens.Revoke(w.ctx, w.admin, ever.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Revoked.IsZero() || got.RevokedBy == nil || got.RevokedBy.Person != w.admin.Person || got.Active(w.clock.Now()) {
				t.Errorf("revoked token %+v", got)
			}
			for i, tk := range []*auth.Tokens{w.tokens, tokens2} {
				if _, _, err := tk.Authenticate(w.ctx, everSecret); !errors.Is(err, auth.ErrUnauthenticated) {
					t.Errorf("process %d: revoked token: %v, want unauthenticated", i+1, err)
				}
			}
			if _, err := w.tokens.Revoke(w.ctx, w.admin, ever.ID); !itsm.IsCode(err, itsm.CodeConflict) {
				t.Errorf("revoke twice: %v, want conflict", err)
			}
			if _, err := w.tokens.Revoke(w.ctx, w.admin, itsm.NewID()); !itsm.IsCode(err, itsm.CodeNotFound) {
				t.Errorf("revoke unknown: %v, want not_found", err)
			}

			// Expiry: valid to the last nanosecond before it.
			w.clock.Set(start.Add(time.Hour - time.Nanosecond))
			if _, _, err := w.tokens.Authenticate(w.ctx, hourSecret); err != nil {
				t.Errorf("just before expiry: %v", err)
			}
			w.clock.Set(start.Add(time.Hour))
			if _, _, err := w.tokens.Authenticate(w.ctx, hourSecret); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("at expiry: %v, want unauthenticated", err)
			}

			// The listing shows both, one revoked, without secrets.
			list, next, err := w.tokens.List(w.ctx, w.admin, auth.ListQuery{})
			if err != nil || next != "" {
				t.Fatal(next, err)
			}
			if len(list) != 3 || list[0].Actor.Person != auth.AdminPerson || list[1].ID != hour.ID || list[2].ID != ever.ID {
				t.Fatalf("list %+v", list)
			}
			if list[2].Revoked.IsZero() || !list[1].Revoked.IsZero() || !list[1].Expires.Equal(start.Add(time.Hour)) {
				t.Errorf("list %+v", list)
			}
			mine, _, err := w.tokens.List(w.ctx, w.admin, auth.ListQuery{Organisation: w.supplier.ID})
			if err != nil || len(mine) != 1 || mine[0].ID != ever.ID {
				t.Errorf("supplier's tokens %+v %v", mine, err)
			}
			page, next, err := w.tokens.List(w.ctx, w.admin, auth.ListQuery{Limit: 2})
			if err != nil || len(page) != 2 || next == "" {
				t.Fatalf("first page %d %q %v", len(page), next, err)
			}
			if page, next, err = w.tokens.List(w.ctx, w.admin, auth.ListQuery{Limit: 2, After: next}); err != nil || len(page) != 1 || page[0].ID != ever.ID || next != "" {
				t.Errorf("second page %+v %q %v", page, next, err)
			}
			js, _ := json.Marshal(list)
			for _, s := range []string{hourSecret, everSecret, w.adminSecret, hashOf(hourSecret), hashOf(everSecret)} {
				if bytes.Contains(js, []byte(s)) {
					t.Errorf("the listing holds a secret or digest: %s", js)
				}
			}
		})
	}
}

func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// secretForms are the spellings of a secret that must appear nowhere in
// storage: the secret, its random part, the bytes it encodes.
func secretForms(secret string) [][]byte {
	rest := strings.TrimPrefix(secret, "spoc_")
	raw, _ := base64.RawURLEncoding.DecodeString(rest)
	return [][]byte{[]byte(secret), []byte(rest), raw}
}

// The store keeps the SHA-256 digest of a secret as the token's unique index
// value, and the secret nowhere: not in a record body, not in an event.
func TestStoredTokenHoldsNoSecret(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, b(t)(t))
			tok, secret := w.issue(w.supplierAgent, time.Time{})
			if _, err := w.tokens.Revoke(w.ctx, w.admin, tok.ID); err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, r := range records(t, w.store, auth.KindToken) {
				if r.ID == tok.ID {
					found = true
					if r.Unique["hash"] != hashOf(secret) {
						t.Errorf("unique hash %q, want the SHA-256 of the secret", r.Unique["hash"])
					}
				}
				for _, form := range append(secretForms(secret), secretForms(w.adminSecret)...) {
					if bytes.Contains(r.Body, form) {
						t.Errorf("token %s's body holds a secret: %s", r.ID, r.Body)
					}
				}
				if bytes.Contains(r.Body, []byte(hashOf(secret))) || bytes.Contains(r.Body, []byte(hashOf(w.adminSecret))) {
					t.Errorf("token %s's body holds a digest: %s", r.ID, r.Body)
				}
			}
			if !found {
				t.Fatal("no record of the token")
			}
			es := events(t, w.store)
			if len(es) == 0 {
				t.Fatal("no events")
			}
			for _, e := range es {
				for _, form := range append(secretForms(secret), secretForms(w.adminSecret)...) {
					if bytes.Contains(e.Data, form) {
						t.Errorf("event %s holds a secret: %s", e.Type, e.Data)
					}
				}
				if bytes.Contains(e.Data, []byte(hashOf(secret))) {
					t.Errorf("event %s holds a digest: %s", e.Type, e.Data)
				}
			}
		})
	}
}

// Not a byte of the secret reaches the SQLite files, whatever the store's
// encoding.
func TestSQLiteFileHoldsNoSecret(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "spoc.db")
	s := backendtest.SQLite(t, path, sqlitestore.Options{})
	w := newWorld(t, s)
	_, secret := w.issue(w.deskAgent, time.Time{})
	if _, _, err := w.tokens.Authenticate(w.ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var total int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		for _, form := range append(secretForms(secret), secretForms(w.adminSecret)...) {
			if bytes.Contains(b, form) {
				t.Errorf("%s holds a secret", filepath.Base(f))
			}
		}
	}
	// The digest is there: the scan reads what the store wrote.
	var digests int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		digests += bytes.Count(b, []byte(hashOf(secret)))
	}
	if total == 0 || digests == 0 {
		t.Fatalf("scanned %d bytes in %v and found the digest %d times", total, files, digests)
	}
}

// Only an administrator issues, lists and revokes tokens, and a refusal
// writes nothing.
func TestOnlyAdminsManageTokens(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t)(t))
	victim, _ := w.issue(w.deskAgent, time.Time{})
	removed := w.create("Gone Supplier", itsm.OrgDesk)
	removedAdmin := itsm.Actor{Organisation: removed.ID, Person: "gil@gone", Roles: []itsm.Role{itsm.RoleAdmin}}
	if err := w.dir.Remove(w.ctx, w.admin, removed.ID); err != nil {
		t.Fatal(err)
	}
	before := len(records(t, w.store, auth.KindToken))
	evBefore := len(events(t, w.store))
	req := auth.Request{Actor: w.deskAgent, Name: "escalation"}
	for _, c := range []struct {
		who  string
		a    itsm.Actor
		code itsm.Code
	}{
		{"a desk agent", w.deskAgent, itsm.CodeForbidden},
		{"a platform administration person who is no administrator", itsm.Actor{Organisation: auth.AdminOrganisation, Person: "pat"}, itsm.CodeForbidden},
		{"an administrator of an unknown organisation", itsm.Actor{Organisation: itsm.NewID(), Person: "x", Roles: []itsm.Role{itsm.RoleAdmin}}, itsm.CodeForbidden},
		{"an administrator of a removed desk", removedAdmin, itsm.CodeForbidden},
		{"an actor without a person", itsm.Actor{Organisation: w.desk.ID, Roles: []itsm.Role{itsm.RoleAdmin}}, itsm.CodeInvalid},
	} {
		if _, _, err := w.tokens.Issue(w.ctx, c.a, req); !itsm.IsCode(err, c.code) {
			t.Errorf("%s issues: %v, want %s", c.who, err, c.code)
		}
		if _, _, err := w.tokens.List(w.ctx, c.a, auth.ListQuery{}); !itsm.IsCode(err, c.code) {
			t.Errorf("%s lists: %v, want %s", c.who, err, c.code)
		}
		if _, err := w.tokens.Revoke(w.ctx, c.a, victim.ID); !itsm.IsCode(err, c.code) {
			t.Errorf("%s revokes: %v, want %s", c.who, err, c.code)
		}
	}
	if n, e := len(records(t, w.store, auth.KindToken)), len(events(t, w.store)); n != before || e != evBefore {
		t.Fatalf("refusals wrote: %d tokens (was %d), %d events (was %d)", n, before, e, evBefore)
	}
	// The platform administrator may, and so may the desk's own.
	deskAdmin := itsm.Actor{Organisation: w.desk.ID, Person: "dora@desk", Roles: []itsm.Role{itsm.RoleAgent, itsm.RoleAdmin}}
	for _, admin := range []itsm.Actor{w.admin, deskAdmin} {
		tok, _, err := w.tokens.Issue(w.ctx, admin, req)
		if err != nil {
			t.Fatal(err)
		}
		if tok.IssuedBy.Person != admin.Person {
			t.Errorf("issued by %+v", tok.IssuedBy)
		}
		if _, _, err := w.tokens.List(w.ctx, admin, auth.ListQuery{}); err != nil {
			t.Error(err)
		}
		if _, err := w.tokens.Revoke(w.ctx, admin, tok.ID); err != nil {
			t.Error(err)
		}
	}
}

// An organisation's administrator manages its own people's tokens and no
// one else's: it cannot issue a token acting for another organisation,
// lists only its own organisation's, and another's token does not exist for
// it. The register and the rights are the platform administrator's alone.
// A refusal writes nothing.
func TestOrganisationAdminsManageTheirOwnOnly(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t)(t))
	desk2 := w.create("Second Desk", itsm.OrgDesk)
	admin := func(o itsm.Organisation, person string) itsm.Actor {
		return itsm.Actor{Organisation: o.ID, Person: person, Roles: []itsm.Role{itsm.RoleAdmin}}
	}
	deskAdmin, desk2Admin := admin(w.desk, "dora@desk"), admin(desk2, "eric@desk2")
	supplierAdmin, customerAdmin := admin(w.supplier, "sam@net"), admin(w.customer, "cat@city")
	for _, c := range []struct {
		a    itsm.Actor
		want auth.AdminScope
	}{
		{w.admin, auth.PlatformAdmin}, {deskAdmin, auth.OrganisationAdmin}, {supplierAdmin, auth.OrganisationAdmin},
		{customerAdmin, auth.OrganisationAdmin}, {w.deskAgent, auth.NotAdmin},
		{itsm.Actor{Organisation: auth.AdminOrganisation, Person: "pat"}, auth.NotAdmin},
	} {
		if got, err := w.dir.AdminScope(w.ctx, c.a); err != nil || got != c.want {
			t.Errorf("%s is a %v (%v), want a %v", c.a.Person, got, err, c.want)
		}
	}
	if _, err := w.dir.AdminScope(w.ctx, itsm.Actor{Organisation: itsm.NewID(), Person: "x", Roles: []itsm.Role{itsm.RoleAdmin}}); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Errorf("the scope of an administrator of an unknown organisation: %v, want forbidden", err)
	}

	supTok, _ := w.issue(w.supplierAgent, time.Time{})
	deskTok, _ := w.issue(w.deskAgent, time.Time{})
	before := len(records(t, w.store, auth.KindToken))
	evBefore := len(events(t, w.store))
	for _, a := range []itsm.Actor{deskAdmin, desk2Admin, supplierAdmin, customerAdmin} {
		// A token acting for someone of another organisation, or for a
		// platform administrator.
		for _, other := range []itsm.Actor{w.supplierAgent, w.deskAgent, auth.Admin(),
			{Organisation: desk2.ID, Person: "robot", Roles: []itsm.Role{itsm.RoleAgent, itsm.RoleAdmin}}} {
			if other.Organisation == a.Organisation {
				continue
			}
			_, _, err := w.tokens.Issue(w.ctx, a, auth.Request{Actor: other, Name: "escalation"})
			if !itsm.IsCode(err, itsm.CodeForbidden) || !strings.Contains(err.Error(), "its own organisation's people only") {
				t.Errorf("%s issues a token for %s of %s: %v, want forbidden", a.Person, other.Person, other.Organisation, err)
			}
		}
		// Another organisation's tokens: not listed, not found.
		if _, _, err := w.tokens.List(w.ctx, a, auth.ListQuery{Organisation: w.supplier.ID}); a.Organisation != w.supplier.ID && !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Errorf("%s lists the supplier's tokens: %v, want forbidden", a.Person, err)
		}
		list, _, err := w.tokens.List(w.ctx, a, auth.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range list {
			if tok.Actor.Organisation != a.Organisation {
				t.Errorf("%s lists %s's token %s", a.Person, tok.Actor.Organisation, tok.ID)
			}
		}
		for _, tok := range []auth.Token{supTok, deskTok} {
			if tok.Actor.Organisation == a.Organisation {
				continue
			}
			_, err := w.tokens.Revoke(w.ctx, a, tok.ID)
			if !itsm.IsCode(err, itsm.CodeNotFound) || strings.Contains(err.Error(), tok.Actor.Organisation.String()) {
				t.Errorf("%s revokes %s's token: %v, want not found without its organisation", a.Person, tok.Actor.Person, err)
			}
		}
		// The register and the rights.
		if _, err := w.dir.Create(w.ctx, a, itsm.Organisation{Name: "Sneaky", Role: itsm.OrgDesk}); !itsm.IsCode(err, itsm.CodeForbidden) ||
			!strings.Contains(err.Error(), "only the platform administration") {
			t.Errorf("%s creates an organisation: %v", a.Person, err)
		}
		if _, err := w.dir.Grant(w.ctx, a, a.Organisation, itsm.DomainIncident, itsm.AccessAll); !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Errorf("%s grants its own organisation rights: %v", a.Person, err)
		}
		if _, err := w.dir.Update(w.ctx, a, itsm.Organisation{ID: a.Organisation, Name: "Renamed", Role: itsm.OrgDesk}); !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Errorf("%s changes its own organisation: %v", a.Person, err)
		}
		if err := w.dir.Remove(w.ctx, a, desk2.ID); !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Errorf("%s removes an organisation: %v", a.Person, err)
		}
	}
	if n, e := len(records(t, w.store, auth.KindToken)), len(events(t, w.store)); n != before || e != evBefore {
		t.Fatalf("refusals wrote: %d tokens (was %d), %d events (was %d)", n, before, e, evBefore)
	}
	// Rights are shown to the platform administrator and to one's own
	// organisation only.
	entries, err := w.dir.List(w.ctx, deskAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Rights != nil && e.Organisation.ID != w.desk.ID {
			t.Errorf("the desk's administrator sees the rights of %s", e.Organisation.Name)
		}
	}

	// Its own people: the supplier's administrator issues, lists and revokes
	// the supplier's tokens, including one of its own kind.
	own := itsm.Actor{Organisation: w.supplier.ID, Person: "ops@net", Roles: []itsm.Role{itsm.RoleAgent, itsm.RoleAdmin}}
	tok, secret, err := w.tokens.Issue(w.ctx, supplierAdmin, auth.Request{Actor: own, Name: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := w.tokens.Authenticate(w.ctx, secret); err != nil || got.Organisation != w.supplier.ID {
		t.Errorf("the supplier's new token acts as %+v, %v", got, err)
	}
	list, _, err := w.tokens.List(w.ctx, supplierAdmin, auth.ListQuery{Organisation: w.supplier.ID})
	if err != nil || len(list) != 2 {
		t.Errorf("the supplier's administrator lists %d tokens, %v; want its 2", len(list), err)
	}
	if _, err := w.tokens.Revoke(w.ctx, supplierAdmin, supTok.ID); err != nil {
		t.Errorf("the supplier's administrator revokes its agent's token: %v", err)
	}
	if _, err := w.tokens.Revoke(w.ctx, w.admin, tok.ID); err != nil {
		t.Errorf("the platform administrator revokes the supplier's token: %v", err)
	}
}

func TestIssueRefusesBadRequests(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t)(t))
	gone := w.create("Gone", itsm.OrgSupplier)
	if err := w.dir.Remove(w.ctx, w.admin, gone.ID); err != nil {
		t.Fatal(err)
	}
	agent := func(org itsm.ID, person string, roles ...itsm.Role) itsm.Actor {
		return itsm.Actor{Organisation: org, Person: person, Roles: roles}
	}
	before := len(records(t, w.store, auth.KindToken))
	for _, c := range []struct {
		why string
		r   auth.Request
	}{
		{"no name", auth.Request{Actor: w.deskAgent}},
		{"a blank name", auth.Request{Actor: w.deskAgent, Name: "  "}},
		{"a name of two lines", auth.Request{Actor: w.deskAgent, Name: "a\nb"}},
		{"a long name", auth.Request{Actor: w.deskAgent, Name: strings.Repeat("n", auth.MaxName+1)}},
		{"no person", auth.Request{Actor: agent(w.desk.ID, " "), Name: "n"}},
		{"a person with a tab", auth.Request{Actor: agent(w.desk.ID, "a\tb"), Name: "n"}},
		{"no organisation", auth.Request{Actor: agent(itsm.ID{}, "p"), Name: "n"}},
		{"an unknown organisation", auth.Request{Actor: agent(itsm.NewID(), "p"), Name: "n"}},
		{"a removed organisation", auth.Request{Actor: agent(gone.ID, "p"), Name: "n"}},
		{"an unknown role", auth.Request{Actor: agent(w.desk.ID, "p", "wizard"), Name: "n"}},
		{"a role twice", auth.Request{Actor: agent(w.desk.ID, "p", itsm.RoleAgent, itsm.RoleAgent), Name: "n"}},
		{"an expiry now", auth.Request{Actor: w.deskAgent, Name: "n", Expires: start}},
		{"an expiry past", auth.Request{Actor: w.deskAgent, Name: "n", Expires: start.Add(-time.Hour)}},
		{"a long description", auth.Request{Actor: w.deskAgent, Name: "n", Description: strings.Repeat("d", auth.MaxDescription+1)}},
		{"a description not UTF-8", auth.Request{Actor: w.deskAgent, Name: "n", Description: "\xff"}},
		{"a name that reads backwards", auth.Request{Actor: w.deskAgent, Name: "ci\u202ekcatta"}},
		{"a person with a zero-width space", auth.Request{Actor: agent(w.desk.ID, "da\u200bna"), Name: "n"}},
		{"a description with an isolate", auth.Request{Actor: w.deskAgent, Name: "n", Description: "for \u2067CI\u2069"}},
		{"a description with a C1 control", auth.Request{Actor: w.deskAgent, Name: "n", Description: "CI\u009b2J"}},
	} {
		if _, secret, err := w.tokens.Issue(w.ctx, w.admin, c.r); !itsm.IsCode(err, itsm.CodeInvalid) || secret != "" {
			t.Errorf("%s: %v, want invalid", c.why, err)
		}
	}
	if n := len(records(t, w.store, auth.KindToken)); n != before {
		t.Fatalf("refusals stored %d tokens", n-before)
	}
}

// The log says why a token was refused, naming the token, never the secret;
// the caller learns none of it.
func TestRefusalReasonsAreLogged(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t)(t))
	var logged bytes.Buffer
	tokens := auth.NewTokens(w.dir, slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	tok, secret := w.issue(w.supplierAgent, start.Add(time.Minute))
	w.clock.Advance(time.Minute)
	if _, _, err := tokens.Authenticate(w.ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatal(err)
	}
	if _, err := w.tokens.Revoke(w.ctx, w.admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tokens.Authenticate(w.ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatal(err)
	}
	wrong := auth.NewSecret()
	if _, _, err := tokens.Authenticate(w.ctx, wrong); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"reason":"expired"`) || !strings.Contains(lines[1], `"reason":"revoked"`) ||
		!strings.Contains(lines[2], `"reason":"unknown"`) || !strings.Contains(lines[0], tok.ID.String()) {
		t.Errorf("log:\n%s", logged.String())
	}
	for _, s := range []string{secret, wrong, hashOf(secret), hashOf(wrong)} {
		if strings.Contains(logged.String(), s) {
			t.Errorf("the log holds a secret or digest:\n%s", logged.String())
		}
	}
}
