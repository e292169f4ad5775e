package cmdb

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
)

// NewItem is a new item as its author registers it.
type NewItem struct {
	// Desk is the desk whose CMDB holds the item: a desk's agent leaves it
	// zero (their own desk); a supplier's agent names a desk it works
	// with.
	Desk itsm.ID
	// Class is required and must be in the model.
	Class string
	// State is where the item starts; "" means StateProduction. An item
	// is not created retired.
	State State
	// Relations are its outgoing relations, to items of the same desk.
	Relations []Relation
	// The descriptive fields, as an edit gives them.
	ItemEdit
}

// ItemEdit is the descriptive fields of an item, all of them: an edit
// replaces each with what it gives.
type ItemEdit struct {
	// Name is required: a label of at most itsm.MaxLabel bytes.
	Name string
	// Supplier is the organisation responsible for the item, a supplier
	// working with the item's desk; zero means the desk.
	Supplier itsm.ID
	// ObjectOwner is the customer's person who owns the item, if known.
	ObjectOwner string
	// Attributes are values of the class's attributes, canonicalised on
	// the way in (Attribute.Canonical); a blank value is no value.
	Attributes map[string]string
	// Redundancy is required of items of a Group class and refused of
	// others.
	Redundancy *Redundancy
	// Consumers are allowed on items of a Service class only.
	Consumers []Consumer
}

// Limits of an item's fields.
const (
	// MaxGroupMin is the largest Redundancy.Min.
	MaxGroupMin = 10000
	// MaxUsers is the most users one consumer counts.
	MaxUsers = 10_000_000
)

// class returns the class named name, or an error naming it.
func (m *Model) class(name string) (Class, error) {
	c, ok := m.Class(name)
	if !ok {
		return Class{}, itsm.Errorf(itsm.CodeInvalid, "class %q is not in the model", name)
	}
	return c, nil
}

// checkFields checks and canonicalises, in place, the descriptive fields
// of an item of class in desk: every input of a create or an edit that
// needs no transaction. Imports and planned changes check through it, as
// the commands do.
func (s *Service) checkFields(ctx context.Context, desk itsm.ID, class Class, e *ItemEdit) error {
	if err := itsm.TrimLabel("item name", &e.Name, true); err != nil {
		return err
	}
	if err := itsm.TrimLabel("object owner", &e.ObjectOwner, false); err != nil {
		return err
	}
	var err error
	if e.Attributes, err = canonicalAttributes(class, e.Attributes); err != nil {
		return err
	}
	if err := checkRedundancy(class, e.Redundancy); err != nil {
		return err
	}
	if e.Consumers, err = checkConsumers(class, e.Consumers); err != nil {
		return err
	}
	return s.checkSupplier(ctx, desk, e.Supplier)
}

// canonicalAttributes checks attrs against class and returns them
// canonical (Attribute.Canonical), without blank values, nil when none is
// left: every name must be an attribute of the class and every required
// attribute must have a value. Errors name the class and the attribute.
func canonicalAttributes(class Class, attrs map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		a, ok := class.Attribute(name)
		if !ok {
			return nil, itsm.Errorf(itsm.CodeInvalid, "class %s has no attribute %q", class.Name, itsm.Printable(name, 64))
		}
		v, err := a.Canonical(attrs[name])
		if err != nil {
			return nil, itsm.Wrap(itsm.CodeInvalid, err, "class %s", class.Name)
		}
		if v != "" {
			out[name] = v
		}
	}
	for _, a := range class.Attributes {
		if a.Required && out[a.Name] == "" {
			return nil, itsm.Errorf(itsm.CodeInvalid, "class %s: attribute %s is required", class.Name, a.Name)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// checkRedundancy requires a redundancy of items of a Group class, and
// only of them.
func checkRedundancy(class Class, r *Redundancy) error {
	switch {
	case !class.Group && r != nil:
		return itsm.Errorf(itsm.CodeInvalid, "class %s is not a redundancy group: its items have no redundancy", class.Name)
	case !class.Group:
		return nil
	case r == nil:
		return itsm.Errorf(itsm.CodeInvalid, "class %s is a redundancy group: its items say how many members must be up (min or percent)", class.Name)
	case (r.Min != 0) == (r.Percent != 0):
		return itsm.Errorf(itsm.CodeInvalid, "redundancy of a %s: give exactly one of min and percent", class.Name)
	case r.Min < 0 || r.Min > MaxGroupMin:
		return itsm.Errorf(itsm.CodeInvalid, "redundancy of a %s: min %d is outside 1 to %d", class.Name, r.Min, MaxGroupMin)
	case r.Percent < 0 || r.Percent > 100:
		return itsm.Errorf(itsm.CodeInvalid, "redundancy of a %s: percent %d is outside 1 to 100", class.Name, r.Percent)
	}
	return nil
}

// checkConsumers checks and trims the consumers of an item of class:
// only services have them, each unit once.
func checkConsumers(class Class, cs []Consumer) ([]Consumer, error) {
	switch {
	case len(cs) == 0:
		return nil, nil
	case !class.Service:
		return nil, itsm.Errorf(itsm.CodeInvalid, "class %s is not a service: its items have no consumers", class.Name)
	case len(cs) > MaxConsumers:
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d consumers, more than %d", len(cs), MaxConsumers)
	}
	out := make([]Consumer, len(cs))
	for i, c := range cs {
		if err := itsm.TrimLabel("consumer unit", &c.Unit, true); err != nil {
			return nil, err
		}
		if c.Users < 0 || c.Users > MaxUsers {
			return nil, itsm.Errorf(itsm.CodeInvalid, "consumer %q: %d users is outside 0 to %d", c.Unit, c.Users, MaxUsers)
		}
		if slices.ContainsFunc(out[:i], func(o Consumer) bool { return strings.EqualFold(o.Unit, c.Unit) }) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "consumer unit %q is given twice", c.Unit)
		}
		out[i] = c
	}
	return out, nil
}

