package cmdb_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
)

// fixture is what the rules are tried on: a site, a cluster, a retired
// server, a server of the other desk, and a server Telco is responsible
// for, located at the site.
type fixture struct {
	site, cluster, retired, other, srv *cmdb.Item
}

func (w *world) fixture() fixture {
	w.t.Helper()
	var f fixture
	f.site = w.item("site", "Stadshuset", map[string]string{"site_code": "SH1"})
	f.cluster = w.item("cluster", "Kluster", map[string]string{"host_name": "kl01"})
	f.retired = w.server("old01")
	_, err := w.svc.SetState(w.ctx, w.deskAgent, f.retired.ID, cmdb.StateRetired, "Skrotad")
	w.ok(err)
	f.other, err = w.svc.Create(w.ctx, w.desk2Agent, cmdb.NewItem{Class: "server",
		ItemEdit: cmdb.ItemEdit{Name: "x01", Attributes: map[string]string{"host_name": "x01"}}})
	w.ok(err)
	f.srv, err = w.svc.Create(w.ctx, w.telAgent, cmdb.NewItem{Desk: deskID, Class: "server",
		Relations: []cmdb.Relation{rel("located_at", f.site)},
		ItemEdit:  cmdb.ItemEdit{Name: "app01", Attributes: map[string]string{"host_name": "app01", "serial_number": "SN1"}}})
	w.ok(err)
	if f.srv.Supplier != telcoID {
		w.t.Fatalf("Telco's server names supplier %s", f.srv.Supplier)
	}
	return f
}

