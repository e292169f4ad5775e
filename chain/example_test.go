package chain_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
)

// A supplier's administrator sets up the supplier's teams; the desk reads
// them to delegate to one, and the holding model checks a holder against
// them.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Service desk", Role: itsm.OrgDesk}
	nordnat := itsm.Organisation{ID: itsm.NewID(), Name: "Nordnät", Role: itsm.OrgSupplier}
	dir, err := incident.NewOrganisations(desk, nordnat)
	if err != nil {
		log.Fatal(err)
	}
	groups, err := chain.New(chain.Config{Store: store, Directory: dir})
	if err != nil {
		log.Fatal(err)
	}
	admin := itsm.Actor{Organisation: nordnat.ID, Person: "nils", Roles: []itsm.Role{itsm.RoleAdmin}}
	network, err := groups.Create(ctx, admin, nordnat.ID, chain.Definition{Name: "Network", Members: []string{"nora", "nils"}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := groups.Create(ctx, admin, nordnat.ID, chain.Definition{Name: "Telephony", Email: "tele@nordnat.example"}); err != nil {
		log.Fatal(err)
	}
	_, err = groups.Create(ctx, admin, nordnat.ID, chain.Definition{Name: "network"})
	fmt.Println(itsm.ErrorCode(err)) // names are unique within the organisation, however cased

	agent := itsm.Actor{Organisation: desk.ID, Person: "dan", Roles: []itsm.Role{itsm.RoleAgent}}
	page, err := groups.List(ctx, agent, nordnat.ID, chain.ListOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range page.Groups {
		fmt.Println(g.Name, g.Members, g.Active)
	}

	fmt.Println(groups.Check(ctx, chain.Holder{Organisation: nordnat.ID, Group: network.ID, Assignee: "nora"}))
	fmt.Println(itsm.ErrorCode(groups.Check(ctx, chain.Holder{Organisation: nordnat.ID, Group: network.ID, Assignee: "dan"})))
	// Output:
	// conflict
	// Network [nils nora] true
	// Telephony [] true
	// <nil>
	// invalid
}
