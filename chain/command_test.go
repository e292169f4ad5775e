package chain_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestCommandNamesTheKindOfTicket checks that a refusal by the rules of the
// chain names the ticket the way its domain does, so that a request task's
// refusal never speaks of an incident.
func TestCommandNamesTheKindOfTicket(t *testing.T) {
	desk, sup, other := itsm.NewID(), itsm.NewID(), itsm.NewID()
	n, err := itsm.NewNumber("TASK", 7)
	if err != nil {
		t.Fatal(err)
	}
	c := chain.Command{Name: "accept", Kind: "task", Number: n, State: "delegated", Desk: desk,
		Custody: &chain.Custody{Holder: sup},
		Actor:   itsm.Actor{Person: "eva", Organisation: other, Roles: []itsm.Role{itsm.RoleAgent}},
		Org:     itsm.Organisation{ID: other, Name: "Other", Role: itsm.OrgSupplier}}
	err = c.AsSupplier()
	if !itsm.IsCode(err, itsm.CodeForbidden) || !strings.Contains(err.Error(), "the task is held by") || !strings.Contains(err.Error(), "TASK0000007") {
		t.Fatalf("AsSupplier of another supplier: %v", err)
	}
	c.Org, c.Actor.Organisation = itsm.Organisation{ID: sup, Name: "Sup", Role: itsm.OrgSupplier}, sup
	if err := c.AsSupplier(); err != nil {
		t.Fatalf("AsSupplier of the holder: %v", err)
	}
	c.Name = "recall"
	if err := c.Recall(); !itsm.IsCode(err, itsm.CodeForbidden) || !strings.Contains(err.Error(), "only the desk may recall") {
		t.Fatalf("Recall by the supplier: %v", err)
	}
	c.Org, c.Actor.Organisation = itsm.Organisation{ID: desk, Name: "Desk", Role: itsm.OrgDesk}, desk
	if err := c.Recall(); err != nil {
		t.Fatalf("Recall by the desk from the supplier: %v", err)
	}
	c.Custody.Holder = desk
	if err := c.Recall(); !itsm.IsCode(err, itsm.CodeConflict) {
		t.Fatalf("Recall when the desk holds it: %v", err)
	}
}
