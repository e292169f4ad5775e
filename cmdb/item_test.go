package cmdb_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestItemLifecycle: an item is registered with canonical attributes,
// edited, related, moved through its states and retired, on every
// backend; each step is one event, the record is the fold of its
// events, and the history and the item as it was answer for any time.
func TestItemLifecycle(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			site := w.item("site", "Stadshuset", map[string]string{"site_code": "SH1"})
			srv, err := w.svc.Create(w.ctx, w.deskAgent, cmdb.NewItem{Class: "server",
				Relations: []cmdb.Relation{rel("located_at", site)},
				ItemEdit: cmdb.ItemEdit{Name: " app01 ", Supplier: hostID, ObjectOwner: "Olle",
					Attributes: map[string]string{"host_name": "app01", "memory_gb": "3,50", "cpus": "1 024", "virtual": "Ja",
						"ip_address": "10.0.0.1", "purchased": "2024-03-01", "environment": "Production", "serial_number": " "}}})
			w.ok(err)
			if srv.Number.String() != "CI0000002" || srv.Name != "app01" || srv.State != cmdb.StateProduction || srv.Version != 1 {
				t.Fatalf("created %+v", srv)
			}
			want := map[string]string{"host_name": "app01", "memory_gb": "3.5", "cpus": "1024", "virtual": "true",
				"ip_address": "10.0.0.1", "purchased": "2024-03-01", "environment": "production"}
			if d := diff(srv.Attributes, want); d != "" {
				t.Fatalf("attributes not canonical: %s", d)
			}
			created := w.clock.Now()
			w.clock.Advance(24 * time.Hour)
			e := cmdb.ItemEdit{Name: "app01", Supplier: hostID, ObjectOwner: "Olle",
				Attributes: map[string]string{"host_name": "app01", "memory_gb": "8"}}
			srv, err = w.svc.Edit(w.ctx, w.hostAgent, srv.ID, e)
			w.ok(err)
			if srv.Version != 2 || srv.Attributes["memory_gb"] != "8" || srv.Attributes["cpus"] != "" {
				t.Fatalf("edited %+v", srv)
			}
			// The same edit again changes nothing and writes nothing.
			before := w.footprint()
			srv, err = w.svc.Edit(w.ctx, w.hostAgent, srv.ID, e)
			w.ok(err)
			if srv.Version != 2 || w.footprint() != before {
				t.Fatalf("an edit that changes nothing wrote: version %d", srv.Version)
			}
			cl := w.item("cluster", "Kluster A", nil)
			srv, err = w.svc.Relate(w.ctx, w.deskAgent, srv.ID, rel("member_of", cl))
			w.ok(err)
			srv, err = w.svc.SetState(w.ctx, w.deskAgent, srv.ID, cmdb.StateMaintenance, "Patchning")
			w.ok(err)
			srv, err = w.svc.Unrelate(w.ctx, w.deskAgent, srv.ID, rel("located_at", site))
			w.ok(err)
			if len(srv.Relations) != 1 || srv.Relations[0] != rel("member_of", cl) {
				t.Fatalf("relations %+v", srv.Relations)
			}
			w.replayed(srv.ID)
			hist, err := w.svc.History(w.ctx, w.telAgent, srv.ID)
			w.ok(err)
			var types []string
			for _, h := range hist {
				types = append(types, h.Type)
			}
			if !slices.Equal(types, []string{"cmdb.item.created", "cmdb.item.edited", "cmdb.item.related", "cmdb.item.state_changed", "cmdb.item.unrelated"}) {
				t.Fatalf("history %v", types)
			}
			if ed := hist[1].Payload.(cmdb.ItemEdited); !slices.Equal(ed.Changed, []string{"attributes.cpus", "attributes.environment",
				"attributes.ip_address", "attributes.memory_gb", "attributes.purchased", "attributes.virtual"}) || hist[1].By.Person != "tove" && hist[1].By.Person != "hugo" {
				t.Fatalf("edit event %+v", ed)
			}
			then, err := w.svc.ItemAt(w.ctx, w.cityAgent, srv.ID, created)
			w.ok(err)
			if then.Attributes["memory_gb"] != "3.5" || len(then.Relations) != 1 || then.Relations[0].Type != "located_at" || then.State != cmdb.StateProduction {
				t.Fatalf("the item as it was at creation: %+v", then)
			}
			_, err = w.svc.ItemAt(w.ctx, w.deskAgent, srv.ID, created.Add(-time.Second))
			w.code(err, itsm.CodeNotFound)
			srv, err = w.svc.SetState(w.ctx, w.deskAgent, srv.ID, cmdb.StateRetired, "")
			w.ok(err)
			w.refuse(itsm.CodeConflict, func() error {
				_, err := w.svc.SetState(w.ctx, w.deskAgent, srv.ID, cmdb.StateProduction, "")
				return err
			})
			w.replayed(srv.ID)
		})
	}
}