// TestValidationRules: every check of an input, each refused with its
// code and an error naming what is wrong, writing nothing.
func TestValidationRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	f := w.fixture()
	w.server("web01")
	edit := func(e cmdb.ItemEdit) func() error {
		return func() error { _, err := w.svc.Edit(w.ctx, w.deskAgent, f.srv.ID, e); return err }
	}
	create := func(n cmdb.NewItem) func() error {
		return func() error { _, err := w.svc.Create(w.ctx, w.deskAgent, n); return err }
	}
	relate := func(from *cmdb.Item, r cmdb.Relation) func() error {
		return func() error { _, err := w.svc.Relate(w.ctx, w.deskAgent, from.ID, r); return err }
	}
	srv := func(attrs map[string]string) cmdb.NewItem {
		return cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: attrs}}
	}
	host := map[string]string{"host_name": "new01"}
	withHost := func(k, v string) map[string]string { return map[string]string{"host_name": "new01", k: v} }
	svcItem := func(e cmdb.ItemEdit) cmdb.NewItem {
		e.Name = "Tjänst"
		return cmdb.NewItem{Class: "business_service", ItemEdit: e}
	}
	for _, c := range []struct {
		name string
		code itsm.Code
		says string
		cmd  func() error
	}{
		{"unknown class", itsm.CodeInvalid, `class "vm" is not in the model`, create(cmdb.NewItem{Class: "vm", ItemEdit: cmdb.ItemEdit{Name: "v"}})},
		{"no name", itsm.CodeInvalid, "item name is empty", create(cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: " ", Attributes: host}})},
		{"name with a control character", itsm.CodeInvalid, "item name contains U+0007", create(cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: "a\ab", Attributes: host}})},
		{"unknown attribute", itsm.CodeInvalid, `class server has no attribute "colour"`, create(srv(withHost("colour", "red")))},
		{"required attribute", itsm.CodeInvalid, "class server: attribute host_name is required", create(srv(map[string]string{"cpus": "2"}))},
		{"required attribute blank", itsm.CodeInvalid, "attribute host_name is required", create(srv(map[string]string{"host_name": "  "}))},
		{"integer", itsm.CodeInvalid, `class server: attribute cpus: "två" is not an integer`, create(srv(withHost("cpus", "två")))},
		{"decimal", itsm.CodeInvalid, "attribute memory_gb", create(srv(withHost("memory_gb", "8 GB")))},
		{"boolean", itsm.CodeInvalid, "attribute virtual", create(srv(withHost("virtual", "kanske")))},
		{"date", itsm.CodeInvalid, "attribute purchased", create(srv(withHost("purchased", "2026-13-01")))},
		{"enum", itsm.CodeInvalid, "attribute environment", create(srv(withHost("environment", "staging")))},
		{"ip", itsm.CodeInvalid, "attribute ip_address", create(srv(withHost("ip_address", "10.0.0")))},
		{"key held", itsm.CodeConflict, `key host_name = "app01" of class server is held by ` + f.srv.Number.String(), create(srv(map[string]string{"host_name": "app01"}))},
		{"key held after canonical form", itsm.CodeConflict, "key serial_number", create(srv(withHost("serial_number", " SN1 ")))},
		{"key held, by an edit", itsm.CodeConflict, "key host_name", edit(cmdb.ItemEdit{Name: "app01", Supplier: telcoID, Attributes: map[string]string{"host_name": "web01"}})},
		{"retired state at creation", itsm.CodeInvalid, "not registered retired", create(cmdb.NewItem{Class: "server", State: cmdb.StateRetired, ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host}})},
		{"unknown state", itsm.CodeInvalid, `state "broken"`, create(cmdb.NewItem{Class: "server", State: "broken", ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host}})},
		{"group without redundancy", itsm.CodeInvalid, "class cluster is a redundancy group", create(cmdb.NewItem{Class: "cluster", ItemEdit: cmdb.ItemEdit{Name: "k"}})},
		{"redundancy both", itsm.CodeInvalid, "exactly one of min and percent", create(cmdb.NewItem{Class: "cluster", ItemEdit: cmdb.ItemEdit{Name: "k", Redundancy: &cmdb.Redundancy{Min: 1, Percent: 50}}})},
		{"redundancy neither", itsm.CodeInvalid, "exactly one of min and percent", create(cmdb.NewItem{Class: "cluster", ItemEdit: cmdb.ItemEdit{Name: "k", Redundancy: &cmdb.Redundancy{}}})},
		{"redundancy percent", itsm.CodeInvalid, "percent 101", create(cmdb.NewItem{Class: "cluster", ItemEdit: cmdb.ItemEdit{Name: "k", Redundancy: &cmdb.Redundancy{Percent: 101}}})},
		{"redundancy min", itsm.CodeInvalid, "min -1", create(cmdb.NewItem{Class: "cluster", ItemEdit: cmdb.ItemEdit{Name: "k", Redundancy: &cmdb.Redundancy{Min: -1}}})},
		{"redundancy of a server", itsm.CodeInvalid, "class server is not a redundancy group", edit(cmdb.ItemEdit{Name: "app01", Supplier: telcoID, Attributes: map[string]string{"host_name": "app01"}, Redundancy: &cmdb.Redundancy{Min: 1}})},
		{"consumers of a server", itsm.CodeInvalid, "class server is not a service", edit(cmdb.ItemEdit{Name: "app01", Supplier: telcoID, Attributes: map[string]string{"host_name": "app01"}, Consumers: []cmdb.Consumer{{Unit: "Skola", Users: 1}}})},
		{"consumer unit twice", itsm.CodeInvalid, `consumer unit "skola" is given twice`, create(svcItem(cmdb.ItemEdit{Consumers: []cmdb.Consumer{{Unit: "Skola"}, {Unit: "skola"}}}))},
		{"consumer without unit", itsm.CodeInvalid, "consumer unit is empty", create(svcItem(cmdb.ItemEdit{Consumers: []cmdb.Consumer{{Users: 3}}}))},
		{"consumer users", itsm.CodeInvalid, "-3 users", create(svcItem(cmdb.ItemEdit{Consumers: []cmdb.Consumer{{Unit: "Skola", Users: -3}}}))},
		{"supplier unknown", itsm.CodeInvalid, "supplier: organisation", create(cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host, Supplier: itsm.NewID()}})},
		{"supplier a customer", itsm.CodeInvalid, "is a customer, not a supplier", create(cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host, Supplier: cityID}})},
		{"supplier not working with the desk", itsm.CodeInvalid, "does not work with desk", create(cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host, Supplier: loneID}})},
		{"relation type unknown", itsm.CodeInvalid, `relation type "hosts" is not in the model`, relate(f.srv, cmdb.Relation{Type: "hosts", To: f.cluster.ID})},
		{"relation type not the class's", itsm.CodeInvalid, "class server may not have relations contains", relate(f.srv, rel("contains", f.cluster))},
		{"relation target class", itsm.CodeInvalid, "relation located_at: a server may not have it to a cluster", relate(f.srv, rel("located_at", f.cluster))},
		{"relation to itself", itsm.CodeInvalid, "cannot relate to itself", relate(f.srv, rel("runs_on", f.srv))},
		{"relation target zero", itsm.CodeInvalid, "target is zero", relate(f.srv, cmdb.Relation{Type: "runs_on"})},
		{"relation target unknown", itsm.CodeInvalid, "not found in the CMDB of desk", relate(f.srv, cmdb.Relation{Type: "runs_on", To: itsm.NewID()})},
		{"relation target of another desk", itsm.CodeInvalid, "not found in the CMDB of desk", relate(f.srv, rel("runs_on", f.other))},
		{"relation target retired", itsm.CodeConflict, f.retired.Number.String() + " is retired", relate(f.srv, rel("runs_on", f.retired))},
		{"relation twice", itsm.CodeConflict, "has relation located_at to", relate(f.srv, rel("located_at", f.site))},
		{"relation given twice at creation", itsm.CodeInvalid, "is given twice", create(cmdb.NewItem{Class: "server", Relations: []cmdb.Relation{rel("member_of", f.cluster), rel("member_of", f.cluster)}, ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host}})},
		{"relation at creation to a retired item", itsm.CodeConflict, "is retired", create(cmdb.NewItem{Class: "server", Relations: []cmdb.Relation{rel("runs_on", f.retired)}, ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host}})},
		{"too many relations", itsm.CodeInvalid, "relations, more than", create(cmdb.NewItem{Class: "server", Relations: make([]cmdb.Relation, cmdb.MaxRelations+1), ItemEdit: cmdb.ItemEdit{Name: "s", Attributes: host}})},
		{"unrelate a relation it does not have", itsm.CodeNotFound, "has no relation member_of", func() error {
			_, err := w.svc.Unrelate(w.ctx, w.deskAgent, f.srv.ID, rel("member_of", f.cluster))
			return err
		}},
		{"same state", itsm.CodeConflict, "is production already", func() error {
			_, err := w.svc.SetState(w.ctx, w.deskAgent, f.srv.ID, cmdb.StateProduction, "")
			return err
		}},
		{"state unknown", itsm.CodeInvalid, `state "gone"`, func() error {
			_, err := w.svc.SetState(w.ctx, w.deskAgent, f.srv.ID, "gone", "")
			return err
		}},
		{"out of retired", itsm.CodeConflict, "it is retired", func() error {
			_, err := w.svc.SetState(w.ctx, w.deskAgent, f.retired.ID, cmdb.StatePlanned, "")
			return err
		}},
		{"edit retired", itsm.CodeConflict, "it is retired", func() error {
			_, err := w.svc.Edit(w.ctx, w.deskAgent, f.retired.ID, cmdb.ItemEdit{Name: "x", Attributes: map[string]string{"host_name": "old01"}})
			return err
		}},
		{"relate retired", itsm.CodeConflict, "it is retired", relate(f.retired, rel("located_at", f.site))},
		{"unrelate retired", itsm.CodeConflict, "it is retired", func() error {
			_, err := w.svc.Unrelate(w.ctx, w.deskAgent, f.retired.ID, rel("located_at", f.site))
			return err
		}},
		{"stale version", itsm.CodeConflict, "is at version", func() error {
			_, err := w.svc.IfVersion(f.srv.Version+1).SetState(w.ctx, w.deskAgent, f.srv.ID, cmdb.StateMaintenance, "")
			return err
		}},
		{"reason with a control character", itsm.CodeInvalid, "reason contains", func() error {
			_, err := w.svc.SetState(w.ctx, w.deskAgent, f.srv.ID, cmdb.StateMaintenance, "a\x00b")
			return err
		}},
		{"unknown item", itsm.CodeNotFound, "not found", relate(&cmdb.Item{ID: itsm.NewID()}, rel("located_at", f.site))},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.t = t
			err := w.refuse(c.code, c.cmd)
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("%v does not say %q", err, c.says)
			}
		})
	}
	// The checks pass what they should: the item is where it was.
	w.t = t
	w.replayed(f.srv.ID)
}

