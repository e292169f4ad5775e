package incident

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Service runs incident commands against a store: each command is one write
// transaction that loads the incident, decides by the rules of the support
// chain, saves the result with an optimistic version check and appends one
// event per change. Every embedding application gets the same rules, because
// they live here. A Service is safe for concurrent use.
type Service struct {
	cfg    Config
	clock  itsm.Clock
	prefix string
	window time.Duration
	// expect is the version a command requires the incident to have; zero
	// requires none. See IfVersion.
	expect int64
	// decoded is shared by the views IfVersion makes.
	decoded *decodedCache
	// agreements are the ones clocks are measured against; a pointer so
	// that views from IfVersion share it and SetAgreements reaches them.
	agreements *atomic.Pointer[[]*sla.Agreement]
}

// Agreements returns the agreements clocks are measured against now.
func (s *Service) Agreements() []*sla.Agreement { return *s.agreements.Load() }

// SetAgreements replaces the agreements clocks are measured against, such
// as after an administrator changed one; commands and queries that start
// afterwards use the new set. Every agreement must be valid; on an error
// nothing changes. The due-time index values of stored incidents are
// rewritten by their next change only, so Due answers from the old set for
// an incident until something happens to it, and Queue orders it so.
func (s *Service) SetAgreements(as []*sla.Agreement) error {
	for _, a := range as {
		if a == nil {
			return itsm.Errorf(itsm.CodeInvalid, "agreements: an agreement is nil")
		}
		if err := a.Validate(); err != nil {
			return err
		}
	}
	as = slices.Clone(as)
	s.agreements.Store(&as)
	return nil
}

// IfVersion returns a view of the service whose commands act only on an
// incident still at version v, the one the caller read (an HTTP If-Match).
// A command on a newer version is refused with a conflict that wraps
// itsm.ErrStale, and nothing changes; without IfVersion a command decides on
// whatever is current, retrying lost races. v must be positive.
func (s *Service) IfVersion(v int64) *Service {
	c := *s
	c.expect = v
	return &c
}

// New checks the configuration and returns a Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.ReopenWindows = maps.Clone(cfg.ReopenWindows)
	s := &Service{cfg: cfg, decoded: newDecodedCache(), clock: cfg.Clock, prefix: cfg.NumberPrefix, window: cfg.ReopenWindow,
		agreements: new(atomic.Pointer[[]*sla.Agreement])}
	as := slices.Clone(cfg.Agreements)
	s.agreements.Store(&as)
	if s.clock == nil {
		s.clock = itsm.SystemClock{}
	}
	if s.prefix == "" {
		s.prefix = "INC"
	}
	if s.window == 0 {
		s.window = DefaultReopenWindow
	}
	return s, nil
}

// reopenWindow is how long after its closure an incident of desk may be
// reopened.
func (s *Service) reopenWindow(desk itsm.ID) time.Duration {
	if w, ok := s.cfg.ReopenWindows[desk]; ok {
		return w
	}
	return s.window
}

// Limits on the text of commands, so that one incident stays well within the
// store's record size however long it lives.
const (
	MaxSummary = itsm.MaxLabel
	MaxText    = 64 << 10
)

// Registration is what the desk records when a user reports an incident.
// The summary and the labels (the caller's fields, service, category and
// subcategory) are trimmed of surrounding spaces, then checked as
// itsm.CheckLabel does: one line of UTF-8, at most MaxSummary bytes,
// without control, bidirectional formatting or invisible characters. The
// description is checked as itsm.CheckText does, as are every other
// command's texts (notes, reasons, comments, the resolution text).
type Registration struct {
	Customer    itsm.ID
	Caller      Caller
	Channel     Channel
	Service     string
	Category    string
	Subcategory string
	Summary     string
	// Description is what the user said, passed on to every supplier (SD-5).
	Description string
	Impact      itsm.Impact
	Urgency     itsm.Urgency
	CIs         []itsm.ID
	// Group, if set, is the desk's group that is to hold the incident, such
	// as its first line; it must be the desk's and active. (The tag leaves
	// it out of the idempotency digest when zero, so that keys stored
	// before registrations named groups keep their digests.)
	Group itsm.ID `json:",omitzero"`
	// Key, if set, makes the registration idempotent: a client that is not
	// sure its first attempt arrived sends the same key again and gets the
	// incident that attempt made, not a second one. Keys are the client's
	// choice (a UUID, a monitoring alert's ID), unique per desk, at most
	// MaxKey bytes of printable ASCII. A retry must say what the first
	// attempt said (after the checks' trimming; the order of CIs does not
	// matter): a registration with a key the desk has seen and other
	// content is refused with CodeInvalid wrapping itsm.ErrKeyReused.
	Key string
}

