package catalogue_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// The desk defines a password reset for the city, the city's object owner
// agrees to it, and an order's answers are checked against its form; the
// control answer is a secret, kept out of what is stored.
func ExampleCatalogue() {
	ctx := context.Background()
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Service desk", Role: itsm.OrgDesk}
	city := itsm.Organisation{ID: itsm.NewID(), Name: "The city", Role: itsm.OrgCustomer}
	dir, _ := incident.NewOrganisations(desk, city)
	perms := itsm.NewPermissions().
		Grant(desk.ID, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite).
		Grant(city.ID, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite)
	store := memstore.New()
	defer store.Close()
	cat, err := catalogue.New(catalogue.Config{Store: store, Directory: dir, Permissions: perms})
	if err != nil {
		panic(err)
	}

	admin := itsm.Actor{Organisation: desk.ID, Person: "dora", Roles: []itsm.Role{itsm.RoleAdmin}}
	item, err := cat.Define(ctx, admin, city.ID, catalogue.Definition{
		Name:        catalogue.Text{SV: "Återställ lösenord", EN: "Password reset"},
		Description: catalogue.Text{SV: "Ett nytt lösenord efter kontrollfrågor.", EN: "A new password after control questions."},
		Service:     "Identity",
		Owner:       "oskar",
		Type:        catalogue.TypeA,
		Fulfiller:   "password-reset",
		Form: json.RawMessage(`{
			"type": "object",
			"properties": {
				"account": {"type": "string", "minLength": 2},
				"birthplace": {"type": "string", "writeOnly": true}
			},
			"required": ["account", "birthplace"],
			"additionalProperties": false
		}`),
	})
	if err != nil {
		panic(err)
	}
	_, offered := item.Offered()
	fmt.Println("offered before the owner agrees:", offered)

	owner := itsm.Actor{Organisation: city.ID, Person: "oskar", Roles: []itsm.Role{itsm.RoleObjectOwner}}
	item, err = cat.Agree(ctx, owner, item.ID, 1, "Agreed at the service meeting.")
	if err != nil {
		panic(err)
	}
	v, _ := item.Offered()
	fmt.Printf("version %d offered, agreed by %s\n", v.Number, v.Agreed.By)

	fmt.Println(cat.CheckAnswers(item.ID, v, json.RawMessage(`{"account":"u","birthplace":"Kiruna"}`)))
	answers := json.RawMessage(`{"account":"ulla","birthplace":"Kiruna"}`)
	fmt.Println("answers accepted:", cat.CheckAnswers(item.ID, v, answers) == nil)
	stored, _ := catalogue.StoredAnswers(v, answers)
	fmt.Println("stored:", string(stored))
	// Output:
	// offered before the owner agrees: false
	// version 1 offered, agreed by oskar
	// invalid: answer "/account" is shorter than 2 characters
	// answers accepted: true
	// stored: {"account":"ulla"}
}
