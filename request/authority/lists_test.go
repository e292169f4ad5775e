package authority_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/sla"
)

// Every rule of the register, on every backend.
func TestRules(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			for rule, test := range map[string]func(*testing.T, *world){
				"validation":  testValidation,
				"changes":     testWhoChanges,
				"reads":       testWhoReads,
				"end":         testEnd,
				"absent":      testAbsent,
				"list":        testList,
				"replay":      testReplay,
				"concurrency": testConcurrentEnds,
			} {
				t.Run(rule, func(t *testing.T) { test(t, newWorld(t, open(t))) })
			}
		})
	}
}

// Each malformed grant is refused with a sentence naming what is wrong,
// and nothing is written.
func testValidation(t *testing.T, w *world) {
	ok := authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0)}
	for _, c := range []struct {
		name, says string
		edit       func(*authority.Grant)
	}{
		{"no customer", "customer is zero", func(g *authority.Grant) { g.Customer = itsm.ID{} }},
		{"no person", "person is empty", func(g *authority.Grant) { g.Person = "  " }},
		{"person with a control character", "U+0007", func(g *authority.Grant) { g.Person = "al\aice" }},
		{"person too long", "more than 300", func(g *authority.Grant) { g.Person = strings.Repeat("a", 301) }},
		{"unknown role", "neither", func(g *authority.Grant) { g.Role = "owner" }},
		{"no role", "neither", func(g *authority.Grant) { g.Role = "" }},
		{"item and service", "both an item and a service", func(g *authority.Grant) { g.Service = "Laptops" }},
		{"neither", "neither an item nor a service", func(g *authority.Grant) { g.Item = itsm.ID{} }},
		{"service with a bidi character", "U+202E", func(g *authority.Grant) { g.Item, g.Service = itsm.ID{}, "pc\u202Eexe" }},
		{"no from", "from 0000-00-00", func(g *authority.Grant) { g.From = sla.Date{} }},
		{"from not a day", "from 2026-02-30", func(g *authority.Grant) { g.From = sla.Date{Year: 2026, Month: 2, Day: 30} }},
		{"until not a day", "until 2026-13-01", func(g *authority.Grant) { g.Until = sla.Date{Year: 2026, Month: 13, Day: 1} }},
		{"until after 2199", "until 2200-01-01", func(g *authority.Grant) { g.Until = sla.Date{Year: 2200, Month: 1, Day: 1} }},
		{"until before from", "is before from", func(g *authority.Grant) { g.Until = w.day(-1) }},
		{"from in the past", "before today", func(g *authority.Grant) { g.From, g.Until = w.day(-1), w.day(3) }},
		{"id set", "id is set", func(g *authority.Grant) { g.ID = itsm.NewID() }},
		{"ended set", "the register records them", func(g *authority.Grant) { g.Ended = []authority.Ending{{}} }},
	} {
		g := ok
		c.edit(&g)
		_, err := w.lists.Grant(w.ctx, w.cityAdmin, g)
		wantCode(t, err, itsm.CodeInvalid, c.name)
		if err != nil && !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v does not say %q", c.name, err, c.says)
		}
	}
	g := ok
	g.Person = "  alice "
	if got := w.grant(g); got.Person != "alice" || got.Until != (sla.Date{}) || !got.Granted.Equal(w.clock.Now()) || got.GrantedBy.Person != "ada" || got.Version != 1 {
		t.Errorf("grant recorded as %+v", got)
	}
	if n := len(w.log()); n != 1 {
		t.Errorf("%d events after one grant and %d refusals", n, 17)
	}
	for _, c := range []struct {
		name string
		a    authority.Absence
	}{
		{"stand-in is the approver", authority.Absence{Customer: cityID, Person: "bob", StandIn: " bob", From: w.day(0), Until: w.day(1)}},
		{"no stand-in", authority.Absence{Customer: cityID, Person: "bob", From: w.day(0), Until: w.day(1)}},
		{"no until", authority.Absence{Customer: cityID, Person: "bob", StandIn: "carol", From: w.day(0)}},
		{"until before from", authority.Absence{Customer: cityID, Person: "bob", StandIn: "carol", From: w.day(2), Until: w.day(1)}},
		{"from in the past", authority.Absence{Customer: cityID, Person: "bob", StandIn: "carol", From: w.day(-1), Until: w.day(1)}},
		{"reason with a lone CR", authority.Absence{Customer: cityID, Person: "bob", StandIn: "carol", From: w.day(0), Until: w.day(1), Reason: "a\rb"}},
	} {
		_, err := w.lists.Absent(w.ctx, w.bob, c.a)
		wantCode(t, err, itsm.CodeInvalid, c.name)
	}
	if n := len(w.log()); n != 1 {
		t.Errorf("%d events after refused absences", n)
	}
}

