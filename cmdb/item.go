package cmdb

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Record kinds and the prefix of item numbers.
const (
	// KindItem is the kind of item records and of their events.
	KindItem = "cmdb.item"
	// NumberPrefix begins every item's number, as in CI0000042.
	NumberPrefix = "CI"
)

// State is where an item is in its lifecycle.
type State string

// The states. Any state may move to any other except out of retired,
// which is final; retired items leave the impact graph.
const (
	StatePlanned     State = "planned"
	StateProduction  State = "production"
	StateMaintenance State = "maintenance"
	StateRetired     State = "retired"
)

// Valid reports whether s is one of the State constants.
func (s State) Valid() bool {
	switch s {
	case StatePlanned, StateProduction, StateMaintenance, StateRetired:
		return true
	}
	return false
}

// States returns every state, in lifecycle order.
func States() []State {
	return []State{StatePlanned, StateProduction, StateMaintenance, StateRetired}
}

// Redundancy is how many members of a redundancy group must be up for
// what depends on the group to be unaffected: at least Min of them, or
// Percent per cent (rounded up). Exactly one is set.
type Redundancy struct {
	Min     int `json:"min,omitempty"`
	Percent int `json:"percent,omitempty"`
}

// Consumer is an organisational unit that uses a business service, with
// how many of its users do.
type Consumer struct {
	Unit  string `json:"unit"`
	Users int    `json:"users"`
}

// Relation is a relation an item has to another item of its desk: its
// outgoing side, read by the relation type's Label; the target reads it
// by the type's Inverse.
type Relation struct {
	Type string  `json:"type"`
	To   itsm.ID `json:"to"`
}

// Item is a configuration item (CM-1).
type Item struct {
	ID     itsm.ID     `json:"id"`
	Number itsm.Number `json:"number"`
	// Desk is the desk whose CMDB holds the item.
	Desk  itsm.ID `json:"desk"`
	Class string  `json:"class"`
	Name  string  `json:"name"`
	State State   `json:"state"`
	// Supplier is the organisation responsible for the item, which may
	// write it; zero means the desk itself.
	Supplier itsm.ID `json:"supplier,omitzero"`
	// ObjectOwner is the customer's person who owns the item.
	ObjectOwner string `json:"object_owner,omitempty"`
	// Attributes are the values of the class's attributes, canonical
	// (Attribute.Canonical); an attribute without a value is absent.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Redundancy is set on items of Group classes, and only there.
	Redundancy *Redundancy `json:"redundancy,omitempty"`
	// Consumers are the units using an item of a Service class.
	Consumers []Consumer `json:"consumers,omitempty"`
	// Relations are the item's outgoing relations, sorted by type, then
	// target.
	Relations []Relation `json:"relations,omitempty"`
	Created   time.Time  `json:"created"`
	Updated   time.Time  `json:"updated"`
	// Version is the record's version, for Service.IfVersion.
	Version int64 `json:"version"`
}

// Responsible returns the organisation responsible for the item: its
// supplier, or its desk when it names none.
func (it *Item) Responsible() itsm.ID {
	if it.Supplier.IsZero() {
		return it.Desk
	}
	return it.Supplier
}

// Related reports whether the item has relation r.
func (it *Item) Related(r Relation) bool {
	_, found := slices.BinarySearchFunc(it.Relations, r, compareRelations)
	return found
}

// compareRelations orders relations by type, then target.
func compareRelations(a, b Relation) int {
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return bytes.Compare(a.To[:], b.To[:])
}

// clone returns a copy of it that shares nothing with it.
func (it *Item) clone() *Item {
	c := *it
	c.Attributes = maps.Clone(it.Attributes)
	c.Consumers = slices.Clone(it.Consumers)
	c.Relations = slices.Clone(it.Relations)
	if it.Redundancy != nil {
		r := *it.Redundancy
		c.Redundancy = &r
	}
	return &c
}