// MaxKey is the longest idempotency key.
const MaxKey = itsm.MaxKey

// Delegation names the supplier, and optionally one of its groups, to hand
// an incident to; a zero Organisation takes the route the routing rules
// propose (SD-11). The group must be the supplier's and active
// (chain.CheckHolder).
type Delegation struct {
	Organisation itsm.ID
	Group        itsm.ID
	Note         string
}

// AssignTo names who inside the organisation holding an incident is to
// hold it: one of its groups, one member of that group, or both. A zero
// Group keeps the group that holds it; an empty Assignee leaves it to the
// group as a whole.
type AssignTo struct {
	Group    itsm.ID
	Assignee string
	Note     string
}

// Resolution is how an incident was resolved.
type Resolution struct {
	Code string
	Text string
	// Workaround, if set, is the workaround of the workaround database
	// that resolved the incident (PM-2); it must pass
	// Config.Workarounds' check.
	Workaround itsm.ID
}

// actorOrg checks the actor and returns its organisation.
func (s *Service) actorOrg(ctx context.Context, a itsm.Actor, access itsm.Access) (itsm.Organisation, error) {
	org, err := itsm.ActorOrganisation(ctx, s.cfg.Directory, a)
	if err != nil {
		return org, err
	}
	if err := s.cfg.Permissions.Check(a, itsm.DomainIncident, access); err != nil {
		return org, err
	}
	return org, nil
}

// visible reports whether org may see the incident at all (ViewOf).
func visible(inc *Incident, org itsm.Organisation) bool {
	return ViewOf(inc, org) != ViewNone
}

