package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// KindOrganisation is the record and event kind of organisations.
const KindOrganisation = "organisation"

// AdminOrganisation is the ID of the platform administration: the
// organisation Bootstrap creates for the first administrator, "spoc
// administration", a desk with no rights in any domain. Its administrators
// are the platform administrators (PlatformAdmin). It is the same in every
// database, so that two processes bootstrapping one database at once write
// the same record and one of them loses the race, and it can be neither
// removed nor made anything but a desk.
var AdminOrganisation = itsm.MustParseID("00000000-0000-7000-8000-000000000001")

// AdminScope is what an actor administers. The register tells two kinds of
// administrator apart, so that holding itsm.RoleAdmin in one organisation
// never reaches into another.
type AdminScope int

const (
	// NotAdmin administers nothing: the actor lacks itsm.RoleAdmin.
	NotAdmin AdminScope = iota
	// OrganisationAdmin is a person with itsm.RoleAdmin of any organisation
	// but AdminOrganisation. It administers its own organisation: it issues,
	// lists and revokes its own people's tokens and manages its own webhook
	// subscriptions. Another organisation's tokens do not exist for it, and
	// it changes neither the register nor anyone's rights.
	OrganisationAdmin
	// PlatformAdmin is a person with itsm.RoleAdmin of AdminOrganisation,
	// such as the first administrator Bootstrap makes (Admin). It alone
	// manages organisations and their rights, and it manages every
	// organisation's tokens and subscriptions.
	PlatformAdmin
)

// String names the scope for messages and logs.
func (s AdminScope) String() string {
	switch s {
	case OrganisationAdmin:
		return "organisation administrator"
	case PlatformAdmin:
		return "platform administrator"
	}
	return "not an administrator"
}

// Administers reports whether an administrator of this scope, acting as
// actor, manages what belongs to the organisation org: a platform
// administrator every organisation's, an organisation's administrator its
// own only.
func (s AdminScope) Administers(actor itsm.Actor, org itsm.ID) bool {
	switch s {
	case PlatformAdmin:
		return true
	case OrganisationAdmin:
		return !org.IsZero() && org == actor.Organisation
	}
	return false
}

// MaxName is the longest organisation name, token name or person in bytes.
const MaxName = 200

// domains are the domains whose rights a Directory keeps, in a fixed order
// for listings.
var domains = []itsm.Domain{itsm.DomainIncident, itsm.DomainRequest, itsm.DomainProblem,
	itsm.DomainCMDB, itsm.DomainKnowledge, itsm.DomainServiceLevel}

// Entry is an organisation as the register lists it, with its rights.
type Entry struct {
	Organisation itsm.Organisation
	// Rights are the organisation's rights per domain; domains without
	// rights are left out. List fills them in only for administrators and
	// for the caller's own organisation.
	Rights map[itsm.Domain]itsm.Access
}

// Directory is the server's register of organisations and their rights,
// kept in an itsm.Store. It implements incident.Directory and
// followup.Directory. A Directory is safe for concurrent use.
//
// A Directory serves an organisation it read less than its freshness
// window ago (DefaultFreshness unless SetFreshness says otherwise) from
// memory, and so do the Tokens made from it for the tokens they
// authenticated; every change made through them forgets what it changes at
// once.
type Directory struct {
	store itsm.Store
	clock itsm.Clock
	perms *itsm.Permissions

	// freshness is the window as a time.Duration; see SetFreshness.
	freshness atomic.Int64
	orgs      cache[itsm.ID, orgEntry]
	// tokens keeps the tokens that the Directory's Tokens accepted, by the
	// SHA-256 of their secret: one for all of them, so that a revocation
	// through any of them applies to all at once.
	tokens cache[[sha256.Size]byte, authEntry]

	mu sync.Mutex
	// applied is, per organisation, the record version whose rights perms
	// holds and those rights, so that a slow reader never puts back rights
	// that a newer write took away.
	applied map[itsm.ID]appliedRights
}

type appliedRights struct {
	version int64
	rights  map[itsm.Domain]itsm.Access
}

// orgEntry is what Organisation keeps of an organisation's record: enough
// to answer, not its rights, which live in Permissions alone.
type orgEntry struct {
	org     itsm.Organisation
	removed bool
}

