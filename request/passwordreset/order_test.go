package passwordreset_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/mail"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/request/passwordreset"
	"github.com/spoc-itsm/spoc/sla"
)

// TestResetOrderedFromTheCatalogue runs the tender's order of type A end
// to end through the order service (RF-2): the item's form is the
// resetter's, the control answers are verified before the order exists and
// never stored, a wrong answer leaves no order, and the runner mails one
// new password and closes the order.
func TestResetOrderedFromTheCatalogue(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	desk, city := itsm.NewID(), itsm.NewID()
	dir, err := incident.NewOrganisations(itsm.Organisation{ID: desk, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: city, Name: "City", Role: itsm.OrgCustomer})
	if err != nil {
		t.Fatal(err)
	}
	perms := itsm.NewPermissions().Grant(desk, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite).
		Grant(city, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite)
	hosts := newDirectory()
	hosts.emails["anna"] = "anna@kund.example"
	var outbox mail.Memory
	resetter, err := passwordreset.New(passwordreset.Config{Store: store, Passwords: hosts, Addresses: hosts, Mail: &outbox,
		From: "desk@spoc.example", Iterations: 1000,
		Questions: []passwordreset.Question{{ID: "first_school", Text: "Vilken skola gick du i först?"}, {ID: "first_pet", Text: "Vad hette ditt första husdjur?"}}})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalogue.New(catalogue.Config{Store: store, Directory: dir, Permissions: perms})
	if err != nil {
		t.Fatal(err)
	}
	lists, err := authority.New(authority.Config{Store: store, Directory: dir, Permissions: perms})
	if err != nil {
		t.Fatal(err)
	}
	admin := itsm.Actor{Organisation: desk, Person: "dora", Roles: []itsm.Role{itsm.RoleAdmin, itsm.RoleAgent}}
	item, err := cat.Define(ctx, admin, city, catalogue.Definition{Type: catalogue.TypeA, Fulfiller: "password-reset",
		Name:        catalogue.Text{SV: "Återställ lösenord", EN: "Reset password"},
		Description: catalogue.Text{SV: "Svara på dina kontrollfrågor.", EN: "Answer your control questions."},
		Service:     "Konton", Owner: "bo", Form: resetter.Form()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Agree(ctx, itsm.Actor{Organisation: city, Person: "bo"}, item.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := lists.Grant(ctx, itsm.Actor{Organisation: city, Person: "clara", Roles: []itsm.Role{itsm.RoleAdmin}},
		authority.Grant{Customer: city, Person: "anna", Role: authority.RoleRequester, Service: "Konton",
			From: sla.DateOf(time.Now().In(lists.Zone()))}); err != nil {
		t.Fatal(err)
	}
	orders, err := request.New(request.Config{Store: store, Directory: dir, Permissions: perms, Catalogue: cat,
		Authority: authority.NewIndex(lists.Zone()),
		Fulfiller: request.Fulfillers{"password-reset": resetter}, Verifier: request.Verifiers{"password-reset": resetter}})
	if err != nil {
		t.Fatal(err)
	}
	if err := resetter.Enrol(ctx, "anna", map[string]string{"first_school": "Östra skolan", "first_pet": "Sessan"}); err != nil {
		t.Fatal(err)
	}
	anna := itsm.Actor{Organisation: city, Person: "anna"}

	_, err = orders.Place(ctx, anna, request.Placement{Item: item.ID,
		Answers: json.RawMessage(`{"first_school":"Västra skolan","first_pet":"Sessan"}`)})
	if !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Fatalf("wrong answers: %v", err)
	}
	page, err := orders.ListOrders(ctx, anna, request.OrderList{Mine: true})
	if err != nil || len(page.Orders) != 0 {
		t.Fatalf("a refused order left %d orders (%v)", len(page.Orders), err)
	}
	o, err := orders.Place(ctx, anna, request.Placement{Item: item.ID,
		Answers: json.RawMessage(`{"first_school":"östra skolan","first_pet":"SESSAN"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(o.Answers) != "{}" {
		t.Fatalf("the order stored answers %s", o.Answers)
	}
	if n, err := orders.FulfilDue(ctx); n != 1 || err != nil {
		t.Fatalf("FulfilDue: %d, %v", n, err)
	}
	o, err = orders.GetOrder(ctx, anna, o.ID)
	if err != nil || o.State != request.StateClosed {
		t.Fatalf("after the reset: %v %v", o.State, err)
	}
	sent := outbox.Sent()
	if len(sent) != 1 || sent[0].To[0] != "anna@kund.example" || !bytes.Contains([]byte(sent[0].Text), []byte(hosts.password("anna"))) {
		t.Fatalf("sent %d mails: %+v", len(sent), sent)
	}
	// Nothing in the log holds an answer.
	err = store.Read(ctx, func(tx itsm.ReadTx) error {
		events, err := tx.Events(0, itsm.MaxLimit)
		for _, e := range events {
			for _, secret := range []string{"Östra", "östra", "Sessan", "SESSAN", hosts.password("anna")} {
				if bytes.Contains(e.Data, []byte(secret)) {
					t.Errorf("event %d (%s) holds %q", e.Seq, e.Type, secret)
				}
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
