package request_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/report"
)

// shop is what the examples share: a desk (Desk), a supplier of phones
// (Telco) and one of e-mail (Mailco), a city that orders, and the services
// that run the catalogue, the city's lists and the orders.
type shop struct {
	ctx                    context.Context
	cat                    *catalogue.Catalogue
	lists                  *authority.Lists
	orders                 *request.Service
	desk, telco, mailco    itsm.ID
	admin, agent, tel, mai itsm.Actor
	cityAdmin, anna, bo    itsm.Actor
	city                   itsm.ID
}

// listFulfiller adds people to e-mail lists: an order of type A.
type listFulfiller struct{ added map[string]bool }

func (f listFulfiller) Fulfil(_ context.Context, ff request.Fulfilment) (request.Outcome, error) {
	if !f.added[ff.Key] { // act once per order, however often asked
		f.added[ff.Key] = true
	}
	var a struct{ List string }
	if err := json.Unmarshal(ff.Answers, &a); err != nil {
		return request.Outcome{}, itsm.Wrap(itsm.CodeInvalid, err, "answers")
	}
	return request.Outcome{Note: ff.Requester + " is on " + a.List + " now."}, nil
}

func newShop() *shop {
	s := &shop{ctx: context.Background(), desk: itsm.NewID(), telco: itsm.NewID(), mailco: itsm.NewID(), city: itsm.NewID()}
	s.admin = itsm.Actor{Organisation: s.desk, Person: "dora", Roles: []itsm.Role{itsm.RoleAdmin, itsm.RoleAgent}}
	s.agent = itsm.Actor{Organisation: s.desk, Person: "axel", Roles: []itsm.Role{itsm.RoleAgent}}
	s.tel = itsm.Actor{Organisation: s.telco, Person: "tove", Roles: []itsm.Role{itsm.RoleAgent}}
	s.mai = itsm.Actor{Organisation: s.mailco, Person: "max", Roles: []itsm.Role{itsm.RoleAgent}}
	s.cityAdmin = itsm.Actor{Organisation: s.city, Person: "clara", Roles: []itsm.Role{itsm.RoleAdmin}}
	s.anna = itsm.Actor{Organisation: s.city, Person: "anna"}
	s.bo = itsm.Actor{Organisation: s.city, Person: "bo"}
	dir, _ := incident.NewOrganisations(
		itsm.Organisation{ID: s.desk, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: s.telco, Name: "Telco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: s.mailco, Name: "Mailco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: s.city, Name: "City", Role: itsm.OrgCustomer})
	perms := itsm.NewPermissions()
	for _, o := range []itsm.ID{s.desk, s.telco, s.mailco, s.city} {
		perms.Grant(o, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite|itsm.AccessReport)
	}
	store := memstore.New()
	s.cat, _ = catalogue.New(catalogue.Config{Store: store, Directory: dir, Permissions: perms})
	s.lists, _ = authority.New(authority.Config{Store: store, Directory: dir, Permissions: perms})
	var err error
	s.orders, err = request.New(request.Config{Store: store, Directory: dir, Permissions: perms,
		Catalogue: s.cat, Authority: authority.NewIndex(s.lists.Zone()),
		Fulfiller: listFulfiller{added: map[string]bool{}}})
	if err != nil {
		panic(err)
	}
	return s
}