// NewDirectory returns the Directory kept in store, with the rights of every
// organisation loaded into Permissions. A nil clock means the system clock.
func NewDirectory(ctx context.Context, store itsm.Store, clock itsm.Clock) (*Directory, error) {
	if store == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "directory: store is nil")
	}
	if clock == nil {
		clock = itsm.SystemClock{}
	}
	d := &Directory{store: store, clock: clock, perms: itsm.NewPermissions(), applied: make(map[itsm.ID]appliedRights)}
	d.freshness.Store(int64(DefaultFreshness))
	if err := d.Reload(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// SetFreshness sets how long the Directory serves an organisation, and its
// Tokens an authenticated token, from memory: a change another process
// makes takes effect here within that window. Zero (or less) reads the
// store every time, as a deployment that must see every other process's
// revocation at once needs. The window applies to what is kept already,
// too: an entry is judged by its age when it is asked for.
func (d *Directory) SetFreshness(window time.Duration) {
	d.freshness.Store(int64(max(window, 0)))
}

// Freshness returns the window SetFreshness set, DefaultFreshness unless
// it was called.
func (d *Directory) Freshness() time.Duration { return time.Duration(d.freshness.Load()) }

// Permissions returns the rights of every organisation, for the Permissions
// of incident.Config and followup.Config. The Directory owns the value and
// keeps it current: change rights with Grant and Revoke, never on the value
// itself, or the next change of the organisation undoes it.
func (d *Directory) Permissions() *itsm.Permissions { return d.perms }

// Reload reads every organisation again and brings Permissions up to date
// with changes other processes made, and forgets the organisations kept in
// memory, so that Organisation, too, reads them again. Organisation does
// so for the one organisation it reads once its window has passed, so a
// server needs Reload only to withdraw rights from an organisation that
// nobody asks for.
func (d *Directory) Reload(ctx context.Context) error {
	// Forgotten even when a page fails: what was read before the failure
	// is applied, and the rest is read again on demand.
	defer d.orgs.clear()
	var after itsm.Cursor
	for {
		var page itsm.Page
		err := d.store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			page, err = tx.Query(itsm.Query{Kind: KindOrganisation, Limit: itsm.MaxLimit, After: after})
			return err
		})
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			o, err := decodeOrg(h.Record)
			if err != nil {
				return err
			}
			d.apply(o)
		}
		if page.Next == "" {
			return nil
		}
		after = page.Next
	}
}

// Organisation returns the organisation with the ID, or an error with
// CodeNotFound when there is none or it was removed. When it reads the
// store it also brings the organisation's rights in Permissions up to
// date, so that a change another process made applies from the first
// request of the organisation after the Directory's freshness window on.
//
// An organisation read less than the window ago is answered from memory,
// removed or not; changes made through this Directory apply at once. An
// unknown ID is never kept: it costs a read every time, so that asking for
// made-up IDs fills no memory, and an organisation another process creates
// is known at once.
func (d *Directory) Organisation(ctx context.Context, id itsm.ID) (itsm.Organisation, error) {
	if id.IsZero() {
		return itsm.Organisation{}, orgNotFound(id)
	}
	fresh := d.Freshness()
	var (
		at  time.Time
		gen uint64
	)
	if fresh > 0 {
		at = d.clock.Now()
		if e, ok := d.orgs.get(id, at, fresh); ok {
			if e.removed {
				return itsm.Organisation{}, orgNotFound(id)
			}
			return e.org, nil
		}
		gen = d.orgs.generation()
	}
	var o *orgRecord
	err := d.store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		o, err = loadOrg(tx, id)
		return err
	})
	if err != nil {
		return itsm.Organisation{}, err
	}
	// A record older than the rights Permissions holds is answered but not
	// kept, so that memory never disagrees with Permissions for a window.
	if d.apply(o) && fresh > 0 {
		d.orgs.put(id, orgEntry{org: o.organisation(), removed: !o.Removed.IsZero()}, o.version, at, gen)
	}
	if !o.Removed.IsZero() {
		return itsm.Organisation{}, orgNotFound(id)
	}
	return o.organisation(), nil
}