// Only the customer's administrators and Config.Admin change its lists; a
// desk that reads them may not, and to everyone else they do not exist.
func testWhoChanges(t *testing.T, w *world) {
	g := authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Service: "Laptops", From: w.day(0)}
	for _, c := range []struct {
		who  itsm.Actor
		code itsm.Code
	}{
		{w.alice, itsm.CodeForbidden}, {w.bob, itsm.CodeForbidden}, {w.deskAgent, itsm.CodeForbidden},
		{w.suppAgent, itsm.CodeNotFound}, {w.townAdmin, itsm.CodeNotFound}, {w.desk2Agent, itsm.CodeNotFound},
		{itsm.Actor{Organisation: itsm.NewID(), Person: "x", Roles: []itsm.Role{itsm.RoleAdmin}}, itsm.CodeForbidden},
	} {
		_, err := w.lists.Grant(w.ctx, c.who, g)
		wantCode(t, err, c.code, "grant by "+c.who.Person)
	}
	for _, other := range []itsm.ID{deskID, itsm.NewID()} {
		h := g
		h.Customer = other
		_, err := w.lists.Grant(w.ctx, w.platform, h)
		wantCode(t, err, itsm.CodeNotFound, "grant on a list of "+other.String())
	}
	made := w.grant(g)
	must[*authority.Grant](t)(w.lists.Grant(w.ctx, w.platform, g))
	for _, c := range []struct {
		who  itsm.Actor
		code itsm.Code
	}{{w.alice, itsm.CodeForbidden}, {w.deskAgent, itsm.CodeForbidden}, {w.suppAgent, itsm.CodeNotFound}, {w.townAdmin, itsm.CodeNotFound}} {
		_, err := w.lists.End(w.ctx, c.who, made.ID, w.day(5), "")
		wantCode(t, err, c.code, "end by "+c.who.Person)
	}
	// Rights: without write access to requests the administrator may not.
	w.perms.Revoke(cityID, itsm.DomainRequest, itsm.AccessWrite)
	_, err := w.lists.Grant(w.ctx, w.cityAdmin, g)
	wantCode(t, err, itsm.CodeForbidden, "grant without write access")
	_, err = w.lists.End(w.ctx, w.cityAdmin, made.ID, w.day(5), "")
	wantCode(t, err, itsm.CodeForbidden, "end without write access")
	if n := len(w.log()); n != 2 {
		t.Errorf("%d events, want the 2 grants", n)
	}
}

