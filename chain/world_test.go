package chain_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// incident's directory serves the register as it is; the reference
// server's auth.Directory is checked where it is wired (httpapi).
var _ chain.Organisations = incident.Organisations{}

// world is a support chain with a desk, two suppliers and a customer, and
// the people who act for them.
type world struct {
	t     *testing.T
	ctx   context.Context
	store itsm.Store
	clock *itsm.ManualClock
	svc   *chain.Groups

	desk, netco, telco, city itsm.Organisation

	deskAdmin, deskAgent, deskUser itsm.Actor
	netAdmin, netAgent, telAdmin   itsm.Actor
	cityAdmin, cityUser, platform  itsm.Actor
	ghost                          itsm.Actor
}

var (
	deskID  = itsm.MustParseID("00000000-0000-4000-8000-000000000001")
	netID   = itsm.MustParseID("00000000-0000-4000-8000-000000000002")
	telID   = itsm.MustParseID("00000000-0000-4000-8000-000000000003")
	cityID  = itsm.MustParseID("00000000-0000-4000-8000-000000000004")
	adminID = itsm.MustParseID("00000000-0000-4000-8000-000000000005")
	t0      = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
)

func newWorld(t *testing.T) *world {
	s := memstore.New()
	t.Cleanup(func() { s.Close() })
	return newWorldOn(t, s)
}

func newWorldOn(t *testing.T, store itsm.Store) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), store: store, clock: itsm.NewManualClock(t0),
		desk:  itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		netco: itsm.Organisation{ID: netID, Name: "Nordnät", Role: itsm.OrgSupplier},
		telco: itsm.Organisation{ID: telID, Name: "Telco", Role: itsm.OrgSupplier},
		city:  itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer},
	}
	platform := itsm.Organisation{ID: adminID, Name: "spoc administration", Role: itsm.OrgDesk}
	dir, err := incident.NewOrganisations(w.desk, w.netco, w.telco, w.city, platform)
	if err != nil {
		t.Fatal(err)
	}
	person := func(org itsm.ID, name string, roles ...itsm.Role) itsm.Actor {
		return itsm.Actor{Organisation: org, Person: name, Roles: roles}
	}
	w.deskAdmin = person(deskID, "dora", itsm.RoleAdmin)
	w.deskAgent = person(deskID, "dan", itsm.RoleAgent)
	w.deskUser = person(deskID, "dee")
	w.netAdmin = person(netID, "nils", itsm.RoleAdmin)
	w.netAgent = person(netID, "nora", itsm.RoleAgent)
	w.telAdmin = person(telID, "tove", itsm.RoleAdmin)
	w.cityAdmin = person(cityID, "cilla", itsm.RoleAdmin)
	w.cityUser = person(cityID, "ulla")
	w.platform = person(adminID, "root", itsm.RoleAdmin)
	w.ghost = person(itsm.MustParseID("00000000-0000-4000-8000-0000000000ff"), "ghost", itsm.RoleAdmin)
	w.svc, err = chain.New(chain.Config{Store: store, Directory: dir, Clock: w.clock,
		Admin: func(a itsm.Actor) bool { return a.Organisation == adminID && a.HasRole(itsm.RoleAdmin) }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) must(g *chain.Group, err error) *chain.Group {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	return g
}

func (w *world) create(by itsm.Actor, org itsm.ID, name string, members ...string) *chain.Group {
	w.t.Helper()
	return w.must(w.svc.Create(w.ctx, by, org, chain.Definition{Name: name, Members: members}))
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

// stored returns every group record, decoded as the JSON it holds.
func (w *world) stored() map[itsm.ID]*chain.Group {
	w.t.Helper()
	out := map[itsm.ID]*chain.Group{}
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		q := itsm.Query{Kind: chain.Kind, Limit: itsm.MaxLimit}
		for {
			page, err := tx.Query(q)
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				g := new(chain.Group)
				if err := json.Unmarshal(h.Record.Body, g); err != nil {
					return err
				}
				g.Version = h.Record.Version
				out[g.ID] = g
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

// checkReplay checks that every stored group is the fold of its events,
// and that no event is about a group that is not stored.
func (w *world) checkReplay() {
	w.t.Helper()
	stored := w.stored()
	bySubject := map[itsm.ID][]itsm.Event{}
	for _, e := range w.log() {
		if e.Kind == chain.Kind {
			bySubject[e.Subject] = append(bySubject[e.Subject], e)
		}
	}
	if len(bySubject) != len(stored) {
		w.t.Errorf("%d groups have events, %d are stored", len(bySubject), len(stored))
	}
	for id, es := range bySubject {
		g, err := chain.Replay(es)
		if err != nil {
			w.t.Errorf("replay of %s: %v", id, err)
			continue
		}
		s, ok := stored[id]
		if !ok {
			w.t.Errorf("group %s has events but no record", id)
			continue
		}
		a, _ := json.Marshal(g)
		b, _ := json.Marshal(s)
		if string(a) != string(b) {
			w.t.Errorf("group %s: replayed %s\nstored %s", id, a, b)
		}
	}
}
