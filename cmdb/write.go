package cmdb

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// record is a record as a change saves it: items, and whatever records
// the package's other commands (planned changes, imports) keep beside
// them in the same transaction.
type record interface {
	record(m *Model) (itsm.Record, error)
}

// change is the work of one command in its write transaction: the
// records it changed and their events, as an itsm.Batch. Its methods are
// the item commands as one transaction runs them, checked against the
// model and the store, so that an import runs many of them in one
// transaction and a planned change runs them beside its own records.
type change struct {
	*itsm.Batch[record]
	s *Service
	// source is the import whose rows the change applies, named in the
	// item events; zero for a command.
	source itsm.ID
}

// write runs fn in a write transaction and saves what it changed. A
// refusal by fn is returned at once; a conflict from the store runs fn
// again on fresh records. A write that commits nudges the impact graph.
func (s *Service) write(ctx context.Context, fn func(c change) error) error {
	err := itsm.WriteBatch(ctx, s.cfg.Store, s.now, s.recordOf, func(b *itsm.Batch[record]) error { return fn(change{Batch: b, s: s}) })
	if err == nil {
		s.nudge()
	}
	return err
}

// recordOf is how a change's record is stored.
func (s *Service) recordOf(r record, _ time.Time) (itsm.Record, error) { return r.record(&s.cfg.Model) }

// item applies payloads to it and records their events.
func (c change) item(it *Item, ps ...Payload) error {
	c.Touch(it, it.ID, &it.Version)
	return itsm.Apply(c.Batch, itemCodec, it.ID, it, Payload.apply, ps...)
}

// prepareNew checks n as an agent of org registers it, before any
// transaction: the desk it names, the supplier it may name, the class,
// the state, the fields and the shape of the relations. It fills in the
// desk, the supplier of a supplier's item and the state, canonicalises
// the fields and sorts the relations.
func (s *Service) prepareNew(ctx context.Context, org itsm.Organisation, n *NewItem) (Class, error) {
	var err error
	if n.Desk, err = s.deskFor(ctx, org, n.Desk, "create item"); err != nil {
		return Class{}, err
	}
	if org.Role == itsm.OrgSupplier {
		switch {
		case n.Supplier.IsZero():
			n.Supplier = org.ID
		case n.Supplier != org.ID:
			return Class{}, itsm.Errorf(itsm.CodeForbidden, "create item: supplier %s registers items it is responsible for, not those of %s", org.ID, n.Supplier)
		}
	}
	class, err := s.cfg.Model.class(n.Class)
	if err != nil {
		return Class{}, err
	}
	switch {
	case n.State == "":
		n.State = StateProduction
	case n.State == StateRetired:
		return Class{}, itsm.Errorf(itsm.CodeInvalid, "create item: an item is not registered retired")
	case !n.State.Valid():
		return Class{}, itsm.Errorf(itsm.CodeInvalid, "state %q is not planned, production, maintenance or retired", n.State)
	}
	if err := s.checkFields(ctx, n.Desk, class, &n.ItemEdit); err != nil {
		return Class{}, err
	}
	if n.Relations, err = s.cfg.Model.checkRelations(class, n.Relations); err != nil {
		return Class{}, err
	}
	return class, nil
}

// createItem registers n, which prepareNew checked, as a new item: its
// targets must exist in its desk and not be retired, and no other item
// of the desk may hold one of its keys.
func (c change) createItem(actor itsm.Actor, n NewItem) (*Item, error) {
	m := &c.s.cfg.Model
	it := &Item{ID: itsm.NewID(), Desk: n.Desk, Class: n.Class, Attributes: n.Attributes}
	for _, r := range n.Relations {
		if err := m.checkTarget(c.Tx(), it, r); err != nil {
			return nil, err
		}
	}
	if err := m.checkKeys(c.Tx(), it); err != nil {
		return nil, err
	}
	num, err := c.Tx().NextNumber(NumberPrefix)
	if err != nil {
		return nil, err
	}
	return it, c.item(it, ItemCreated{By: By{By: actor}, Number: num, Desk: n.Desk, Class: n.Class, Name: n.Name, State: n.State,
		Supplier: n.Supplier, ObjectOwner: n.ObjectOwner, Attributes: n.Attributes, Redundancy: n.Redundancy,
		Consumers: n.Consumers, Relations: n.Relations, Import: c.source})
}

// editItem replaces the descriptive fields of it, which is not retired,
// with e, which checkFields checked for it's desk and class. It reports
// the fields that changed, and writes nothing when none did.
func (c change) editItem(actor itsm.Actor, it *Item, e ItemEdit) ([]string, error) {
	changed := edited(it, &e)
	if len(changed) == 0 {
		return nil, nil
	}
	next := it.clone()
	next.Attributes = e.Attributes
	if err := c.s.cfg.Model.checkKeys(c.Tx(), next); err != nil {
		return nil, err
	}
	return changed, c.item(it, ItemEdited{By: By{By: actor}, Name: e.Name, Supplier: e.Supplier, ObjectOwner: e.ObjectOwner,
		Attributes: e.Attributes, Redundancy: e.Redundancy, Consumers: e.Consumers, Changed: changed, Import: c.source})
}

// edited names the fields e changes of it, as ItemEdited.Changed does.
func edited(it *Item, e *ItemEdit) []string {
	var out []string
	if it.Name != e.Name {
		out = append(out, "name")
	}
	if it.Supplier != e.Supplier {
		out = append(out, "supplier")
	}
	if it.ObjectOwner != e.ObjectOwner {
		out = append(out, "object_owner")
	}
	names := slices.Collect(maps.Keys(it.Attributes))
	for k := range e.Attributes {
		if _, ok := it.Attributes[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if it.Attributes[name] != e.Attributes[name] {
			out = append(out, "attributes."+name)
		}
	}
	if (it.Redundancy == nil) != (e.Redundancy == nil) || it.Redundancy != nil && *it.Redundancy != *e.Redundancy {
		out = append(out, "redundancy")
	}
	if !slices.Equal(it.Consumers, e.Consumers) {
		out = append(out, "consumers")
	}
	return out
}

// setState moves it, which is not retired, to state st.
func (c change) setState(actor itsm.Actor, it *Item, st State, reason string) error {
	if it.State == st {
		return itsm.Errorf(itsm.CodeConflict, "item %s is %s already", it.Number, st)
	}
	return c.item(it, ItemStateChanged{By: By{By: actor}, State: st, Was: it.State, Reason: reason, Import: c.source})
}

// relate gives it, which is not retired, relation r, checked by
// Model.checkRelation for it's class.
func (c change) relate(actor itsm.Actor, it *Item, r Relation) error {
	switch {
	case it.Related(r):
		return itsm.Errorf(itsm.CodeConflict, "item %s has relation %s to %s already", it.Number, r.Type, r.To)
	case len(it.Relations) >= MaxRelations:
		return itsm.Errorf(itsm.CodeInvalid, "item %s has %d relations, the most an item has", it.Number, MaxRelations)
	}
	if err := c.s.cfg.Model.checkTarget(c.Tx(), it, r); err != nil {
		return err
	}
	return c.item(it, ItemRelated{By: By{By: actor}, Relation: r})
}

// unrelate takes relation r from it, which is not retired.
func (c change) unrelate(actor itsm.Actor, it *Item, r Relation) error {
	if !it.Related(r) {
		return itsm.Errorf(itsm.CodeNotFound, "item %s has no relation %s to %s", it.Number, r.Type, r.To)
	}
	return c.item(it, ItemUnrelated{By: By{By: actor}, Relation: r})
}