// List returns the organisations an actor may know of, by name: a desk's
// people see every organisation, as the desk registers for customers and
// delegates to suppliers (SD-1); a supplier's or customer's people see only
// their own (SD-13). Rights are filled in for platform administrators and
// for the actor's own organisation.
func (d *Directory) List(ctx context.Context, actor itsm.Actor) ([]Entry, error) {
	own, err := d.actorOrg(ctx, actor, "list organisations")
	if err != nil {
		return nil, err
	}
	admin := scopeIn(own, actor) == PlatformAdmin
	var out []Entry
	var after itsm.Cursor
	for {
		var page itsm.Page
		err := d.store.Read(ctx, func(tx itsm.ReadTx) error {
			var err error
			page, err = tx.Query(itsm.Query{Kind: KindOrganisation, Limit: itsm.MaxLimit, After: after})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, h := range page.Matches {
			o, err := decodeOrg(h.Record)
			if err != nil {
				return nil, err
			}
			if !o.Removed.IsZero() || (own.Role != itsm.OrgDesk && o.ID != own.ID) {
				continue
			}
			e := Entry{Organisation: o.organisation()}
			if admin || o.ID == own.ID {
				e.Rights = maps.Clone(o.Rights)
			}
			out = append(out, e)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := strings.Compare(strings.ToLower(a.Organisation.Name), strings.ToLower(b.Organisation.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Organisation.ID.String(), b.Organisation.ID.String())
	})
	return out, nil
}

// Create registers the organisation o; a zero o.ID gets a new one. The name
// must be one line of at most MaxName bytes, unique among the organisations
// regardless of case, and the role customer, desk or supplier. A new
// organisation has no rights: grant them with Grant.
func (d *Directory) Create(ctx context.Context, admin itsm.Actor, o itsm.Organisation) (itsm.Organisation, error) {
	if err := d.checkPlatformAdmin(ctx, admin, "create an organisation"); err != nil {
		return itsm.Organisation{}, err
	}
	if o.ID.IsZero() {
		o.ID = itsm.NewID()
	}
	o.Name = strings.TrimSpace(o.Name)
	if err := checkOrganisation(o); err != nil {
		return itsm.Organisation{}, err
	}
	// Forgotten after the write, committed or failed alike: a write whose
	// outcome is unknown may have committed.
	defer d.orgs.drop(o.ID)
	var stored *orgRecord
	err := retry(ctx, d.store, func(tx itsm.WriteTx) error {
		_, err := tx.Get(KindOrganisation, o.ID)
		switch {
		case err == nil:
			return refuse(itsm.Errorf(itsm.CodeConflict, "organisation %s exists or existed; IDs are not given out again", o.ID))
		case !itsm.IsCode(err, itsm.CodeNotFound):
			return err
		}
		if err := nameFree(tx, o.Name, o.ID); err != nil {
			return err
		}
		at := d.clock.Now()
		stored = &orgRecord{ID: o.ID, Name: o.Name, Role: o.Role, Created: at, Changed: at}
		return putOrg(tx, stored, 0, orgEvent{Type: "organisation.created", By: admin, Organisation: o}, at)
	})
	if err != nil {
		return itsm.Organisation{}, err
	}
	d.apply(stored)
	return stored.organisation(), nil
}

// Update changes the name and role of the organisation o.ID. The
// administration organisation stays a desk.
func (d *Directory) Update(ctx context.Context, admin itsm.Actor, o itsm.Organisation) (itsm.Organisation, error) {
	if err := d.checkPlatformAdmin(ctx, admin, "change an organisation"); err != nil {
		return itsm.Organisation{}, err
	}
	o.Name = strings.TrimSpace(o.Name)
	if err := checkOrganisation(o); err != nil {
		return itsm.Organisation{}, err
	}
	if o.ID == AdminOrganisation && o.Role != itsm.OrgDesk {
		return itsm.Organisation{}, itsm.Errorf(itsm.CodeInvalid, "organisation %s is the administration organisation and stays a desk", o.ID)
	}
	defer d.orgs.drop(o.ID)
	var stored *orgRecord
	err := retry(ctx, d.store, func(tx itsm.WriteTx) error {
		cur, err := loadLiveOrg(tx, o.ID)
		if err != nil {
			return refuse(err)
		}
		stored = cur
		if cur.Name == o.Name && cur.Role == o.Role {
			return nil
		}
		if err := nameFree(tx, o.Name, o.ID); err != nil {
			return err
		}
		prev := cur.organisation()
		next := *cur
		next.Name, next.Role, next.Changed = o.Name, o.Role, d.clock.Now()
		stored = &next
		return putOrg(tx, stored, cur.version, orgEvent{Type: "organisation.updated", By: admin, Organisation: o, Previous: &prev}, next.Changed)
	})
	if err != nil {
		return itsm.Organisation{}, err
	}
	d.apply(stored)
	return stored.organisation(), nil
}

// Remove takes the organisation out of the register: from then on
// Organisation reports it not found, so its people's tokens no longer
// authenticate and the services refuse them, and it loses every right. Its
// ID stays taken, and its name becomes free. The administration
// organisation cannot be removed.
func (d *Directory) Remove(ctx context.Context, admin itsm.Actor, id itsm.ID) error {
	if err := d.checkPlatformAdmin(ctx, admin, "remove an organisation"); err != nil {
		return err
	}
	if id == AdminOrganisation {
		return itsm.Errorf(itsm.CodeInvalid, "organisation %s is the administration organisation and cannot be removed", id)
	}
	defer d.orgs.drop(id)
	var stored *orgRecord
	err := retry(ctx, d.store, func(tx itsm.WriteTx) error {
		cur, err := loadLiveOrg(tx, id)
		if err != nil {
			return refuse(err)
		}
		at := d.clock.Now()
		next := *cur
		next.Rights, next.Changed, next.Removed = nil, at, at
		stored = &next
		return putOrg(tx, stored, cur.version, orgEvent{Type: "organisation.removed", By: admin, Organisation: cur.organisation()}, next.Removed)
	})
	if err != nil {
		return err
	}
	d.apply(stored)
	return nil
}

// Grant adds the rights a to those the organisation has in domain dom
// (SD-13) and returns the rights it has now. The services see the change on
// their next check.
func (d *Directory) Grant(ctx context.Context, admin itsm.Actor, org itsm.ID, dom itsm.Domain, a itsm.Access) (itsm.Access, error) {
	return d.changeRights(ctx, admin, org, dom, a, true)
}

// Revoke removes the rights a from those the organisation has in domain dom
// and returns the rights it has now.
func (d *Directory) Revoke(ctx context.Context, admin itsm.Actor, org itsm.ID, dom itsm.Domain, a itsm.Access) (itsm.Access, error) {
	return d.changeRights(ctx, admin, org, dom, a, false)
}

func (d *Directory) changeRights(ctx context.Context, admin itsm.Actor, org itsm.ID, dom itsm.Domain, a itsm.Access, grant bool) (itsm.Access, error) {
	verb := "revoke rights"
	if grant {
		verb = "grant rights"
	}
	if err := d.checkPlatformAdmin(ctx, admin, verb); err != nil {
		return 0, err
	}
	switch {
	case !dom.Valid():
		return 0, itsm.Errorf(itsm.CodeInvalid, "cannot %s in domain %q: it is not one of %v", verb, dom, domains)
	case a == 0 || a&^itsm.AccessAll != 0:
		return 0, itsm.Errorf(itsm.CodeInvalid, "cannot %s %s: give one or more of read, write and report", verb, a)
	}
	defer d.orgs.drop(org)
	var stored *orgRecord
	err := retry(ctx, d.store, func(tx itsm.WriteTx) error {
		cur, err := loadLiveOrg(tx, org)
		if err != nil {
			return refuse(err)
		}
		stored = cur
		have := cur.Rights[dom]
		want := have &^ a
		typ := "organisation.revoked"
		if grant {
			want, typ = have|a, "organisation.granted"
		}
		if want == have {
			return nil
		}
		next := *cur
		next.Rights = maps.Clone(cur.Rights)
		if next.Rights == nil {
			next.Rights = make(rights)
		}
		next.Rights[dom] = want
		if want == 0 {
			delete(next.Rights, dom)
		}
		next.Changed = d.clock.Now()
		stored = &next
		return putOrg(tx, stored, cur.version, orgEvent{Type: typ, By: admin, Organisation: cur.organisation(),
			Domain: dom, Access: a.String(), Rights: want.String()}, next.Changed)
	})
	if err != nil {
		return 0, err
	}
	d.apply(stored)
	return stored.Rights[dom], nil
}

// actorOrg checks the actor and returns its organisation; an actor of an
// unknown organisation is refused, as the services refuse it.
func (d *Directory) actorOrg(ctx context.Context, actor itsm.Actor, what string) (itsm.Organisation, error) {
	if err := actor.Validate(); err != nil {
		return itsm.Organisation{}, err
	}
	org, err := d.Organisation(ctx, actor.Organisation)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return org, itsm.Errorf(itsm.CodeForbidden, "cannot %s as %q: organisation %s is unknown", what, actor.Person, actor.Organisation)
	}
	return org, err
}

// AdminScope returns what the actor administers. An actor of an unknown or
// removed organisation is refused, as the services refuse it.
func (d *Directory) AdminScope(ctx context.Context, actor itsm.Actor) (AdminScope, error) {
	org, err := d.actorOrg(ctx, actor, "administer")
	if err != nil {
		return NotAdmin, err
	}
	return scopeIn(org, actor), nil
}

// scopeIn is the scope of actor, a person of org.
func scopeIn(org itsm.Organisation, actor itsm.Actor) AdminScope {
	switch {
	case !actor.HasRole(itsm.RoleAdmin):
		return NotAdmin
	case org.ID == AdminOrganisation:
		return PlatformAdmin
	}
	return OrganisationAdmin
}

// checkAdmin refuses an actor who is not an administrator, and returns the
// scope of one who is.
func (d *Directory) checkAdmin(ctx context.Context, actor itsm.Actor, what string) (AdminScope, error) {
	org, err := d.actorOrg(ctx, actor, what)
	if err != nil {
		return NotAdmin, err
	}
	scope := scopeIn(org, actor)
	if scope == NotAdmin {
		return NotAdmin, itsm.Errorf(itsm.CodeForbidden, "cannot %s as %q of %s: the person is not an administrator", what, actor.Person, org.ID)
	}
	return scope, nil
}

// checkPlatformAdmin refuses anyone but a platform administrator: the
// register and the rights are the platform's, whatever an organisation's
// own administrator may do for its people.
func (d *Directory) checkPlatformAdmin(ctx context.Context, actor itsm.Actor, what string) error {
	scope, err := d.checkAdmin(ctx, actor, what)
	if err != nil {
		return err
	}
	if scope != PlatformAdmin {
		return itsm.Errorf(itsm.CodeForbidden, "cannot %s as %q of %s: only the platform administration manages organisations and rights; an organisation's administrator manages its own people's tokens and its own webhooks",
			what, actor.Person, actor.Organisation)
	}
	return nil
}

// apply brings Permissions to the rights of o, unless they are older than
// what it holds, and reports whether o is as new as what Permissions holds
// now. It changes only what differs, taking rights away before adding any,
// so that a check running meanwhile never sees more rights than the old or
// the new record gives.
func (d *Directory) apply(o *orgRecord) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	prev := d.applied[o.ID]
	if o.version <= prev.version {
		return o.version == prev.version
	}
	want := o.Rights
	if !o.Removed.IsZero() {
		want = nil
	}
	doms := slices.Clone(domains)
	for _, m := range []rights{prev.rights, want} {
		for dom := range m {
			if !slices.Contains(doms, dom) {
				doms = append(doms, dom)
			}
		}
	}
	for _, dom := range doms {
		if lost := d.perms.Granted(o.ID, dom) &^ want[dom]; lost != 0 {
			d.perms.Revoke(o.ID, dom, lost)
		}
	}
	for _, dom := range doms {
		if gained := want[dom] &^ d.perms.Granted(o.ID, dom); gained != 0 {
			d.perms.Grant(o.ID, dom, gained)
		}
	}
	d.applied[o.ID] = appliedRights{version: o.version, rights: maps.Clone(want)}
	return true
}

// orgRecord is the body of an organisation's record.
type orgRecord struct {
	ID      itsm.ID      `json:"id"`
	Name    string       `json:"name"`
	Role    itsm.OrgRole `json:"role"`
	Rights  rights       `json:"rights,omitempty"`
	Created time.Time    `json:"created"`
	Changed time.Time    `json:"changed"`
	// Removed is when the organisation was removed; its record stays so
	// that its ID is never given out again.
	Removed time.Time `json:"removed,omitzero"`

	version int64
}

func (o *orgRecord) organisation() itsm.Organisation {
	return itsm.Organisation{ID: o.ID, Name: o.Name, Role: o.Role}
}

// rights are an organisation's rights per domain. They are stored by name,
// such as {"incident": "read|write"}, so that the database reads plainly and
// does not depend on the bit values of itsm.Access.
type rights map[itsm.Domain]itsm.Access

func (r rights) MarshalJSON() ([]byte, error) {
	m := make(map[itsm.Domain]string, len(r))
	for dom, a := range r {
		m[dom] = a.String()
	}
	return json.Marshal(m)
}

func (r *rights) UnmarshalJSON(b []byte) error {
	var m map[itsm.Domain]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*r = make(rights, len(m))
	for dom, s := range m {
		a, err := parseAccess(s)
		if err != nil {
			return err
		}
		(*r)[dom] = a
	}
	return nil
}

// parseAccess reads what itsm.Access.String writes.
func parseAccess(s string) (itsm.Access, error) {
	var a itsm.Access
	for name := range strings.SplitSeq(s, "|") {
		switch name {
		case "read":
			a |= itsm.AccessRead
		case "write":
			a |= itsm.AccessWrite
		case "report":
			a |= itsm.AccessReport
		default:
			return 0, itsm.Errorf(itsm.CodeInvalid, "access %q is not read, write or report", name)
		}
	}
	return a, nil
}

// orgEvent is the data of every organisation event.
type orgEvent struct {
	Type         string             `json:"-"`
	By           itsm.Actor         `json:"by"`
	Organisation itsm.Organisation  `json:"organisation"`
	Previous     *itsm.Organisation `json:"previous,omitempty"`
	Domain       itsm.Domain        `json:"domain,omitempty"`
	// Access is the rights granted or revoked, Rights those the
	// organisation has in the domain afterwards.
	Access string `json:"access,omitempty"`
	Rights string `json:"rights,omitempty"`
}

// putOrg writes o over version and appends its event.
func putOrg(tx itsm.WriteTx, o *orgRecord, version int64, e orgEvent, at time.Time) error {
	body, err := json.Marshal(o)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode organisation %s", o.ID)
	}
	r := itsm.Record{Kind: KindOrganisation, ID: o.ID, Version: version, Body: body}
	if o.Removed.IsZero() {
		r.Unique = map[string]string{"name": nameKey(o.Name)}
	}
	v, err := tx.Put(r)
	if err != nil {
		return err
	}
	o.version = v
	data, err := json.Marshal(e)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode %s", e.Type)
	}
	_, err = tx.Append(itsm.Event{Type: e.Type, Kind: KindOrganisation, Subject: o.ID, Time: at, Data: data})
	return err
}

