package itsm_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/itsm"
)

var (
	deskID     = itsm.MustParseID("01936f3a-0000-7000-8000-000000000001")
	supplierID = itsm.MustParseID("01936f3a-0000-7000-8000-000000000002")
	customerID = itsm.MustParseID("01936f3a-0000-7000-8000-000000000003")
)

func TestOrgRoleValid(t *testing.T) {
	for _, r := range []itsm.OrgRole{itsm.OrgCustomer, itsm.OrgDesk, itsm.OrgSupplier} {
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	for _, r := range []itsm.OrgRole{"", "Desk", "vendor"} {
		if r.Valid() {
			t.Errorf("%q.Valid() = true", r)
		}
	}
}

func TestOrganisationValidate(t *testing.T) {
	ok := itsm.Organisation{ID: deskID, Name: "City Service Desk", Role: itsm.OrgDesk}
	tests := []struct {
		name    string
		edit    func(o *itsm.Organisation)
		wantErr string // a part of the message; "" for valid
	}{
		{"valid", func(*itsm.Organisation) {}, ""},
		{"supplier", func(o *itsm.Organisation) { o.Role = itsm.OrgSupplier }, ""},
		{"customer", func(o *itsm.Organisation) { o.Role = itsm.OrgCustomer }, ""},
		{"zero id", func(o *itsm.Organisation) { o.ID = itsm.ID{} }, "id is zero"},
		{"empty name", func(o *itsm.Organisation) { o.Name = "" }, "name is empty"},
		{"blank name", func(o *itsm.Organisation) { o.Name = " \t" }, "name is empty"},
		{"no role", func(o *itsm.Organisation) { o.Role = "" }, `role ""`},
		{"unknown role", func(o *itsm.Organisation) { o.Role = "vendor" }, `role "vendor"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			err := o.Validate()
			if tt.wantErr == "" {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, itsm.CodeInvalid)
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestRoleValid(t *testing.T) {
	for _, r := range []itsm.Role{itsm.RoleAgent, itsm.RoleRequester, itsm.RoleApprover, itsm.RoleObjectOwner,
		itsm.RoleMajorIncidentManager, itsm.RoleDeliveryManager, itsm.RoleAdmin} {
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	for _, r := range []itsm.Role{"", "Agent", "root"} {
		if r.Valid() {
			t.Errorf("%q.Valid() = true", r)
		}
	}
}

func TestActorHasRole(t *testing.T) {
	a := itsm.Actor{Organisation: deskID, Person: "anna@desk.example", Roles: []itsm.Role{itsm.RoleAgent, itsm.RoleAdmin}}
	tests := []struct {
		actor itsm.Actor
		role  itsm.Role
		want  bool
	}{
		{a, itsm.RoleAgent, true},
		{a, itsm.RoleAdmin, true},
		{a, itsm.RoleApprover, false},
		{a, "", false},
		{itsm.Actor{}, itsm.RoleAgent, false},
	}
	for _, tt := range tests {
		if got := tt.actor.HasRole(tt.role); got != tt.want {
			t.Errorf("%v.HasRole(%q) = %t, want %t", tt.actor.Roles, tt.role, got, tt.want)
		}
	}
}

func TestActorValidate(t *testing.T) {
	tests := []struct {
		name    string
		actor   itsm.Actor
		wantErr string
	}{
		{"agent", itsm.Actor{Organisation: deskID, Person: "anna@desk.example", Roles: []itsm.Role{itsm.RoleAgent}}, ""},
		{"user without roles", itsm.Actor{Organisation: customerID, Person: "u123"}, ""},
		{"zero organisation", itsm.Actor{Person: "u123"}, "organisation is zero"},
		{"no person", itsm.Actor{Organisation: customerID}, "person is empty"},
		{"blank person", itsm.Actor{Organisation: customerID, Person: "  "}, "person is empty"},
		{"unknown role", itsm.Actor{Organisation: supplierID, Person: "bo", Roles: []itsm.Role{itsm.RoleAgent, "root"}}, `role "root"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.actor.Validate()
			if tt.wantErr == "" {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, itsm.CodeInvalid)
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestOrganisationAndActorJSON(t *testing.T) {
	o := itsm.Organisation{ID: supplierID, Name: "Network Ltd", Role: itsm.OrgSupplier}
	a := itsm.Actor{Organisation: supplierID, Person: "bo@net.example", Roles: []itsm.Role{itsm.RoleAgent}}
	tests := []struct {
		in   any
		out  any
		want string
	}{
		{o, new(itsm.Organisation), `{"id":"01936f3a-0000-7000-8000-000000000002","name":"Network Ltd","role":"supplier"}`},
		{a, new(itsm.Actor), `{"organisation":"01936f3a-0000-7000-8000-000000000002","person":"bo@net.example","roles":["agent"]}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.in)
		if err != nil || string(b) != tt.want {
			t.Errorf("json.Marshal = %s, %v; want %s", b, err, tt.want)
			continue
		}
		if err := json.Unmarshal(b, tt.out); err != nil {
			t.Fatal(err)
		}
		var got any
		switch v := tt.out.(type) {
		case *itsm.Organisation:
			got = *v
		case *itsm.Actor:
			got = *v
		}
		if diff := cmp.Diff(tt.in, got); diff != "" {
			t.Errorf("JSON round trip (-in +out):\n%s", diff)
		}
	}
}

// TestWorksWithAllows: a desk sees its own records and never another
// desk's; a supplier or customer sees a desk's records when WorksWith says
// so, and every desk's when it is nil.
func TestWorksWithAllows(t *testing.T) {
	desk, other := itsm.NewID(), itsm.NewID()
	deskOrg := itsm.Organisation{ID: desk, Role: itsm.OrgDesk}
	otherDesk := itsm.Organisation{ID: other, Role: itsm.OrgDesk}
	supplier := itsm.Organisation{ID: itsm.NewID(), Role: itsm.OrgSupplier}
	customer := itsm.Organisation{ID: itsm.NewID(), Role: itsm.OrgCustomer}
	onlySupplier := itsm.WorksWith(func(d, org itsm.ID) bool { return d == desk && org == supplier.ID })
	for _, c := range []struct {
		name string
		w    itsm.WorksWith
		org  itsm.Organisation
		desk itsm.ID
		want bool
	}{
		{"the desk its own", onlySupplier, deskOrg, desk, true},
		{"another desk never", nil, otherDesk, desk, false},
		{"a desk not even when WorksWith would", func(itsm.ID, itsm.ID) bool { return true }, otherDesk, desk, false},
		{"nil: every supplier", nil, supplier, desk, true},
		{"nil: every customer", nil, customer, other, true},
		{"the supplier it works with", onlySupplier, supplier, desk, true},
		{"not the desk it does not work with", onlySupplier, supplier, other, false},
		{"a customer left out", onlySupplier, customer, desk, false},
	} {
		if got := c.w.Allows(c.org, c.desk); got != c.want {
			t.Errorf("%s: Allows = %v, want %v", c.name, got, c.want)
		}
	}
}
