package catalogue

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// Config is what a Catalogue needs. Store, Directory and Permissions are
// required.
type Config struct {
	Store itsm.Store
	// Directory tells the desk, the customers and the suppliers apart;
	// incident.Organisations and the reference server's auth.Directory are
	// such.
	Directory chain.Organisations
	// Permissions are the organisations' rights in itsm.DomainRequest:
	// reading the catalogue needs read access, every command read and
	// write access.
	Permissions *itsm.Permissions
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// Admin, when set, names who administers every desk's catalogue
	// besides each desk's own administrators, such as the reference
	// server's platform administrators. Such an actor reads every item and
	// needs no Permissions; it does not agree for an object owner.
	Admin func(itsm.Actor) bool
}

// Catalogue is the service catalogue of every desk, over a store. Each
// command is one write transaction that loads the item, decides by the
// rules, saves it with an optimistic version check and appends one event;
// a lost race is decided again on the fresh item, a refusal by the rules
// is returned at once. Catalogue is safe for concurrent use.
type Catalogue struct {
	cfg   Config
	clock itsm.Clock
	forms *forms
	// expect is the version a command requires the item to have; zero
	// requires none. See IfVersion.
	expect int64
}

// New checks the configuration and returns the catalogue.
func New(cfg Config) (*Catalogue, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "catalogue config: store is nil")
	case cfg.Directory == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "catalogue config: directory is nil")
	case cfg.Permissions == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "catalogue config: permissions are nil")
	}
	c := &Catalogue{cfg: cfg, clock: cfg.Clock, forms: new(forms)}
	if c.clock == nil {
		c.clock = itsm.SystemClock{}
	}
	return c, nil
}

// IfVersion returns a view of the catalogue whose commands act only on an
// item still at record version v, the one the caller read (an HTTP
// If-Match). A command on a newer version is refused with a conflict that
// wraps itsm.ErrStale, and nothing changes. v must be positive.
func (c *Catalogue) IfVersion(v int64) *Catalogue {
	d := *c
	d.expect = v
	return &d
}

// admin reports whether Config.Admin names the actor.
func (c *Catalogue) admin(a itsm.Actor) bool { return c.cfg.Admin != nil && c.cfg.Admin(a) }

// actorOrg checks the actor and its organisation's rights and returns the
// organisation. An actor of an organisation the directory does not know is
// forbidden everything.
func (c *Catalogue) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, c.cfg.Directory, a)
	if err != nil || c.admin(a) {
		return org, err
	}
	return org, c.cfg.Permissions.Check(a, itsm.DomainRequest, access)
}

// reads reports whether the actor, of organisation by, may know of the
// item: see the package documentation.
func (c *Catalogue) reads(a itsm.Actor, by itsm.Organisation, it *Item) bool {
	switch {
	case c.admin(a), by.ID == it.Desk:
		return true
	case by.ID == it.Customer:
		_, agreed := it.agreed()
		return agreed || it.owns(a.Person)
	}
	for _, s := range it.suppliers() {
		if s == by.ID {
			return true
		}
	}
	return false
}

// administers reports whether the actor may define and change the items of
// desk: its administrators and Config.Admin's actors.
func (c *Catalogue) administers(a itsm.Actor, desk itsm.ID) bool {
	return c.admin(a) || a.Organisation == desk && a.HasRole(itsm.RoleAdmin)
}

