package authority

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Directory finds organisations by ID, so that the lists can tell a
// customer from a desk without owning the register: itsm's.
type Directory = itsm.Directory

// Config is what Lists needs. Store, Directory and Permissions are
// required.
type Config struct {
	Store     itsm.Store
	Directory Directory
	// Permissions are the organisations' rights: reading the lists takes
	// read access to itsm.DomainRequest, changing them read and write.
	Permissions *itsm.Permissions
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// Zone is where the lists' days begin and end; nil means
	// Europe/Stockholm.
	Zone *time.Location
	// Admin, when set, names who administers every customer's lists
	// besides each customer's own administrators, such as the reference
	// server's platform administrators. Such an actor also reads every
	// customer's lists, and needs no rights of Permissions.
	Admin func(itsm.Actor) bool
	// Serves, when set, tells whether a desk serves a customer, so that
	// only that desk reads the customer's lists; nil means every desk
	// serves every customer, as in an installation of one desk.
	Serves func(ctx context.Context, desk, customer itsm.ID) (bool, error)
}

// Lists is the register of every customer's authorised requesters and
// approvers, over a store. Each command is one write transaction that
// saves the record with an optimistic version check and appends one event;
// a lost race is decided again on the fresh record, a refusal by the rules
// is returned at once. Lists is safe for concurrent use.
type Lists struct {
	cfg   Config
	clock itsm.Clock
	zone  *time.Location
}

// Stockholm is the default zone of the lists' days.
const Stockholm = "Europe/Stockholm"

// New checks the configuration and returns the register.
func New(cfg Config) (*Lists, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "authority config: store is nil")
	case cfg.Directory == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "authority config: directory is nil")
	case cfg.Permissions == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "authority config: permissions are nil")
	}
	l := &Lists{cfg: cfg, clock: cfg.Clock, zone: cfg.Zone}
	if l.clock == nil {
		l.clock = itsm.SystemClock{}
	}
	if l.zone == nil {
		var err error
		if l.zone, err = time.LoadLocation(Stockholm); err != nil {
			return nil, itsm.Wrap(itsm.CodeUnavailable, err, "authority config: load zone %s", Stockholm)
		}
	}
	return l, nil
}

// Zone returns the zone of the lists' days, for an Index to share.
func (l *Lists) Zone() *time.Location { return l.zone }

// admin reports whether Config.Admin names the actor.
func (l *Lists) admin(a itsm.Actor) bool { return l.cfg.Admin != nil && l.cfg.Admin(a) }

// actorOrg checks the actor and its organisation's rights, and returns the
// organisation. An actor of an organisation the directory does not know is
// forbidden everything.
func (l *Lists) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, l.cfg.Directory, a)
	if err != nil || l.admin(a) {
		return org, err
	}
	return org, l.cfg.Permissions.Check(a, itsm.DomainRequest, access)
}

// reads reports whether the actor, of organisation by, may know of the
// lists of customer of: its own people, the agents and administrators of
// a desk that serves it, and Config.Admin's actors.
func (l *Lists) reads(ctx context.Context, a itsm.Actor, by, of itsm.Organisation) (bool, error) {
	switch {
	case l.admin(a), by.ID == of.ID:
		return true, nil
	case by.Role != itsm.OrgDesk || of.Role != itsm.OrgCustomer:
		return false, nil
	case !a.HasRole(itsm.RoleAgent) && !a.HasRole(itsm.RoleAdmin):
		return false, nil
	case l.cfg.Serves == nil:
		return true, nil
	}
	return l.cfg.Serves(ctx, by.ID, of.ID)
}

// owner returns the customer whose lists the actor asks about, or not
// found when it does not exist, is no customer, or the actor may not know
// of its lists.
func (l *Lists) owner(ctx context.Context, a itsm.Actor, by itsm.Organisation, id itsm.ID) (itsm.Organisation, error) {
	of := by
	if id != by.ID {
		var err error
		if of, err = l.cfg.Directory.Organisation(ctx, id); err != nil && !itsm.IsCode(err, itsm.CodeNotFound) {
			return of, err
		}
	}
	ok := of.ID == id && of.Role == itsm.OrgCustomer
	if ok {
		var err error
		if ok, err = l.reads(ctx, a, by, of); err != nil {
			return of, err
		}
	}
	if !ok {
		return itsm.Organisation{}, itsm.Errorf(itsm.CodeNotFound, "customer %s not found", id)
	}
	return of, nil
}

