// Package itemtest is a configuration management database small enough
// for the ticket domains' tests (IM-6): its items are records of kind Kind
// in the store under test, written by Put, and CMDB answers
// itsm.ConfigItems by reading them in the transaction it is given, as
// package cmdb's Service does. A test therefore sees a command check its
// items in its own write transaction against what the store holds, not
// against a list the test keeps beside it; and incident, problem and
// request test their side of the interface without importing cmdb.
package itemtest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

// Kind is the record kind of the items.
const Kind = "itemtest.item"

// Item is a configuration item as far as the ticket domains see one.
type Item struct {
	ID itsm.ID `json:"id"`
	// Desk is the desk whose CMDB holds it.
	Desk itsm.ID `json:"desk"`
	// Supplier is the organisation responsible for it; zero: the desk.
	Supplier itsm.ID `json:"supplier,omitzero"`
	Retired  bool    `json:"retired,omitempty"`
}

// CMDB implements itsm.ConfigItems over the items Put wrote. It keeps
// nothing in memory: its zero value serves any store.
type CMDB struct{}

var _ itsm.ConfigItems = CMDB{}

// Put writes items to store in one transaction, creating those it does
// not hold and replacing the others, and fails t on an error.
func Put(t testing.TB, store itsm.Store, items ...Item) {
	t.Helper()
	err := store.Write(context.Background(), func(tx itsm.WriteTx) error {
		for _, it := range items {
			var version int64
			switch r, err := tx.Get(Kind, it.ID); {
			case err == nil:
				version = r.Version
			case !itsm.IsCode(err, itsm.CodeNotFound):
				return err
			}
			body, err := json.Marshal(it)
			if err != nil {
				return err
			}
			if _, err := tx.Put(itsm.Record{Kind: Kind, ID: it.ID, Version: version, Body: body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// CheckItems refuses the first of ids that is not an item of desk's that
// is in use.
func (CMDB) CheckItems(tx itsm.ReadTx, desk itsm.ID, ids []itsm.ID) error {
	for _, id := range ids {
		it, err := get(tx, id)
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound):
			return itsm.Errorf(itsm.CodeInvalid, "configuration item %s is not in the CMDB", id)
		case err != nil:
			return err
		case it.Desk != desk:
			return itsm.Errorf(itsm.CodeInvalid, "configuration item %s is not in the CMDB of desk %s", id, desk)
		case it.Retired:
			return itsm.Errorf(itsm.CodeInvalid, "configuration item %s is retired", id)
		}
	}
	return nil
}

// Responsible returns the item's supplier.
func (CMDB) Responsible(tx itsm.ReadTx, id itsm.ID) (itsm.ID, error) {
	it, err := get(tx, id)
	return it.Supplier, err
}

func get(tx itsm.ReadTx, id itsm.ID) (Item, error) {
	var it Item
	r, err := tx.Get(Kind, id)
	if err != nil {
		return it, err
	}
	if err := json.Unmarshal(r.Body, &it); err != nil {
		return it, itsm.Wrap(itsm.CodeInternal, err, "decode configuration item %s", id)
	}
	return it, nil
}
