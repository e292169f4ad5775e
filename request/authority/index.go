package authority

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // the default zone on machines without a zone database

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Index is every customer's lists in memory, for the checks of an order:
// may this person order this item now, may that one approve it, who are its
// approvers today. It is a projection of the event log, brought up to date
// by CatchUp, and answers for an instant as the lists stood at that
// instant, as Lists records them.
//
// Each grant is kept as the instants it is valid: from the later of the
// start of its first day and its recording, to the end of its last day,
// cut where an ending was recorded. The spans of all grants of one
// customer, person, role and item (or service) are merged, sorted and
// disjoint, under one map key, so a check is one or two map look-ups and a
// binary search over the spans of that one person and scope: its time does
// not grow with the number of people or the length of the history. Days
// become instants once, when an event is applied, in the index's zone.
//
// An Index is safe for concurrent use: checks run in parallel, and
// CatchUp excludes them only while it applies a page of events.
type Index struct {
	zone *time.Location
	// catch serialises CatchUp and Build, which alone replace or change
	// st; mu guards st against the checks.
	catch sync.Mutex
	mu    sync.RWMutex
	st    *state
}

// NewIndex returns an empty index whose days are those of zone; nil means
// Europe/Stockholm. It must use the zone of the Lists whose events it
// applies.
func NewIndex(zone *time.Location) *Index {
	if zone == nil {
		var err error
		if zone, err = time.LoadLocation(Stockholm); err != nil {
			panic(err) // time/tzdata is imported
		}
	}
	return &Index{zone: zone, st: newState()}
}

// state is what an Index knows, as of one event of the log.
type state struct {
	// last and lastID are the Seq and ID of the last event applied.
	last   int64
	lastID itsm.ID
	grants map[itsm.ID]*grantState
	// lists holds the grants of each person's role and scope, and people
	// the merged spans of each, together per person, for the checks: one
	// map look-up finds everything a person may do.
	lists  map[listKey]*list
	people map[personKey][]entry
	// approvers holds the approver grants of each customer and scope.
	approvers map[scopeKey][]*grantState
	// away holds each approver's absences and standIns each stand-in's,
	// in log order.
	away, standIns map[personKey][]*absenceState
}

func newState() *state {
	return &state{grants: map[itsm.ID]*grantState{}, lists: map[listKey]*list{}, people: map[personKey][]entry{},
		approvers: map[scopeKey][]*grantState{}, away: map[personKey][]*absenceState{}, standIns: map[personKey][]*absenceState{}}
}

// listKey names one person's grants of one role and scope (an item, or a
// service). It is flat, so that hashing it is one pass over its fields.
type listKey struct {
	customer, item  itsm.ID
	role            Role
	person, service string
}

type scopeKey struct {
	customer, item itsm.ID
	service        string
}

type personKey struct {
	customer itsm.ID
	person   string
}

// span is the instants [from, to), in Unix nanoseconds.
type span struct{ from, to int64 }

func (s span) contains(t int64) bool { return s.from <= t && t < s.to }

// list is the grants under one listKey; at is the place of their entry
// among the person's.
type list struct {
	grants []*grantState
	at     int
}

// entry is what one person may do as one role for one scope: the union of
// the spans of their grants of it, sorted and disjoint.
type entry struct {
	role    Role
	item    itsm.ID
	service string
	spans   []span
}

// grantState is one grant as the index keeps it: its days, and each
// change (the grant, then each ending) with the instant it took effect and
// the last day it set.
type grantState struct {
	key     listKey
	from    sla.Date
	changes []change
	spans   []span
}

type change struct {
	at    int64
	until sla.Date
}

type absenceState struct {
	approver, standIn string
	span              span
}

// nanos is t in Unix nanoseconds, held within what an int64 holds.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

var minTime, maxTime = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

