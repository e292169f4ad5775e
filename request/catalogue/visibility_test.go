package catalogue_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// Who reads an item: the desk, the suppliers its tasks name, its owner,
// and the customer once a version was agreed (withdrawn or not); to anyone
// else it is not found.
func TestVisibility(t *testing.T) {
	w := newWorld(t)
	draft := w.define(account())                                                     // B at Nordnät, not agreed
	offered := w.offered(phone())                                                    // C at Telco and Nordnät
	reset := w.offered(passwordReset())                                              // A, no supplier
	gone := w.must(w.cat.Withdraw(w.ctx, w.deskAdmin, reset.ID, "Self-service now")) // withdrawn after agreement
	town := w.must(w.cat.Define(w.ctx, w.deskAdmin, townID, with(passwordReset(), func(d *catalogue.Definition) { d.Owner = "tina" })))
	w.must(w.cat.Agree(w.ctx, w.townUser, town.ID, 1, ""))

	reads := map[string]struct {
		actor itsm.Actor
		items []*catalogue.Item
	}{
		"the desk's agent":            {w.deskAgent, []*catalogue.Item{draft, offered, gone, town}},
		"the platform":                {w.platform, []*catalogue.Item{draft, offered, gone, town}},
		"Nordnät, named in B and C":   {w.netAgent, []*catalogue.Item{draft, offered}},
		"Telco, named in C":           {w.telAgent, []*catalogue.Item{offered}},
		"the owner":                   {w.owner, []*catalogue.Item{draft, offered, gone}},
		"a requester of the customer": {w.cityUser, []*catalogue.Item{offered, gone}},
		"the other customer":          {w.townUser, []*catalogue.Item{town}},
		"another desk":                {w.otherDeskAdmin, nil},
	}
	all := []*catalogue.Item{draft, offered, gone, town}
	for name, r := range reads {
		for _, it := range all {
			got, err := w.cat.Get(w.ctx, r.actor, it.ID)
			switch want := slices.Contains(r.items, it); {
			case want && (err != nil || got.ID != it.ID):
				t.Errorf("%s cannot read %s: %v", name, it.Versions[0].Name.EN, err)
			case !want && !itsm.IsCode(err, itsm.CodeNotFound):
				t.Errorf("%s reads %s (%v), want not found", name, it.Versions[0].Name.EN, err)
			}
		}
	}
	noRead := w.netAgent
	w.perms.Revoke(netID, itsm.DomainRequest, itsm.AccessRead)
	if _, err := w.cat.Get(w.ctx, noRead, draft.ID); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Errorf("an organisation without read access: %v", err)
	}
	if _, err := w.cat.List(w.ctx, noRead, catalogue.ListOptions{}); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Errorf("an organisation without read access lists: %v", err)
	}
	if _, err := w.cat.Get(w.ctx, w.ghost, draft.ID); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Errorf("an actor of no organisation: %v", err)
	}
}