// Register records a new incident at the actor's desk (SD-2, SD-4) and gives
// it the next master number (SD-5). Only an agent of a desk may register.
// With a CMDB (Config.Items), its configuration items must be the desk's
// items in use (IM-6).
func (s *Service) Register(ctx context.Context, actor itsm.Actor, r Registration) (*Incident, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	if org.Role != itsm.OrgDesk || !actor.HasRole(itsm.RoleAgent) {
		return nil, itsm.Errorf(itsm.CodeForbidden, "cannot register an incident as %q of %s (%s): only the desk's agents register incidents (SD-4)",
			actor.Person, org.ID, org.Role)
	}
	if err := s.checkRegistration(ctx, &r); err != nil {
		return nil, err
	}
	p, err := s.cfg.Matrix.Priority(r.Impact, r.Urgency)
	if err != nil {
		return nil, err
	}
	digest := r.digest()
	reg := Registered{By: By{By: actor}, Desk: org.ID, Customer: r.Customer, Caller: r.Caller,
		Channel: r.Channel, Service: r.Service, Category: r.Category, Subcategory: r.Subcategory,
		Summary: r.Summary, Description: r.Description, Impact: r.Impact, Urgency: r.Urgency,
		Priority: p, CIs: r.CIs, Key: r.Key, Group: r.Group}
	var (
		inc  *Incident
		sent []Message
	)
	for attempt := 1; ; attempt++ {
		err = s.cfg.Store.Write(ctx, func(tx itsm.WriteTx) error {
			inc, sent = nil, nil
			if r.Key != "" {
				// A retry: answer with what the first attempt made, if it
				// is the same registration.
				prior, err := byKey(tx, org.ID, r.Key, digest)
				if err != nil || prior != nil {
					inc = prior
					return err
				}
			}
			// The number first: taking it after appending an event would
			// deadlock PostgreSQL writers that take them in the other order.
			if err := chain.CheckHolder(tx, chain.Holder{Organisation: org.ID, Group: r.Group}); err != nil {
				return err
			}
			if err := itsm.CheckNewItems(s.cfg.Items, tx, "registration", org.ID, r.CIs, nil); err != nil {
				return err
			}
			n, err := tx.NextNumber(s.prefix)
			if err != nil {
				return err
			}
			reg.Number = n
			at := s.clock.Now()
			fresh := &Incident{ID: itsm.NewID()}
			preview := fresh.Clone()
			reg.apply(preview, at)
			payloads := append([]Payload{reg}, s.escalate(preview, actor, at, 0)...)
			inc, sent, err = s.commit(tx, fresh, 0, payloads, at)
			if err != nil || r.Key == "" {
				return err
			}
			return itsm.PutKeyDigest(tx, KeyKind, inc.ID, digest)
		})
		// Two attempts with one key at once: the unique key lets one
		// commit; the other finds its incident on the next pass.
		if r.Key == "" || !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.deliver(ctx, actor, inc, sent)
	return inc, nil
}

func (s *Service) checkRegistration(ctx context.Context, r *Registration) error {
	trim(&r.Summary, &r.Caller.Person, &r.Caller.Name, &r.Caller.Contact, &r.Service, &r.Category, &r.Subcategory)
	if r.Caller.Person == "" {
		return itsm.Errorf(itsm.CodeInvalid, "registration: caller person is empty")
	}
	if !r.Channel.Valid() {
		return itsm.Errorf(itsm.CodeInvalid, "registration: channel %q is not phone, email, portal, chat, walk_in or monitoring", r.Channel)
	}
	if !r.Customer.IsZero() {
		c, err := s.cfg.Directory.Organisation(ctx, r.Customer)
		if err != nil {
			return itsm.Wrap(itsm.CodeInvalid, err, "registration: customer")
		}
		if c.Role != itsm.OrgCustomer {
			return itsm.Errorf(itsm.CodeInvalid, "registration: organisation %s is a %s, not a customer", c.ID, c.Role)
		}
	}
	if err := checkSummary(r.Summary); err != nil {
		return err
	}
	for name, v := range map[string]string{"caller person": r.Caller.Person, "caller name": r.Caller.Name,
		"caller contact": r.Caller.Contact, "service": r.Service, "category": r.Category, "subcategory": r.Subcategory} {
		if err := checkLabel(name, v); err != nil {
			return err
		}
	}
	if err := checkText("description", r.Description, false); err != nil {
		return err
	}
	if err := itsm.CheckKey("registration", r.Key); err != nil {
		return err
	}
	return checkCIs(r.CIs)
}

// KeyKind is the record kind that keeps the digest of a registration made
// with an idempotency key, under the incident's ID, so that a retry can be
// told from another registration reusing the key. It is written with the
// incident and never changed: the incident's own record is rewritten by
// every command from the incident, which no longer shows what was
// registered once the desk recategorises or relates it.
const KeyKind = "incident.key"

// digest identifies what a registration says, Key aside: the SHA-256 of
// its fields as checkRegistration left them, configuration items in ID
// order since they are a set. A retry has the same digest.
func (r Registration) digest() string {
	c := r
	c.Key = ""
	c.CIs = slices.Clone(r.CIs)
	slices.SortFunc(c.CIs, func(a, b itsm.ID) int { return bytes.Compare(a[:], b[:]) })
	return itsm.Digest(c)
}

// byKey returns the incident of desk registered with key, or nil. When
// that registration's digest differs from digest, the key is being reused
// for another registration, which is refused. An incident registered
// before digests were kept has none: it answers any retry, as it did, since
// refusing every retry of it would break clients mid-flight, and its
// registration cannot be rebuilt from the incident to compare.
func byKey(tx itsm.ReadTx, desk itsm.ID, key, digest string) (*Incident, error) {
	page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexKey, Match: itsm.MatchEqual, Value: desk.String() + " " + key, Limit: 1})
	if err != nil || len(page.Matches) == 0 {
		return nil, err
	}
	inc, err := decodeRecord(page.Matches[0].Record)
	if err != nil {
		return nil, err
	}
	kept, found, err := itsm.KeyDigest(tx, KeyKind, inc.ID)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return inc, nil
	}
	if kept != digest {
		return nil, itsm.Errorf(itsm.CodeInvalid, "registration: key %q registered %s with other content; a retry must repeat the registration unchanged, and a new incident needs a new key: %w",
			key, inc.Number, itsm.ErrKeyReused)
	}
	return inc, nil
}