// dayStart is the first instant of day d in zone. It is midnight, except
// where a change of the clocks skips midnight (as in America/Santiago);
// time.Date may then give an instant of the day before, and the day begins
// at the change, found by bisection.
func dayStart(d sla.Date, zone *time.Location) int64 {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, zone)
	onOrAfter := func(n int64) bool { return !before(sla.DateOf(time.Unix(0, n).In(zone)), d) }
	n := nanos(t)
	lo, hi := n, n // the first instant on or after d lies in (lo, hi]
	switch {
	case !onOrAfter(n):
		hi = n + int64(26*time.Hour)
	case onOrAfter(n - 1):
		lo = n - int64(26*time.Hour)
	default:
		return n
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if onOrAfter(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// endOf is the first instant after day d, or the end of time for the zero
// day (until further notice).
func endOf(d sla.Date, zone *time.Location) int64 {
	if d == (sla.Date{}) {
		return math.MaxInt64
	}
	return dayStart(d.AddDays(1), zone)
}

// spansOf computes g's spans: under each change, from the later of its
// instant and the first day's start, until the next change or the end of
// the last day it set, whichever is first.
func (g *grantState) spansOf(zone *time.Location) []span {
	start := dayStart(g.from, zone)
	var out []span
	for i, c := range g.changes {
		to := endOf(c.until, zone)
		if i+1 < len(g.changes) {
			to = min(to, g.changes[i+1].at)
		}
		if from := max(start, c.at); from < to {
			out = append(out, span{from, to})
		}
	}
	return out
}

// merge sets the spans of l's entry to the union of its grants' spans.
func (st *state) merge(k listKey) {
	l := st.lists[k]
	var spans []span
	for _, g := range l.grants {
		spans = append(spans, g.spans...)
	}
	slices.SortFunc(spans, func(a, b span) int {
		switch {
		case a.from < b.from:
			return -1
		case a.from > b.from:
			return 1
		}
		return 0
	})
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	st.people[personKey{k.customer, k.person}][l.at].spans = out
}

// covers reports whether sorted, disjoint spans contain t.
func covers(spans []span, t int64) bool {
	lo, hi := 0, len(spans) // the first span starting after t is at hi
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if spans[mid].from <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo > 0 && t < spans[lo-1].to
}

// apply adds one event of the log to st. Events of other kinds only move
// st on. An event that contradicts what st knows (an ending of a grant it
// does not know, a grant it has) is an error and changes nothing.
func (st *state) apply(e itsm.Event, zone *time.Location) error {
	if e.Kind == GrantKind || e.Kind == AbsenceKind {
		p, err := Decode(e)
		if err != nil {
			return err
		}
		at := nanos(e.Time)
		switch p := p.(type) {
		case Granted:
			if err := st.grant(e, p.Grant, at, zone); err != nil {
				return err
			}
		case Ended:
			g := st.grants[e.Subject]
			if g == nil {
				return itsm.Errorf(itsm.CodeInvalid, "event %d ends grant %s, which the log has not granted", e.Seq, e.Subject)
			}
			g.changes = append(g.changes, change{max(at, g.changes[len(g.changes)-1].at), p.Until})
			g.spans = g.spansOf(zone)
			st.merge(g.key)
		case Absent:
			a := &absenceState{approver: p.Person, standIn: p.StandIn,
				span: span{max(at, dayStart(p.From, zone)), endOf(p.Until, zone)}}
			k := personKey{p.Customer, p.Person}
			st.away[k] = append(st.away[k], a)
			k.person = p.StandIn
			st.standIns[k] = append(st.standIns[k], a)
		}
	}
	st.last, st.lastID = e.Seq, e.ID
	return nil
}

// grant adds the grant of an authority.granted event.
func (st *state) grant(e itsm.Event, p Grant, at int64, zone *time.Location) error {
	if st.grants[e.Subject] != nil {
		return itsm.Errorf(itsm.CodeInvalid, "event %d grants %s, which the log has granted before", e.Seq, e.Subject)
	}
	g := &grantState{key: listKey{customer: p.Customer, item: p.Item, role: p.Role, person: p.Person, service: p.Service},
		from: p.From, changes: []change{{at, p.Until}}}
	g.spans = g.spansOf(zone)
	st.grants[e.Subject] = g
	l := st.lists[g.key]
	if l == nil {
		pk := personKey{p.Customer, p.Person}
		l = &list{at: len(st.people[pk])}
		st.lists[g.key] = l
		st.people[pk] = append(st.people[pk], entry{role: p.Role, item: p.Item, service: p.Service})
	}
	l.grants = append(l.grants, g)
	st.merge(g.key)
	if p.Role == RoleApprover {
		k := scopeKey{p.Customer, p.Item, p.Service}
		st.approvers[k] = append(st.approvers[k], g)
	}
	return nil
}

// CatchUp applies the events of the log that tx sees after the last one
// the index applied. An order command calls it inside its own transaction
// before it checks, so that the check sees the lists that the transaction
// sees.
//
// A transaction that sees less of the log than the index has applied
// leaves it as it is: a change is never retroactive, so what the index
// knows beyond that transaction does not change its answer for any instant
// before those changes were recorded. If the event the index applied last
// is no longer in the log as it was (it was appended by a transaction that
// then rolled back, and another event took its place), the index is built
// again from the log.
func (x *Index) CatchUp(tx itsm.ReadTx) error {
	x.catch.Lock()
	defer x.catch.Unlock()
	stale, err := x.fill(tx, x.st)
	if err != nil || !stale {
		return err
	}
	fresh := newState()
	if _, err := x.fill(tx, fresh); err != nil {
		return err
	}
	x.mu.Lock()
	x.st = fresh
	x.mu.Unlock()
	return nil
}

// fill applies to st every event tx sees after st's last, a page at a
// time, each page excluding the checks while it is applied. The first
// page starts at st's last event, read again without a query of its own,
// and stale reports that it is no longer the one st applied.
func (x *Index) fill(tx itsm.ReadTx, st *state) (stale bool, err error) {
	from := max(st.last-1, 0)
	for {
		events, err := tx.Events(from, itsm.MaxLimit)
		if err != nil {
			return false, err
		}
		full := len(events) == itsm.MaxLimit
		if from < st.last {
			switch {
			case len(events) == 0 || events[0].Seq != st.last:
				return false, nil // tx sees less of the log than st
			case events[0].ID != st.lastID:
				return true, nil
			}
			events = events[1:]
		}
		x.mu.Lock()
		for _, e := range events {
			if err = st.apply(e, x.zone); err != nil {
				break
			}
		}
		x.mu.Unlock()
		if err != nil || !full {
			return false, err
		}
		from = st.last
	}
}

// Build makes the index again from the whole log of store, as CatchUp
// does from the first event. Checks meanwhile answer from what the index
// knew before.
func (x *Index) Build(ctx context.Context, store itsm.Store) error {
	x.catch.Lock()
	defer x.catch.Unlock()
	fresh := newState()
	err := store.Read(ctx, func(tx itsm.ReadTx) error {
		_, err := x.fill(tx, fresh)
		return err
	})
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.st = fresh
	x.mu.Unlock()
	return nil
}

// Seq returns the Seq of the last event the index applied.
func (x *Index) Seq() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.st.last
}

// granted reports whether a grant of role for item or service lets person
// act at t.
func (st *state) granted(customer itsm.ID, person string, role Role, item itsm.ID, service string, t int64) bool {
	for _, e := range st.people[personKey{customer, person}] {
		if e.role == role && (!item.IsZero() && e.item == item || service != "" && e.service == service && e.item.IsZero()) && covers(e.spans, t) {
			return true
		}
	}
	return false
}

// absence is the absence of the approver at t: of those that cover t, the
// one recorded last; nil if none does.
func (st *state) absence(customer itsm.ID, approver string, t int64) *absenceState {
	away := st.away[personKey{customer, approver}]
	for i := len(away) - 1; i >= 0; i-- {
		if away[i].span.contains(t) {
			return away[i]
		}
	}
	return nil
}

// MayOrder reports whether person of customer may order item, of service,
// at the instant at: whether a requester grant for the item or for the
// service covers at's day and was recorded, and not ended, by at. Either
// item or service may be left out (zero, "").
func (x *Index) MayOrder(customer itsm.ID, person string, item itsm.ID, service string, at time.Time) bool {
	t := nanos(at)
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.st.granted(customer, person, RoleRequester, item, service, t)
}

// MayApprove reports whether person of customer may approve an order of
// item, of service, at the instant at: as an approver of the item or the
// service, or as the stand-in of such an approver who is away that day.
// An approver who is away may still approve.
func (x *Index) MayApprove(customer itsm.ID, person string, item itsm.ID, service string, at time.Time) bool {
	t := nanos(at)
	x.mu.RLock()
	defer x.mu.RUnlock()
	st := x.st
	if st.granted(customer, person, RoleApprover, item, service, t) {
		return true
	}
	for _, a := range st.standIns[personKey{customer, person}] {
		if a.span.contains(t) && st.absence(customer, a.approver, t) == a &&
			st.granted(customer, a.approver, RoleApprover, item, service, t) {
			return true
		}
	}
	return false
}

// Approvers returns the approvers of item, of service, at the instant at,
// sorted by person, each with the stand-in who acts for them if they are
// away that day: whom an order waiting for approval is shown to.
func (x *Index) Approvers(customer itsm.ID, item itsm.ID, service string, at time.Time) []Approver {
	t := nanos(at)
	x.mu.RLock()
	defer x.mu.RUnlock()
	st := x.st
	var people []string
	for _, k := range []scopeKey{{customer, item, ""}, {customer, itsm.ID{}, service}} {
		if k.item.IsZero() && k.service == "" {
			continue
		}
		for _, g := range st.approvers[k] {
			if covers(g.spans, t) {
				people = append(people, g.key.person)
			}
		}
	}
	slices.Sort(people)
	people = slices.Compact(people)
	out := make([]Approver, len(people))
	for i, p := range people {
		out[i].Person = p
		if a := st.absence(customer, p, t); a != nil {
			out[i].StandIn = a.standIn
		}
	}
	return out
}
