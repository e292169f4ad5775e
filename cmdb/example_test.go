package cmdb_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A desk registers two servers in a cluster that needs one of them, an
// application on the cluster and a business service depending on it;
// then asks what one server down, and then both, do to the service and
// its users.
func Example() {
	ctx := context.Background()
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Servicedesken", Role: itsm.OrgDesk}
	dir, err := incident.NewOrganisations(desk)
	if err != nil {
		log.Fatal(err)
	}
	store := memstore.New()
	defer store.Close()
	svc, err := cmdb.New(ctx, cmdb.Config{Store: store, Directory: dir,
		Permissions: itsm.NewPermissions().Grant(desk.ID, itsm.DomainCMDB, itsm.AccessAll)})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	agent := itsm.Actor{Organisation: desk.ID, Person: "axel", Roles: []itsm.Role{itsm.RoleAgent}}

	create := func(n cmdb.NewItem) *cmdb.Item {
		it, err := svc.Create(ctx, agent, n)
		if err != nil {
			log.Fatal(err) // an *itsm.Error naming the class, attribute or key at fault
		}
		return it
	}
	cluster := create(cmdb.NewItem{Class: "cluster", ItemEdit: cmdb.ItemEdit{Name: "Kluster 1", Redundancy: &cmdb.Redundancy{Min: 1}}})
	var servers []*cmdb.Item
	for _, host := range []string{"srv01", "srv02"} {
		s := create(cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: host,
			Attributes: map[string]string{"host_name": host, "memory_gb": "16,0"}}})
		if _, err := svc.Relate(ctx, agent, s.ID, cmdb.Relation{Type: "member_of", To: cluster.ID}); err != nil {
			log.Fatal(err)
		}
		servers = append(servers, s)
	}
	app := create(cmdb.NewItem{Class: "application", Relations: []cmdb.Relation{{Type: "runs_on", To: cluster.ID}},
		ItemEdit: cmdb.ItemEdit{Name: "Procapita"}})
	create(cmdb.NewItem{Class: "business_service", Relations: []cmdb.Relation{{Type: "depends_on", To: app.ID}},
		ItemEdit: cmdb.ItemEdit{Name: "Hemtjänst", Consumers: []cmdb.Consumer{{Unit: "Äldreomsorgen", Users: 420}}}})

	show := func(down ...*cmdb.Item) {
		var ds []cmdb.Down
		for _, d := range down {
			ds = append(ds, cmdb.Down{Item: d.ID})
		}
		im, err := svc.Impact(ctx, agent, desk.ID, ds)
		if err != nil {
			log.Fatal(err)
		}
		for _, s := range im.Services {
			fmt.Printf("%s is %s for %d users, through %d items\n", s.Name, s.Health, im.Users, len(s.Path)-1)
		}
	}
	show(servers[0])
	show(servers...)
	fmt.Println(servers[0].Attributes["memory_gb"])
	// Output:
	// Hemtjänst is degraded for 420 users, through 3 items
	// Hemtjänst is down for 420 users, through 3 items
	// 16
}

// The CMDB answers what an item looked like at any time, from its
// events.
func ExampleService_ItemAt() {
	ctx := context.Background()
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Servicedesken", Role: itsm.OrgDesk}
	dir, _ := incident.NewOrganisations(desk)
	clock := itsm.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	svc, err := cmdb.New(ctx, cmdb.Config{Store: memstore.New(), Directory: dir, Clock: clock,
		Permissions: itsm.NewPermissions().Grant(desk.ID, itsm.DomainCMDB, itsm.AccessAll)})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	agent := itsm.Actor{Organisation: desk.ID, Person: "axel", Roles: []itsm.Role{itsm.RoleAgent}}
	srv, err := svc.Create(ctx, agent, cmdb.NewItem{Class: "server",
		ItemEdit: cmdb.ItemEdit{Name: "srv01", Attributes: map[string]string{"host_name": "srv01", "memory_gb": "16"}}})
	if err != nil {
		log.Fatal(err)
	}
	clock.Advance(30 * 24 * time.Hour)
	if _, err := svc.Edit(ctx, agent, srv.ID, cmdb.ItemEdit{Name: "srv01",
		Attributes: map[string]string{"host_name": "srv01", "memory_gb": "64"}}); err != nil {
		log.Fatal(err)
	}
	then, err := svc.ItemAt(ctx, agent, srv.ID, time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	now, _ := svc.Get(ctx, agent, srv.ID)
	fmt.Println("15 March:", then.Attributes["memory_gb"], "GB; now:", now.Attributes["memory_gb"], "GB")
	// Output: 15 March: 16 GB; now: 64 GB
}