// offer defines an item, has its owner bo agree, and lets anna order it
// and bo approve it from today.
func (s *shop) offer(d catalogue.Definition) itsm.ID {
	d.Owner, d.Service = "bo", "Telefoni"
	it, err := s.cat.Define(s.ctx, s.admin, s.city, d)
	if err != nil {
		panic(err)
	}
	if _, err := s.cat.Agree(s.ctx, s.bo, it.ID, 1, "Agreed with the desk"); err != nil {
		panic(err)
	}
	today := sla.DateOf(time.Now().In(s.lists.Zone()))
	for _, g := range []authority.Grant{
		{Customer: s.city, Person: "anna", Role: authority.RoleRequester, Item: it.ID, From: today},
		{Customer: s.city, Person: "bo", Role: authority.RoleApprover, Item: it.ID, From: today},
	} {
		if _, err := s.lists.Grant(s.ctx, s.cityAdmin, g); err != nil {
			panic(err)
		}
	}
	return it.ID
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func form(schema string) json.RawMessage { return json.RawMessage(schema) }

// An order of type A is fulfilled in code: the service runs the host's
// Fulfiller after recording the order, and the order closes itself with
// the fulfiller's note as the answer (RF-2).
func ExampleService_Place_typeA() {
	s := newShop()
	item := s.offer(catalogue.Definition{Type: catalogue.TypeA, Fulfiller: "lists",
		Name:        catalogue.Text{SV: "E-postlista", EN: "E-mail list"},
		Description: catalogue.Text{SV: "Läggs till direkt.", EN: "Added at once."},
		Form:        form(`{"type":"object","properties":{"list":{"type":"string"}},"required":["list"]}`)})

	o := must(s.orders.Place(s.ctx, s.anna, request.Placement{Item: item, Answers: form(`{"list":"all-staff"}`)}))
	fmt.Println(o.Number, o.State)
	must(s.orders.FulfilDue(s.ctx)) // Run does this in the background
	o = must(s.orders.GetOrder(s.ctx, s.anna, o.ID))
	fmt.Println(o.State, o.Answer)
	// Output:
	// REQ0000001 in_progress
	// closed anna is on all-staff now.
}

// An order of type B waits for its approver, and the desk handles its task
// itself; the desk then answers the requester and closes it (RF-3, RF-6).
func ExampleService_Place_typeB() {
	s := newShop()
	item := s.offer(catalogue.Definition{Type: catalogue.TypeB,
		Name:        catalogue.Text{SV: "Nytt konto", EN: "New account"},
		Description: catalogue.Text{SV: "Ett konto i ekonomisystemet.", EN: "An account in the finance system."},
		Form:        form(`{"type":"object","properties":{"user":{"type":"string"}},"required":["user"]}`),
		Tasks:       []catalogue.Task{{Key: "account", Name: catalogue.Text{SV: "Skapa kontot", EN: "Create the account"}}},
		Approval:    &catalogue.Approval{Rule: catalogue.ApproveAny, Within: 8 * time.Hour}})

	o := must(s.orders.Place(s.ctx, s.anna, request.Placement{Item: item, Answers: form(`{"user":"anna.a"}`)}))
	fmt.Println(o.Number, o.State, o.Approval.Approvers)
	o = must(s.orders.Approve(s.ctx, s.bo, o.ID, "Yes"))
	task := o.Tasks[0].ID
	must(s.orders.Take(s.ctx, s.agent, task))
	must(s.orders.Complete(s.ctx, s.agent, task, "Account anna.a created"))
	o = must(s.orders.Close(s.ctx, s.agent, o.ID, "Your account is ready."))
	fmt.Println(o.State, o.Answer)
	// Output:
	// REQ0000001 awaiting_approval [bo]
	// closed Your account is ready.
}

// An order of type C makes tasks at two suppliers, the second after the
// first; the order is fulfilled when both are done (RF-4).
func ExampleService_Place_typeC() {
	s := newShop()
	item := s.offer(catalogue.Definition{Type: catalogue.TypeC,
		Name:        catalogue.Text{SV: "Mobiltelefon", EN: "Mobile phone"},
		Description: catalogue.Text{SV: "Telefon, abonnemang och e-postsynk.", EN: "Phone, subscription and e-mail sync."},
		Form:        form(`{"type":"object"}`),
		Tasks: []catalogue.Task{
			{Key: "phone", Name: catalogue.Text{SV: "Telefon", EN: "Phone"}, Supplier: s.telco},
			{Key: "sync", Name: catalogue.Text{SV: "Synk", EN: "Sync"}, Supplier: s.mailco, After: []string{"phone"}},
		}})

	o := must(s.orders.Place(s.ctx, s.anna, request.Placement{Item: item, Answers: form(`{}`)}))
	for _, t := range o.Tasks {
		fmt.Println(t.Number, t.Key, t.State)
	}
	phone, sync := o.Tasks[0].ID, o.Tasks[1].ID
	must(s.orders.Accept(s.ctx, s.tel, phone))
	must(s.orders.ReportBack(s.ctx, s.tel, phone, "Phone delivered"))
	must(s.orders.Accept(s.ctx, s.mai, sync))
	must(s.orders.ReportBack(s.ctx, s.mai, sync, "Sync set up"))
	o = must(s.orders.GetOrder(s.ctx, s.agent, o.ID))
	fmt.Println(o.State)
	// Output:
	// TASK0000001 phone delegated
	// TASK0000002 sync blocked
	// fulfilled
}

// The orders of a month come into its service-level report as tickets:
// Tickets is the report.Source of the orders and tasks the actor may see,
// and the report's Requests section counts them per type and item.
func ExampleService_Tickets() {
	s := newShop()
	item := s.offer(catalogue.Definition{Type: catalogue.TypeA, Fulfiller: "lists",
		Name:        catalogue.Text{SV: "E-postlista", EN: "E-mail list"},
		Description: catalogue.Text{SV: "Läggs till direkt.", EN: "Added at once."},
		Form:        form(`{"type":"object","properties":{"list":{"type":"string"}},"required":["list"]}`)})
	must(s.orders.Place(s.ctx, s.anna, request.Placement{Item: item, Answers: form(`{"list":"all-staff"}`)}))
	must(s.orders.FulfilDue(s.ctx))

	now := time.Now().In(s.lists.Zone())
	month := report.Month(now.Year(), now.Month(), now.Location())
	r := must(report.Compute(report.Spec{Period: month}, s.orders.Tickets(s.ctx, s.agent, month)))
	for _, g := range r.Requests.Items {
		f := g.Figures
		fmt.Println(g.Name, "placed", f.Placed, "fulfilled", f.Fulfilled, "closed", f.Closed)
	}
	// Output:
	// E-mail list placed 1 fulfilled 1 closed 1
}