// The customer's own people and the agents and administrators of the desk
// that serves it read its lists; to anyone else a grant is not found.
func testWhoReads(t *testing.T, w *world) {
	g := w.grant(authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0)})
	for _, who := range []itsm.Actor{w.alice, w.bob, w.cityAdmin, w.deskAgent, w.platform} {
		if got, err := w.lists.Get(w.ctx, who, g.ID); err != nil || got.ID != g.ID {
			t.Errorf("get by %s: %v", who.Person, err)
		}
		if p, err := w.lists.List(w.ctx, who, authority.ListOptions{Customer: cityID}); err != nil || len(p.Grants) != 1 {
			t.Errorf("list by %s: %v %v", who.Person, p, err)
		}
	}
	for _, who := range []itsm.Actor{w.deskUser, w.desk2Agent, w.suppAgent, w.townAdmin} {
		_, err := w.lists.Get(w.ctx, who, g.ID)
		wantCode(t, err, itsm.CodeNotFound, "get by "+who.Person)
		_, err = w.lists.List(w.ctx, who, authority.ListOptions{Customer: cityID})
		wantCode(t, err, itsm.CodeNotFound, "list by "+who.Person)
	}
	_, err := w.lists.Get(w.ctx, w.alice, itsm.NewID())
	wantCode(t, err, itsm.CodeNotFound, "get of no grant")
	if p, err := w.lists.List(w.ctx, w.townAdmin, authority.ListOptions{}); err != nil || len(p.Grants) != 0 {
		t.Errorf("the town's own list: %v %v", p, err)
	}
	w.perms.Revoke(deskID, itsm.DomainRequest, itsm.AccessRead)
	_, err = w.lists.Get(w.ctx, w.deskAgent, g.ID)
	wantCode(t, err, itsm.CodeForbidden, "get without read access")
}

// Ending shortens and keeps the history; it cannot rewrite the past,
// lengthen, or end what is over; a retry adds nothing.
func testEnd(t *testing.T, w *world) {
	g := w.grant(authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0), Until: w.day(30)})
	end := func(until sla.Date) (*authority.Grant, error) {
		return w.lists.End(w.ctx, w.cityAdmin, g.ID, until, "moved on")
	}
	_, err := end(w.day(31))
	wantCode(t, err, itsm.CodeInvalid, "lengthen")
	_, err = end(w.day(-2))
	wantCode(t, err, itsm.CodeInvalid, "end before yesterday")
	_, err = end(sla.Date{Year: 2026, Month: 2, Day: 29})
	wantCode(t, err, itsm.CodeInvalid, "end on no day")
	_, err = w.lists.End(w.ctx, w.cityAdmin, g.ID, w.day(3), "a\x00b")
	wantCode(t, err, itsm.CodeInvalid, "reason with NUL")
	w.clock.Advance(time.Hour)
	e1 := must[*authority.Grant](t)(end(w.day(10)))
	if e1.Until != w.day(10) || len(e1.Ended) != 1 || e1.Ended[0].Until != w.day(10) || e1.Ended[0].Reason != "moved on" ||
		!e1.Ended[0].At.Equal(w.clock.Now()) || e1.From != g.From || e1.Version != 2 {
		t.Errorf("ended as %+v", e1)
	}
	again := must[*authority.Grant](t)(end(w.day(10)))
	if again.Version != 2 || len(w.log()) != 2 {
		t.Errorf("a retry of the ending wrote again: version %d, %d events", again.Version, len(w.log()))
	}
	// Yesterday ends it now; then it is over.
	now := must[*authority.Grant](t)(end(w.day(-1)))
	if len(now.Ended) != 2 || now.Ended[0].Until != w.day(10) {
		t.Errorf("history lost: %+v", now.Ended)
	}
	_, err = end(w.day(-1))
	wantCode(t, err, itsm.CodeConflict, "end what is over")

	// A grant that has not begun is withdrawn by the day before it.
	f := w.grant(authority.Grant{Customer: cityID, Person: "bob", Role: authority.RoleApprover, Service: "Phones", From: w.day(7)})
	_, err = w.lists.End(w.ctx, w.cityAdmin, f.ID, w.day(5), "")
	wantCode(t, err, itsm.CodeInvalid, "end before the day before from")
	wd := must[*authority.Grant](t)(w.lists.End(w.ctx, w.cityAdmin, f.ID, w.day(6), ""))
	if wd.ValidOn(w.day(6)) || wd.ValidOn(w.day(7)) {
		t.Errorf("withdrawn grant %+v is valid", wd)
	}
	_, err = w.lists.End(w.ctx, w.cityAdmin, f.ID, w.day(6), "")
	wantCode(t, err, itsm.CodeConflict, "end a withdrawn grant")
	// The clock stepping back does not make the history run backward.
	o := w.grant(authority.Grant{Customer: cityID, Person: "carol", Role: authority.RoleRequester, Item: phone, From: w.day(0)})
	w.clock.Advance(-time.Minute)
	oe := must[*authority.Grant](t)(w.lists.End(w.ctx, w.cityAdmin, o.ID, w.day(2), ""))
	if oe.Ended[0].At.Before(oe.Granted) {
		t.Errorf("ending at %v before the grant at %v", oe.Ended[0].At, oe.Granted)
	}
}

