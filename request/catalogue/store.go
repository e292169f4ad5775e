package catalogue

import (
	"encoding/json"

	"github.com/spoc-itsm/spoc/itsm"
)

// IndexList is the index of item records that List queries: one value for
// each party that lists the item and each combination of the filters of
// ListOptions, so that every listing, however filtered, is one equality
// query that returns only what its reader may see. A value is the party
// ("all", "desk:<id>", "customer:<id>" or "supplier:<id>"), then the
// customer, whether offered ("1" or "0") and "=" and the service, each
// "*" where the listing does not filter by it, joined by "|"; the service
// comes last, so that a "|" within it cannot be mistaken for a separator.
const IndexList = "list"

// Limits that keep an item's record and index values within what every
// store accepts (itsm.MaxBodySize, itsm.MaxIndexValues).
const (
	// MaxVersions is the most versions an item has: with forms of at most
	// MaxForm bytes its record stays well below itsm.MaxBodySize.
	MaxVersions = 100
	// MaxSuppliers is the most suppliers the tasks of all the versions of
	// an item name together, so that its index values stay within
	// itsm.MaxIndexValues.
	MaxSuppliers = 24
)

const wildcard = "*"

// listValue is the IndexList value of a listing by party, filtered by the
// customer, offered and service given, wildcard for each that is not.
func listValue(party, customer, offered, service string) string {
	if service != wildcard {
		service = "=" + service
	}
	return party + "|" + customer + "|" + offered + "|" + service
}

// parties are the readers that list it: everyone Config.Admin names, the
// desk, the suppliers its tasks name and, once a version was agreed, the
// customer.
func (it *Item) parties() []string {
	out := []string{"all", "desk:" + it.Desk.String()}
	if _, ok := it.agreed(); ok {
		out = append(out, "customer:"+it.Customer.String())
	}
	for _, s := range it.suppliers() {
		out = append(out, "supplier:"+s.String())
	}
	return out
}

// listValues are it's IndexList values.
func (it *Item) listValues() []string {
	offered := "0"
	if _, ok := it.Offered(); ok {
		offered = "1"
	}
	service := it.latest().Service
	var out []string
	for _, p := range it.parties() {
		for _, c := range []string{wildcard, it.Customer.String()} {
			for _, o := range []string{wildcard, offered} {
				for _, s := range []string{wildcard, service} {
					out = append(out, listValue(p, c, o, s))
				}
			}
		}
	}
	return out
}

// record is the store record of it.
func record(it *Item) (itsm.Record, error) {
	body, err := json.Marshal(it)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode catalogue item %s", it.ID)
	}
	return itsm.Record{Kind: Kind, ID: it.ID, Version: it.Version, Body: body,
		Index: map[string][]string{IndexList: it.listValues()}}, nil
}

func decodeRecord(r itsm.Record) (*Item, error) {
	it := new(Item)
	if err := json.Unmarshal(r.Body, it); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "decode catalogue item %s", r.ID)
	}
	it.Version = r.Version
	return it, nil
}

func notFound(id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "catalogue item %s not found", id)
}

// Load reads an item as tx sees it, whoever asks, or fails with
// CodeNotFound: for the order service, which places an order under the
// item's offered version in its own write transaction and decides itself
// who may order.
func Load(tx itsm.ReadTx, id itsm.ID) (*Item, error) {
	r, err := tx.Get(Kind, id)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(r)
}
