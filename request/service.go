package request

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla"
)

// System is the person a desk's own system acts as in the events it
// causes: the fulfilment in code, reminders and expiry of approvals.
const System = "spoc"

// Config is what a Service needs. Store, Directory, Permissions, Catalogue
// and Authority are required.
type Config struct {
	Store       itsm.Store
	Directory   chain.Organisations
	Permissions *itsm.Permissions
	// Catalogue checks an order's answers against its item's form, with
	// the compiled forms it caches.
	Catalogue *catalogue.Catalogue
	// Authority answers who may order and approve; the service keeps it
	// current with the log inside each placing.
	Authority *authority.Index
	// Calendar is the desk's working time, in which approval deadlines and
	// reminders are measured; nil counts every hour.
	Calendar *sla.Calendar
	// Fulfiller carries out orders of type A; Verifier checks orders whose
	// form has secret answers before they are recorded. A host with
	// several items dispatches on Fulfilment.Item.
	Fulfiller Fulfiller
	Verifier  Verifier
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// Lease is how long a runner holds an order's fulfilment in code
	// before another may take it over; zero means five minutes.
	Lease time.Duration
	// Attempts bounds the runs of a fulfilment that keeps failing in a way
	// that may succeed later; zero means 10.
	Attempts int
	// Items is the configuration management database (CM-2), which
	// package cmdb's Service implements: the configuration items an order
	// is placed about (Placement.CIs) must be items of the desk's CMDB in
	// use, checked in the placing's write transaction. Nil places orders
	// about item IDs unchecked.
	Items itsm.ConfigItems
}

// Service runs orders and their tasks over a store. It is safe for
// concurrent use.
type Service struct {
	cfg   Config
	clock itsm.Clock
	// agreements and wake are shared by the copies IfVersion makes.
	agreements *atomic.Pointer[[]*sla.Agreement]
	// wake nudges Run when an order of type A was placed.
	wake chan struct{}
	// expect is the version a command requires its order or task to
	// have; zero requires none. See IfVersion.
	expect int64
}

// IfVersion returns a copy of s whose commands on an order or a task
// change it only if its version is still v, as HTTP's If-Match asks: a
// command decided on what its client read fails with CodeConflict
// wrapping itsm.ErrStale when someone changed the order or task since.
// The copy shares s's agreements and runner.
func (s *Service) IfVersion(v int64) *Service {
	c := *s
	c.expect = v
	return &c
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "request: config has no store")
	case cfg.Directory == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "request: config has no directory")
	case cfg.Permissions == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "request: config has no permissions")
	case cfg.Catalogue == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "request: config has no catalogue")
	case cfg.Authority == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "request: config has no authority index")
	case cfg.Lease < 0 || cfg.Attempts < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "request: lease and attempts must not be negative")
	}
	if cfg.Clock == nil {
		cfg.Clock = itsm.SystemClock{}
	}
	if cfg.Lease == 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 10
	}
	s := &Service{cfg: cfg, clock: cfg.Clock, agreements: new(atomic.Pointer[[]*sla.Agreement]), wake: make(chan struct{}, 1)}
	s.agreements.Store(&[]*sla.Agreement{})
	return s, nil
}

// SetAgreements replaces the agreements the clocks of orders and tasks are
// measured against; an order is measured against those its item names.
func (s *Service) SetAgreements(as []*sla.Agreement) error {
	for _, a := range as {
		if err := a.Validate(); err != nil {
			return err
		}
	}
	as = slices.Clone(as)
	s.agreements.Store(&as)
	return nil
}

// Placement is an order as the requester, or the desk on their behalf,
// places it.
type Placement struct {
	// Item is the catalogue item ordered; the order is placed under the
	// version offered now.
	Item itsm.ID
	// Requester is the person ordering. A person of the customer orders
	// for themselves and leaves it empty; an agent of the desk placing an
	// order on a requester's behalf (by telephone, say) names them.
	Requester string
	// Answers are the answers to the item's form, a JSON object.
	Answers json.RawMessage
	// CIs are the configuration items the order is about, such as the
	// application an account is for: at most MaxCIs, none twice, each
	// an item of the desk's CMDB in use when there is one (Config.Items).
	CIs []itsm.ID
	// Key, if set, makes the placing idempotent, as an incident's
	// registration is: a client unsure whether its first attempt arrived
	// sends the same key again and gets the order that attempt made. Keys
	// are unique per customer, at most itsm.MaxKey bytes of printable
	// ASCII; a retry must repeat the item, the requester, the answers
	// that are stored (secret answers are verified again, never compared)
	// and the configuration items (in any order), or it is refused with
	// CodeInvalid wrapping itsm.ErrKeyReused.
	Key string
}