// checkSupplier checks that supplier, unless zero, is a supplier working
// with desk.
func (s *Service) checkSupplier(ctx context.Context, desk, supplier itsm.ID) error {
	if supplier.IsZero() {
		return nil
	}
	o, err := s.cfg.Directory.Organisation(ctx, supplier)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return itsm.Errorf(itsm.CodeInvalid, "supplier: organisation %s is unknown", supplier)
	}
	if err != nil {
		return err
	}
	switch {
	case o.Role != itsm.OrgSupplier:
		return itsm.Errorf(itsm.CodeInvalid, "supplier: organisation %s is a %s, not a supplier", supplier, o.Role)
	case !s.reads(o, desk):
		return itsm.Errorf(itsm.CodeInvalid, "supplier: %s does not work with desk %s", supplier, desk)
	}
	return nil
}

// checkRelations checks the shape of relations items of class have as
// their source, before their targets are read, and returns them sorted.
func (m *Model) checkRelations(class Class, rs []Relation) ([]Relation, error) {
	if len(rs) > MaxRelations {
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d relations, more than %d", len(rs), MaxRelations)
	}
	for _, r := range rs {
		if err := m.checkRelation(class, r); err != nil {
			return nil, err
		}
	}
	out := slices.Clone(rs)
	slices.SortFunc(out, compareRelations)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, itsm.Errorf(itsm.CodeInvalid, "relation %s to %s is given twice", out[i].Type, out[i].To)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// checkRelation checks that an item of class may have a relation of r's
// type, to some target.
func (m *Model) checkRelation(class Class, r Relation) error {
	if _, ok := m.RelationType(r.Type); !ok {
		return itsm.Errorf(itsm.CodeInvalid, "relation type %q is not in the model", itsm.Printable(r.Type, 64))
	}
	if !slices.ContainsFunc(class.Relations, func(a Allowed) bool { return a.Type == r.Type }) {
		return itsm.Errorf(itsm.CodeInvalid, "class %s may not have relations %s", class.Name, r.Type)
	}
	if r.To.IsZero() {
		return itsm.Errorf(itsm.CodeInvalid, "relation %s: target is zero", r.Type)
	}
	return nil
}

// checkTarget checks, in tx, that from may have relation r: its target
// is another item of from's desk, not retired, of a class from's class
// allows for r's type.
func (m *Model) checkTarget(tx itsm.ReadTx, from *Item, r Relation) error {
	if r.To == from.ID {
		return itsm.Errorf(itsm.CodeInvalid, "relation %s: item %s cannot relate to itself", r.Type, from.Number)
	}
	to, err := loadItem(tx, r.To)
	if itsm.IsCode(err, itsm.CodeNotFound) || err == nil && to.Desk != from.Desk {
		return itsm.Errorf(itsm.CodeInvalid, "relation %s: target item %s not found in the CMDB of desk %s", r.Type, r.To, from.Desk)
	}
	if err != nil {
		return err
	}
	if to.State == StateRetired {
		return itsm.Errorf(itsm.CodeConflict, "relation %s: target %s is retired", r.Type, to.Number)
	}
	class, err := m.class(from.Class)
	if err != nil {
		return err
	}
	if !class.Allows(r.Type, to.Class) {
		return itsm.Errorf(itsm.CodeInvalid, "relation %s: a %s may not have it to a %s", r.Type, from.Class, to.Class)
	}
	return nil
}

// checkKeys checks, in tx, that no other item of its desk that is not
// retired holds the values of one of it's class's keys: the store would
// refuse the record too, but without saying which key and which item.
func (m *Model) checkKeys(tx itsm.ReadTx, it *Item) error {
	class, ok := m.Class(it.Class)
	if !ok || it.State == StateRetired {
		return nil
	}
	for _, k := range class.Keys {
		other, err := findByKey(tx, it.Desk, class.Name, k, it.Attributes)
		if err != nil {
			return err
		}
		if other != nil && other.ID != it.ID {
			return itsm.Errorf(itsm.CodeConflict, "key %s = %q of class %s is held by %s already",
				strings.Join(k, "+"), itsm.Printable(strings.Join(keyValues(k, it.Attributes), "+"), 200), class.Name, other.Number)
		}
	}
	return nil
}

// findByKey returns the item of class in desk, not retired, whose key
// (attribute names, as the class declares it) has the values attrs give,
// canonical; nil when none has, or when attrs lack a value of the key.
// An import finds the item a row describes by it.
func findByKey(tx itsm.ReadTx, desk itsm.ID, class string, key []string, attrs map[string]string) (*Item, error) {
	return lookupKey(tx, desk, class, key, attrs, nil)
}
