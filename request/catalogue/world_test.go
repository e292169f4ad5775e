package catalogue_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_catalogue_")
}

// world is a support chain with two desks, two suppliers, two customers
// and a platform, and the people who act for them.
type world struct {
	t      testing.TB
	ctx    context.Context
	store  itsm.Store
	clock  *itsm.ManualClock
	perms  *itsm.Permissions
	cat    *catalogue.Catalogue
	groups *chain.Groups

	deskAdmin, deskAgent, otherDeskAdmin itsm.Actor
	netAdmin, netAgent, telAgent         itsm.Actor
	owner, cityUser, cityAdmin, townUser itsm.Actor
	platform, ghost                      itsm.Actor
}

var (
	deskID      = itsm.MustParseID("00000000-0000-4000-8000-000000000001")
	netID       = itsm.MustParseID("00000000-0000-4000-8000-000000000002")
	telID       = itsm.MustParseID("00000000-0000-4000-8000-000000000003")
	cityID      = itsm.MustParseID("00000000-0000-4000-8000-000000000004")
	adminID     = itsm.MustParseID("00000000-0000-4000-8000-000000000005")
	otherDeskID = itsm.MustParseID("00000000-0000-4000-8000-000000000006")
	townID      = itsm.MustParseID("00000000-0000-4000-8000-000000000007")
	t0          = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
)

func newWorld(t testing.TB) *world {
	s := memstore.New()
	t.Cleanup(func() { s.Close() })
	return newWorldOn(t, s)
}

