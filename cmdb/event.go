package cmdb

import (
	"maps"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Payload is the data of one event of an item: what happened and who did
// it. Every change to an item is one Payload applied to it, so that the
// item as it was at any time can be rebuilt from its events (Replay,
// Service.ItemAt).
type Payload interface {
	Type() string
	Actor() itsm.Actor
	apply(it *Item, at time.Time)
}

// By is the actor of an event, embedded in every item payload.
type By = itsm.By

// ItemCreated: an item was registered in a desk's CMDB, by hand or by an
// import. It is the first event of every item.
type ItemCreated struct {
	By
	Number      itsm.Number       `json:"number"`
	Desk        itsm.ID           `json:"desk"`
	Class       string            `json:"class"`
	Name        string            `json:"name"`
	State       State             `json:"state"`
	Supplier    itsm.ID           `json:"supplier,omitzero"`
	ObjectOwner string            `json:"object_owner,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	Redundancy  *Redundancy       `json:"redundancy,omitempty"`
	Consumers   []Consumer        `json:"consumers,omitempty"`
	Relations   []Relation        `json:"relations,omitempty"`
	// Import is the import that registered the item, if one did.
	Import itsm.ID `json:"import,omitzero"`
}

// ItemEdited: the item's descriptive fields are now these, all of them;
// Changed names those that changed ("name", "supplier", "object_owner",
// "redundancy", "consumers", "attributes.<name>"), so that a subscriber
// sees what changed without the item before.
type ItemEdited struct {
	By
	Name        string            `json:"name"`
	Supplier    itsm.ID           `json:"supplier,omitzero"`
	ObjectOwner string            `json:"object_owner,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	Redundancy  *Redundancy       `json:"redundancy,omitempty"`
	Consumers   []Consumer        `json:"consumers,omitempty"`
	Changed     []string          `json:"changed"`
	// Import is the import that made the change, if one did.
	Import itsm.ID `json:"import,omitzero"`
}

// ItemStateChanged: the item moved from state Was to State.
type ItemStateChanged struct {
	By
	State  State  `json:"state"`
	Was    State  `json:"was"`
	Reason string `json:"reason,omitempty"`
	// Import is the import that made the change, if one did.
	Import itsm.ID `json:"import,omitzero"`
}

// ItemRelated: the item has a new relation to another item of its desk.
type ItemRelated struct {
	By
	Relation Relation `json:"relation"`
}

// ItemUnrelated: the item no longer has the relation.
type ItemUnrelated struct {
	By
	Relation Relation `json:"relation"`
}

// Type returns "cmdb.item.created".
func (ItemCreated) Type() string { return "cmdb.item.created" }

// Type returns "cmdb.item.edited".
func (ItemEdited) Type() string { return "cmdb.item.edited" }

// Type returns "cmdb.item.state_changed".
func (ItemStateChanged) Type() string { return "cmdb.item.state_changed" }

// Type returns "cmdb.item.related".
func (ItemRelated) Type() string { return "cmdb.item.related" }

// Type returns "cmdb.item.unrelated".
func (ItemUnrelated) Type() string { return "cmdb.item.unrelated" }

func cloneRedundancy(r *Redundancy) *Redundancy {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

func (e ItemCreated) apply(it *Item, at time.Time) {
	it.Number, it.Desk, it.Class, it.Name, it.State = e.Number, e.Desk, e.Class, e.Name, e.State
	it.Supplier, it.ObjectOwner, it.Attributes = e.Supplier, e.ObjectOwner, maps.Clone(e.Attributes)
	it.Redundancy, it.Consumers, it.Relations = cloneRedundancy(e.Redundancy), slices.Clone(e.Consumers), slices.Clone(e.Relations)
	it.Created, it.Updated = at, at
}

func (e ItemEdited) apply(it *Item, at time.Time) {
	it.Name, it.Supplier, it.ObjectOwner, it.Attributes = e.Name, e.Supplier, e.ObjectOwner, maps.Clone(e.Attributes)
	it.Redundancy, it.Consumers, it.Updated = cloneRedundancy(e.Redundancy), slices.Clone(e.Consumers), at
}

func (e ItemStateChanged) apply(it *Item, at time.Time) { it.State, it.Updated = e.State, at }

func (e ItemRelated) apply(it *Item, at time.Time) {
	if i, found := slices.BinarySearchFunc(it.Relations, e.Relation, compareRelations); !found {
		it.Relations = slices.Insert(it.Relations, i, e.Relation)
	}
	it.Updated = at
}

func (e ItemUnrelated) apply(it *Item, at time.Time) {
	if i, found := slices.BinarySearchFunc(it.Relations, e.Relation, compareRelations); found {
		it.Relations = slices.Delete(it.Relations, i, i+1)
	}
	if len(it.Relations) == 0 {
		it.Relations = nil
	}
	it.Updated = at
}

// itemCodec is the codec of item events.
var itemCodec = itsm.NewCodec[Payload](KindItem, "an item",
	ItemCreated{}, ItemEdited{}, ItemStateChanged{}, ItemRelated{}, ItemUnrelated{})

// Payloads returns one of each item payload type, for schemas and
// documentation.
func Payloads() []Payload { return itemCodec.Payloads() }

// Decode returns the payload of an item event.
func Decode(e itsm.Event) (Payload, error) { return itemCodec.Decode(e) }

// Replay rebuilds an item from its events, in log order: everything but
// Version, the store's. The first must be cmdb.item.created, and only the
// first.
func Replay(events []itsm.Event) (*Item, error) {
	it := new(Item)
	return itsm.Replay(itemCodec, events, ItemCreated{}.Type(), it, &it.ID, func(p Payload, it *Item, at time.Time) {
		p.apply(it, at.UTC())
	})
}