// KeyKind is the record kind that keeps the digest of an order placed with
// an idempotency key, under the order's ID (itsm.PutKeyDigest).
const KeyKind = "order.key"

// Limits on the texts of commands.
const MaxText = 64 << 10

// MaxCIs is the most configuration items one order is about.
const MaxCIs = 64

func checkText(name, v string, required bool) error {
	if required && v == "" {
		return itsm.Errorf(itsm.CodeInvalid, "%s is empty", name)
	}
	if len(v) > MaxText {
		return itsm.Errorf(itsm.CodeInvalid, "%s is %d bytes, more than %d", name, len(v), MaxText)
	}
	return itsm.CheckText(name, v, MaxText)
}

// actorOrg checks the actor and returns its organisation.
func (s *Service) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, a)
	if err != nil {
		return org, err
	}
	return org, s.cfg.Permissions.Check(a, itsm.DomainRequest, access)
}

// Place records an order (RF-5, RF-6). The item must be offered to the
// requester's organisation (its owner has agreed to the version offered
// now), the answers must satisfy its form, the requester must be an
// authorised requester of the item or its service on the day, and an
// item that asks for an approval must have an authorised approver other
// than the requester. An order of type A is then fulfilled in code by Run
// or FulfilDue; one that needs no approval starts its tasks at once.
//
// Secret answers (those the form marks writeOnly) are checked by the
// configured Verifier before anything is recorded and are never stored.
func (s *Service) Place(ctx context.Context, actor itsm.Actor, p Placement) (*Order, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if p.Item.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "place: no item given")
	}
	if err := itsm.CheckKey("place", p.Key); err != nil {
		return nil, err
	}
	if err := itsm.CheckItemIDs("place", p.CIs, MaxCIs); err != nil {
		return nil, err
	}
	p.Requester = strings.TrimSpace(p.Requester)
	switch {
	case org.Role == itsm.OrgCustomer && p.Requester != "" && p.Requester != actor.Person:
		return nil, itsm.Errorf(itsm.CodeForbidden, "place: %q of customer %s orders for themselves, not for %q", actor.Person, org.ID, p.Requester)
	case org.Role == itsm.OrgCustomer:
		p.Requester = actor.Person
	case org.Role == itsm.OrgDesk && !actor.HasRole(itsm.RoleAgent):
		return nil, itsm.Errorf(itsm.CodeForbidden, "place: %q of desk %s is not an agent", actor.Person, org.ID)
	case org.Role == itsm.OrgDesk && p.Requester == "":
		return nil, itsm.Errorf(itsm.CodeInvalid, "place: the desk places an order on a requester's behalf, and names them")
	case org.Role != itsm.OrgDesk:
		return nil, itsm.Errorf(itsm.CodeForbidden, "place: a %s does not order from the catalogue", org.Role)
	}
	if err := itsm.CheckLabel("requester", p.Requester); err != nil {
		return nil, err
	}
	item, v, err := s.offered(ctx, p.Item, org)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Catalogue.CheckAnswers(item.ID, v, p.Answers); err != nil {
		return nil, err
	}
	if len(v.Secrets()) > 0 {
		if s.cfg.Verifier == nil {
			return nil, itsm.Errorf(itsm.CodeUnsupported, "place: item %s asks for secret answers and this service has no verifier for them", item.ID)
		}
		if err := s.cfg.Verifier.Verify(ctx, Verification{Item: item.ID, Version: v.Number, Fulfiller: v.Fulfiller, Customer: item.Customer,
			Requester: p.Requester, Answers: p.Answers}); err != nil {
			return nil, err
		}
	}
	stored, err := catalogue.StoredAnswers(v, p.Answers)
	if err != nil {
		return nil, err
	}
	// The items are a set; without any, the digest is what it was before
	// orders named items, so that keys stored then keep their digests.
	cis := slices.Clone(p.CIs)
	slices.SortFunc(cis, func(a, b itsm.ID) int { return bytes.Compare(a[:], b[:]) })
	digest := itsm.Digest(struct {
		Item      itsm.ID
		Requester string
		Answers   json.RawMessage
		CIs       []itsm.ID `json:",omitempty"`
	}{item.ID, p.Requester, stored, cis})
	var out *Order
	err = s.write(ctx, func(c change) error {
		out = nil
		if p.Key != "" {
			// A retry: answer with what the first attempt made, if it
			// placed the same order.
			prior, err := byKey(c.Tx(), item.Customer, p.Key, digest)
			if err != nil || prior != nil {
				out = prior
				return err
			}
		}
		if err := sameOffer(c.Tx(), item, v); err != nil {
			return err
		}
		if err := s.cfg.Authority.CatchUp(c.Tx()); err != nil {
			return err
		}
		ix := s.cfg.Authority
		if !ix.MayOrder(item.Customer, p.Requester, item.ID, v.Service, c.At()) {
			return itsm.Errorf(itsm.CodeForbidden, "place: %q is not an authorised requester of %q on %s (RF-5)",
				p.Requester, v.Name.EN, sla.DateOf(c.At().In(s.zone())))
		}
		if err := itsm.CheckNewItems(s.cfg.Items, c.Tx(), "place", item.Desk, p.CIs, nil); err != nil {
			return err
		}
		placed := Placed{By: By{By: actor}, Desk: item.Desk, Customer: item.Customer, Requester: p.Requester,
			Item: item.ID, ItemVersion: v.Number, OrderType: v.Type, Service: v.Service, Fulfiller: v.Fulfiller, Key: p.Key,
			Agreements: slices.Clone(v.Agreements), Answers: stored, CIs: slices.Clone(p.CIs)}
		if v.Approval != nil {
			a, err := s.approval(ix, item, v, p.Requester, c.At())
			if err != nil {
				return err
			}
			placed.Approval = a
		}
		if placed.Number, err = c.Tx().NextNumber(PrefixOrder); err != nil {
			return err
		}
		o := &Order{ID: itsm.NewID()}
		if err := c.order(o, placed); err != nil {
			return err
		}
		if p.Key != "" {
			if err := itsm.PutKeyDigest(c.Tx(), KeyKind, o.ID, digest); err != nil {
				return err
			}
		}
		if placed.Approval == nil {
			if err := s.start(ctx, c, o, v); err != nil {
				return err
			}
		}
		out = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.Type == catalogue.TypeA {
		s.nudge()
	}
	return out, nil
}

// byKey returns the order of customer placed with key, or nil; a placing
// with the key and another digest is refused.
func byKey(tx itsm.ReadTx, customer itsm.ID, key, digest string) (*Order, error) {
	page, err := tx.Query(itsm.Query{Kind: KindOrder, Index: IndexKey, Match: itsm.MatchEqual, Value: customer.String() + " " + key, Limit: 1})
	if err != nil || len(page.Matches) == 0 {
		return nil, err
	}
	o, err := loadOrder(tx, page.Matches[0].Record.ID)
	if err != nil {
		return nil, err
	}
	kept, _, err := itsm.KeyDigest(tx, KeyKind, o.ID)
	if err != nil {
		return nil, err
	}
	if kept != digest {
		return nil, itsm.Errorf(itsm.CodeInvalid, "place: key %q placed %s with another item, requester or answers; a retry must repeat the order unchanged, and a new order needs a new key: %w",
			key, o.Number, itsm.ErrKeyReused)
	}
	return o, nil
}

// sameOffer checks, inside the placing's write, that item still offers
// version v. An item record at the version read has not changed, which
// saves decoding it again: a third of a placing's own work.
func sameOffer(tx itsm.ReadTx, item *catalogue.Item, v *catalogue.Version) error {
	r, err := tx.Get(catalogue.Kind, item.ID)
	if err != nil {
		return err
	}
	if r.Version == item.Version {
		return nil
	}
	now, err := catalogue.Load(tx, item.ID)
	if err != nil {
		return err
	}
	if cur, ok := now.Offered(); !ok || cur.Number != v.Number {
		return itsm.Errorf(itsm.CodeConflict, "place: item %s changed while the order was placed; place it again", item.ID)
	}
	return nil
}

// zone is the time zone dates are judged in: the authority's.
func (s *Service) zone() *time.Location { return s.cfg.Authority.Zone() }

// offered reads the item and the version offered now, as org may see it.
func (s *Service) offered(ctx context.Context, id itsm.ID, org itsm.Organisation) (*catalogue.Item, *catalogue.Version, error) {
	var item *catalogue.Item
	err := s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		item, err = catalogue.Load(tx, id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if org.ID != item.Desk && org.ID != item.Customer {
		return nil, nil, itsm.Errorf(itsm.CodeNotFound, "catalogue item %s not found", id)
	}
	v, ok := item.Offered()
	if !ok {
		return nil, nil, itsm.Errorf(itsm.CodeConflict, "place: item %s is not offered: its object owner has not agreed to it, or it was withdrawn", id)
	}
	return item, v, nil
}

// approval starts the approval of an order of requester: the item's
// authorised approvers on the day, the requester left out, and the
// deadlines in the desk's working time.
func (s *Service) approval(ix *authority.Index, item *catalogue.Item, v *catalogue.Version, requester string, at time.Time) (*Approval, error) {
	a := &Approval{Rule: v.Approval.Rule, Due: s.after(at, v.Approval.Within), State: ApprovalPending}
	for _, ap := range ix.Approvers(item.Customer, item.ID, v.Service, at) {
		if ap.Person != requester {
			a.Approvers = append(a.Approvers, ap.Person)
		}
	}
	if len(a.Approvers) == 0 {
		return nil, itsm.Errorf(itsm.CodeConflict, "place: item %q has no authorised approver on %s other than the requester, so nobody could approve the order (RF-5)",
			v.Name.EN, sla.DateOf(at.In(s.zone())))
	}
	if v.Approval.Remind > 0 {
		a.RemindAt = s.after(at, v.Approval.Remind)
	}
	return a, nil
}

// after is d of the desk's working time after t.
func (s *Service) after(t time.Time, d time.Duration) time.Time {
	if s.cfg.Calendar == nil {
		return t.Add(d)
	}
	return s.cfg.Calendar.Add(t, d)
}

// start begins the fulfilment of o, placed under version v: in code for
// type A, else by making its tasks, delegating at once those that follow
// no other to the supplier the item names. These are the desk's own acts,
// whoever's command led to them, so its system is their actor.
func (s *Service) start(ctx context.Context, c change, o *Order, v *catalogue.Version) error {
	actor := system(o)
	if v.Type == catalogue.TypeA {
		return c.order(o, Started{By: By{By: actor}, Code: true})
	}
	tasks := make([]*Task, len(v.Tasks))
	started := Started{By: By{By: actor}}
	for i, tt := range v.Tasks {
		n, err := c.Tx().NextNumber(PrefixTask)
		if err != nil {
			return err
		}
		t := &Task{ID: itsm.NewID()}
		if err := c.task(t, Created{By: By{By: actor}, Number: n, Order: o.ID, OrderNumber: o.Number, Desk: o.Desk,
			Customer: o.Customer, Key: tt.Key, Name: tt.Name, After: slices.Clone(tt.After), Supplier: tt.Supplier,
			Group: tt.Group, Agreements: slices.Clone(o.Agreements),
			Handover: Handover{Item: o.Item, ItemVersion: o.ItemVersion, Service: o.Service, Requester: o.Requester,
				Answers: slices.Clone(o.Answers)}}); err != nil {
			return err
		}
		tasks[i] = t
		started.Tasks = append(started.Tasks, TaskSummary{ID: t.ID, Number: t.Number, Key: t.Key, Name: t.Name, State: t.State})
	}
	if err := c.order(o, started); err != nil {
		return err
	}
	for _, t := range tasks {
		if t.State == TaskReady {
			if err := s.route(ctx, c, o, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// route delegates a task that has become ready to the supplier its item
// names, as the desk's system. A supplier or group the register no longer
// accepts leaves the task with the desk, to delegate by hand.
func (s *Service) route(ctx context.Context, c change, o *Order, t *Task) error {
	actor := system(o)
	if t.Supplier.IsZero() {
		return nil
	}
	cmd := chain.Command{Name: "delegate", Kind: "task", Number: t.Number, State: t.State, Desk: t.Desk,
		Custody: &t.Custody, Actor: actor, Org: itsm.Organisation{ID: t.Desk, Role: itsm.OrgDesk}}
	pingPong, err := cmd.Delegation(ctx, s.cfg.Directory, c.Tx(), chain.Holder{Organisation: t.Supplier, Group: t.Group})
	if itsm.IsCode(err, itsm.CodeInvalid) || itsm.IsCode(err, itsm.CodeConflict) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.task(t, Delegated{By: By{By: actor}, Organisation: t.Supplier, Group: t.Group, PingPong: pingPong, Routed: true}); err != nil {
		return err
	}
	return c.order(o, TaskChanged{By: By{By: actor}, Task: t.ID, State: t.State})
}

// refuse builds the error of an order command the rules forbid.
func refuse(code itsm.Code, cmd string, o *Order, a itsm.Actor, org itsm.Organisation, why string, args ...any) error {
	return orderCommand(cmd, o, a, org).Refuse(code, why, args...)
}

// orderCommand is cmd on o by a of org as the rules of the chain see it:
// an order the desk that owns it holds throughout.
func orderCommand(cmd string, o *Order, a itsm.Actor, org itsm.Organisation) chain.Command {
	return chain.Command{Name: cmd, Kind: "order", Number: o.Number, State: o.State, Desk: o.Desk,
		Custody: &chain.Custody{Holder: o.Desk}, Actor: a, Org: org}
}
