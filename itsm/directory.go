package itsm

import "context"

// Directory finds the organisations that actors act for, so that a domain
// service can tell the desk from a supplier or a customer without owning
// the register of organisations. incident.Organisations, chain.Organisations
// and the reference server's auth.Directory are such.
type Directory interface {
	// Organisation returns the organisation with the ID, or an error with
	// CodeNotFound.
	Organisation(ctx context.Context, id ID) (Organisation, error)
}

// ActorOrganisation checks a and returns the organisation it acts for, as
// d has it. An actor of an organisation d does not know is forbidden
// everything (CodeForbidden), the same answer a command of a known actor
// without the right gets. Each service checks the actor's rights in its
// own domain after.
func ActorOrganisation(ctx context.Context, d Directory, a Actor) (Organisation, error) {
	if err := a.Validate(); err != nil {
		return Organisation{}, err
	}
	org, err := d.Organisation(ctx, a.Organisation)
	if IsCode(err, CodeNotFound) {
		return org, Errorf(CodeForbidden, "actor %q acts for unknown organisation %s", a.Person, a.Organisation)
	}
	return org, err
}