// TestImpactBasics: a server down takes down the application running on
// it and the service depending on it, whose consumers are counted; a
// cluster of two that needs one holds with one member down: it is listed
// at risk, and what runs on it is not hurt.
func TestImpactBasics(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			a, b, cl := w.pair()
			app := w.item("application", "Ekonomi", nil, rel("runs_on", cl))
			solo := w.item("application", "Lön", nil, rel("runs_on", a))
			svc, err := w.svc.Create(w.ctx, w.deskAgent, cmdb.NewItem{Class: "business_service",
				Relations: []cmdb.Relation{rel("depends_on", app), rel("depends_on", solo)},
				ItemEdit:  cmdb.ItemEdit{Name: "Ekonomitjänst", Consumers: []cmdb.Consumer{{Unit: "Skola", Users: 300}, {Unit: "Vård", Users: 50}}}})
			w.ok(err)
			w.ok(w.svc.Sync(w.ctx))
			im, err := w.svc.Impact(w.ctx, w.deskAgent, deskID, []cmdb.Down{{Item: a.ID}})
			w.ok(err)
			if len(im.Services) != 1 || im.Services[0].Item != svc.ID || im.Services[0].Health != "down" || im.Users != 350 {
				t.Fatalf("impact %+v", im)
			}
			if p := im.Services[0].Path; len(p) != 3 || p[0] != a.ID || p[1] != solo.ID || p[2] != svc.ID {
				t.Fatalf("path %v", p)
			}
			health := map[itsm.ID]string{}
			for _, x := range im.Items {
				health[x.Item] = x.Health
				if x.AtRisk {
					health[x.Item] += ", at risk"
				}
			}
			if health[a.ID] != "down" || health[cl.ID] != "degraded, at risk" || health[app.ID] != "" || health[solo.ID] != "down" || health[b.ID] != "" {
				t.Fatalf("items %+v", im.Items)
			}
			if last := im.Items[len(im.Items)-1]; last.Item != cl.ID || !slices.Equal(last.Path, []itsm.ID{a.ID, cl.ID}) {
				t.Fatalf("the cluster at risk is not last, with the path from its member: %+v", im.Items)
			}
		})
	}
}

// TestImpactRedundancy: a cluster that needs one of its two servers
// holds while one is down (at risk, its application and service not
// hurt) and goes down with both, taking down what runs on it, explained
// through the cluster; a degraded server left keeps the cluster going,
// degraded, and degrades what depends on it.
func TestImpactRedundancy(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			a, b, cl := w.pair()
			app := w.item("application", "Ekonomi", nil, rel("runs_on", cl))
			svc := w.businessService("Ekonomitjänst", []cmdb.Consumer{{Unit: "Skola", Users: 300}}, app)
			w.ok(w.svc.Sync(w.ctx))
			show := func(down ...cmdb.Down) string {
				t.Helper()
				im, err := w.svc.Impact(w.ctx, w.deskAgent, deskID, down)
				w.ok(err)
				var s []string
				for _, x := range append(im.Services, im.Items...) {
					h := x.Health
					if x.AtRisk {
						h += "/at-risk"
					}
					var path []string
					for _, id := range x.Path {
						path = append(path, map[itsm.ID]string{a.ID: "a", b.ID: "b", cl.ID: "cl", app.ID: "app", svc.ID: "svc"}[id])
					}
					s = append(s, fmt.Sprintf("%s:%s[%s]", x.Name, h, strings.Join(path, " ")))
				}
				return fmt.Sprintf("%s users %d", strings.Join(s, " "), im.Users)
			}
			for _, c := range []struct {
				down []cmdb.Down
				want string
			}{
				{[]cmdb.Down{{Item: a.ID}}, "a:down[a] Kluster:degraded/at-risk[a cl] users 0"},
				{[]cmdb.Down{{Item: b.ID, Health: "degraded"}}, "b:degraded[b] Kluster:degraded/at-risk[b cl] users 0"},
				{[]cmdb.Down{{Item: a.ID}, {Item: b.ID}},
					"Ekonomitjänst:down[b cl app svc] a:down[a] b:down[b] Kluster:down[b cl] Ekonomi:down[b cl app] users 300"},
				{[]cmdb.Down{{Item: a.ID}, {Item: b.ID, Health: "degraded"}},
					"Ekonomitjänst:degraded[b cl app svc] a:down[a] b:degraded[b] Kluster:degraded[b cl] Ekonomi:degraded[b cl app] users 300"},
			} {
				if got := show(c.down...); got != c.want {
					t.Errorf("impact of %v:\n got %s\nwant %s", c.down, got, c.want)
				}
			}
		})
	}
}

// TestImpactListsTheFirstItems: of the items hurt, an answer lists the
// first MaxImpactItems, the failed one first, and counts them all.
func TestImpactListsTheFirstItems(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	sw := w.item("network_device", "core", map[string]string{"host_name": "core"})
	for i := range cmdb.MaxImpactItems + 5 {
		w.server(fmt.Sprintf("srv%04d", i), rel("depends_on", sw))
	}
	im, err := w.svc.Impact(w.ctx, w.deskAgent, deskID, []cmdb.Down{{Item: sw.ID}})
	w.ok(err)
	if len(im.Items) != cmdb.MaxImpactItems || im.ItemsTotal != cmdb.MaxImpactItems+6 || im.Items[0].Item != sw.ID {
		t.Fatalf("%d items listed of %d, the first %s", len(im.Items), im.ItemsTotal, im.Items[0].Name)
	}
	for _, a := range im.Items[1:] {
		if len(a.Path) != 2 || a.Path[0] != sw.ID || a.Path[1] != a.Item || a.Health != "down" {
			t.Fatalf("%s: %+v", a.Name, a)
		}
	}
}