// The approver or an administrator records an absence; others may not.
func testAbsent(t *testing.T, w *world) {
	a := authority.Absence{Customer: cityID, Person: "bob", StandIn: " carol ", From: w.day(0), Until: w.day(4), Reason: "Holiday"}
	got := must[*authority.Absence](t)(w.lists.Absent(w.ctx, w.bob, a))
	if got.StandIn != "carol" || got.RecordedBy.Person != "bob" || got.ID.IsZero() || got.Version != 1 {
		t.Errorf("absence recorded as %+v", got)
	}
	must[*authority.Absence](t)(w.lists.Absent(w.ctx, w.cityAdmin, a))
	must[*authority.Absence](t)(w.lists.Absent(w.ctx, w.platform, a))
	for _, c := range []struct {
		who  itsm.Actor
		code itsm.Code
	}{{w.alice, itsm.CodeForbidden}, {w.deskAgent, itsm.CodeForbidden}, {w.suppAgent, itsm.CodeNotFound}, {w.townAdmin, itsm.CodeNotFound}} {
		_, err := w.lists.Absent(w.ctx, c.who, a)
		wantCode(t, err, c.code, "absence by "+c.who.Person)
	}
	events := w.log()
	if len(events) != 3 {
		t.Fatalf("%d events", len(events))
	}
	r := must[*authority.Absence](t)(authority.ReplayAbsence(events[:1]))
	got.Version = 0
	if !reflect.DeepEqual(r, got) {
		t.Errorf("replay %+v, recorded %+v", r, got)
	}
}

// List selects by person, scope, role and day, and pages without losing
// or repeating a grant.
func testList(t *testing.T, w *world) {
	var all []*authority.Grant
	for i, p := range []string{"alice", "bob", "alice", "carol", "alice"} {
		g := authority.Grant{Customer: cityID, Person: p, Role: authority.RoleRequester, From: w.day(i)}
		switch i % 3 {
		case 0:
			g.Item = laptop
		case 1:
			g.Service, g.Role = "Laptops", authority.RoleApprover
		default:
			g.Item = phone
		}
		all = append(all, w.grant(g))
	}
	must[*authority.Grant](t)(w.lists.Grant(w.ctx, w.townAdmin, authority.Grant{Customer: townID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0)}))
	ids := func(gs []*authority.Grant) []itsm.ID {
		var out []itsm.ID
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	d2 := w.day(2)
	for _, c := range []struct {
		name string
		o    authority.ListOptions
		want []int
	}{
		{"all", authority.ListOptions{}, []int{0, 1, 2, 3, 4}},
		{"alice", authority.ListOptions{Person: "alice"}, []int{0, 2, 4}},
		{"laptop", authority.ListOptions{Item: laptop}, []int{0, 3}},
		{"service", authority.ListOptions{Service: "Laptops"}, []int{1, 4}},
		{"approvers", authority.ListOptions{Role: authority.RoleApprover}, []int{1, 4}},
		{"alice's laptop requests", authority.ListOptions{Person: "alice", Item: laptop, Role: authority.RoleRequester}, []int{0}},
		{"valid on day 2", authority.ListOptions{ValidOn: &d2}, []int{0, 1, 2}},
	} {
		var want []itsm.ID
		for _, i := range c.want {
			want = append(want, all[i].ID)
		}
		p := must[authority.Page](t)(w.lists.List(w.ctx, w.alice, c.o))
		if got := ids(p.Grants); !slices.Equal(got, want) || p.Next != "" {
			t.Errorf("%s: %v next %q, want %v", c.name, got, p.Next, want)
		}
		var paged []itsm.ID
		o := c.o
		o.Limit, o.Customer = 1, cityID
		for range 20 {
			p := must[authority.Page](t)(w.lists.List(w.ctx, w.deskAgent, o))
			if len(p.Grants) > 1 {
				t.Fatalf("%s: page of %d", c.name, len(p.Grants))
			}
			paged = append(paged, ids(p.Grants)...)
			if o.After = p.Next; p.Next == "" {
				break
			}
		}
		if !slices.Equal(paged, want) {
			t.Errorf("%s by pages: %v, want %v", c.name, paged, want)
		}
	}
	for _, o := range []authority.ListOptions{{Role: "boss"}, {Item: laptop, Service: "Laptops"}, {Limit: -1}, {ValidOn: &sla.Date{Year: 2026, Month: 4, Day: 31}}} {
		_, err := w.lists.List(w.ctx, w.alice, o)
		wantCode(t, err, itsm.CodeInvalid, "list with bad options")
	}
}

