package incident_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/itemtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// itemWorld is the world on store with the tests' CMDB (internal/itemtest)
// as Config.Items, holding items of the desk (one of them retired, one
// maintained by the network supplier, one by the workplace supplier) and
// one of the other desk.
type itemWorld struct {
	*world
	// ap and sw are the desk's items in use, sw the network supplier's;
	// pc the workplace supplier's; old is retired; theirs is the other
	// desk's; unknown is in no CMDB.
	ap, sw, pc, old, theirs, unknown itsm.ID
}

func newItemWorld(t *testing.T, store itsm.Store, tune ...func(*incident.Config)) *itemWorld {
	t.Helper()
	w := &itemWorld{ap: itsm.NewID(), sw: itsm.NewID(), pc: itsm.NewID(), old: itsm.NewID(), theirs: itsm.NewID(), unknown: itsm.NewID()}
	w.world = newWorldOn(t, store, append([]func(*incident.Config){func(c *incident.Config) { c.Items = itemtest.CMDB{} }}, tune...)...)
	itemtest.Put(t, store,
		itemtest.Item{ID: w.ap, Desk: w.desk.ID},
		itemtest.Item{ID: w.sw, Desk: w.desk.ID, Supplier: w.network.ID},
		itemtest.Item{ID: w.pc, Desk: w.desk.ID, Supplier: w.work.ID},
		itemtest.Item{ID: w.old, Desk: w.desk.ID, Supplier: w.network.ID, Retired: true},
		itemtest.Item{ID: w.theirs, Desk: w.otherDsk.ID})
	return w
}

// wantRefusal fails t unless err is invalid and names the item.
func wantRefusal(t *testing.T, err error, item itsm.ID) {
	t.Helper()
	e := reqCode(t, err, itsm.CodeInvalid)
	if !strings.Contains(e.Error(), "configuration item "+item.String()) {
		t.Errorf("error %q does not name configuration item %s", e, item)
	}
}

// With a CMDB, an incident relates only to the desk's items in use: a
// registration or Relate naming an unknown, retired or other desk's item
// is refused and writes nothing, not even a master number; the items an
// incident keeps are not checked again once retired. On every backend,
// since the check reads the store in the command's transaction.
func TestIM6ItemsAreTheDesksInUse(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := newItemWorld(t, open(t))
			r := reqRegistration(w.world, "school wifi down")
			r.CIs = []itsm.ID{w.ap, w.sw}
			inc := w.must(w.svc.Register(w.ctx, w.agent, r))

			for _, bad := range []itsm.ID{w.unknown, w.old, w.theirs} {
				before := ruleLogLen(t, w.world)
				r := reqRegistration(w.world, "refused")
				r.CIs = []itsm.ID{w.ap, bad}
				_, err := w.svc.Register(w.ctx, w.agent, r)
				wantRefusal(t, err, bad)
				if after := ruleLogLen(t, w.world); after != before {
					t.Errorf("a refused registration wrote %d events", after-before)
				}
				snap := ruleSnap(t, w.world, inc.ID)
				_, err = w.svc.Relate(w.ctx, w.agent, inc.ID, []itsm.ID{w.ap, w.sw, bad}, itsm.ID{})
				wantRefusal(t, err, bad)
				reqUnchanged(t, w.world, inc.ID, snap)
			}
			// The refusals took no master number.
			if next := w.register("next"); next.Number.Seq != inc.Number.Seq+1 {
				t.Errorf("the next incident is %s after %s", next.Number, inc.Number)
			}

			// sw is retired: the incident keeps it, and may add another.
			itemtest.Put(t, w.store, itemtest.Item{ID: w.sw, Desk: w.desk.ID, Supplier: w.network.ID, Retired: true})
			inc = w.must(w.svc.Relate(w.ctx, w.agent, inc.ID, []itsm.ID{w.sw, w.pc}, itsm.ID{}))
			if len(inc.CIs) != 2 || inc.CIs[0] != w.sw || inc.CIs[1] != w.pc {
				t.Errorf("related to %v", inc.CIs)
			}
			// Once dropped, a retired item is new again, and refused.
			inc = w.must(w.svc.Relate(w.ctx, w.agent, inc.ID, []itsm.ID{w.pc}, itsm.ID{}))
			_, err := w.svc.Relate(w.ctx, w.agent, inc.ID, []itsm.ID{w.pc, w.sw}, itsm.ID{})
			wantRefusal(t, err, w.sw)
			// A registration of the retired item is refused too.
			r = reqRegistration(w.world, "old switch")
			r.CIs = []itsm.ID{w.sw}
			_, err = w.svc.Register(w.ctx, w.agent, r)
			wantRefusal(t, err, w.sw)
		})
	}
}

// Without a CMDB the items are IDs, unchecked, as before.
func TestIM6ItemsUncheckedWithoutCMDB(t *testing.T) {
	w := newWorld(t)
	r := reqRegistration(w, "anything")
	r.CIs = []itsm.ID{itsm.NewID()}
	inc := w.must(w.svc.Register(w.ctx, w.agent, r))
	w.must(w.svc.Relate(w.ctx, w.agent, inc.ID, []itsm.ID{itsm.NewID(), inc.CIs[0]}, itsm.ID{}))
}