// verdict is what an actor gets from an operation: ok or an error code.
type verdict string

const ok verdict = "ok"

func verdictOf(err error) verdict {
	if err == nil {
		return ok
	}
	return verdict(itsm.ErrorCode(err))
}

// TestAccessRules: who may do what with an item Telco is responsible for
// in the desk's CMDB, each operation by each kind of actor; what is
// refused writes nothing.
func TestAccessRules(t *testing.T) {
	type op struct {
		name  string
		write bool
		do    func(w *world, f fixture, a itsm.Actor) error
	}
	ops := []op{
		{"get", false, func(w *world, f fixture, a itsm.Actor) error { _, err := w.svc.Get(w.ctx, a, f.srv.ID); return err }},
		{"history", false, func(w *world, f fixture, a itsm.Actor) error { _, err := w.svc.History(w.ctx, a, f.srv.ID); return err }},
		{"item at", false, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.ItemAt(w.ctx, a, f.srv.ID, w.clock.Now())
			return err
		}},
		{"related", false, func(w *world, f fixture, a itsm.Actor) error { _, err := w.svc.Related(w.ctx, a, f.srv.ID); return err }},
		{"list", false, func(w *world, f fixture, a itsm.Actor) error {
			p, err := w.svc.List(w.ctx, a, cmdb.Filter{Desk: deskID})
			if err == nil && len(p.Items) != 4 {
				return fmt.Errorf("lists %d items, want 4", len(p.Items))
			}
			return err
		}},
		{"impact", false, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.Impact(w.ctx, a, deskID, []cmdb.Down{{Item: f.srv.ID}})
			return err
		}},
		{"create for itself", true, func(w *world, f fixture, a itsm.Actor) error {
			n := cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: "n", Supplier: a.Organisation, Attributes: map[string]string{"host_name": "n" + a.Person}}}
			if a.Organisation != deskID {
				n.Desk = deskID
			} else {
				n.Supplier = itsm.ID{}
			}
			_, err := w.svc.Create(w.ctx, a, n)
			return err
		}},
		{"create for another supplier", true, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.Create(w.ctx, a, cmdb.NewItem{Desk: deskID, Class: "server",
				ItemEdit: cmdb.ItemEdit{Name: "n", Supplier: hostID, Attributes: map[string]string{"host_name": "m" + a.Person}}})
			return err
		}},
		{"edit", true, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.Edit(w.ctx, a, f.srv.ID, cmdb.ItemEdit{Name: "app02", Supplier: telcoID, Attributes: map[string]string{"host_name": "app01"}})
			return err
		}},
		{"hand over", true, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.Edit(w.ctx, a, f.srv.ID, cmdb.ItemEdit{Name: "app01", Supplier: hostID, Attributes: map[string]string{"host_name": "app01"}})
			return err
		}},
		{"set state", true, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.SetState(w.ctx, a, f.srv.ID, cmdb.StateMaintenance, "")
			return err
		}},
		{"relate", true, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.Relate(w.ctx, a, f.srv.ID, rel("member_of", f.cluster))
			return err
		}},
		{"unrelate", true, func(w *world, f fixture, a itsm.Actor) error {
			_, err := w.svc.Unrelate(w.ctx, a, f.srv.ID, rel("located_at", f.site))
			return err
		}},
	}
	// want gives each actor's verdict for each op, in ops' order.
	const (
		F = verdict(itsm.CodeForbidden)
		N = verdict(itsm.CodeNotFound)
		I = verdict(itsm.CodeInvalid)
	)
	for _, c := range []struct {
		who  string
		as   func(w *world) itsm.Actor
		want []verdict
	}{
		//                                get history at  related list impact create other edit hand state relate unrelate
		{"desk agent", func(w *world) itsm.Actor { return w.deskAgent }, []verdict{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
		{"desk user, not an agent", func(w *world) itsm.Actor { return w.deskUser }, []verdict{ok, ok, ok, ok, ok, ok, F, F, F, F, F, F, F}},
		{"responsible supplier", func(w *world) itsm.Actor { return w.telAgent }, []verdict{ok, ok, ok, ok, ok, ok, ok, F, ok, F, ok, ok, ok}},
		{"other supplier", func(w *world) itsm.Actor { return w.hostAgent }, []verdict{ok, ok, ok, ok, ok, ok, ok, ok, F, F, F, F, F}},
		{"customer", func(w *world) itsm.Actor { return w.cityAgent }, []verdict{ok, ok, ok, ok, ok, ok, F, F, F, F, F, F, F}},
		{"other desk", func(w *world) itsm.Actor { return w.desk2Agent }, []verdict{N, N, N, N, F, F, F, F, N, N, N, N, N}},
		{"supplier without rights", func(w *world) itsm.Actor { return w.bareAgent }, []verdict{F, F, F, F, F, F, F, F, F, F, F, F, F}},
		{"supplier not working with the desk", func(w *world) itsm.Actor { return w.loneAgent }, []verdict{N, N, N, N, F, F, F, F, N, N, N, N, N}},
		{"unknown organisation", func(w *world) itsm.Actor { return person(itsm.NewID(), "x", itsm.RoleAgent) }, []verdict{F, F, F, F, F, F, F, F, F, F, F, F, F}},
		{"invalid actor", func(w *world) itsm.Actor { return person(deskID, "") }, []verdict{I, I, I, I, I, I, I, I, I, I, I, I, I}},
	} {
		t.Run(c.who, func(t *testing.T) {
			for i, o := range ops {
				w := newWorld(t, backends()["memstore"](t))
				f := w.fixture()
				a := c.as(w)
				before := w.footprint()
				got := verdictOf(o.do(w, f, a))
				if got != c.want[i] {
					t.Errorf("%s: %s, want %s", o.name, got, c.want[i])
				}
				if got != ok && w.footprint() != before {
					t.Errorf("%s: refused, but wrote", o.name)
				}
				if got == ok && o.write && w.footprint() == before {
					t.Errorf("%s: allowed, but wrote nothing", o.name)
				}
			}
		})
	}
}

// TestRetiredLetsGoOfKeys: a retired item's key values are free for the
// item that replaces it, which an import then finds by them; the retired
// one keeps them in its record and history.
func TestRetiredLetsGoOfKeys(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	old := w.server("srv01")
	_, err := w.svc.SetState(w.ctx, w.deskAgent, old.ID, cmdb.StateRetired, "Ersatt")
	w.ok(err)
	repl := w.server("srv01")
	p, err := w.svc.List(w.ctx, w.deskAgent, cmdb.Filter{Class: "server", Key: map[string]string{"host_name": "SRV01 "}})
	w.ok(err)
	if len(p.Items) != 0 {
		t.Fatalf("host names are text, compared as they are: found %+v", p.Items)
	}
	p, err = w.svc.List(w.ctx, w.deskAgent, cmdb.Filter{Class: "server", Key: map[string]string{"host_name": " srv01"}})
	w.ok(err)
	if len(p.Items) != 1 || p.Items[0].ID != repl.ID {
		t.Fatalf("the key finds %+v, want the replacement only", p.Items)
	}
	if got, err := w.svc.Get(w.ctx, w.deskAgent, old.ID); err != nil || got.Attributes["host_name"] != "srv01" {
		t.Fatalf("the retired server %+v, %v", got, err)
	}
	w.refuse(itsm.CodeConflict, func() error {
		_, err := w.svc.Create(w.ctx, w.deskAgent, cmdb.NewItem{Class: "server",
			ItemEdit: cmdb.ItemEdit{Name: "x", Attributes: map[string]string{"host_name": "srv01"}}})
		return err
	})
}
