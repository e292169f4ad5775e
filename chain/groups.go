package chain

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Organisations finds organisations by ID, so that Groups can tell the desk
// from a supplier without owning the register. incident.Organisations and
// the reference server's auth.Directory are such.
type Organisations interface {
	// Organisation returns the organisation with the ID, or an error with
	// CodeNotFound.
	Organisation(ctx context.Context, id itsm.ID) (itsm.Organisation, error)
}

// Config is what Groups needs. Store and Directory are required.
type Config struct {
	Store     itsm.Store
	Directory Organisations
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// Admin, when set, names who administers every organisation's groups
	// besides each organisation's own administrators, such as the
	// reference server's platform administrators. Such an actor also reads
	// every organisation's groups.
	Admin func(itsm.Actor) bool
}

// Groups is the register of groups of every organisation of the support
// chain, over a store. Each command is one write transaction that loads the
// group, decides by the rules, saves it with an optimistic version check
// and appends one event per change; a lost race is decided again on the
// fresh group, a refusal by the rules is returned at once. Groups is safe
// for concurrent use.
type Groups struct {
	cfg   Config
	clock itsm.Clock
	// expect is the version a command requires the group to have; zero
	// requires none. See IfVersion.
	expect int64
}

// New checks the configuration and returns the register.
func New(cfg Config) (*Groups, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "groups config: store is nil")
	case cfg.Directory == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "groups config: directory is nil")
	}
	s := &Groups{cfg: cfg, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = itsm.SystemClock{}
	}
	return s, nil
}

// IfVersion returns a view of the register whose commands act only on a
// group still at version v, the one the caller read (an HTTP If-Match). A
// command on a newer version is refused with a conflict that wraps
// itsm.ErrStale, and nothing changes; without IfVersion a command decides
// on whatever is current. v must be positive.
func (s *Groups) IfVersion(v int64) *Groups {
	c := *s
	c.expect = v
	return &c
}

// Definition is what a group is created with. The name and the members are
// trimmed of surrounding spaces; members are sorted and each kept once.
type Definition struct {
	Name    string
	Members []string
	Email   string
}

// Change is what Update changes of a group; a nil field stays as it is.
type Change struct {
	Name    *string
	Members *[]string
	Email   *string
	Active  *bool
}

// actorOrg checks the actor and returns its organisation. An actor of an
// organisation the directory does not know is forbidden everything.
func (s *Groups) actorOrg(ctx context.Context, a itsm.Actor) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, a)
	return org, err
}

// admin reports whether Config.Admin names the actor.
func (s *Groups) admin(a itsm.Actor) bool { return s.cfg.Admin != nil && s.cfg.Admin(a) }

// reads reports whether the actor, of organisation by, may know of the
// groups of organisation of: its own people, a desk's agents and
// administrators for a supplier's groups (SD-11), and Config.Admin's
// actors for every organisation's.
func (s *Groups) reads(a itsm.Actor, by, of itsm.Organisation) bool {
	switch {
	case s.admin(a), by.ID == of.ID:
		return true
	case by.Role == itsm.OrgDesk && of.Role == itsm.OrgSupplier:
		return a.HasRole(itsm.RoleAgent) || a.HasRole(itsm.RoleAdmin)
	}
	return false
}

// changes reports whether the actor may change the groups of organisation
// of: its administrators and Config.Admin's actors.
func (s *Groups) changes(a itsm.Actor, of itsm.ID) bool {
	return s.admin(a) || a.Organisation == of && a.HasRole(itsm.RoleAdmin)
}

// owner returns the organisation whose groups the actor asks about, or not
// found when it does not exist or the actor may not know of its groups.
func (s *Groups) owner(ctx context.Context, a itsm.Actor, by itsm.Organisation, id itsm.ID) (itsm.Organisation, error) {
	if id == by.ID {
		return by, nil
	}
	of, err := s.cfg.Directory.Organisation(ctx, id)
	if itsm.IsCode(err, itsm.CodeNotFound) || err == nil && !s.reads(a, by, of) {
		return itsm.Organisation{}, itsm.Errorf(itsm.CodeNotFound, "organisation %s not found", id)
	}
	return of, err
}