// A route with ItemSupplier delegates to the supplier the CMDB says is
// responsible for the incident's first item that has one (SD-11): it beats
// a category and a subcategory, a route naming the item beats it, and an
// incident none of whose items has a supplier takes the next route.
func TestSD11RoutingFollowsTheItemsSupplier(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			core := itsm.NewID()
			w := newItemWorld(t, open(t), func(c *incident.Config) {
				c.Routes = append(c.Routes, incident.Route{ItemSupplier: true},
					incident.Route{CI: core, Organisation: c.Routes[0].Organisation, Group: c.Routes[0].Group})
			})
			itemtest.Put(t, w.store, itemtest.Item{ID: core, Desk: w.desk.ID, Supplier: w.work.ID})
			cases := []struct {
				name        string
				category    string
				subcategory string
				cis         []itsm.ID
				org         itsm.ID
				group       itsm.ID
			}{
				{"the items' supplier beats a subcategory", "network", "wifi", []itsm.ID{w.pc}, w.work.ID, itsm.ID{}},
				{"the first item with a supplier", "network", "", []itsm.ID{w.ap, w.sw, w.pc}, w.network.ID, itsm.ID{}},
				{"a route naming the item beats its supplier", "workplace", "", []itsm.ID{core}, w.network.ID, w.g("lan")},
				{"no item with a supplier: the category", "network", "", []itsm.ID{w.ap}, w.network.ID, w.g("lan")},
				{"no item: the subcategory", "network", "wifi", nil, w.network.ID, w.g("wifi")},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := reqRegistration(w.world, c.name)
					r.Category, r.Subcategory, r.CIs = c.category, c.subcategory, c.cis
					inc := w.must(w.svc.Register(w.ctx, w.agent, r))
					inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
					if inc.Holder != c.org || inc.Group != c.group {
						t.Errorf("delegated to %s/%s, want %s/%s", inc.Holder, inc.Group, c.org, c.group)
					}
				})
			}

			// An item the CMDB does not hold (related before it checked)
			// has no supplier; the next item's counts.
			plain := w.cfg
			plain.Items, plain.Routes = nil, nil
			unchecked, err := incident.New(plain)
			if err != nil {
				t.Fatal(err)
			}
			r := reqRegistration(w.world, "from before the CMDB")
			r.Category, r.CIs = "printing", []itsm.ID{w.unknown, w.pc}
			inc := w.must(unchecked.Register(w.ctx, w.agent, r))
			if inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{})); inc.Holder != w.work.ID {
				t.Errorf("delegated to %s, want the workplace supplier", inc.Holder)
			}

			// An item whose responsible organisation is no supplier (a
			// desk): the delegation is refused naming the item, and
			// writes nothing.
			odd := itsm.NewID()
			itemtest.Put(t, w.store, itemtest.Item{ID: odd, Desk: w.desk.ID, Supplier: w.otherDsk.ID})
			r = reqRegistration(w.world, "odd item")
			r.Category, r.CIs = "printing", []itsm.ID{odd}
			inc = w.must(w.svc.Register(w.ctx, w.agent, r))
			snap := ruleSnap(t, w.world, inc.ID)
			_, err = w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{})
			wantRefusal(t, err, odd)
			reqUnchanged(t, w.world, inc.ID, snap)
		})
	}
}

// A route that follows the items' supplier names no organisation, group
// or item, and needs a CMDB to ask.
func TestRoutesFollowingItemsValidated(t *testing.T) {
	w := newWorld(t)
	org, group, ci := w.network.ID, w.g("lan"), itsm.NewID()
	for _, c := range []struct {
		name  string
		route incident.Route
		items itsm.ConfigItems
		ok    bool
	}{
		{"alone", incident.Route{ItemSupplier: true}, itemtest.CMDB{}, true},
		{"with labels", incident.Route{ItemSupplier: true, Service: "s", Category: "c", Subcategory: "d"}, itemtest.CMDB{}, true},
		{"no CMDB", incident.Route{ItemSupplier: true}, nil, false},
		{"an organisation", incident.Route{ItemSupplier: true, Organisation: org}, itemtest.CMDB{}, false},
		{"a group", incident.Route{ItemSupplier: true, Group: group}, itemtest.CMDB{}, false},
		{"an item", incident.Route{ItemSupplier: true, CI: ci}, itemtest.CMDB{}, false},
		{"an ordinary route without organisation", incident.Route{Category: "c"}, itemtest.CMDB{}, false},
	} {
		cfg := w.cfg
		cfg.Routes, cfg.Items = []incident.Route{{Organisation: org}, c.route}, c.items
		_, err := incident.New(cfg)
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok && (!itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), "route 1")) {
			t.Errorf("%s: %v, want invalid naming route 1", c.name, err)
		}
	}
}