// changes reports whether the actor may change the lists of customer of.
func (l *Lists) changes(a itsm.Actor, of itsm.ID) bool {
	return l.admin(a) || a.Organisation == of && a.HasRole(itsm.RoleAdmin)
}

func forbidden(what string, a itsm.Actor, of itsm.ID) error {
	return itsm.Errorf(itsm.CodeForbidden, "cannot %s of customer %s as %q of %s: only the customer's administrators change its lists",
		what, of, a.Person, a.Organisation)
}

// today is the day it is now in the lists' zone.
func (l *Lists) today(now time.Time) sla.Date { return sla.DateOf(now.In(l.zone)) }

// clean checks a grant as asked for and returns it trimmed, without what
// the register sets.
func clean(g Grant) (Grant, error) {
	switch {
	case !g.ID.IsZero():
		return g, itsm.Errorf(itsm.CodeInvalid, "grant: id is set; the register gives a grant its id")
	case len(g.Ended) > 0 || !g.Granted.IsZero() || g.GrantedBy.Person != "" || g.Version != 0:
		return g, itsm.Errorf(itsm.CodeInvalid, "grant: ended, granted, granted_by or version is set; the register records them")
	case g.Customer.IsZero():
		return g, itsm.Errorf(itsm.CodeInvalid, "grant: customer is zero")
	case !g.Role.Valid():
		return g, itsm.Errorf(itsm.CodeInvalid, "grant: role %q is neither %q nor %q", itsm.Printable(string(g.Role), 64), RoleRequester, RoleApprover)
	}
	var err error
	if g.Person, err = cleanPerson("grant: person", g.Person); err != nil {
		return g, err
	}
	g.Service = strings.TrimSpace(g.Service)
	if g.Item.IsZero() == (g.Service == "") {
		return g, itsm.Errorf(itsm.CodeInvalid, "grant: names %s; a grant is for exactly one catalogue item or one service", map[bool]string{true: "neither an item nor a service", false: "both an item and a service"}[g.Item.IsZero()])
	}
	if err := itsm.CheckLabel("grant: service", g.Service); err != nil {
		return g, err
	}
	if err := checkDay("grant: from", g.From); err != nil {
		return g, err
	}
	if g.Until != (sla.Date{}) {
		if err := checkDay("grant: until", g.Until); err != nil {
			return g, err
		}
		if before(g.Until, g.From) {
			return g, itsm.Errorf(itsm.CodeInvalid, "grant: until %s is before from %s", g.Until, g.From)
		}
	}
	return g, nil
}

// Grant puts a person on a customer's lists and returns the grant as
// recorded. Only the customer's administrators and Config.Admin's actors
// grant. A grant starts today at the earliest, in the lists' zone: the
// lists of the past are not rewritten.
func (l *Lists) Grant(ctx context.Context, actor itsm.Actor, g Grant) (*Grant, error) {
	g, err := clean(g)
	if err != nil {
		return nil, err
	}
	if err := l.mayChange(ctx, actor, g.Customer, "grant"); err != nil {
		return nil, err
	}
	now := l.clock.Now()
	if today := l.today(now); before(g.From, today) {
		return nil, itsm.Errorf(itsm.CodeInvalid, "grant: from %s is before today, %s; the lists of the past stay as they were", g.From, today)
	}
	g.ID, g.GrantedBy = itsm.NewID(), actor
	var out *Grant
	err = l.write(ctx, func(tx itsm.WriteTx) (bool, error) {
		out = granted(g.ID, Granted{g}, now)
		return false, put(tx, out, Granted{*out}, now)
	})
	return out, err
}

// mayChange checks that the actor may change the lists of customer: not
// found for whoever may not read them, forbidden for whoever reads them
// only.
func (l *Lists) mayChange(ctx context.Context, actor itsm.Actor, customer itsm.ID, what string) error {
	by, err := l.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return err
	}
	if _, err := l.owner(ctx, actor, by, customer); err != nil {
		return err
	}
	if !l.changes(actor, customer) {
		return forbidden(what, actor, customer)
	}
	return nil
}