// List returns what its reader may see, filtered by customer, service and
// whether offered, in pages.
func TestList(t *testing.T) {
	w := newWorld(t)
	draft := w.define(account())
	offered := w.offered(phone())
	reset := w.offered(passwordReset())
	gone := w.must(w.cat.Withdraw(w.ctx, w.deskAdmin, reset.ID, "Self-service now"))
	town := w.must(w.cat.Define(w.ctx, w.deskAdmin, townID, with(phone(), func(d *catalogue.Definition) { d.Owner = "tina" })))
	town = w.must(w.cat.Agree(w.ctx, w.townUser, town.ID, 1, ""))
	// A revision not yet agreed keeps the item offered, under its new
	// service.
	revised := w.must(w.cat.Revise(w.ctx, w.deskAdmin, offered.ID, with(phone(), func(d *catalogue.Definition) { d.Service = "Mobile | Telephony" })))

	cases := []struct {
		name  string
		actor itsm.Actor
		o     catalogue.ListOptions
		want  []*catalogue.Item
	}{
		{"the desk, all", w.deskAgent, catalogue.ListOptions{}, []*catalogue.Item{draft, revised, gone, town}},
		{"the desk, the city's", w.deskAgent, catalogue.ListOptions{Customer: cityID}, []*catalogue.Item{draft, revised, gone}},
		{"the desk, offered", w.deskAgent, catalogue.ListOptions{Offered: true}, []*catalogue.Item{revised, town}},
		{"the desk, the city's offered", w.deskAgent, catalogue.ListOptions{Customer: cityID, Offered: true}, []*catalogue.Item{revised}},
		{"the desk, a service", w.deskAgent, catalogue.ListOptions{Service: "Mobile"}, []*catalogue.Item{town}},
		{"the desk, a service with a bar", w.deskAgent, catalogue.ListOptions{Service: " Mobile | Telephony "}, []*catalogue.Item{revised}},
		{"the platform, all", w.platform, catalogue.ListOptions{}, []*catalogue.Item{draft, revised, gone, town}},
		{"another desk", w.otherDeskAdmin, catalogue.ListOptions{}, nil},
		{"the city", w.cityUser, catalogue.ListOptions{}, []*catalogue.Item{revised, gone}},
		{"the city, offered", w.cityUser, catalogue.ListOptions{Offered: true}, []*catalogue.Item{revised}},
		{"the city asking for the town's", w.cityUser, catalogue.ListOptions{Customer: townID}, nil},
		{"the town", w.townUser, catalogue.ListOptions{}, []*catalogue.Item{town}},
		{"Nordnät", w.netAgent, catalogue.ListOptions{}, []*catalogue.Item{draft, revised, town}},
		{"Nordnät, the town's", w.netAgent, catalogue.ListOptions{Customer: townID}, []*catalogue.Item{town}},
		{"Telco, offered", w.telAgent, catalogue.ListOptions{Offered: true}, []*catalogue.Item{revised, town}},
	}
	for _, tc := range cases {
		var got []itsm.ID
		for o := tc.o; ; {
			o.Limit = 1
			page, err := w.cat.List(w.ctx, tc.actor, o)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			if page.Next == "" {
				break
			}
			o.After = page.Next
		}
		var want []itsm.ID
		for _, it := range tc.want {
			want = append(want, it.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d items %v, want %d %v", tc.name, len(got), got, len(want), want)
		}
	}
	if _, err := w.cat.List(w.ctx, w.deskAgent, catalogue.ListOptions{Limit: itsm.MaxLimit + 1}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("a page too large: %v", err)
	}
}

// The suppliers of an item's versions together are at most MaxSuppliers,
// so that its index values fit every store.
func TestMaxSuppliers(t *testing.T) {
	orgs := []itsm.Organisation{{ID: deskID, Name: "Desk", Role: itsm.OrgDesk}, {ID: cityID, Name: "City", Role: itsm.OrgCustomer}}
	var tasks []catalogue.Task
	for i := range catalogue.MaxSuppliers + 1 {
		id := itsm.NewID()
		orgs = append(orgs, itsm.Organisation{ID: id, Name: fmt.Sprint("Supplier ", i), Role: itsm.OrgSupplier})
		tasks = append(tasks, catalogue.Task{Key: fmt.Sprint("t", i), Name: text("T"), Supplier: id})
	}
	dir, err := incident.NewOrganisations(orgs...)
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	defer store.Close()
	perms := itsm.NewPermissions().Grant(deskID, itsm.DomainRequest, itsm.AccessAll)
	cat, err := catalogue.New(catalogue.Config{Store: store, Directory: dir, Permissions: perms})
	if err != nil {
		t.Fatal(err)
	}
	ctx, admin := context.Background(), itsm.Actor{Organisation: deskID, Person: "dora", Roles: []itsm.Role{itsm.RoleAdmin}}
	d := phone()
	d.Tasks = tasks[:catalogue.MaxTasks]
	it, err := cat.Define(ctx, admin, cityID, d)
	if err != nil {
		t.Fatal(err)
	}
	d.Tasks = tasks[catalogue.MaxTasks-3 : catalogue.MaxSuppliers]
	if it, err = cat.Revise(ctx, admin, it.ID, d); err != nil {
		t.Fatalf("%d suppliers in all: %v", catalogue.MaxSuppliers, err)
	}
	d.Tasks = tasks[catalogue.MaxSuppliers-2:]
	if _, err = cat.Revise(ctx, admin, it.ID, d); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Fatalf("%d suppliers in all: %v, want invalid", catalogue.MaxSuppliers+1, err)
	}
	if page, err := cat.List(ctx, admin, catalogue.ListOptions{}); err != nil || len(page.Items) != 1 {
		t.Errorf("list: %v", err)
	}
}