// Index names of item records.
const (
	IndexNumber = "number" // unique: the item's number
	// IndexDesk holds the desk, so that a desk's items are a range.
	IndexDesk = "desk"
	// IndexClass, IndexState and IndexSupplier hold "desk value", so
	// that one desk's items of a class, in a state or of a supplier are
	// one equality read.
	IndexClass    = "class"
	IndexState    = "state"
	IndexSupplier = "supplier"
	// IndexName holds "desk name", the name folded to lower case, for
	// lists by name and by its prefix.
	IndexName = "name"
	// IndexTarget holds the targets of the item's relations, so that
	// the items related to one are found from it (Related).
	IndexTarget = "target"
)

// keyIndex is the name of the unique index of a class's key: "key_" and a
// digest of the class and the key's attributes, so that a name fits the
// store's 64 bytes whatever their length and does not move when the
// model lists its keys in another order.
func keyIndex(class string, key []string) string {
	names := slices.Clone(key)
	slices.Sort(names)
	h := sha256.Sum256([]byte(class + "\x00" + strings.Join(names, "\x00")))
	return "key_" + hex.EncodeToString(h[:12])
}

// keyValue is the unique value of an item of desk whose key's attributes
// have values (in the key's order), or "" when one of them has none.
// Values too long for an index value are kept as their digest.
func keyValue(desk itsm.ID, values []string) string {
	if slices.Contains(values, "") {
		return ""
	}
	v := desk.String() + " " + strings.Join(values, "\x1f")
	if len(v) > itsm.MaxValueSize {
		h := sha256.Sum256([]byte(v))
		v = desk.String() + " sha256:" + hex.EncodeToString(h[:])
	}
	return v
}

// keyValues returns the values of key's attributes in attrs, in the key's
// order.
func keyValues(key []string, attrs map[string]string) []string {
	out := make([]string, len(key))
	for i, name := range key {
		out[i] = attrs[name]
	}
	return out
}

// deskValue is an index value scoped to desk.
func deskValue(desk itsm.ID, v string) string { return desk.String() + " " + v }

// record returns it as stored, with the unique entries of its class's
// keys in m (a class m does not know has none, nor a retired item).
func (it *Item) record(m *Model) (itsm.Record, error) {
	c := *it
	c.Version = 0
	body, err := json.Marshal(&c)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode item %s", it.Number)
	}
	unique := map[string]string{IndexNumber: it.Number.String()}
	// A retired item lets go of its keys, so that the server that
	// replaces it can have its host name; its history keeps them.
	if class, ok := m.Class(it.Class); ok && it.State != StateRetired {
		for _, k := range class.Keys {
			if v := keyValue(it.Desk, keyValues(k, it.Attributes)); v != "" {
				unique[keyIndex(it.Class, k)] = v
			}
		}
	}
	targets := make([]string, 0, len(it.Relations))
	for _, r := range it.Relations {
		targets = append(targets, r.To.String())
	}
	idx := map[string][]string{
		IndexDesk:     {it.Desk.String()},
		IndexClass:    {deskValue(it.Desk, it.Class)},
		IndexState:    {deskValue(it.Desk, string(it.State))},
		IndexSupplier: {deskValue(it.Desk, it.Responsible().String())},
		IndexName:     {nameValue(it.Desk, it.Name)},
		IndexTarget:   targets,
	}
	return itsm.Record{Kind: KindItem, ID: it.ID, Body: body, Unique: unique, Index: idx}, nil
}

// nameValue is the index value of a name: folded to lower case and cut
// to fit an index value.
func nameValue(desk itsm.ID, name string) string {
	v := deskValue(desk, strings.ToLower(name))
	for len(v) > itsm.MaxValueSize {
		v = strings.ToValidUTF8(v[:itsm.MaxValueSize], "")
	}
	return v
}

// loadItem reads an item record.
func loadItem(tx itsm.ReadTx, id itsm.ID) (*Item, error) {
	it, v, err := itsm.LoadRecord[Item](tx, KindItem, id, "item")
	if err == nil {
		it.Version = v
	}
	return it, err
}
