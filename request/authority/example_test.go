package authority_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/sla"
)

// The city's administrator puts Alice on the list of requesters of
// laptops, ends it after a week, and an order command checks with an
// Index caught up inside its own transaction.
func ExampleLists() {
	ctx := context.Background()
	zone, _ := time.LoadLocation("Europe/Stockholm")
	city := itsm.MustParseID("01900000-0000-7000-8000-00000000c001")
	store := memstore.New()
	defer store.Close()
	clock := itsm.NewManualClock(time.Date(2026, 4, 1, 9, 0, 0, 0, zone))
	lists, err := authority.New(authority.Config{Store: store, Clock: clock, Zone: zone,
		Directory:   directory{city: {ID: city, Name: "City", Role: itsm.OrgCustomer}},
		Permissions: itsm.NewPermissions().Grant(city, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite)})
	if err != nil {
		panic(err)
	}
	admin := itsm.Actor{Organisation: city, Person: "ada", Roles: []itsm.Role{itsm.RoleAdmin}}
	g, err := lists.Grant(ctx, admin, authority.Grant{Customer: city, Person: "alice", Role: authority.RoleRequester,
		Service: "Laptops", From: sla.Date{Year: 2026, Month: 4, Day: 1}})
	if err != nil {
		panic(err)
	}
	clock.Advance(24 * time.Hour)
	g, err = lists.End(ctx, admin, g.ID, sla.Date{Year: 2026, Month: 4, Day: 7}, "Moved to another unit")
	if err != nil {
		panic(err)
	}
	fmt.Println("alice may order laptops from", g.From, "through", g.Until)

	index := authority.NewIndex(zone)
	check := func(at time.Time) bool {
		var ok bool
		err := store.Read(ctx, func(tx itsm.ReadTx) error {
			if err := index.CatchUp(tx); err != nil {
				return err
			}
			ok = index.MayOrder(city, "alice", itsm.ID{}, "Laptops", at)
			return nil
		})
		if err != nil {
			panic(err)
		}
		return ok
	}
	fmt.Println("before the grant was recorded:", check(time.Date(2026, 4, 1, 8, 0, 0, 0, zone)))
	fmt.Println("on 7 April, late:", check(time.Date(2026, 4, 7, 23, 59, 0, 0, zone)))
	fmt.Println("on 8 April:", check(time.Date(2026, 4, 8, 0, 0, 0, 0, zone)))
	// Output:
	// alice may order laptops from 2026-04-01 through 2026-04-07
	// before the grant was recorded: false
	// on 7 April, late: true
	// on 8 April: false
}
