package cmdb

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
)

// Create registers a new item (CM-1): an agent of the desk in its own
// CMDB, or of a supplier working with the desk, naming the desk, for an
// item it is responsible for (its Supplier, filled in when zero). Every
// input is checked against the model: the class, its required
// attributes and their types, its keys (no other item of the desk holds
// the same key value: CodeConflict naming the key and the item), a
// redundancy for a group, consumers for a service only, and each
// relation's type and target (an item of the same desk, not retired, of
// a class the type allows). The item gets a number, CI0000042.
func (s *Service) Create(ctx context.Context, actor itsm.Actor, n NewItem) (*Item, error) {
	org, err := s.writer(ctx, actor, "create item")
	if err != nil {
		return nil, err
	}
	if _, err := s.prepareNew(ctx, org, &n); err != nil {
		return nil, err
	}
	var out *Item
	err = s.write(ctx, func(c change) error {
		var err error
		out, err = c.createItem(actor, n)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// changeItem runs one command of a writer on an item that is not
// retired: an agent of its desk, or of the supplier responsible for it.
func (s *Service) changeItem(ctx context.Context, actor itsm.Actor, id itsm.ID, what string,
	decide func(c change, org itsm.Organisation, it *Item) error) (*Item, error) {
	org, err := s.writer(ctx, actor, what+" item")
	if err != nil {
		return nil, err
	}
	var out *Item
	err = s.write(ctx, func(c change) error {
		it, err := c.load(id)
		if err != nil {
			return err
		}
		if !s.reads(org, it.Desk) {
			return notFound(id)
		}
		if !s.writes(org, it) {
			return itsm.Errorf(itsm.CodeForbidden, "cannot %s %s: its desk %s and the supplier responsible for it write it, not %s %s",
				what, it.Number, it.Desk, org.Role, org.ID)
		}
		if err := itsm.CheckVersion("item", it.Number.String(), it.Version, s.expect); err != nil {
			return err
		}
		if it.State == StateRetired {
			return itsm.Errorf(itsm.CodeConflict, "cannot %s %s: it is retired", what, it.Number)
		}
		if err := decide(c, org, it); err != nil {
			return err
		}
		out = it
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Edit replaces the descriptive fields of an item (name, supplier, object
// owner, attributes, redundancy, consumers) with e's, checked as Create
// checks them; an edit that changes nothing writes nothing. The desk's
// agents and those of the responsible supplier edit; a supplier does not
// hand the item to another supplier, the desk does. A retired item is not
// edited.
func (s *Service) Edit(ctx context.Context, actor itsm.Actor, id itsm.ID, e ItemEdit) (*Item, error) {
	return s.changeItem(ctx, actor, id, "edit", func(c change, org itsm.Organisation, it *Item) error {
		class, err := s.cfg.Model.class(it.Class)
		if err != nil {
			return err
		}
		if err := s.checkFields(ctx, it.Desk, class, &e); err != nil {
			return err
		}
		if org.Role == itsm.OrgSupplier && e.Supplier != org.ID {
			return itsm.Errorf(itsm.CodeForbidden, "edit %s: supplier %s stays responsible for it; only the desk hands an item to another", it.Number, org.ID)
		}
		_, err = c.editItem(actor, it, e)
		return err
	})
}

// SetState moves an item to state st, with an optional reason: any state
// to any other, except out of retired, which is final. Retiring an item
// takes it out of impact analysis; relations to it stay in history, and
// no new one is made.
func (s *Service) SetState(ctx context.Context, actor itsm.Actor, id itsm.ID, st State, reason string) (*Item, error) {
	if !st.Valid() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "state %q is not planned, production, maintenance or retired", st)
	}
	if err := itsm.TrimText("reason", &reason, false, MaxText); err != nil {
		return nil, err
	}
	return s.changeItem(ctx, actor, id, "change the state of", func(c change, _ itsm.Organisation, it *Item) error {
		return c.setState(actor, it, st, reason)
	})
}

// Relate gives an item a relation to another item of its desk: a type its
// class may have, to a target of a class the type allows, not retired,
// not the item itself, and not a relation it has already.
func (s *Service) Relate(ctx context.Context, actor itsm.Actor, from itsm.ID, r Relation) (*Item, error) {
	return s.changeItem(ctx, actor, from, "relate", func(c change, _ itsm.Organisation, it *Item) error {
		class, err := s.cfg.Model.class(it.Class)
		if err != nil {
			return err
		}
		if err := s.cfg.Model.checkRelation(class, r); err != nil {
			return err
		}
		return c.relate(actor, it, r)
	})
}

// Unrelate takes a relation from an item; one it does not have is not
// found.
func (s *Service) Unrelate(ctx context.Context, actor itsm.Actor, from itsm.ID, r Relation) (*Item, error) {
	return s.changeItem(ctx, actor, from, "unrelate", func(c change, _ itsm.Organisation, it *Item) error {
		return c.unrelate(actor, it, r)
	})
}
