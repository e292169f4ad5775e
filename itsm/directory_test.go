package itsm_test

import (
	"context"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

type oneOrg itsm.Organisation

func (o oneOrg) Organisation(_ context.Context, id itsm.ID) (itsm.Organisation, error) {
	if id == o.ID {
		return itsm.Organisation(o), nil
	}
	return itsm.Organisation{}, itsm.Errorf(itsm.CodeNotFound, "organisation %s is unknown", id)
}

// An actor's organisation is found; an unknown one is forbidden, never
// "not found"; an invalid actor is refused before any lookup.
func TestActorOrganisation(t *testing.T) {
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	d := oneOrg(desk)
	org, err := itsm.ActorOrganisation(t.Context(), d, itsm.Actor{Organisation: desk.ID, Person: "dora"})
	if err != nil || org.ID != desk.ID {
		t.Fatalf("known: %v %v", org, err)
	}
	if _, err := itsm.ActorOrganisation(t.Context(), d, itsm.Actor{Organisation: itsm.NewID(), Person: "x"}); !itsm.IsCode(err, itsm.CodeForbidden) {
		t.Errorf("unknown organisation: %v", err)
	}
	if _, err := itsm.ActorOrganisation(t.Context(), d, itsm.Actor{Organisation: desk.ID}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("no person: %v", err)
	}
}