// Define adds an item to the catalogue of the actor's desk, for customer,
// as version 1, not offered until its object owner agrees (Agree). Only an
// administrator of a desk defines, and customer must be a customer.
func (c *Catalogue) Define(ctx context.Context, actor itsm.Actor, customer itsm.ID, d Definition) (*Item, error) {
	if c.expect != 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "define makes a new item; it takes no expected version")
	}
	by, err := c.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if by.Role != itsm.OrgDesk || !c.administers(actor, by.ID) {
		return nil, itsm.Errorf(itsm.CodeForbidden, "cannot define a catalogue item as %q of %s (%s): only a desk's administrators define the items it offers",
			actor.Person, by.ID, by.Role)
	}
	cust, err := c.cfg.Directory.Organisation(ctx, customer)
	if itsm.IsCode(err, itsm.CodeNotFound) || err == nil && cust.Role != itsm.OrgCustomer {
		return nil, itsm.Errorf(itsm.CodeInvalid, "organisation %s is not a customer; an item is offered to a customer", customer)
	}
	if err != nil {
		return nil, err
	}
	if d, err = c.check(ctx, d); err != nil {
		return nil, err
	}
	p := Defined{By: By{By: actor}, Desk: by.ID, Customer: customer, Definition: d}
	var out *Item
	err = c.write(ctx, func(tx itsm.WriteTx) (bool, error) {
		if err := checkGroups(tx, by.ID, d); err != nil {
			return true, err
		}
		out, err = commit(tx, &Item{ID: itsm.NewID()}, p, c.clock.Now())
		return false, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// check cleans d and checks the organisations its tasks name: each a
// supplier.
func (c *Catalogue) check(ctx context.Context, d Definition) (Definition, error) {
	d, err := clean(d)
	if err != nil {
		return d, err
	}
	for _, t := range d.Tasks {
		if t.Supplier.IsZero() {
			continue
		}
		org, err := c.cfg.Directory.Organisation(ctx, t.Supplier)
		if itsm.IsCode(err, itsm.CodeNotFound) || err == nil && org.Role != itsm.OrgSupplier {
			return d, itsm.Errorf(itsm.CodeInvalid, "task %s: organisation %s is not a supplier", t.Key, t.Supplier)
		}
		if err != nil {
			return d, err
		}
	}
	return d, nil
}

// checkGroups checks, as tx sees the groups, that each task's group is an
// active group of its supplier, or of the desk for a task left to it.
func checkGroups(tx itsm.ReadTx, desk itsm.ID, d Definition) error {
	for _, t := range d.Tasks {
		org := t.Supplier
		if org.IsZero() {
			org = desk
		}
		if err := chain.CheckHolder(tx, chain.Holder{Organisation: org, Group: t.Group}); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "task %s: %v", t.Key, err)
		}
	}
	return nil
}

// Revise defines a new version of the item. The version offered so far
// stays offered until the object owner named in the new one agrees to it;
// orders placed under earlier versions keep theirs. A revision that
// defines exactly what the newest version says changes nothing, so that a
// retried request does not make two versions.
func (c *Catalogue) Revise(ctx context.Context, actor itsm.Actor, id itsm.ID, d Definition) (*Item, error) {
	by, err := c.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if d, err = c.check(ctx, d); err != nil {
		return nil, err
	}
	return c.change(ctx, actor, by, id, "revise", func(tx itsm.WriteTx, it *Item) (Payload, error) {
		if reflect.DeepEqual(it.latest().Definition, d) {
			return nil, nil
		}
		if len(it.Versions) >= MaxVersions {
			return nil, itsm.Errorf(itsm.CodeConflict, "catalogue item %s has %d versions, the most it may have", it.ID, MaxVersions)
		}
		if err := checkGroups(tx, it.Desk, d); err != nil {
			return nil, err
		}
		next := it.Clone()
		p := Revised{By: By{By: actor}, Number: len(it.Versions) + 1, Definition: d}
		p.apply(next, c.clock.Now())
		if n := len(next.suppliers()); n > MaxSuppliers {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the versions of catalogue item %s would name %d suppliers, more than %d", it.ID, n, MaxSuppliers)
		}
		return p, nil
	})
}

