package cmdb

import "github.com/spoc-itsm/spoc/itsm"

// var _ itsm.ConfigItems = (*Service)(nil) once itsm declares it (IM-6).

// CheckItems returns nil if every ID in ids is an item of desk's CMDB that
// is not retired, and otherwise an *itsm.Error with CodeInvalid naming the
// first that is not: unknown, another desk's or retired. It reads in tx,
// the transaction of the command (of an incident, a problem, a request)
// that relates a ticket to the items, so that the check and the command
// see one database (IM-6).
func (s *Service) CheckItems(tx itsm.ReadTx, desk itsm.ID, ids []itsm.ID) error {
	for _, id := range ids {
		it, err := loadItem(tx, id)
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound):
			return itsm.Errorf(itsm.CodeInvalid, "configuration item %s is not in the CMDB", id)
		case err != nil:
			return err
		case it.Desk != desk:
			return itsm.Errorf(itsm.CodeInvalid, "configuration item %s is not in the CMDB of desk %s", id, desk)
		case it.State == StateRetired:
			return itsm.Errorf(itsm.CodeInvalid, "configuration item %s (%s) is retired", it.Number, it.Name)
		}
	}
	return nil
}

// Responsible returns the organisation responsible for the item with id,
// its supplier; zero when the desk itself is. It reads in tx, as
// CheckItems does, so that routing (SD-11) follows the item as the
// command sees it. An item the CMDB does not hold is CodeNotFound.
func (s *Service) Responsible(tx itsm.ReadTx, id itsm.ID) (itsm.ID, error) {
	it, err := loadItem(tx, id)
	if err != nil {
		return itsm.ID{}, err
	}
	return it.Supplier, nil
}
