package itsm

import (
	"slices"
	"strings"
)

// OrgRole is the part an organisation plays in the delivery. It decides what
// the organisation may do with tickets: only the desk opens and closes them
// (SD-4), suppliers work on what is delegated to them, and the customer buys
// the service.
type OrgRole string

// The roles of organisations.
const (
	// OrgCustomer buys the service, such as a city; its people are the users.
	OrgCustomer OrgRole = "customer"
	// OrgDesk is the service desk, the single point of contact that owns every
	// ticket (SD-1).
	OrgDesk OrgRole = "desk"
	// OrgSupplier does 2nd- or 3rd-line work delegated by the desk.
	OrgSupplier OrgRole = "supplier"
)

// Valid reports whether r is one of the OrgRole constants.
func (r OrgRole) Valid() bool {
	switch r {
	case OrgCustomer, OrgDesk, OrgSupplier:
		return true
	}
	return false
}

// Organisation is a party to the delivery: the customer, a desk or a supplier.
// Tickets refer to organisations by ID, so renaming one changes no history.
type Organisation struct {
	ID   ID      `json:"id"`
	Name string  `json:"name"`
	Role OrgRole `json:"role"`
}

// Validate reports the first field that is missing or unknown, as an *Error
// with CodeInvalid.
func (o Organisation) Validate() error {
	switch {
	case o.ID.IsZero():
		return Errorf(CodeInvalid, "organisation %s: id is zero", quote(o.Name))
	case strings.TrimSpace(o.Name) == "":
		return Errorf(CodeInvalid, "organisation %s: name is empty", o.ID)
	case !o.Role.Valid():
		return Errorf(CodeInvalid, "organisation %s: role %s is not customer, desk or supplier", o.ID, quote(string(o.Role)))
	}
	return nil
}

// Role is what a person may do beyond what their organisation may do. A
// person with no roles is an ordinary user, who may report issues and follow
// their own tickets.
type Role string

// The roles of actors.
const (
	// RoleAgent works tickets for their organisation: the desk's agents
	// register and delegate, a supplier's agents resolve and report back.
	RoleAgent Role = "agent"
	// RoleRequester may order from the service catalogue for the customer
	// (RF-5).
	RoleRequester Role = "requester"
	// RoleApprover may approve orders for the customer (RF-5).
	RoleApprover Role = "approver"
	// RoleObjectOwner owns a system on the customer side: approves access to
	// it and is told of changes to it (RF-3, CH-1).
	RoleObjectOwner Role = "object_owner"
	// RoleMajorIncidentManager leads major incidents while on duty (IM-4).
	RoleMajorIncidentManager Role = "major_incident_manager"
	// RoleDeliveryManager follows up priority 1 and 2 incidents and receives
	// their escalations (IM-5, SL-7).
	RoleDeliveryManager Role = "delivery_manager"
	// RoleAdmin configures the delivery: organisations, permissions,
	// agreements and the priority matrix.
	RoleAdmin Role = "admin"
)

// Valid reports whether r is one of the Role constants.
func (r Role) Valid() bool {
	switch r {
	case RoleAgent, RoleRequester, RoleApprover, RoleObjectOwner,
		RoleMajorIncidentManager, RoleDeliveryManager, RoleAdmin:
		return true
	}
	return false
}

// Actor is who performs a command: a person acting for an organisation. Every
// change records its actor, which is what makes a ticket traceable through the
// support chain (SD-9).
type Actor struct {
	// Organisation is the ID of the organisation the person acts for; its
	// permissions bound what the person may do.
	Organisation ID `json:"organisation"`
	// Person is the person's stable identity, such as a user id or e-mail
	// address from single sign-on; not a display name, which may change.
	Person string `json:"person"`
	// Roles are the person's roles within the organisation.
	Roles []Role `json:"roles,omitempty"`
}

// HasRole reports whether a holds role r.
func (a Actor) HasRole(r Role) bool { return slices.Contains(a.Roles, r) }

// Validate reports the first field that is missing or unknown, as an *Error
// with CodeInvalid.
func (a Actor) Validate() error {
	if a.Organisation.IsZero() {
		return Errorf(CodeInvalid, "actor %s: organisation is zero", quote(a.Person))
	}
	if strings.TrimSpace(a.Person) == "" {
		return Errorf(CodeInvalid, "actor of organisation %s: person is empty", a.Organisation)
	}
	for _, r := range a.Roles {
		if !r.Valid() {
			return Errorf(CodeInvalid, "actor %s: role %s is unknown", quote(a.Person), quote(string(r)))
		}
	}
	return nil
}

// WorksWith says whether the supplier or customer org works with desk, in
// a store that several desks share: it then reads the records the desk
// keeps of a domain (and, a supplier, writes them) as its rights in that
// domain allow. Nil means every supplier and customer works with every
// desk, as in a delivery with one desk.
type WorksWith func(desk, org ID) bool

// Allows reports whether org may see the records desk keeps, rights
// aside: the desk its own; a supplier or customer those of the desks it
// works with; another desk never, since desks answer to their own
// customers.
func (w WorksWith) Allows(org Organisation, desk ID) bool {
	switch {
	case org.ID == desk:
		return true
	case org.Role == OrgDesk:
		return false
	}
	return w == nil || w(desk, org.ID)
}

// By is who caused a change, embedded in the payload of every domain's
// events so that each carries its actor under "by" (SD-9) and answers
// Actor.
type By struct {
	By Actor `json:"by"`
}

// Actor returns who caused the change.
func (b By) Actor() Actor { return b.By }