// End shortens a grant so that until is its last day, and returns the
// grant as ended. The grant keeps its history: the ending is recorded
// beside it. until must be no earlier than yesterday, which ends the grant
// now (the part of today before the ending stays as it was), and no
// earlier than the day before From, which withdraws a grant that has not
// begun; an ending only shortens. Ending a grant again with the last day
// it already has changes nothing, so that a retry succeeds without a
// second event. A grant that is over cannot be ended.
func (l *Lists) End(ctx context.Context, actor itsm.Actor, id itsm.ID, until sla.Date, reason string) (*Grant, error) {
	if err := checkDay("end: until", until); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if err := itsm.CheckText("end: reason", reason, MaxReason); err != nil {
		return nil, err
	}
	g, err := l.get(ctx, actor, id, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if !l.changes(actor, g.Customer) {
		return nil, forbidden(fmt.Sprintf("end grant %s", id), actor, g.Customer)
	}
	var out *Grant
	err = l.write(ctx, func(tx itsm.WriteTx) (bool, error) {
		g, err := loadGrant(tx, id)
		if err != nil {
			return true, err
		}
		now := l.clock.Now()
		if n := len(g.Ended); n > 0 && now.Before(g.Ended[n-1].At) {
			// A clock stepping back must not make the history run backward.
			now = g.Ended[n-1].At
		} else if now.Before(g.Granted) {
			now = g.Granted
		}
		today := l.today(now)
		open := g.Until == (sla.Date{})
		switch {
		case !open && (before(g.Until, today) || before(g.Until, g.From)):
			return true, itsm.Errorf(itsm.CodeConflict, "grant %s is over: its last day was %s", id, g.Until)
		case !open && until == g.Until:
			out = g
			return true, nil
		case !open && before(g.Until, until):
			return true, itsm.Errorf(itsm.CodeInvalid, "end: until %s is after the grant's last day, %s; an ending only shortens a grant", until, g.Until)
		case before(until, today.AddDays(-1)):
			return true, itsm.Errorf(itsm.CodeInvalid, "end: until %s is before yesterday, %s, which ends the grant now; the lists of the past stay as they were", until, today.AddDays(-1))
		case before(until, g.From.AddDays(-1)):
			return true, itsm.Errorf(itsm.CodeInvalid, "end: until %s is before %s, the day before the grant begins, which withdraws it", until, g.From.AddDays(-1))
		}
		p := Ended{Ending{By: actor, Until: until, Previous: g.Until, Reason: reason}}
		out = ended(g, p.Ending, now)
		p.At = out.Ended[len(out.Ended)-1].At
		return false, put(tx, out, p, now)
	})
	return out, err
}

// Absent records that an approver is away on the days From through Until
// and that a stand-in approves in their place. The approver records it, or
// a customer administrator or Config.Admin's actor. It starts today at the
// earliest, and the stand-in must be someone else.
func (l *Lists) Absent(ctx context.Context, actor itsm.Actor, a Absence) (*Absence, error) {
	a, err := cleanAbsence(a)
	if err != nil {
		return nil, err
	}
	by, err := l.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if _, err := l.owner(ctx, actor, by, a.Customer); err != nil {
		return nil, err
	}
	if !l.changes(actor, a.Customer) && (actor.Organisation != a.Customer || actor.Person != a.Person) {
		return nil, itsm.Errorf(itsm.CodeForbidden, "cannot record an absence of %q of customer %s as %q of %s: only the approver or the customer's administrators record it",
			a.Person, a.Customer, actor.Person, actor.Organisation)
	}
	now := l.clock.Now()
	if today := l.today(now); before(a.From, today) {
		return nil, itsm.Errorf(itsm.CodeInvalid, "absence: from %s is before today, %s; the lists of the past stay as they were", a.From, today)
	}
	a.ID, a.Recorded, a.RecordedBy = itsm.NewID(), now.UTC(), actor
	err = l.write(ctx, func(tx itsm.WriteTx) (bool, error) {
		body, err := json.Marshal(a)
		if err != nil {
			return false, itsm.Wrap(itsm.CodeInternal, err, "encode absence %s", a.ID)
		}
		r := itsm.Record{Kind: AbsenceKind, ID: a.ID, Body: body,
			Index: map[string][]string{indexList: {a.Customer.String() + " " + digest(a.Person, "", "")}}}
		if a.Version, err = tx.Put(r); err != nil {
			return false, err
		}
		e, err := absenceCodec.Encode(a.ID, Absent{a}, now)
		if err == nil {
			_, err = tx.Append(e)
		}
		return false, err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// cleanAbsence checks an absence as asked for and returns it trimmed.
func cleanAbsence(a Absence) (Absence, error) {
	switch {
	case !a.ID.IsZero() || !a.Recorded.IsZero() || a.RecordedBy.Person != "" || a.Version != 0:
		return a, itsm.Errorf(itsm.CodeInvalid, "absence: id, recorded, recorded_by or version is set; the register records them")
	case a.Customer.IsZero():
		return a, itsm.Errorf(itsm.CodeInvalid, "absence: customer is zero")
	}
	var err error
	if a.Person, err = cleanPerson("absence: person", a.Person); err != nil {
		return a, err
	}
	if a.StandIn, err = cleanPerson("absence: stand-in", a.StandIn); err != nil {
		return a, err
	}
	if a.StandIn == a.Person {
		return a, itsm.Errorf(itsm.CodeInvalid, "absence: %q cannot stand in for themself", a.Person)
	}
	a.Reason = strings.TrimSpace(a.Reason)
	if err := itsm.CheckText("absence: reason", a.Reason, MaxReason); err != nil {
		return a, err
	}
	if err := checkDay("absence: from", a.From); err != nil {
		return a, err
	}
	if err := checkDay("absence: until", a.Until); err != nil {
		return a, err
	}
	if before(a.Until, a.From) {
		return a, itsm.Errorf(itsm.CodeInvalid, "absence: until %s is before from %s", a.Until, a.From)
	}
	return a, nil
}

// write runs fn in write transactions until it commits, is refused, or
// loses itsm.WriteAttempts races. fn reports whether its error is a
// refusal by the rules, which deciding again cannot change.
func (l *Lists) write(ctx context.Context, fn func(tx itsm.WriteTx) (refused bool, err error)) error {
	for attempt := 1; ; attempt++ {
		refused := false
		err := l.cfg.Store.Write(ctx, func(tx itsm.WriteTx) error {
			var err error
			refused, err = fn(tx)
			return err
		})
		if err == nil || refused || !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			return err
		}
	}
}

// indexList is the index of grant and absence records that List queries:
// the customer's ID, a space and the digest of one combination of the
// filters a listing may set (person, scope, role), so that every listing
// is one equality query. A digest, because a person and a service
// together may be longer than an index value.
const indexList = "list"

// digest is the value of one combination of filters; "" leaves one out.
func digest(person, scope string, role Role) string {
	b, _ := json.Marshal([]string{person, scope, string(role)})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// scopeOf names a grant's item or service as one string.
func scopeOf(item itsm.ID, service string) string {
	if !item.IsZero() {
		return "item " + item.String()
	}
	if service != "" {
		return "service " + service
	}
	return ""
}

// put saves g, whose Version is the one read (0 for a new grant), and
// appends the event of p.
func put(tx itsm.WriteTx, g *Grant, p Payload, at time.Time) error {
	body, err := json.Marshal(g)
	if err != nil {
		return itsm.Wrap(itsm.CodeInternal, err, "encode grant %s", g.ID)
	}
	var values []string
	for _, person := range []string{"", g.Person} {
		for _, scope := range []string{"", scopeOf(g.Item, g.Service)} {
			for _, role := range []Role{"", g.Role} {
				values = append(values, g.Customer.String()+" "+digest(person, scope, role))
			}
		}
	}
	r := itsm.Record{Kind: GrantKind, ID: g.ID, Version: g.Version, Body: body, Index: map[string][]string{indexList: values}}
	if g.Version, err = tx.Put(r); err != nil {
		return err
	}
	e, err := grantCodec.Encode(g.ID, p, at)
	if err != nil {
		return err
	}
	_, err = tx.Append(e)
	return err
}

func notFound(id itsm.ID) error { return itsm.Errorf(itsm.CodeNotFound, "grant %s not found", id) }

// loadGrant reads a grant, or fails with CodeNotFound.
func loadGrant(tx itsm.ReadTx, id itsm.ID) (*Grant, error) {
	r, err := tx.Get(GrantKind, id)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	return decodeGrant(r)
}

func decodeGrant(r itsm.Record) (*Grant, error) {
	g := new(Grant)
	if err := json.Unmarshal(r.Body, g); err != nil {
		return nil, itsm.Wrap(itsm.CodeInternal, err, "decode grant %s", r.ID)
	}
	g.Version = r.Version
	return g, nil
}

// Get returns a grant the actor may know of; any other is not found.
func (l *Lists) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Grant, error) {
	return l.get(ctx, actor, id, itsm.AccessRead)
}

// get is Get for an actor whose organisation has the access.
func (l *Lists) get(ctx context.Context, actor itsm.Actor, id itsm.ID, access itsm.Access) (*Grant, error) {
	by, err := l.actorOrg(ctx, actor, access)
	if err != nil {
		return nil, err
	}
	var g *Grant
	err = l.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		g, err = loadGrant(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := l.owner(ctx, actor, by, g.Customer); itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	} else if err != nil {
		return nil, err
	}
	return g, nil
}

// ListOptions selects and pages a listing of one customer's grants. Empty
// fields select every grant.
type ListOptions struct {
	// Customer is whose lists; zero means the actor's organisation.
	Customer itsm.ID
	Person   string
	// Item or Service selects the grants for that one scope: a grant for a
	// service is not listed for an item of it.
	Item    itsm.ID
	Service string
	Role    Role
	// ValidOn, when set, keeps the grants that, as they stand now, cover
	// that day.
	ValidOn *sla.Date
	// Limit is the page size: 0 means itsm.DefaultLimit.
	Limit int
	// After continues from an earlier page's Next.
	After itsm.Cursor
}

// Page is one page of grants.
type Page struct {
	Grants []*Grant
	// Next continues the listing; "" when there is no more. With ValidOn a
	// page may hold fewer grants than the limit, even none, while Next is
	// set.
	Next itsm.Cursor
}

// scanPages bounds the store pages one List reads when ValidOn filters
// them, so that a listing that finds few grants still answers promptly.
const scanPages = 8

// List returns the grants of a customer's lists that the options select,
// in the order they were granted, a page at a time. A customer whose lists
// the actor may not know of is not found.
func (l *Lists) List(ctx context.Context, actor itsm.Actor, o ListOptions) (Page, error) {
	limit, err := itsm.ValidateLimit(o.Limit)
	if err != nil {
		return Page{}, err
	}
	switch {
	case o.Role != "" && !o.Role.Valid():
		return Page{}, itsm.Errorf(itsm.CodeInvalid, "list: role %q is neither %q nor %q", itsm.Printable(string(o.Role), 64), RoleRequester, RoleApprover)
	case !o.Item.IsZero() && o.Service != "":
		return Page{}, itsm.Errorf(itsm.CodeInvalid, "list: names both an item and a service; a grant is for one of them")
	case o.ValidOn != nil:
		if err := checkDay("list: valid on", *o.ValidOn); err != nil {
			return Page{}, err
		}
	}
	by, err := l.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Page{}, err
	}
	if o.Customer.IsZero() {
		o.Customer = actor.Organisation
	}
	if _, err := l.owner(ctx, actor, by, o.Customer); err != nil {
		return Page{}, err
	}
	q := itsm.Query{Kind: GrantKind, Index: indexList, Match: itsm.MatchEqual,
		Value: o.Customer.String() + " " + digest(strings.TrimSpace(o.Person), scopeOf(o.Item, strings.TrimSpace(o.Service)), o.Role), After: o.After}
	out := Page{Grants: []*Grant{}}
	err = l.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		// Each store page is taken whole, kept or filtered out, and no
		// larger than the room left, so that Next never skips a grant.
		for range scanPages {
			q.Limit = limit - len(out.Grants)
			page, err := tx.Query(q)
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				g, err := decodeGrant(h.Record)
				if err != nil {
					return err
				}
				if o.ValidOn == nil || g.ValidOn(*o.ValidOn) {
					out.Grants = append(out.Grants, g)
				}
			}
			out.Next, q.After = page.Next, page.Next
			if page.Next == "" || len(out.Grants) == limit {
				return nil
			}
		}
		return nil
	})
	return out, err
}