func checkSummary(s string) error {
	switch {
	case s == "":
		return itsm.Errorf(itsm.CodeInvalid, "summary is empty")
	case len(s) > MaxSummary:
		return itsm.Errorf(itsm.CodeInvalid, "summary is %d bytes, more than %d", len(s), MaxSummary)
	}
	return checkLabel("summary", s)
}

// trim removes the spaces around each label, as a person would not see
// them: " network" would otherwise be a category of its own that no
// routing rule matches, and a caller of spaces a caller.
func trim(labels ...*string) {
	for _, l := range labels {
		*l = strings.TrimSpace(*l)
	}
}

// checkLabel accepts short one-line text (itsm.CheckLabel); MaxSummary is
// the same length.
func checkLabel(name, v string) error { return itsm.CheckLabel(name, v) }

// checkText accepts text of several lines (itsm.CheckText) of at most
// MaxText bytes; required refuses one of white space only.
func checkText(name, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return itsm.Errorf(itsm.CodeInvalid, "%s is empty", name)
	}
	return itsm.CheckText(name, v, MaxText)
}

func checkCIs(cis []itsm.ID) error {
	if len(cis) > 64 {
		return itsm.Errorf(itsm.CodeInvalid, "%d configuration items, more than 64", len(cis))
	}
	for i, ci := range cis {
		if ci.IsZero() {
			return itsm.Errorf(itsm.CodeInvalid, "configuration item %d is zero", i)
		}
		for _, prev := range cis[:i] {
			if prev == ci {
				return itsm.Errorf(itsm.CodeInvalid, "configuration item %s is listed twice", ci)
			}
		}
	}
	return nil
}

// decision is the pure part of a command: given the incident as stored, the
// actor and its organisation, and the time, the payloads of what happens, or
// an error naming the state and the actor when the rules forbid it.
type decision func(inc *Incident, actor itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error)

// checkedDecision is a decision that also reads the store in the command's
// write transaction, such as the register of groups a holder is checked
// against (chain.CheckHolder), so that the check and the change see one
// register.
type checkedDecision func(tx itsm.ReadTx, inc *Incident, actor itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error)

// change runs one command on one incident.
func (s *Service) change(ctx context.Context, actor itsm.Actor, id itsm.ID, decide decision) (*Incident, error) {
	return s.changeChecked(ctx, actor, id, func(_ itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error) {
		return decide(inc, a, org, at)
	})
}

// changeChecked runs one command on one incident whose decision reads the
// store too, in a write transaction of its own, retrying lost races, and
// hands the messages of the change to the Notifier once it is committed.
func (s *Service) changeChecked(ctx context.Context, actor itsm.Actor, id itsm.ID, decide checkedDecision) (*Incident, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	var (
		out     *Incident
		sent    []Message
		refused bool // the rules said no: retrying cannot help
	)
	for attempt := 1; ; attempt++ {
		err = s.cfg.Store.Write(ctx, func(tx itsm.WriteTx) error {
			out, sent, refused, err = s.changeIn(tx, actor, org, id, decide)
			return err
		})
		// A conflict from the store means another command changed the
		// incident since it was read: decide again on the fresh one.
		if refused || !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.deliver(ctx, actor, out, sent)
	// The actor reads the incident it changed as it reads it by Get.
	return ViewOf(out, org).Incident(out), nil
}

// changeIn is the one core of every command on one incident: it loads the
// incident in tx, hides it from an organisation that may not see it, checks
// the version IfVersion expects, decides and commits. It returns the
// changed incident whole, the messages for the Notifier, and whether the
// rules (rather than the store) refused, so that the caller knows a retry
// cannot help. Both the commands that own their transaction and those that
// run in another service's (changeTx) go through it.
func (s *Service) changeIn(tx itsm.WriteTx, actor itsm.Actor, org itsm.Organisation, id itsm.ID, decide checkedDecision) (*Incident, []Message, bool, error) {
	inc, err := load(tx, id)
	if err != nil {
		return nil, nil, false, err
	}
	if !visible(inc, org) {
		return nil, nil, false, notFound(id)
	}
	if err := itsm.CheckVersion("incident", inc.Number.String(), inc.Version, s.expect); err != nil {
		return nil, nil, true, err
	}
	at := s.now(inc)
	payloads, err := decide(tx, inc, actor, org, at)
	if err != nil {
		return nil, nil, true, err
	}
	out, sent, err := s.commit(tx, inc, inc.Version, payloads, at)
	return out, sent, false, err
}

// now returns the service's time, but never before the incident's last
// change, so that a clock stepping back cannot make a timeline run backward.
func (s *Service) now(inc *Incident) time.Time {
	t := s.clock.Now()
	if t.Before(inc.Changed) {
		return inc.Changed
	}
	return t
}

func notFound(id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "incident %s not found", id)
}

