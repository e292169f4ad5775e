package auth_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// The Directory serves both services.
var (
	_ incident.Directory = (*auth.Directory)(nil)
	_ followup.Directory = (*auth.Directory)(nil)
)

// backend makes a database; each call of what it returns opens it once
// more, as another process would.
type backend = func(t testing.TB) backendtest.Database

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

func backends() map[string]backend { return backendtest.Databases("spoc_auth_") }

// world is a bootstrapped database with a desk, a supplier and a customer,
// and a token for an agent of each.
type world struct {
	t      testing.TB
	ctx    context.Context
	store  itsm.Store
	clock  *itsm.ManualClock
	dir    *auth.Directory
	tokens *auth.Tokens
	// admin is the first administrator, adminSecret its token.
	admin       itsm.Actor
	adminSecret string

	desk, supplier, customer itsm.Organisation
	deskAgent, supplierAgent itsm.Actor
}

var start = time.Date(2026, time.November, 23, 8, 0, 0, 0, time.UTC)

func newWorld(t testing.TB, store itsm.Store) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), store: store, clock: itsm.NewManualClock(start), admin: auth.Admin()}
	w.adminSecret = auth.NewSecret()
	if err := auth.Bootstrap(w.ctx, store, w.adminSecret, io.Discard); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.dir, err = auth.NewDirectory(w.ctx, store, w.clock); err != nil {
		t.Fatal(err)
	}
	w.tokens = auth.NewTokens(w.dir, nil)
	w.desk = w.create("City Service Desk", itsm.OrgDesk)
	w.supplier = w.create("Network Supplier", itsm.OrgSupplier)
	w.customer = w.create("City of Example", itsm.OrgCustomer)
	w.deskAgent = itsm.Actor{Organisation: w.desk.ID, Person: "anna@desk", Roles: []itsm.Role{itsm.RoleAgent}}
	w.supplierAgent = itsm.Actor{Organisation: w.supplier.ID, Person: "bo@net", Roles: []itsm.Role{itsm.RoleAgent}}
	return w
}

func (w *world) create(name string, role itsm.OrgRole) itsm.Organisation {
	w.t.Helper()
	o, err := w.dir.Create(w.ctx, w.admin, itsm.Organisation{Name: name, Role: role})
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

// issue issues a token for actor, expiring at expires (zero: never).
func (w *world) issue(actor itsm.Actor, expires time.Time) (auth.Token, string) {
	w.t.Helper()
	tok, secret, err := w.tokens.Issue(w.ctx, w.admin, auth.Request{Actor: actor, Name: "token of " + actor.Person, Expires: expires})
	if err != nil {
		w.t.Fatal(err)
	}
	return tok, secret
}

// records returns every record of kind.
func records(t *testing.T, s itsm.Store, kind string) []itsm.Record {
	t.Helper()
	var out []itsm.Record
	err := s.Read(context.Background(), func(tx itsm.ReadTx) error {
		q := itsm.Query{Kind: kind, Limit: itsm.MaxLimit}
		for {
			page, err := tx.Query(q)
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				out = append(out, h.Record)
			}
			if page.Next == "" {
				return nil
			}
			q.After = page.Next
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// events returns the whole event log.
func events(t *testing.T, s itsm.Store) []itsm.Event {
	t.Helper()
	var out []itsm.Event
	err := s.Read(context.Background(), func(tx itsm.ReadTx) error {
		var after int64
		for {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				return nil
			}
			out = append(out, es...)
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