// Agree records the object owner's agreement to version n, which is offered
// from then on (unless the item is withdrawn). Only the owner that version
// names, acting for the customer, agrees, and only to the newest version: an
// older one that was never agreed is superseded. Agreeing again to an
// agreed version changes nothing.
func (c *Catalogue) Agree(ctx context.Context, actor itsm.Actor, id itsm.ID, n int, note string) (*Item, error) {
	by, err := c.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if err := itsm.CheckText("agreement note", note, MaxNote); err != nil {
		return nil, err
	}
	var out *Item
	err = c.run(ctx, actor, by, id, func(tx itsm.WriteTx, it *Item) (Payload, error) {
		v, ok := it.At(n)
		switch {
		case !ok:
			return nil, itsm.Errorf(itsm.CodeNotFound, "catalogue item %s has no version %d", it.ID, n)
		case actor.Organisation != it.Customer || actor.Person != v.Owner:
			return nil, itsm.Errorf(itsm.CodeForbidden, "cannot agree to version %d of catalogue item %s as %q of %s: only its object owner, %q of %s, agrees to it",
				n, it.ID, actor.Person, actor.Organisation, v.Owner, it.Customer)
		case v.Agreed != nil:
			return nil, nil
		case n != len(it.Versions):
			return nil, itsm.Errorf(itsm.CodeConflict, "version %d of catalogue item %s is superseded by version %d, which is the one to agree to", n, it.ID, len(it.Versions))
		}
		return Agreed{By: By{By: actor}, Number: n, Note: note}, nil
	}, &out)
	return out, err
}

// Withdraw takes the item out of the catalogue: it may no longer be
// ordered, and orders placed under it keep their version. The desk's
// administrators withdraw, saying why. Withdrawing a withdrawn item changes
// nothing.
func (c *Catalogue) Withdraw(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Item, error) {
	by, err := c.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "the reason for withdrawing is empty")
	}
	if err := itsm.CheckText("reason", reason, MaxNote); err != nil {
		return nil, err
	}
	return c.change(ctx, actor, by, id, "withdraw", func(_ itsm.WriteTx, it *Item) (Payload, error) {
		if !it.Withdrawn.IsZero() {
			return nil, nil
		}
		return Withdrawn{By: By{By: actor}, Reason: reason}, nil
	})
}

// Reinstate puts a withdrawn item back: its newest agreed version may be
// ordered again. Reinstating an item that is not withdrawn changes nothing.
func (c *Catalogue) Reinstate(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Item, error) {
	by, err := c.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	return c.change(ctx, actor, by, id, "reinstate", func(_ itsm.WriteTx, it *Item) (Payload, error) {
		if it.Withdrawn.IsZero() {
			return nil, nil
		}
		return Reinstated{By{By: actor}}, nil
	})
}

// decision is the part of a command that decides on the item as stored:
// the payload of what happens to it, nil for nothing, or a refusal.
type decision func(tx itsm.WriteTx, it *Item) (Payload, error)

// change runs a command of the desk's administrators on one item.
func (c *Catalogue) change(ctx context.Context, actor itsm.Actor, by itsm.Organisation, id itsm.ID, what string, decide decision) (*Item, error) {
	var out *Item
	err := c.run(ctx, actor, by, id, func(tx itsm.WriteTx, it *Item) (Payload, error) {
		if !c.administers(actor, it.Desk) {
			return nil, itsm.Errorf(itsm.CodeForbidden, "cannot %s catalogue item %s as %q of %s: only the administrators of desk %s change its items",
				what, it.ID, actor.Person, actor.Organisation, it.Desk)
		}
		return decide(tx, it)
	}, &out)
	return out, err
}

// run runs one command on one item, which the actor must know of; *out is
// the item after it, or as it was when nothing changed.
func (c *Catalogue) run(ctx context.Context, actor itsm.Actor, by itsm.Organisation, id itsm.ID, decide decision, out **Item) error {
	return c.write(ctx, func(tx itsm.WriteTx) (bool, error) {
		it, err := Load(tx, id)
		if err != nil {
			return true, err
		}
		if !c.reads(actor, by, it) {
			return true, notFound(id)
		}
		if err := itsm.CheckVersion("catalogue item", it.ID.String(), it.Version, c.expect); err != nil {
			return true, err
		}
		p, err := decide(tx, it)
		if err != nil || p == nil {
			*out = it
			return true, err
		}
		at := c.clock.Now()
		if last := it.lastChange(); at.Before(last) {
			// A clock stepping back must not make the history run backward.
			at = last
		}
		*out, err = commit(tx, it, p, at)
		return false, err
	})
}

