package itsm

import "slices"

// ConfigItems is the configuration management database (CMDB) as the
// ticket domains need it (IM-6, CM-2): whether the configuration items a
// command relates a ticket to exist, and which organisation answers for
// each. Package cmdb's Service implements it; incident, problem and
// request take it in their configuration as this interface, so that none
// of them imports the CMDB, which a delivery may run without.
//
// Both methods read in tx, the write transaction of the command that sets
// the items, so that the check and the change see one database: an item
// retired by a commit that the command's transaction sees is refused.
type ConfigItems interface {
	// CheckItems returns nil if every ID in ids is an item of desk's
	// CMDB that is not retired, and otherwise an *Error with CodeInvalid
	// naming the first that is not (unknown, another desk's, retired).
	// Other codes are the store's.
	CheckItems(tx ReadTx, desk ID, ids []ID) error
	// Responsible returns the organisation responsible for the item with
	// id, the supplier that maintains it; zero when none does but the desk
	// itself. An item the CMDB does not hold is CodeNotFound.
	Responsible(tx ReadTx, id ID) (ID, error)
}

// CheckItemIDs checks the list of configuration items a command named
// what gives, before any store is read: at most limit, none zero, none
// twice.
func CheckItemIDs(what string, ids []ID, limit int) error {
	if len(ids) > limit {
		return Errorf(CodeInvalid, "%s: %d configuration items, more than %d", what, len(ids), limit)
	}
	for i, id := range ids {
		if id.IsZero() {
			return Errorf(CodeInvalid, "%s: configuration item %d is zero", what, i)
		}
		if slices.Contains(ids[:i], id) {
			return Errorf(CodeInvalid, "%s: configuration item %s is given twice", what, id)
		}
	}
	return nil
}

// CheckNewItems checks, with items, the configuration items ids that a
// command named what sets on a ticket of desk, leaving out those held
// already: a ticket keeps the items it was related to when they are later
// retired, and a command that leaves them in place is not refused for them
// (decision 170). A nil items checks nothing, which is how a delivery
// without a CMDB relates tickets to item IDs unchecked. The error, if any,
// is CheckItems' with what as its context and its code.
func CheckNewItems(items ConfigItems, tx ReadTx, what string, desk ID, ids, held []ID) error {
	if items == nil {
		return nil
	}
	var added []ID
	for _, id := range ids {
		if !slices.Contains(held, id) {
			added = append(added, id)
		}
	}
	if len(added) == 0 {
		return nil
	}
	if err := items.CheckItems(tx, desk, added); err != nil {
		return Wrap(ErrorCode(err), err, "%s", what)
	}
	return nil
}