// nameKey is the unique index value of a name: names that differ only in
// case would be read as the same organisation.
func nameKey(name string) string { return strings.ToLower(name) }

// nameFree refuses a name another organisation than id has.
func nameFree(tx itsm.ReadTx, name string, id itsm.ID) error {
	page, err := tx.Query(itsm.Query{Kind: KindOrganisation, Index: "name", Match: itsm.MatchEqual, Value: nameKey(name), Limit: 1})
	if err != nil {
		return err
	}
	if len(page.Matches) > 0 && page.Matches[0].Record.ID != id {
		return refuse(itsm.Errorf(itsm.CodeConflict, "organisation %s is already named %q", page.Matches[0].Record.ID, name))
	}
	return nil
}

func orgNotFound(id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "organisation %s is unknown", id)
}

// loadOrg reads an organisation's record, removed or not.
func loadOrg(tx itsm.ReadTx, id itsm.ID) (*orgRecord, error) {
	r, err := tx.Get(KindOrganisation, id)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, orgNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	return decodeOrg(r)
}

// loadLiveOrg reads an organisation that has not been removed.
func loadLiveOrg(tx itsm.ReadTx, id itsm.ID) (*orgRecord, error) {
	o, err := loadOrg(tx, id)
	if err != nil {
		return nil, err
	}
	if !o.Removed.IsZero() {
		return nil, orgNotFound(id)
	}
	return o, nil
}

func decodeOrg(r itsm.Record) (*orgRecord, error) {
	o := new(orgRecord)
	if err := json.Unmarshal(r.Body, o); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "decode organisation %s", r.ID)
	}
	o.version = r.Version
	return o, nil
}

func checkOrganisation(o itsm.Organisation) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return checkLabel("organisation name", o.Name, true)
}