func newWorldOn(t testing.TB, store itsm.Store) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), store: store, clock: itsm.NewManualClock(t0)}
	dir, err := incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: otherDeskID, Name: "Other desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: netID, Name: "Nordnät", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: telID, Name: "Telco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer},
		itsm.Organisation{ID: townID, Name: "Town", Role: itsm.OrgCustomer},
		itsm.Organisation{ID: adminID, Name: "spoc administration", Role: itsm.OrgDesk},
	)
	if err != nil {
		t.Fatal(err)
	}
	w.perms = itsm.NewPermissions()
	for _, org := range []itsm.ID{deskID, otherDeskID, netID, telID, cityID, townID} {
		w.perms.Grant(org, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite)
	}
	person := func(org itsm.ID, name string, roles ...itsm.Role) itsm.Actor {
		return itsm.Actor{Organisation: org, Person: name, Roles: roles}
	}
	w.deskAdmin = person(deskID, "dora", itsm.RoleAdmin)
	w.deskAgent = person(deskID, "dan", itsm.RoleAgent)
	w.otherDeskAdmin = person(otherDeskID, "olle", itsm.RoleAdmin)
	w.netAdmin = person(netID, "nils", itsm.RoleAdmin)
	w.netAgent = person(netID, "nora", itsm.RoleAgent)
	w.telAgent = person(telID, "tove", itsm.RoleAgent)
	w.owner = person(cityID, "oskar", itsm.RoleObjectOwner)
	w.cityUser = person(cityID, "ulla", itsm.RoleRequester)
	w.cityAdmin = person(cityID, "cilla", itsm.RoleAdmin)
	w.townUser = person(townID, "tina", itsm.RoleRequester)
	w.platform = person(adminID, "root", itsm.RoleAdmin)
	w.ghost = person(itsm.MustParseID("00000000-0000-4000-8000-0000000000ff"), "ghost", itsm.RoleAdmin)
	admin := func(a itsm.Actor) bool { return a.Organisation == adminID && a.HasRole(itsm.RoleAdmin) }
	w.cat, err = catalogue.New(catalogue.Config{Store: store, Directory: dir, Permissions: w.perms, Clock: w.clock, Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	w.groups, err = chain.New(chain.Config{Store: store, Directory: dir, Clock: w.clock, Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) must(it *catalogue.Item, err error) *catalogue.Item {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	return it
}

func text(s string) catalogue.Text { return catalogue.Text{SV: s + " (sv)", EN: s} }

// passwordReset is a definition of type A with a secret control answer.
func passwordReset() catalogue.Definition {
	return catalogue.Definition{
		Name: text("Password reset"), Description: text("A new password after control questions."),
		Service: "Identity", Owner: "oskar", Type: catalogue.TypeA, Fulfiller: "password-reset",
		Form: json.RawMessage(`{
			"type": "object",
			"properties": {
				"account": {"type": "string", "minLength": 2, "maxLength": 64},
				"email": {"type": "string", "format": "email"},
				"birthplace": {"type": "string", "writeOnly": true}
			},
			"required": ["account", "email", "birthplace"],
			"additionalProperties": false
		}`),
	}
}

// account is a definition of type B: a new account in a business system.
func account() catalogue.Definition {
	return catalogue.Definition{
		Name: text("Account in the payroll system"), Description: text("A user account."),
		Service: "Payroll", Owner: "oskar", Type: catalogue.TypeB,
		Form:     json.RawMessage(`{"type":"object","properties":{"user":{"type":"string"}},"required":["user"]}`),
		Tasks:    []catalogue.Task{{Key: "create", Name: text("Create the account"), Supplier: netID}},
		Approval: &catalogue.Approval{Rule: catalogue.ApproveAny, Within: 16 * time.Hour, Remind: 8 * time.Hour},
	}
}

// phone is a definition of type C: a phone, its subscription and e-mail.
func phone() catalogue.Definition {
	return catalogue.Definition{
		Name: text("Mobile phone"), Description: text("A phone with a subscription and e-mail on it."),
		Service: "Mobile", Owner: "oskar", Type: catalogue.TypeC,
		Form: json.RawMessage(`{"type":"object","properties":{"model":{"enum":["small","large"]}}}`),
		Tasks: []catalogue.Task{
			{Key: "subscription", Name: text("Subscription"), Supplier: telID},
			{Key: "device", Name: text("Device"), Supplier: telID, After: []string{"subscription"}},
			{Key: "mail", Name: text("E-mail sync"), Supplier: netID, After: []string{"device"}},
		},
		Agreements: []string{"City SLA", "Telco UC"},
	}
}

// define defines d at the desk for the city.
func (w *world) define(d catalogue.Definition) *catalogue.Item {
	w.t.Helper()
	return w.must(w.cat.Define(w.ctx, w.deskAdmin, cityID, d))
}

// offered defines d and has the owner agree to it.
func (w *world) offered(d catalogue.Definition) *catalogue.Item {
	w.t.Helper()
	it := w.define(d)
	return w.must(w.cat.Agree(w.ctx, w.owner, it.ID, 1, "agreed"))
}

// log returns every event in the store.
func (w *world) log() []itsm.Event {
	w.t.Helper()
	var out []itsm.Event
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		for after := int64(0); ; {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			out = append(out, es...)
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// stored returns every item record as JSON with its version.
func (w *world) stored() map[itsm.ID]string {
	w.t.Helper()
	out := map[itsm.ID]string{}
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		q := itsm.Query{Kind: catalogue.Kind, Limit: itsm.MaxLimit}
		for {
			page, err := tx.Query(q)
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				out[h.Record.ID] = string(h.Record.Body) + " @" + itoa(h.Record.Version)
			}
			if page.Next == "" {
				return nil
			}
			q.After = page.Next
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// checkReplay checks that every stored item is the fold of its events, and
// that no event is about an item that is not stored.
func (w *world) checkReplay() {
	w.t.Helper()
	bySubject := map[itsm.ID][]itsm.Event{}
	for _, e := range w.log() {
		if e.Kind == catalogue.Kind {
			bySubject[e.Subject] = append(bySubject[e.Subject], e)
		}
	}
	stored := 0
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: catalogue.Kind, Limit: itsm.MaxLimit})
		stored = len(page.Matches)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if len(bySubject) != stored {
		w.t.Errorf("%d items have events, %d are stored", len(bySubject), stored)
	}
	for id, es := range bySubject {
		it, err := catalogue.Replay(es)
		if err != nil {
			w.t.Errorf("replay of %s: %v", id, err)
			continue
		}
		var s *catalogue.Item
		err = w.store.Read(w.ctx, func(tx itsm.ReadTx) (err error) {
			s, err = catalogue.Load(tx, id)
			return err
		})
		if err != nil {
			w.t.Errorf("item %s has events but no record: %v", id, err)
			continue
		}
		a, _ := json.Marshal(it)
		b, _ := json.Marshal(s)
		if string(a) != string(b) {
			w.t.Errorf("item %s: replayed %s\nstored %s", id, a, b)
		}
	}
}