// lastChange is the time of the item's latest event that is on the item.
func (it *Item) lastChange() (t time.Time) {
	for _, v := range it.Versions {
		t = later(t, v.Defined)
		if v.Agreed != nil {
			t = later(t, v.Agreed.At)
		}
	}
	return later(t, it.Withdrawn)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// write runs fn in write transactions until it commits, is refused, or
// loses itsm.WriteAttempts races. fn reports whether its error is a refusal
// by the rules, which deciding again on the same input cannot change.
func (c *Catalogue) write(ctx context.Context, fn func(tx itsm.WriteTx) (refused bool, err error)) error {
	for attempt := 1; ; attempt++ {
		refused := false
		err := c.cfg.Store.Write(ctx, func(tx itsm.WriteTx) (err error) {
			refused, err = fn(tx)
			return err
		})
		// A conflict from the store means another command changed the item
		// since it was read: decide again.
		if refused || !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			return err
		}
	}
}

// commit applies p to a copy of it, saves it with it's version and appends
// the event.
func commit(tx itsm.WriteTx, it *Item, p Payload, at time.Time) (*Item, error) {
	next := it.Clone()
	p.apply(next, at)
	e, err := codec.Encode(next.ID, p, at)
	if err != nil {
		return nil, err
	}
	r, err := record(next)
	if err != nil {
		return nil, err
	}
	if next.Version, err = tx.Put(r); err != nil {
		return nil, err
	}
	if _, err := tx.Append(e); err != nil {
		return nil, err
	}
	return next, nil
}

// Get returns an item the actor may know of, with every version; any other
// is not found.
func (c *Catalogue) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Item, error) {
	by, err := c.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var it *Item
	err = c.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		it, err = Load(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !c.reads(actor, by, it) {
		return nil, notFound(id)
	}
	return it, nil
}

// ListOptions filters and pages a listing; a zero filter does not filter.
type ListOptions struct {
	// Customer keeps the items offered to this customer.
	Customer itsm.ID
	// Service keeps the items whose newest version belongs to this service,
	// as spelt there.
	Service string
	// Offered keeps the items that may be ordered now (Item.Offered).
	Offered bool
	// Limit is the page size: 0 means itsm.DefaultLimit.
	Limit int
	// After continues from an earlier page's Next.
	After itsm.Cursor
}

// Page is one page of items.
type Page struct {
	Items []*Item
	// Next continues the listing; "" when there is no more.
	Next itsm.Cursor
}

// List returns the items the actor may list, filtered by o, in the order
// they were defined, a page at a time: a desk's its own, a supplier's those
// whose tasks name it, a customer's those agreed to at least once, and
// Config.Admin's every item. An object owner finds an item not yet agreed
// to with Get.
func (c *Catalogue) List(ctx context.Context, actor itsm.Actor, o ListOptions) (Page, error) {
	by, err := c.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Page{}, err
	}
	var party string
	switch {
	case c.admin(actor):
		party = "all"
	case by.Role == itsm.OrgDesk:
		party = "desk:" + by.ID.String()
	case by.Role == itsm.OrgCustomer:
		party = "customer:" + by.ID.String()
	default:
		party = "supplier:" + by.ID.String()
	}
	customer, offered, service := wildcard, wildcard, wildcard
	if !o.Customer.IsZero() {
		customer = o.Customer.String()
	}
	if o.Offered {
		offered = "1"
	}
	if s := strings.TrimSpace(o.Service); s != "" {
		service = s
	}
	q := itsm.Query{Kind: Kind, Index: IndexList, Match: itsm.MatchEqual,
		Value: listValue(party, customer, offered, service), Limit: o.Limit, After: o.After}
	var out Page
	err = c.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		out = Page{Items: make([]*Item, 0, len(page.Matches)), Next: page.Next}
		for _, h := range page.Matches {
			it, err := decodeRecord(h.Record)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, it)
		}
		return nil
	})
	return out, err
}
