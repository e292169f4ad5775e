package cmdb

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
)

// The rules of who reads and writes a desk's CMDB (CM-3, SD-13), with the
// rights of itsm.DomainCMDB:
//
//   - the desk reads and writes its own items;
//   - a supplier or customer that works with the desk reads them;
//   - a supplier writes the items it is responsible for (Item.Supplier),
//     and creates items naming itself as their supplier;
//   - a customer writes nothing;
//   - another desk sees nothing: to it the items do not exist.
//
// Writing takes an agent (itsm.RoleAgent) and the rights to read and
// write; reports, such as an import's discrepancies, take the right to
// report.

// actorOrg checks the actor and its organisation's rights in the CMDB,
// and returns the organisation.
func (s *Service) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, a)
	if err != nil {
		return org, err
	}
	return org, s.cfg.Permissions.Check(a, itsm.DomainCMDB, access)
}

// writer checks that the actor is an agent of an organisation with read
// and write access, and returns the organisation.
func (s *Service) writer(ctx context.Context, a itsm.Actor, what string) (itsm.Organisation, error) {
	org, err := s.actorOrg(ctx, a, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return org, err
	}
	switch {
	case !a.HasRole(itsm.RoleAgent):
		return org, itsm.Errorf(itsm.CodeForbidden, "%s: %q of %s %s is not an agent", what, a.Person, org.Role, org.ID)
	case org.Role == itsm.OrgCustomer:
		return org, itsm.Errorf(itsm.CodeForbidden, "%s: customer %s reads the CMDB; the desk and the responsible suppliers write it", what, org.ID)
	}
	return org, nil
}

// reads reports whether org, given read access, sees the items of desk.
func (s *Service) reads(org itsm.Organisation, desk itsm.ID) bool {
	return s.cfg.WorksWith.Allows(org, desk)
}

// writes reports whether an agent of org, given write access, changes it:
// the desk its items, a supplier those it is responsible for.
func (s *Service) writes(org itsm.Organisation, it *Item) bool {
	switch {
	case org.ID == it.Desk:
		return true
	case org.Role != itsm.OrgSupplier || it.Supplier != org.ID:
		return false
	}
	return s.reads(org, it.Desk)
}

// deskFor decides for which desk an agent of org creates an item, a
// planned change, or runs an import (what, in errors): a desk's agent for
// their own, a
// supplier's for the desk it names, which it must work with.
func (s *Service) deskFor(ctx context.Context, org itsm.Organisation, desk itsm.ID, what string) (itsm.ID, error) {
	switch {
	case org.Role == itsm.OrgDesk && !desk.IsZero() && desk != org.ID:
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "%s: an agent of desk %s works in their own desk's CMDB, not in %s", what, org.ID, desk)
	case org.Role == itsm.OrgDesk:
		return org.ID, nil
	case desk.IsZero():
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "%s: a %s names the desk whose CMDB it works in", what, org.Role)
	}
	d, err := s.cfg.Directory.Organisation(ctx, desk)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "%s: organisation %s is unknown", what, desk)
	}
	if err != nil {
		return itsm.ID{}, err
	}
	if d.Role != itsm.OrgDesk {
		return itsm.ID{}, itsm.Errorf(itsm.CodeInvalid, "%s: organisation %s is a %s, not a desk", what, desk, d.Role)
	}
	if !s.reads(org, desk) {
		return itsm.ID{}, itsm.Errorf(itsm.CodeForbidden, "%s: %s %s does not work with desk %s", what, org.Role, org.ID, desk)
	}
	return desk, nil
}

// notFound is what an actor learns of an item it may not see.
func notFound(id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "item %s not found", id)
}

// readable loads an item that org, given read access, sees; another is
// not found.
func (s *Service) readable(tx itsm.ReadTx, org itsm.Organisation, id itsm.ID) (*Item, error) {
	it, err := loadItem(tx, id)
	if err != nil {
		return nil, err
	}
	if !s.reads(org, it.Desk) {
		return nil, notFound(id)
	}
	return it, nil
}