// Every grant is the fold of its events, and its JSON writes days as
// YYYY-MM-DD.
func testReplay(t *testing.T, w *world) {
	g := w.grant(authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0), Until: w.day(9)})
	w.clock.Advance(time.Hour)
	must[*authority.Grant](t)(w.lists.End(w.ctx, w.cityAdmin, g.ID, w.day(5), "x"))
	w.clock.Advance(time.Hour)
	g = must[*authority.Grant](t)(w.lists.End(w.ctx, w.cityAdmin, g.ID, w.day(2), ""))
	r := must[*authority.Grant](t)(authority.Replay(w.log()))
	r.Version = g.Version
	if !reflect.DeepEqual(r, g) {
		t.Errorf("replay %+v\nrecorded %+v", r, g)
	}
	b, _ := json.Marshal(g)
	if !strings.Contains(string(b), `"from":"`+w.day(0).String()+`"`) || !strings.Contains(string(b), `"until":"`+w.day(2).String()+`"`) {
		t.Errorf("JSON %s", b)
	}
	var back authority.Grant
	if err := json.Unmarshal(b, &back); err != nil || back.From != g.From || back.Until != g.Until || back.Ended[1].Until != w.day(2) {
		t.Errorf("JSON round trip %+v %v", back, err)
	}
	for _, bad := range [][]itsm.Event{nil, w.log()[1:], append(w.log()[:1:1], w.log()[0])} {
		if _, err := authority.Replay(bad); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("replay of %d bad events: %v", len(bad), err)
		}
	}
}

// Concurrent endings of one grant each decide on the grant as it is: every
// one that succeeds is in the history, in order, each shorter than the
// one before, and the grant is the fold of its events.
func testConcurrentEnds(t *testing.T, w *world) {
	g := w.grant(authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0)})
	const writers = 6
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = w.lists.End(w.ctx, w.cityAdmin, g.ID, w.day(10+i), "")
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("end: %v", err)
		}
	}
	got := must[*authority.Grant](t)(w.lists.Get(w.ctx, w.alice, g.ID))
	if len(got.Ended) != ok || got.Version != int64(1+ok) {
		t.Errorf("%d endings succeeded, grant has %d at version %d", ok, len(got.Ended), got.Version)
	}
	for i := 1; i < len(got.Ended); i++ {
		if !before(got.Ended[i].Until, got.Ended[i-1].Until) {
			t.Errorf("ending %d lengthened the grant: %v", i, got.Ended)
		}
	}
	r := must[*authority.Grant](t)(authority.Replay(w.log()))
	r.Version = got.Version
	if !reflect.DeepEqual(r, got) {
		t.Errorf("replay %+v\nstored %+v", r, got)
	}
}

func before(a, b sla.Date) bool { return a.String() < b.String() }