// Create adds a group to organisation org, active. Only the organisation's
// administrators and Config.Admin's actors create its groups, only a desk
// or a supplier has groups (customers hold no tickets), and the name must
// be free within the organisation, however cased.
func (s *Groups) Create(ctx context.Context, actor itsm.Actor, org itsm.ID, d Definition) (*Group, error) {
	if s.expect != 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "create makes a new group; it takes no expected version")
	}
	by, err := s.actorOrg(ctx, actor)
	if err != nil {
		return nil, err
	}
	of, err := s.owner(ctx, actor, by, org)
	if err != nil {
		return nil, err
	}
	if !s.changes(actor, of.ID) {
		return nil, forbidden("create a group", actor, of)
	}
	if of.Role != itsm.OrgDesk && of.Role != itsm.OrgSupplier {
		return nil, itsm.Errorf(itsm.CodeInvalid, "organisation %s is a %s; only a desk or a supplier holds tickets and has groups", of.ID, of.Role)
	}
	p := Created{By: By{By: actor}, Organisation: of.ID}
	if p.Name, err = cleanName(d.Name); err != nil {
		return nil, err
	}
	if p.Members, err = cleanMembers(d.Members); err != nil {
		return nil, err
	}
	if p.Email, err = cleanEmail(d.Email); err != nil {
		return nil, err
	}
	var out *Group
	err = s.write(ctx, func(tx itsm.WriteTx) (bool, error) {
		if err := nameFree(tx, of.ID, p.Name, itsm.ID{}); err != nil {
			return true, err
		}
		g := &Group{ID: itsm.NewID()}
		out, err = commit(tx, g, []Payload{p}, s.clock.Now())
		return false, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Rename gives the group a new name, free within its organisation.
func (s *Groups) Rename(ctx context.Context, actor itsm.Actor, id itsm.ID, name string) (*Group, error) {
	return s.Update(ctx, actor, id, Change{Name: &name})
}

// SetMembers replaces the group's members.
func (s *Groups) SetMembers(ctx context.Context, actor itsm.Actor, id itsm.ID, members []string) (*Group, error) {
	return s.Update(ctx, actor, id, Change{Members: &members})
}

// AddMember makes person a member of the group. Unlike SetMembers it
// decides on the members as they are when it runs, so that two
// administrators adding two people at once both succeed.
func (s *Groups) AddMember(ctx context.Context, actor itsm.Actor, id itsm.ID, person string) (*Group, error) {
	return s.change(ctx, actor, id, func(g *Group) ([]Payload, error) {
		m, err := cleanMembers(append(slices.Clone(g.Members), person))
		if err != nil {
			return nil, err
		}
		return membersChanged(actor, g, m), nil
	})
}

// RemoveMember takes person out of the group; a person who is not a
// member changes nothing.
func (s *Groups) RemoveMember(ctx context.Context, actor itsm.Actor, id itsm.ID, person string) (*Group, error) {
	return s.change(ctx, actor, id, func(g *Group) ([]Payload, error) {
		m := slices.DeleteFunc(slices.Clone(g.Members), func(m string) bool { return m == person })
		return membersChanged(actor, g, m), nil
	})
}

// SetEmail sets the address notifications to the group go to; "" removes
// it.
func (s *Groups) SetEmail(ctx context.Context, actor itsm.Actor, id itsm.ID, email string) (*Group, error) {
	return s.Update(ctx, actor, id, Change{Email: &email})
}

// Deactivate makes the group take no new tickets. It keeps its name, which
// no other group of the organisation may take, and its history.
func (s *Groups) Deactivate(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Group, error) {
	active := false
	return s.Update(ctx, actor, id, Change{Active: &active})
}

// Activate makes a deactivated group take tickets again.
func (s *Groups) Activate(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Group, error) {
	active := true
	return s.Update(ctx, actor, id, Change{Active: &active})
}

// Update makes every change c names in one transaction, appending one event
// per field that changes: all of them or, on any refusal, none. A field set
// to what the group already has changes nothing, and a change that changes
// nothing appends no event and returns the group as it is, so that a retry
// of a change that went through succeeds without a second event.
func (s *Groups) Update(ctx context.Context, actor itsm.Actor, id itsm.ID, c Change) (*Group, error) {
	var (
		name, email string
		members     []string
		err         error
	)
	// Input is checked before any transaction, so that a bad request costs
	// the store nothing.
	if c.Name != nil {
		if name, err = cleanName(*c.Name); err != nil {
			return nil, err
		}
	}
	if c.Members != nil {
		if members, err = cleanMembers(*c.Members); err != nil {
			return nil, err
		}
	}
	if c.Email != nil {
		if email, err = cleanEmail(*c.Email); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, actor, id, func(g *Group) ([]Payload, error) {
		var out []Payload
		if c.Name != nil && name != g.Name {
			out = append(out, Renamed{By: By{By: actor}, Name: name})
		}
		if c.Members != nil {
			out = append(out, membersChanged(actor, g, members)...)
		}
		if c.Email != nil && email != g.Email {
			out = append(out, EmailChanged{By: By{By: actor}, Email: email})
		}
		if c.Active != nil && *c.Active != g.Active {
			if *c.Active {
				out = append(out, Activated{By{By: actor}})
			} else {
				out = append(out, Deactivated{By{By: actor}})
			}
		}
		return out, nil
	})
}

// membersChanged is the payload that gives g the members m, if they differ.
func membersChanged(actor itsm.Actor, g *Group, m []string) []Payload {
	if slices.Equal(m, g.Members) {
		return nil
	}
	if m == nil {
		m = []string{} // none is an empty list in JSON, not null
	}
	return []Payload{MembersChanged{By: By{By: actor}, Members: m}}
}

// decision is the pure part of a command: the payloads of what happens to
// the group as stored, or a refusal.
type decision func(g *Group) ([]Payload, error)

// change runs one command on one group.
func (s *Groups) change(ctx context.Context, actor itsm.Actor, id itsm.ID, decide decision) (*Group, error) {
	by, err := s.actorOrg(ctx, actor)
	if err != nil {
		return nil, err
	}
	// A group's organisation never changes, so it is looked up, and the
	// actor's rights decided, before the write transaction: the directory
	// may read the store, which is not to happen inside a write.
	var org itsm.ID
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		g, err := load(tx, id)
		if err == nil {
			org = g.Organisation
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	of, err := s.owner(ctx, actor, by, org)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	if !s.changes(actor, of.ID) {
		return nil, forbidden(fmt.Sprintf("change group %s", id), actor, of)
	}
	var out *Group
	err = s.write(ctx, func(tx itsm.WriteTx) (bool, error) {
		g, err := load(tx, id)
		if err != nil {
			return true, err
		}
		if err := itsm.CheckVersion("group", g.ID.String(), g.Version, s.expect); err != nil {
			return true, err
		}
		payloads, err := decide(g)
		if err != nil || len(payloads) == 0 {
			out = g
			return true, err
		}
		for _, p := range payloads {
			if r, ok := p.(Renamed); ok {
				if err := nameFree(tx, g.Organisation, r.Name, g.ID); err != nil {
					return true, err
				}
			}
		}
		at := s.clock.Now()
		if at.Before(g.Changed) {
			// A clock stepping back must not make the history run backward.
			at = g.Changed
		}
		out, err = commit(tx, g, payloads, at)
		return false, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// write runs fn in write transactions until it commits, is refused, or
// loses WriteAttempts races. fn reports whether its error is a refusal by
// the rules, which deciding again on the same input cannot change.
func (s *Groups) write(ctx context.Context, fn func(tx itsm.WriteTx) (refused bool, err error)) error {
	// A conflict from the store means another command changed the group,
	// or took its name, since it was read: decide again.
	return itsm.WriteRetrying(ctx, s.cfg.Store, fn)
}

// commit applies payloads to a copy of g and saves it with g's version
// and the events, as a batch of one record (itsm.Batch).
func commit(tx itsm.WriteTx, g *Group, payloads []Payload, at time.Time) (*Group, error) {
	next := g.Clone()
	b := itsm.NewBatch(tx, at, func(g *Group, _ time.Time) (itsm.Record, error) { return record(g) })
	b.Touch(next, next.ID, &next.Version)
	if err := itsm.Apply(b, codec, next.ID, next, Payload.apply, payloads...); err != nil {
		return nil, err
	}
	if err := b.Save(); err != nil {
		return nil, err
	}
	return next, nil
}

// nameFree refuses name if a group of org other than self has it, however
// cased.
func nameFree(tx itsm.ReadTx, org itsm.ID, name string, self itsm.ID) error {
	page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexName, Match: itsm.MatchEqual, Value: uniqueName(org, name), Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Matches) > 0 && page.Matches[0].Record.ID != self {
		return itsm.Errorf(itsm.CodeConflict, "organisation %s has a group named %q already (%s)", org, name, page.Matches[0].Record.ID)
	}
	return nil
}

func forbidden(what string, a itsm.Actor, of itsm.Organisation) error {
	return itsm.Errorf(itsm.CodeForbidden, "cannot %s of %s as %q of %s: only the organisation's administrators change its groups",
		what, of.ID, a.Person, a.Organisation)
}

// Get returns a group the actor may know of; any other is not found.
func (s *Groups) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Group, error) {
	by, err := s.actorOrg(ctx, actor)
	if err != nil {
		return nil, err
	}
	var g *Group
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		g, err = load(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.owner(ctx, actor, by, g.Organisation); itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	} else if err != nil {
		return nil, err
	}
	return g, nil
}

// ListOptions pages a listing.
type ListOptions struct {
	// Limit is the page size: 0 means itsm.DefaultLimit.
	Limit int
	// After continues from an earlier page's Next.
	After itsm.Cursor
}

// Page is one page of groups.
type Page struct {
	Groups []*Group
	// Next continues the listing; "" when there is no more.
	Next itsm.Cursor
}

// List returns organisation org's groups, active and inactive, in the order
// of their names folded to one case, a page at a time. An organisation
// whose groups the actor may not know of is not found.
func (s *Groups) List(ctx context.Context, actor itsm.Actor, org itsm.ID, o ListOptions) (Page, error) {
	by, err := s.actorOrg(ctx, actor)
	if err != nil {
		return Page{}, err
	}
	if _, err := s.owner(ctx, actor, by, org); err != nil {
		return Page{}, err
	}
	q := itsm.Query{Kind: Kind, Index: IndexName, Match: itsm.MatchPrefix, Value: org.String() + " ", Limit: o.Limit, After: o.After}
	var out Page
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		out = Page{Groups: make([]*Group, 0, len(page.Matches)), Next: page.Next}
		for _, h := range page.Matches {
			g, err := decodeRecord(h.Record)
			if err != nil {
				return err
			}
			out.Groups = append(out.Groups, g)
		}
		return nil
	})
	return out, err
}

// Check checks h against the register as it is now (CheckHolder): the
// group is one of the organisation's and active, the assignee one of its
// members. It answers for the register, not for an actor, and does not ask
// the directory about the organisation: the ticket command that names the
// holder decides who may, and to which organisation the ticket may go.
func (s *Groups) Check(ctx context.Context, h Holder) error {
	return s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error { return CheckHolder(tx, h) })
}