// load reads an incident for a command, which changes it: the decoded
// cache would miss anyway, since every command writes a new version, and
// filling it would cost a command a fifth more (BenchmarkLifecycle).
func load(tx itsm.ReadTx, id itsm.ID) (*Incident, error) {
	r, err := tx.Get(Kind, id)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(r)
}

// read reads an incident for a query, through the decoded cache: an
// incident is read far more often than it changes.
func (s *Service) read(tx itsm.ReadTx, id itsm.ID) (*Incident, error) {
	r, err := tx.Get(Kind, id)
	if itsm.IsCode(err, itsm.CodeNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	return s.decoded.decode(r)
}

func decodeRecord(r itsm.Record) (*Incident, error) {
	inc, err := itsm.DecodeRecord[Incident](r, "incident")
	if err == nil {
		inc.Version = r.Version
	}
	return inc, err
}

// commit applies payloads to a copy of inc, saves it and appends the events.
// It returns the new incident and the messages to hand to the Notifier.
func (s *Service) commit(tx itsm.WriteTx, inc *Incident, version int64, payloads []Payload, at time.Time) (*Incident, []Message, error) {
	next := inc.Clone()
	events := make([]itsm.Event, 0, len(payloads))
	var msgs []Message
	for _, p := range payloads {
		p.apply(next, at)
		e, err := event(next, p, at)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, e)
		if n, ok := p.(Notified); ok {
			msgs = append(msgs, message(next, n, at))
		}
	}
	rec, err := s.record(next, at)
	if err != nil {
		return nil, nil, err
	}
	rec.Version = version
	v, err := tx.Put(rec)
	if err != nil {
		return nil, nil, err
	}
	next.Version = v
	for _, e := range events {
		if _, err := tx.Append(e); err != nil {
			return nil, nil, err
		}
	}
	return next, msgs, nil
}

// command is cmd on inc by a of org, as the rules of the chain see it.
func command(cmd string, inc *Incident, a itsm.Actor, org itsm.Organisation) chain.Command {
	return chain.Command{Name: cmd, Kind: "incident", Number: inc.Number, State: inc.State, Desk: inc.Desk,
		Custody: &inc.Custody, Actor: a, Org: org}
}

// refuse builds the error of a command the rules forbid, naming the incident's
// state and the actor.
func refuse(code itsm.Code, cmd string, inc *Incident, a itsm.Actor, org itsm.Organisation, why string, args ...any) error {
	return command(cmd, inc, a, org).Refuse(code, why, args...)
}

// asDesk checks that the actor is an agent of the desk that owns inc.
func asDesk(cmd string, inc *Incident, a itsm.Actor, org itsm.Organisation) error {
	return command(cmd, inc, a, org).AsDesk()
}

// asHolder checks that the actor is an agent of the organisation holding inc.
func asHolder(cmd string, inc *Incident, a itsm.Actor, org itsm.Organisation) error {
	return command(cmd, inc, a, org).AsHolder()
}

// asSupplier checks that the actor is an agent of the supplier holding inc.
func asSupplier(cmd string, inc *Incident, a itsm.Actor, org itsm.Organisation) error {
	return command(cmd, inc, a, org).AsSupplier()
}

func inState(cmd string, inc *Incident, a itsm.Actor, org itsm.Organisation, ok bool) error {
	return command(cmd, inc, a, org).InState(ok)
}

// editable reports whether an incident may still change other than by
// reopening.
func editable(s itsm.State) bool { return s != StateClosed && s != StateCancelled }
