package incident_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Scenario tests, one per requirement that the package implements, each
// named after the requirement it proves; docs/requirements.md states each
// requirement and lists these tests beside it.

// reqRegistration is the registration of a P3 network incident reported by
// the world's user by phone; tests change the fields they are about.
func reqRegistration(w *world, summary string) incident.Registration {
	return incident.Registration{
		Customer: w.city.ID, Caller: incident.Caller{Person: w.user.Person, Name: "Ulla User", Contact: "+46701234567"},
		Channel: incident.ChannelPhone, Service: "school network", Category: "network",
		Summary: summary, Description: "The user says: " + summary + ", since this morning.",
		Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium,
	}
}

// reqCode fails the test unless err is an *itsm.Error with the code.
func reqCode(t testing.TB, err error, code itsm.Code) *itsm.Error {
	t.Helper()
	var e *itsm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *itsm.Error with code %s", err, err, code)
	}
	if got := itsm.ErrorCode(err); got != code {
		t.Fatalf("error %q has code %s, want %s", err, got, code)
	}
	return e
}

// reqPayloads decodes the events of the incident and keeps those of type P.
func reqPayloads[P incident.Payload](t testing.TB, w *world, id itsm.ID) []P {
	t.Helper()
	var out []P
	for _, e := range w.events(id) {
		p, err := incident.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := p.(P); ok {
			out = append(out, v)
		}
	}
	return out
}

// reqList returns the IDs of the first page that List gives the actor.
func reqList(t testing.TB, w *world, a itsm.Actor, f incident.Filter) []itsm.ID {
	t.Helper()
	page, err := w.svc.List(w.ctx, a, f)
	if err != nil {
		t.Fatalf("list %+v as %s: %v", f, a.Person, err)
	}
	var out []itsm.ID
	for _, inc := range page.Incidents {
		out = append(out, inc.ID)
	}
	return out
}

// reqGet returns the stored incident as the desk's agent sees it.
func reqGet(t testing.TB, w *world, id itsm.ID) *incident.Incident {
	t.Helper()
	inc, err := w.svc.Get(w.ctx, w.agent, id)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

// reqUnchanged fails the test if the incident's version or the event log
// moved since before.
func reqUnchanged(t testing.TB, w *world, id itsm.ID, before ruleSnapshot) {
	t.Helper()
	if after := ruleSnap(t, w, id); after != before {
		t.Errorf("a refused command wrote: version and log length %+v, were %+v", after, before)
	}
}

func TestSD1SinglePointOfContactChannels(t *testing.T) {
	w := newWorld(t)
	channels := []incident.Channel{incident.ChannelPhone, incident.ChannelEmail, incident.ChannelPortal,
		incident.ChannelChat, incident.ChannelWalkIn, incident.ChannelMonitoring}
	for i, ch := range channels {
		// Users reach the desk at any hour: the calendar is 24x7 and
		// registration does not depend on it.
		w.clock.Advance(7 * time.Hour)
		r := reqRegistration(w, "reported by "+string(ch))
		r.Channel = ch
		inc := w.must(w.svc.Register(w.ctx, w.agent, r))
		if inc.Channel != ch || inc.Desk != w.desk.ID || inc.Holder != w.desk.ID || inc.State != incident.StateRegistered {
			t.Errorf("%s: channel %s, desk %s, holder %s, state %s", ch, inc.Channel, inc.Desk, inc.Holder, inc.State)
		}
		if want := (itsm.Number{Prefix: "INC", Seq: uint64(i + 1)}); inc.Number != want {
			t.Errorf("%s: number %s, want %s", ch, inc.Number, want)
		}
		// The user follows the incident through the desk, whatever the
		// channel.
		if _, err := w.svc.Get(w.ctx, w.user, inc.ID); err != nil {
			t.Errorf("%s: the caller cannot see the incident: %v", ch, err)
		}
	}
	before := ruleLogLen(t, w)
	for _, ch := range []incident.Channel{"", "fax", "Phone"} {
		r := reqRegistration(w, "by carrier pigeon")
		r.Channel = ch
		_, err := w.svc.Register(w.ctx, w.agent, r)
		reqCode(t, err, itsm.CodeInvalid)
	}
	if n := ruleLogLen(t, w); n != before {
		t.Errorf("invalid channels wrote %d events", n-before)
	}
}

func TestSD2DeskRegistersCategorisesAndPrioritises(t *testing.T) {
	w := newWorld(t)
	r := reqRegistration(w, "wifi drops in the gym")
	r.Subcategory = "wifi"
	inc := w.must(w.svc.Register(w.ctx, w.agent, r))
	if inc.Service != "school network" || inc.Category != "network" || inc.Subcategory != "wifi" || inc.Priority != 3 {
		t.Fatalf("registered %q %q/%q at %s", inc.Service, inc.Category, inc.Subcategory, inc.Priority)
	}
	inc = w.must(w.svc.Recategorise(w.ctx, w.agent, inc.ID, "school network", "network", "switch"))
	inc = w.must(w.svc.Reprioritise(w.ctx, w.agent, inc.ID, itsm.ImpactHigh, itsm.UrgencyMedium, "the whole school"))
	if inc.Subcategory != "switch" || inc.Priority != 2 {
		t.Fatalf("after recategorising and reprioritising: %q at %s", inc.Subcategory, inc.Priority)
	}
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	// One system: the supplier reads the same incident the desk registered.
	seen, err := w.svc.Get(w.ctx, w.netAgent, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if seen.Summary != r.Summary || seen.Description != r.Description || seen.Category != "network" ||
		seen.Subcategory != "switch" || seen.Priority != 2 || seen.Caller != r.Caller {
		t.Errorf("the supplier sees %+v", seen)
	}
	// Categorising and prioritising is the desk's.
	for name, err := range map[string]error{
		"recategorise": func() error {
			_, err := w.svc.Recategorise(w.ctx, w.netAgent, inc.ID, "", "network", "")
			return err
		}(),
		"reprioritise": func() error {
			_, err := w.svc.Reprioritise(w.ctx, w.netAgent, inc.ID, itsm.ImpactHigh, itsm.UrgencyHigh, "mine")
			return err
		}(),
	} {
		if !itsm.IsCode(err, itsm.CodeForbidden) {
			t.Errorf("%s by the supplier: %v, want forbidden", name, err)
		}
	}
}

func TestSD3FirstContactResolution(t *testing.T) {
	fix := incident.Resolution{Code: "advice", Text: "restarted the laptop with the user"}
	t.Run("resolved by the desk without delegating", func(t *testing.T) {
		w := newWorld(t)
		inc := w.register("cannot print")
		w.must(w.svc.Start(w.ctx, w.agent, inc.ID))
		w.clock.Advance(4 * time.Minute)
		inc = w.must(w.svc.Resolve(w.ctx, w.agent, inc.ID, fix))
		if inc.State != incident.StateResolved || inc.Outcome == nil || !inc.Outcome.FirstContact ||
			inc.Outcome.By != w.desk.ID || inc.Resolved != t0.Add(4*time.Minute) {
			t.Fatalf("resolved: state %s, outcome %+v", inc.State, inc.Outcome)
		}
		rs := reqPayloads[incident.Resolved](t, w, inc.ID)
		if len(rs) != 1 || !rs[0].FirstContact {
			t.Errorf("resolved events %+v, want one at first contact", rs)
		}
	})
	t.Run("resolved by the desk after a supplier sent it back", func(t *testing.T) {
		w := newWorld(t)
		inc := w.register("cannot print")
		w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
		w.must(w.svc.Reject(w.ctx, w.netAgent, inc.ID, "not the network"))
		inc = w.must(w.svc.Resolve(w.ctx, w.agent, inc.ID, fix))
		if inc.Outcome.FirstContact {
			t.Error("a delegated incident counts as resolved at first contact")
		}
	})
	t.Run("resolved by the desk after reopening", func(t *testing.T) {
		w := newWorld(t)
		inc := w.register("cannot print")
		w.must(w.svc.Resolve(w.ctx, w.agent, inc.ID, fix))
		w.must(w.svc.Reopen(w.ctx, w.agent, inc.ID, "it came back"))
		inc = w.must(w.svc.Resolve(w.ctx, w.agent, inc.ID, fix))
		if inc.Outcome.FirstContact {
			t.Error("a reopened incident counts as resolved at first contact")
		}
	})
	t.Run("reported back by a supplier", func(t *testing.T) {
		w := newWorld(t)
		inc := w.register("switch dead")
		w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
		w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
		// The desk cannot resolve what a supplier holds: the supplier
		// reports back.
		_, err := w.svc.Resolve(w.ctx, w.agent, inc.ID, fix)
		reqCode(t, err, itsm.CodeConflict)
		inc = w.must(w.svc.ReportBack(w.ctx, w.netAgent, inc.ID, incident.Resolution{Code: "hardware", Text: "switch replaced"}))
		if inc.Outcome.FirstContact || inc.Outcome.By != w.network.ID {
			t.Errorf("reported back: %+v", inc.Outcome)
		}
	})
}

func TestSD4OnlyTheDeskRegistersAndCloses(t *testing.T) {
	w := newWorld(t)
	clerk := itsm.Actor{Organisation: w.desk.ID, Person: "kim.clerk"}
	cityAgent := itsm.Actor{Organisation: w.city.ID, Person: "carl.city", Roles: []itsm.Role{itsm.RoleAgent}}
	for _, a := range []itsm.Actor{w.netAgent, w.workAgent, w.user, cityAgent, clerk} {
		_, err := w.svc.Register(w.ctx, a, reqRegistration(w, "registered by "+a.Person))
		reqCode(t, err, itsm.CodeForbidden)
	}
	if n := ruleLogLen(t, w); n != 0 {
		t.Fatalf("refused registrations wrote %d events", n)
	}
	inc := w.register("switch dead")
	if inc.Number.Seq != 1 {
		t.Errorf("refused registrations used numbers: the first incident is %s", inc.Number)
	}
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	fix := incident.Resolution{Code: "hardware", Text: "switch replaced"}
	// The supplier does the work but does not resolve or close: it reports
	// back.
	_, err := w.svc.Resolve(w.ctx, w.netAgent, inc.ID, fix)
	reqCode(t, err, itsm.CodeForbidden)
	w.clock.Advance(time.Hour)
	inc = w.must(w.svc.ReportBack(w.ctx, w.netAgent, inc.ID, fix))
	if inc.State != incident.StateResolved || inc.Outcome.By != w.network.ID || inc.Desk != w.desk.ID {
		t.Fatalf("reported back: state %s, outcome %+v, desk %s", inc.State, inc.Outcome, inc.Desk)
	}
	snap := ruleSnap(t, w, inc.ID)
	for _, a := range []itsm.Actor{w.netAgent, w.workAgent, w.user, clerk, w.other} {
		_, err := w.svc.Close(w.ctx, a, inc.ID, "closed by "+a.Person)
		if !itsm.IsCode(err, itsm.CodeForbidden) && !itsm.IsCode(err, itsm.CodeNotFound) {
			t.Errorf("close as %s: %v, want forbidden or not found", a.Person, err)
		}
	}
	reqUnchanged(t, w, inc.ID, snap)
	w.clock.Advance(10 * time.Minute)
	msg := "The switch was replaced; your network works again."
	inc = w.must(w.svc.Close(w.ctx, w.agent, inc.ID, msg))
	if inc.State != incident.StateClosed || inc.Closed != t0.Add(70*time.Minute) {
		t.Fatalf("closed: state %s at %s", inc.State, inc.Closed)
	}
	// Closing is informing the user: the message is a communication of the
	// desk's.
	cs := inc.Communications()
	if last := cs[len(cs)-1]; last.Text != msg || last.Author != w.agent.Person || last.Organisation != w.desk.ID {
		t.Errorf("last communication %+v, want the closing message by the desk", last)
	}
	reg := reqPayloads[incident.Registered](t, w, inc.ID)
	closed := reqPayloads[incident.Closed](t, w, inc.ID)
	if len(reg) != 1 || reg[0].Actor().Organisation != w.desk.ID || len(closed) != 1 || closed[0].Actor().Organisation != w.desk.ID {
		t.Errorf("opened by %+v, closed by %+v; want the desk both times", reg, closed)
	}
}

func TestSD5MasterNumberAndHandover(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	second := w.register("printer jam")
	if inc.Number.String() != "INC0000001" || second.Number.String() != "INC0000002" {
		t.Fatalf("numbers %s and %s", inc.Number, second.Number)
	}
	w.must(w.svc.Comment(w.ctx, w.user, inc.ID, incident.EntryCommunication, "It is the whole second floor."))
	w.must(w.svc.Comment(w.ctx, w.agent, inc.ID, incident.EntryCommunication, "We are on it."))
	w.must(w.svc.Comment(w.ctx, w.agent, inc.ID, incident.EntryWorkNote, "Checked the controller: fine."))
	before := reqGet(t, w, inc.ID)
	said := before.Communications()
	if len(said) != 3 {
		t.Fatalf("%d communications before delegating, want the description and two comments", len(said))
	}
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Note: "please check the access points"}))

	ds := reqPayloads[incident.Delegated](t, w, inc.ID)
	if len(ds) != 1 {
		t.Fatalf("%d delegated events", len(ds))
	}
	h := ds[0].Handover
	want := incident.Handover{Number: inc.Number, Caller: inc.Caller, Channel: inc.Channel, Service: inc.Service,
		Category: inc.Category, Summary: inc.Summary, Description: inc.Description, Priority: inc.Priority,
		Communications: said}
	if d := cmp.Diff(want, h); d != "" {
		t.Errorf("handover (-want +got):\n%s", d)
	}
	// The supplier finds the incident by the master number.
	got, err := w.svc.GetByNumber(w.ctx, w.netAgent, inc.Number)
	if err != nil || got.ID != inc.ID {
		t.Fatalf("the supplier gets %s: %v", inc.Number, err)
	}

	// The desk records each supplier's own reference; a new one replaces
	// the supplier's old one.
	w.must(w.svc.SetReference(w.ctx, w.netAgent, inc.ID, "NET-4711"))
	cur := w.must(w.svc.SetReference(w.ctx, w.netAgent, inc.ID, "  NET-4712 "))
	if cur.Reference(w.network.ID) != "NET-4712" || len(cur.References) != 1 {
		t.Errorf("references %+v, want NET-4712 only", cur.References)
	}
	w.must(w.svc.Reject(w.ctx, w.netAgent, inc.ID, "the access points are fine; it is the clients"))
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
	cur = w.must(w.svc.SetReference(w.ctx, w.workAgent, inc.ID, "WP-17"))
	wantRefs := []incident.Reference{{Organisation: w.network.ID, Reference: "NET-4712"}, {Organisation: w.work.ID, Reference: "WP-17"}}
	if d := cmp.Diff(wantRefs, cur.References); d != "" {
		t.Errorf("references (-want +got):\n%s", d)
	}
	if cur.Number != inc.Number {
		t.Errorf("the number changed to %s", cur.Number)
	}
	// The next supplier gets the same number, what the user said, and why
	// the earlier supplier sent it back.
	ds = reqPayloads[incident.Delegated](t, w, inc.ID)
	h = ds[1].Handover
	if h.Number != inc.Number || h.Description != inc.Description || !slices.Equal(h.Rejections, []string{"the access points are fine; it is the clients"}) {
		t.Errorf("second handover: %+v", h)
	}
	if d := cmp.Diff(said, h.Communications); d != "" {
		t.Errorf("second handover communications (-want +got):\n%s", d)
	}
	if _, err := w.svc.GetByNumber(w.ctx, w.workAgent, second.Number); !itsm.IsCode(err, itsm.CodeNotFound) {
		t.Errorf("the supplier gets an incident it never held by number: %v", err)
	}
}

func TestSD6DeskOwnsCommunication(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	w.clock.Advance(time.Minute)
	w.must(w.svc.Comment(w.ctx, w.agent, inc.ID, incident.EntryCommunication, "The network team is working on it."))
	w.clock.Advance(time.Minute)
	// The supplier had to call the user: the contact is on the ticket.
	w.must(w.svc.Comment(w.ctx, w.netAgent, inc.ID, incident.EntryCommunication, "Called the user: asked to restart the access point."))
	w.clock.Advance(time.Minute)
	w.must(w.svc.Comment(w.ctx, w.netAgent, inc.ID, incident.EntryWorkNote, "firmware 2.1 suspected"))
	w.must(w.svc.Update(w.ctx, w.netAgent, inc.ID, "waiting for the restart"))
	inc = w.must(w.svc.Comment(w.ctx, w.user, inc.ID, incident.EntryCommunication, "Restarted it, still down."))

	want := []incident.Entry{
		{Time: t0, Kind: incident.EntryCommunication, Author: w.agent.Person, Organisation: w.desk.ID, Text: inc.Description},
		{Time: t0.Add(time.Minute), Kind: incident.EntryCommunication, Author: w.agent.Person, Organisation: w.desk.ID, Text: "The network team is working on it."},
		{Time: t0.Add(2 * time.Minute), Kind: incident.EntryCommunication, Author: w.netAgent.Person, Organisation: w.network.ID, Text: "Called the user: asked to restart the access point."},
		{Time: t0.Add(3 * time.Minute), Kind: incident.EntryCommunication, Author: w.user.Person, Organisation: w.city.ID, Text: "Restarted it, still down."},
	}
	if d := cmp.Diff(want, inc.Communications()); d != "" {
		t.Errorf("communications (-want +got):\n%s", d)
	}
	snap := ruleSnap(t, w, inc.ID)
	// Only the supplier holding the incident writes on it; the customer
	// writes only communications, and only its caller (or agents).
	neighbour := itsm.Actor{Organisation: w.city.ID, Person: "nina.neighbour"}
	for _, c := range []struct {
		a    itsm.Actor
		kind incident.EntryKind
		code itsm.Code
	}{
		{w.workAgent, incident.EntryCommunication, itsm.CodeNotFound},
		{w.user, incident.EntryWorkNote, itsm.CodeForbidden},
		{neighbour, incident.EntryCommunication, itsm.CodeForbidden},
	} {
		_, err := w.svc.Comment(w.ctx, c.a, inc.ID, c.kind, "hello")
		reqCode(t, err, c.code)
	}
	reqUnchanged(t, w, inc.ID, snap)
	w.must(w.svc.Reject(w.ctx, w.netAgent, inc.ID, "it is the clients"))
	_, err := w.svc.Comment(w.ctx, w.netAgent, inc.ID, incident.EntryCommunication, "calling the user again")
	reqCode(t, err, itsm.CodeForbidden)
}

func TestSD7RejectAndReRouteCountsPingPong(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	said := len(inc.Communications())
	w.clock.Advance(10 * time.Minute)
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	if inc.Reassignments != 0 || inc.PingPong != 0 {
		t.Fatalf("first delegation counted: %d reassignments, %d ping-pong", inc.Reassignments, inc.PingPong)
	}
	w.clock.Advance(20 * time.Minute)
	inc = w.must(w.svc.Reject(w.ctx, w.netAgent, inc.ID, "not a network fault"))
	rejectedAt := t0.Add(30 * time.Minute)
	if inc.State != incident.StateInProgress || inc.Holder != w.desk.ID || !inc.Group.IsZero() {
		t.Fatalf("after rejection: %s held by %s/%q", inc.State, inc.Holder, inc.Group)
	}
	if a := inc.Assignments[0]; a.Ended != rejectedAt || a.Rejected != "not a network fault" {
		t.Errorf("rejected assignment %+v", a)
	}

	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
	if inc.Reassignments != 1 || inc.PingPong != 0 || inc.Assignments[1].PingPong {
		t.Errorf("re-routed to a new supplier: %d reassignments, %d ping-pong", inc.Reassignments, inc.PingPong)
	}
	w.must(w.svc.Accept(w.ctx, w.workAgent, inc.ID))
	w.must(w.svc.Reject(w.ctx, w.workAgent, inc.ID, "the switch port is dead"))
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))
	if inc.Reassignments != 2 || inc.PingPong != 1 || !inc.Assignments[2].PingPong {
		t.Errorf("back to network: %d reassignments, %d ping-pong, assignment %+v", inc.Reassignments, inc.PingPong, inc.Assignments[2])
	}
	// The desk re-routes while a supplier holds it, without a rejection:
	// still a bounce.
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
	if inc.Reassignments != 3 || inc.PingPong != 2 || inc.Assignments[2].Ended.IsZero() || inc.Assignments[2].Rejected != "" {
		t.Errorf("re-routed from network to workplace: %d reassignments, %d ping-pong, network's %+v",
			inc.Reassignments, inc.PingPong, inc.Assignments[2])
	}
	// A move between the holder's own groups is a reassignment but not a
	// bounce between suppliers.
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("desktop")}))
	if inc.Reassignments != 4 || inc.PingPong != 2 {
		t.Errorf("moved between groups: %d reassignments, %d ping-pong", inc.Reassignments, inc.PingPong)
	}
	// Delegating to the group that already holds it is refused.
	snap := ruleSnap(t, w, inc.ID)
	_, err := w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("desktop")})
	reqCode(t, err, itsm.CodeConflict)
	reqUnchanged(t, w, inc.ID, snap)

	var flags []bool
	for _, d := range reqPayloads[incident.Delegated](t, w, inc.ID) {
		flags = append(flags, d.PingPong)
	}
	if want := []bool{false, false, true, true, false}; !slices.Equal(flags, want) {
		t.Errorf("ping-pong flags of the delegated events %v, want %v", flags, want)
	}
	// The user was not involved: nothing was said to them.
	if n := len(inc.Communications()); n != said {
		t.Errorf("%d communications after re-routing, want %d", n, said)
	}
}

func TestSD8MissedUpdateVisibleToTheDesk(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	inc = w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	// The network UC wants an update every 2h; none comes for 2h30m.
	w.clock.Advance(150 * time.Minute)
	now := w.clock.Now()
	up := w.clockOf(inc, "network UC", sla.MetricUpdate, now)
	if !up.Breached || up.Missed != 1 || up.Elapsed != 150*time.Minute || up.Due != t0.Add(2*time.Hour) {
		t.Fatalf("update clock %+v, want breached once at 2h", up)
	}
	breached := func(a itsm.Actor, provider itsm.ID) []string {
		t.Helper()
		page, err := w.svc.Due(w.ctx, a, incident.DueQuery{Provider: provider, To: w.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range page.Clocks {
			out = append(out, c.Incident.Number.String()+" "+string(c.Kind)+" "+string(c.Metric)+" "+c.Due.Sub(t0).String())
		}
		return out
	}
	want := []string{"INC0000001 UC update 2h0m0s"}
	for name, got := range map[string][]string{
		"the desk, per supplier":  breached(w.agent, w.network.ID),
		"the desk, all suppliers": breached(w.agent, itsm.ID{}),
		"the supplier, its own":   breached(w.netAgent, w.network.ID),
	} {
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("breached now as seen by %s (-want +got):\n%s", name, d)
		}
	}
	if got := breached(w.agent, w.work.ID); len(got) != 0 {
		t.Errorf("breached now for the workplace supplier, which holds nothing: %v", got)
	}

	// The update restarts the clock and moves its due time.
	inc = w.must(w.svc.Update(w.ctx, w.netAgent, inc.ID, "replacing the access point"))
	up = w.clockOf(inc, "network UC", sla.MetricUpdate, w.clock.Now())
	if up.Breached || up.Elapsed != 0 || up.Status != sla.StatusRunning || up.Due != now.Add(2*time.Hour) || up.Missed != 1 {
		t.Errorf("update clock after the update %+v, want running from zero, due in 2h, one missed before", up)
	}
	if got := breached(w.agent, w.network.ID); len(got) != 0 {
		t.Errorf("still breached after the update: %v", got)
	}
	page, err := w.svc.Due(w.ctx, w.agent, incident.DueQuery{Provider: w.network.ID, From: now, To: now.Add(2*time.Hour + time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Clocks) != 1 || page.Clocks[0].Metric != sla.MetricUpdate || !page.Clocks[0].Due.Equal(now.Add(2*time.Hour)) {
		t.Errorf("due within 2h after the update: %+v", page.Clocks)
	}
}

func TestSD9HistoryIsComplete(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	id := inc.ID
	type step struct {
		after time.Duration
		by    itsm.Actor
		typ   string
		do    func() (*incident.Incident, error)
	}
	steps := []step{
		{5 * time.Minute, w.agent, "incident.started", func() (*incident.Incident, error) { return w.svc.Start(w.ctx, w.agent, id) }},
		{time.Minute, w.user, "incident.commented", func() (*incident.Incident, error) {
			return w.svc.Comment(w.ctx, w.user, id, incident.EntryCommunication, "It is the gym too.")
		}},
		{4 * time.Minute, w.agent, "incident.delegated", func() (*incident.Incident, error) {
			return w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Note: "access points?"})
		}},
		{10 * time.Minute, w.netAgent, "incident.accepted", func() (*incident.Incident, error) { return w.svc.Accept(w.ctx, w.netAgent, id) }},
		{time.Minute, w.netAgent, "incident.referenced", func() (*incident.Incident, error) { return w.svc.SetReference(w.ctx, w.netAgent, id, "NET-1") }},
		{30 * time.Minute, w.netAgent, "incident.updated", func() (*incident.Incident, error) { return w.svc.Update(w.ctx, w.netAgent, id, "ordering a part") }},
		{5 * time.Minute, w.netAgent, "incident.waiting", func() (*incident.Incident, error) {
			return w.svc.Wait(w.ctx, w.netAgent, id, incident.WaitVendor, "part ordered")
		}},
		{2 * time.Hour, w.netAgent, "incident.resumed", func() (*incident.Incident, error) { return w.svc.Resume(w.ctx, w.netAgent, id, "part arrived") }},
		{30 * time.Minute, w.netAgent, "incident.resolved", func() (*incident.Incident, error) {
			return w.svc.ReportBack(w.ctx, w.netAgent, id, incident.Resolution{Code: "hardware", Text: "access point replaced"})
		}},
		{10 * time.Minute, w.agent, "incident.closed", func() (*incident.Incident, error) { return w.svc.Close(w.ctx, w.agent, id, "Fixed.") }},
	}
	wantTimes := []time.Time{t0}
	wantBy := []itsm.Actor{w.agent}
	wantTypes := []string{"incident.registered"}
	for _, s := range steps {
		w.clock.Advance(s.after)
		inc = w.must(s.do())
		wantTimes = append(wantTimes, w.clock.Now())
		wantBy = append(wantBy, s.by)
		wantTypes = append(wantTypes, s.typ)
		if !inc.Changed.Equal(w.clock.Now()) {
			t.Errorf("%s: changed at %s, want %s", s.typ, inc.Changed, w.clock.Now())
		}
	}

	events := w.events(id)
	if len(events) != len(wantTypes) {
		t.Fatalf("%d events for %d changes", len(events), len(wantTypes))
	}
	for i, e := range events {
		p, err := incident.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != wantTypes[i] || e.Kind != incident.Kind || e.Subject != id || !e.Time.Equal(wantTimes[i]) {
			t.Errorf("event %d: %s about %s %s at %s, want %s at %s", i, e.Type, e.Kind, e.Subject, e.Time, wantTypes[i], wantTimes[i])
		}
		if d := cmp.Diff(wantBy[i], p.Actor()); d != "" {
			t.Errorf("event %d (%s) actor (-want +got):\n%s", i, e.Type, d)
		}
		if i > 0 && e.Seq <= events[i-1].Seq {
			t.Errorf("event %d has seq %d after %d", i, e.Seq, events[i-1].Seq)
		}
	}
	for i, j := range inc.Journal {
		if j.Author == "" || j.Organisation.IsZero() || j.Time.IsZero() || j.Kind == "" {
			t.Errorf("journal entry %d lacks its author, organisation, time or kind: %+v", i, j)
		}
	}
	// Who held it, when, for how long.
	as := inc.Assignments
	if len(as) != 1 || as[0].Organisation != w.network.ID || as[0].Delegated != t0.Add(10*time.Minute) ||
		as[0].Accepted != t0.Add(20*time.Minute) || as[0].Ended != t0.Add(3*time.Hour+26*time.Minute) {
		t.Errorf("assignments %+v", as)
	}
	held := map[itsm.ID]time.Duration{}
	for i, iv := range inc.Timeline[:len(inc.Timeline)-1] {
		held[iv.Holder] += inc.Timeline[i+1].Start.Sub(iv.Start)
	}
	// The network keeps the resolved incident until the desk closes it, so
	// its holding runs to the close.
	if held[w.desk.ID] != 10*time.Minute || held[w.network.ID] != 3*time.Hour+26*time.Minute {
		t.Errorf("held: desk %s, network %s", held[w.desk.ID], held[w.network.ID])
	}
	replayed, err := incident.Replay(events)
	if err != nil {
		t.Fatal(err)
	}
	replayed.Version = inc.Version
	if d := cmp.Diff(inc, replayed); d != "" {
		t.Errorf("incident and replay differ (-stored +replayed):\n%s", d)
	}
}

func TestSD10AnotherDeskCannotTakeOver(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	theirs := w.must(w.svc.Register(w.ctx, w.other, reqRegistration(w, "mail server slow")))
	if theirs.Desk != w.otherDsk.ID {
		t.Fatalf("the other desk's incident belongs to %s", theirs.Desk)
	}
	snap := ruleSnap(t, w, inc.ID)
	fix := incident.Resolution{Code: "x", Text: "y"}
	for name, call := range map[string]func() error{
		"get":           func() error { _, err := w.svc.Get(w.ctx, w.other, inc.ID); return err },
		"get by number": func() error { _, err := w.svc.GetByNumber(w.ctx, w.other, inc.Number); return err },
		"start":         func() error { _, err := w.svc.Start(w.ctx, w.other, inc.ID); return err },
		"delegate":      func() error { _, err := w.svc.Delegate(w.ctx, w.other, inc.ID, incident.Delegation{}); return err },
		"resolve":       func() error { _, err := w.svc.Resolve(w.ctx, w.other, inc.ID, fix); return err },
		"close":         func() error { _, err := w.svc.Close(w.ctx, w.other, inc.ID, "closed"); return err },
		"cancel":        func() error { _, err := w.svc.Cancel(w.ctx, w.other, inc.ID, "ours now"); return err },
		"comment": func() error {
			_, err := w.svc.Comment(w.ctx, w.other, inc.ID, incident.EntryWorkNote, "ours")
			return err
		},
		"declare major":  func() error { _, err := w.svc.DeclareMajor(w.ctx, w.other, inc.ID, "big"); return err },
		"coordinate":     func() error { return w.svc.Coordinate(w.ctx, w.other, theirs.ID, inc.ID) },
		"coordinate (2)": func() error { return w.svc.Coordinate(w.ctx, w.agent, inc.ID, theirs.ID) },
	} {
		if err := call(); !itsm.IsCode(err, itsm.CodeNotFound) {
			t.Errorf("%s across desks: %v, want not found", name, err)
		}
	}
	reqUnchanged(t, w, inc.ID, snap)
	if ids := reqList(t, w, w.other, incident.Filter{}); !slices.Equal(ids, []itsm.ID{theirs.ID}) {
		t.Errorf("the other desk lists %v, want its own only", ids)
	}
	if ids := reqList(t, w, w.agent, incident.Filter{}); !slices.Equal(ids, []itsm.ID{inc.ID}) {
		t.Errorf("the desk lists %v, want its own only", ids)
	}
	// A desk is not a supplier: the incident cannot be handed to it.
	_, err := w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.otherDsk.ID})
	reqCode(t, err, itsm.CodeInvalid)
	if got := reqGet(t, w, inc.ID); got.Desk != w.desk.ID {
		t.Errorf("owned by %s", got.Desk)
	}
}

func TestSD11RoutingProposesTheDelegate(t *testing.T) {
	// The routes name the world's groups, which exist once the world does.
	w := newWorld(t)
	core := itsm.NewID()
	w.cfg.Routes = append(w.cfg.Routes,
		incident.Route{CI: core, Organisation: w.network.ID, Group: w.g("core")},
		incident.Route{Service: "school network", Organisation: w.work.ID, Group: w.g("school")})
	var err error
	if w.svc, err = incident.New(w.cfg); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name                           string
		service, category, subcategory string
		cis                            []itsm.ID
		org                            itsm.ID
		group                          string
	}{
		{"a configuration item beats a subcategory", "school network", "network", "wifi", []itsm.ID{core}, w.network.ID, "core"},
		{"a configuration item beats another category", "school network", "workplace", "", []itsm.ID{itsm.NewID(), core}, w.network.ID, "core"},
		{"a subcategory beats its category", "school network", "network", "wifi", nil, w.network.ID, "wifi"},
		{"a category beats a service", "school network", "network", "", nil, w.network.ID, "lan"},
		{"a service matches alone", "school network", "printing", "", nil, w.work.ID, "school"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reqRegistration(w, c.name)
			r.Service, r.Category, r.Subcategory, r.CIs = c.service, c.category, c.subcategory, c.cis
			inc, err := w.svc.Register(w.ctx, w.agent, r)
			if err != nil {
				t.Fatal(err)
			}
			if inc, err = w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}); err != nil {
				t.Fatal(err)
			}
			if inc.Holder != c.org || inc.Group != w.g(c.group) {
				t.Errorf("delegated to %s/%s, want %s/%q", inc.Holder, inc.Group, c.org, c.group)
			}
		})
	}
	t.Run("an explicit organisation overrides the proposal", func(t *testing.T) {
		inc := w.must(w.svc.Register(w.ctx, w.agent, reqRegistration(w, "explicit")))
		inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
		if inc.Holder != w.work.ID || inc.Group != w.g("clients") {
			t.Errorf("delegated to %s/%s", inc.Holder, inc.Group)
		}
	})
	t.Run("no matching rule", func(t *testing.T) {
		r := reqRegistration(w, "printer jam")
		r.Service, r.Category = "print", "printing"
		inc := w.must(w.svc.Register(w.ctx, w.agent, r))
		snap := ruleSnap(t, w, inc.ID)
		_, err := w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{})
		e := reqCode(t, err, itsm.CodeInvalid)
		if !strings.Contains(e.Error(), `"printing"`) {
			t.Errorf("error %q does not name the category", e)
		}
		reqUnchanged(t, w, inc.ID, snap)
	})
	t.Run("equally specific rules: the first listed", func(t *testing.T) {
		routes := []incident.Route{
			{Category: "network", Organisation: w.work.ID, Group: w.g("clients")},
			{Service: "s", Organisation: w.network.ID, Group: w.g("lan")},
			{Category: "network", Organisation: w.network.ID, Group: w.g("wifi")},
		}
		r, ok := incident.Propose(routes, &incident.Incident{Service: "s", Category: "network"}, itsm.ID{})
		if !ok || r.Group != w.g("clients") {
			t.Errorf("proposed %+v, %v", r, ok)
		}
		if _, ok := incident.Propose(routes, &incident.Incident{Category: "printing"}, itsm.ID{}); ok {
			t.Error("proposed a route for an incident no rule matches")
		}
	})
}

func TestSD13SupplierSeesOnlyWhatItHoldsOrHeld(t *testing.T) {
	w := newWorld(t)
	a := w.register("network incident")
	w.must(w.svc.Delegate(w.ctx, w.agent, a.ID, incident.Delegation{}))
	b := w.register("workplace incident")
	w.must(w.svc.Delegate(w.ctx, w.agent, b.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
	c := w.register("desk incident")
	noCustomer := reqRegistration(w, "internal incident")
	noCustomer.Customer = itsm.ID{}
	d := w.must(w.svc.Register(w.ctx, w.agent, noCustomer))

	for _, id := range []itsm.ID{b.ID, c.ID, d.ID} {
		if _, err := w.svc.Get(w.ctx, w.netAgent, id); !itsm.IsCode(err, itsm.CodeNotFound) {
			t.Errorf("the network gets an incident it never held: %v", err)
		}
	}
	if _, err := w.svc.GetByNumber(w.ctx, w.netAgent, b.Number); !itsm.IsCode(err, itsm.CodeNotFound) {
		t.Errorf("the network gets %s by number: %v", b.Number, err)
	}
	lists := []struct {
		name string
		a    itsm.Actor
		f    incident.Filter
		want []itsm.ID
	}{
		{"network, all", w.netAgent, incident.Filter{}, []itsm.ID{a.ID}},
		{"network, delegated", w.netAgent, incident.Filter{State: incident.StateDelegated}, []itsm.ID{a.ID}},
		{"network, by caller", w.netAgent, incident.Filter{Caller: w.user.Person}, []itsm.ID{a.ID}},
		{"network, held by workplace", w.netAgent, incident.Filter{Holder: w.work.ID}, nil},
		{"workplace, all", w.workAgent, incident.Filter{}, []itsm.ID{b.ID}},
		{"desk, all", w.agent, incident.Filter{}, []itsm.ID{d.ID, c.ID, b.ID, a.ID}},
		{"customer, its users' incidents", w.user, incident.Filter{}, []itsm.ID{c.ID, b.ID, a.ID}},
		{"customer, registered", w.user, incident.Filter{State: incident.StateRegistered}, []itsm.ID{c.ID}},
		{"customer, by caller", w.user, incident.Filter{Caller: w.user.Person}, []itsm.ID{c.ID, b.ID, a.ID}},
	}
	for _, l := range lists {
		if got := reqList(t, w, l.a, l.f); !slices.Equal(got, l.want) {
			t.Errorf("%s: listed %v, want %v", l.name, got, l.want)
		}
	}
	if _, err := w.svc.Get(w.ctx, w.user, d.ID); !itsm.IsCode(err, itsm.CodeNotFound) {
		t.Errorf("the customer gets an incident of no customer: %v", err)
	}
	// Clocks: a supplier asks only for its own.
	for _, q := range []incident.DueQuery{{Provider: w.network.ID}, {}} {
		_, err := w.svc.Due(w.ctx, w.workAgent, q)
		reqCode(t, err, itsm.CodeForbidden)
	}
	page, err := w.svc.Due(w.ctx, w.workAgent, incident.DueQuery{Provider: w.work.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range page.Clocks {
		if cl.Incident.ID != b.ID || cl.Provider != w.work.ID {
			t.Errorf("the workplace supplier sees clock %s of %s", cl.Metric, cl.Incident.Number)
		}
	}
	if len(page.Clocks) == 0 {
		t.Error("the workplace supplier sees none of its running clocks")
	}
	// Held, not holding: still visible, no longer to act on.
	w.must(w.svc.Reject(w.ctx, w.netAgent, a.ID, "not ours"))
	if _, err := w.svc.Get(w.ctx, w.netAgent, a.ID); err != nil {
		t.Errorf("the network no longer sees the incident it held: %v", err)
	}
	_, err = w.svc.Update(w.ctx, w.netAgent, a.ID, "still looking")
	reqCode(t, err, itsm.CodeForbidden)

	t.Run("an organisation without read access", func(t *testing.T) {
		// Organisation IDs are the same in every world, so the outer
		// world names them for the tune function.
		network, city := w.network.ID, w.city.ID
		w := newWorld(t, func(c *incident.Config) {
			c.Permissions.Revoke(network, itsm.DomainIncident, itsm.AccessRead)
			c.Permissions.Revoke(city, itsm.DomainIncident, itsm.AccessAll)
		})
		inc := w.register("school wifi down")
		w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
		for _, a := range []itsm.Actor{w.netAgent, w.user} {
			reads := map[string]error{}
			_, reads["get"] = w.svc.Get(w.ctx, a, inc.ID)
			_, reads["get by number"] = w.svc.GetByNumber(w.ctx, a, inc.Number)
			_, reads["list"] = w.svc.List(w.ctx, a, incident.Filter{})
			_, reads["due"] = w.svc.Due(w.ctx, a, incident.DueQuery{Provider: a.Organisation})
			for name, err := range reads {
				if !itsm.IsCode(err, itsm.CodeForbidden) {
					t.Errorf("%s as %s without read access: %v, want forbidden", name, a.Person, err)
				}
			}
		}
		_, err := w.svc.Comment(w.ctx, w.user, inc.ID, incident.EntryCommunication, "hello")
		reqCode(t, err, itsm.CodeForbidden)
		// Write access without read access acts on nothing: every command
		// returns the incident, so it would read what it may not.
		_, err = w.svc.Accept(w.ctx, w.netAgent, inc.ID)
		reqCode(t, err, itsm.CodeForbidden)
		if got := w.must(w.svc.Get(w.ctx, w.agent, inc.ID)); got.State != incident.StateDelegated {
			t.Errorf("a refused accept changed the incident to %s", got.State)
		}
	})
}

func TestIM1LifecycleOwnedByTheDesk(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	id := inc.ID
	seen := map[itsm.State]bool{inc.State: true}
	fix := incident.Resolution{Code: "hardware", Text: "replaced"}
	// Linked to a problem, so that the supplier may wait for it.
	w.must(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.LinkProblem(w.ctx, tx, w.agent, id, itsm.NewID(), false)
	}))
	steps := []struct {
		do     func() (*incident.Incident, error)
		state  itsm.State
		holder itsm.ID
	}{
		{func() (*incident.Incident, error) { return w.svc.Start(w.ctx, w.agent, id) }, incident.StateInProgress, w.desk.ID},
		{func() (*incident.Incident, error) { return w.svc.Wait(w.ctx, w.agent, id, incident.WaitUser, "") }, incident.StateWaitingUser, w.desk.ID},
		{func() (*incident.Incident, error) { return w.svc.Resume(w.ctx, w.agent, id, "") }, incident.StateInProgress, w.desk.ID},
		{func() (*incident.Incident, error) { return w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{}) }, incident.StateDelegated, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Accept(w.ctx, w.netAgent, id) }, incident.StateInProgress, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Wait(w.ctx, w.netAgent, id, incident.WaitVendor, "") }, incident.StateWaitingVendor, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Resume(w.ctx, w.netAgent, id, "") }, incident.StateInProgress, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Wait(w.ctx, w.netAgent, id, incident.WaitChange, "") }, incident.StateWaitingChange, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Resume(w.ctx, w.netAgent, id, "") }, incident.StateInProgress, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Wait(w.ctx, w.netAgent, id, incident.WaitProblem, "") }, incident.StateWaitingProblem, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.ReportBack(w.ctx, w.netAgent, id, fix) }, incident.StateResolved, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Close(w.ctx, w.agent, id, "fixed") }, incident.StateClosed, w.network.ID},
		{func() (*incident.Incident, error) { return w.svc.Reopen(w.ctx, w.agent, id, "back again") }, incident.StateInProgress, w.desk.ID},
		{func() (*incident.Incident, error) { return w.svc.Resolve(w.ctx, w.agent, id, fix) }, incident.StateResolved, w.desk.ID},
		{func() (*incident.Incident, error) { return w.svc.Close(w.ctx, w.agent, id, "fixed again") }, incident.StateClosed, w.desk.ID},
	}
	for i, s := range steps {
		w.clock.Advance(time.Minute)
		inc = w.must(s.do())
		if inc.State != s.state || inc.Holder != s.holder || inc.Desk != w.desk.ID {
			t.Fatalf("step %d: %s held by %s, owned by %s; want %s held by %s, owned by the desk",
				i, inc.State, inc.Holder, inc.Desk, s.state, s.holder)
		}
		seen[inc.State] = true
	}
	if inc.Reopened != 1 || inc.Outcome.FirstContact {
		t.Errorf("reopened %d times, outcome %+v", inc.Reopened, inc.Outcome)
	}
	other := w.register("duplicate")
	other = w.must(w.svc.Cancel(w.ctx, w.agent, other.ID, "duplicate of "+inc.Number.String()))
	seen[other.State] = true
	for _, s := range incident.States() {
		if !seen[s] {
			t.Errorf("state %s was not reached", s)
		}
	}
	// Nothing but reopening changes a closed incident, and only within the
	// window.
	w.clock.Advance(incident.DefaultReopenWindow + time.Second)
	snap := ruleSnap(t, w, id)
	_, err := w.svc.Reopen(w.ctx, w.agent, id, "too late")
	reqCode(t, err, itsm.CodeConflict)
	_, err = w.svc.Reopen(w.ctx, w.agent, other.ID, "cancelled")
	reqCode(t, err, itsm.CodeConflict)
	reqUnchanged(t, w, id, snap)

	t.Run("a configured reopen window", func(t *testing.T) {
		w := newWorld(t, func(c *incident.Config) { c.ReopenWindow = time.Hour })
		inc := w.register("cannot print")
		w.must(w.svc.Resolve(w.ctx, w.agent, inc.ID, fix))
		w.clock.Advance(2 * time.Hour)
		w.must(w.svc.Reopen(w.ctx, w.agent, inc.ID, "resolved, not closed: no window"))
		w.must(w.svc.Resolve(w.ctx, w.agent, inc.ID, fix))
		w.must(w.svc.Close(w.ctx, w.agent, inc.ID, "fixed"))
		w.clock.Advance(time.Hour)
		w.must(w.svc.Reopen(w.ctx, w.agent, inc.ID, "within the hour after the closure"))
		w.must(w.svc.Resolve(w.ctx, w.agent, inc.ID, fix))
		w.must(w.svc.Close(w.ctx, w.agent, inc.ID, "fixed"))
		w.clock.Advance(time.Hour + time.Nanosecond)
		_, err := w.svc.Reopen(w.ctx, w.agent, inc.ID, "too late")
		reqCode(t, err, itsm.CodeConflict)
	})
}

func TestIM2PriorityFromTheMatrix(t *testing.T) {
	t.Run("the configured matrix", func(t *testing.T) {
		itil := itsm.ITILMatrix()
		for _, c := range []struct {
			name   string
			matrix *itsm.Matrix
			want   [3][3]itsm.Priority // [impact-1][urgency-1]
		}{
			{"four levels", nil, [3][3]itsm.Priority{{1, 2, 3}, {2, 3, 4}, {3, 4, 4}}},
			{"five levels", &itil, [3][3]itsm.Priority{{1, 2, 3}, {2, 3, 4}, {3, 4, 5}}},
		} {
			w := newWorld(t, func(cfg *incident.Config) {
				if c.matrix != nil {
					cfg.Matrix = *c.matrix
				}
			})
			for i := range 3 {
				for u := range 3 {
					r := reqRegistration(w, "matrix cell")
					r.Impact, r.Urgency = itsm.Impact(i+1), itsm.Urgency(u+1)
					inc := w.must(w.svc.Register(w.ctx, w.agent, r))
					if inc.Priority != c.want[i][u] || inc.Timeline[0].Priority != c.want[i][u] {
						t.Errorf("%s: impact %s, urgency %s gave %s, want %s", c.name, r.Impact, r.Urgency, inc.Priority, c.want[i][u])
					}
				}
			}
			for _, iu := range [][2]int{{0, 1}, {1, 4}, {4, 1}} {
				r := reqRegistration(w, "off the matrix")
				r.Impact, r.Urgency = itsm.Impact(iu[0]), itsm.Urgency(iu[1])
				_, err := w.svc.Register(w.ctx, w.agent, r)
				reqCode(t, err, itsm.CodeInvalid)
			}
		}
	})
	t.Run("a priority change re-measures from the history", func(t *testing.T) {
		w := newWorld(t)
		inc := w.register("school wifi down")
		w.clock.Advance(3 * time.Hour)
		now := w.clock.Now()
		old := w.clockOf(inc, "city SLA", sla.MetricResolution, now)
		if old.Target != 24*time.Hour || old.Elapsed != 3*time.Hour {
			t.Fatalf("P3 resolution clock %+v", old)
		}
		inc = w.must(w.svc.Reprioritise(w.ctx, w.agent, inc.ID, itsm.ImpactHigh, itsm.UrgencyHigh, "the whole school"))
		if inc.Priority != 1 || inc.Impact != itsm.ImpactHigh || inc.Urgency != itsm.UrgencyHigh {
			t.Fatalf("reprioritised to %s", inc.Priority)
		}
		res := w.clockOf(inc, "city SLA", sla.MetricResolution, now)
		if res.Priority != 1 || res.Target != 4*time.Hour || res.Elapsed != 3*time.Hour || res.Remaining != time.Hour ||
			res.Due != t0.Add(4*time.Hour) || res.Status != sla.StatusRunning {
			t.Errorf("P1 resolution clock %+v, want 3h of 4h, due at 4h", res)
		}
		// The response target for P1 is 1h: 3h unanswered is a breach.
		resp := w.clockOf(inc, "city SLA", sla.MetricResponse, now)
		if !resp.Breached || resp.Elapsed != 3*time.Hour || resp.Target != time.Hour {
			t.Errorf("P1 response clock %+v, want breached", resp)
		}
		// Measured at a moment before the change, the clock is as it was.
		then := w.clockOf(inc, "city SLA", sla.MetricResolution, t0.Add(time.Hour))
		if then.Priority != 3 || then.Target != 24*time.Hour || then.Elapsed != time.Hour {
			t.Errorf("resolution clock at 1h %+v, want P3 at 1h of 24h", then)
		}
		// The due index follows: it breaches within the next 61 minutes.
		page, err := w.svc.Due(w.ctx, w.agent, incident.DueQuery{From: now, To: now.Add(61 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Clocks) != 1 || page.Clocks[0].Metric != sla.MetricResolution || !page.Clocks[0].Due.Equal(t0.Add(4*time.Hour)) {
			t.Errorf("due within the hour after raising to P1: %+v", page.Clocks)
		}
		snap := ruleSnap(t, w, inc.ID)
		_, err = w.svc.Reprioritise(w.ctx, w.agent, inc.ID, itsm.ImpactHigh, itsm.UrgencyHigh, "again")
		reqCode(t, err, itsm.CodeConflict)
		_, err = w.svc.Reprioritise(w.ctx, w.agent, inc.ID, itsm.ImpactHigh, 4, "off the matrix")
		reqCode(t, err, itsm.CodeInvalid)
		reqUnchanged(t, w, inc.ID, snap)
	})
}

func TestIM3CoordinatedIncidents(t *testing.T) {
	w := newWorld(t)
	parent := w.register("school network down")
	c1 := w.register("wifi down in the gym")
	c2 := w.register("wifi down in the library")
	x := w.register("printer jam")
	w.clock.Advance(time.Minute)
	if err := w.svc.Coordinate(w.ctx, w.agent, parent.ID, c1.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Coordinate(w.ctx, w.agent, parent.ID, c2.ID); err != nil {
		t.Fatal(err)
	}
	p := reqGet(t, w, parent.ID)
	if !slices.Equal(p.Children, []itsm.ID{c1.ID, c2.ID}) || !p.Parent.IsZero() {
		t.Errorf("parent's children %v, parent %v", p.Children, p.Parent)
	}
	for _, c := range []itsm.ID{c1.ID, c2.ID} {
		if got := reqGet(t, w, c); got.Parent != parent.ID {
			t.Errorf("child %s has parent %v", got.Number, got.Parent)
		}
	}
	if got := reqList(t, w, w.agent, incident.Filter{Parent: parent.ID}); !slices.Equal(got, []itsm.ID{c2.ID, c1.ID}) {
		t.Errorf("children listed %v", got)
	}
	if n := len(reqPayloads[incident.Coordinated](t, w, parent.ID)); n != 2 {
		t.Errorf("%d coordinated events on the parent, want 2", n)
	}
	if n := len(reqPayloads[incident.Coordinated](t, w, c1.ID)); n != 1 {
		t.Errorf("%d coordinated events on the child, want 1", n)
	}

	// One level only, and each link once.
	before := ruleLogLen(t, w)
	for _, c := range []struct {
		name          string
		parent, child itsm.ID
		code          itsm.Code
	}{
		{"a child as a parent", c1.ID, x.ID, itsm.CodeConflict},
		{"a parent as a child", x.ID, parent.ID, itsm.CodeConflict},
		{"the same link twice", parent.ID, c1.ID, itsm.CodeConflict},
		{"a child of another parent", x.ID, c2.ID, itsm.CodeConflict},
		{"its own parent", x.ID, x.ID, itsm.CodeInvalid},
		{"an unknown parent", itsm.NewID(), x.ID, itsm.CodeNotFound},
	} {
		err := w.svc.Coordinate(w.ctx, w.agent, c.parent, c.child)
		if !itsm.IsCode(err, c.code) {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if n := ruleLogLen(t, w); n != before {
		t.Errorf("refused coordinations wrote %d events", n-before)
	}
	// Only the desk coordinates.
	w.must(w.svc.Delegate(w.ctx, w.agent, x.ID, incident.Delegation{}))
	w.must(w.svc.Delegate(w.ctx, w.agent, parent.ID, incident.Delegation{}))
	reqCode(t, w.svc.Coordinate(w.ctx, w.netAgent, parent.ID, x.ID), itsm.CodeForbidden)

	// The same cause: linked to one problem, through the problem (in its
	// transaction, as package problem does), and listed by it.
	problem := itsm.NewID()
	for _, id := range []itsm.ID{parent.ID, c1.ID, c2.ID} {
		w.must(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.LinkProblem(w.ctx, tx, w.agent, id, problem, false)
		}))
	}
	if got := reqList(t, w, w.agent, incident.Filter{Problem: problem}); !slices.Equal(got, []itsm.ID{c2.ID, c1.ID, parent.ID}) {
		t.Errorf("listed by problem %v", got)
	}
	// Relate keeps the link as it is and no longer changes it.
	w.must(w.svc.Relate(w.ctx, w.agent, c1.ID, []itsm.ID{itsm.NewID()}, problem))
	reqCode(t, ruleDiscard(w.svc.Relate(w.ctx, w.agent, c2.ID, nil, itsm.ID{})), itsm.CodeInvalid)
	w.must(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.UnlinkProblem(w.ctx, tx, w.agent, c2.ID, problem)
	}))
	if got := reqList(t, w, w.agent, incident.Filter{Problem: problem}); !slices.Equal(got, []itsm.ID{c1.ID, parent.ID}) {
		t.Errorf("listed by problem after unlinking %v", got)
	}
	// The consolidated view: every incident of the delivery, for the desk.
	if got := reqList(t, w, w.agent, incident.Filter{}); len(got) != 4 {
		t.Errorf("the desk lists %d incidents, want 4", len(got))
	}
}

func TestIM4MajorIncident(t *testing.T) {
	recipients := func(ms []incident.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.To.Person+" "+m.To.Channel+" "+m.To.Address)
		}
		return out
	}
	t.Run("declare and stand down", func(t *testing.T) {
		w := newWorld(t)
		inc := w.register("school network down")
		w.clock.Advance(time.Hour)
		inc = w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
		if !inc.Major || inc.MajorManager != "mona.manager" {
			t.Fatalf("declared: major %v, manager %q", inc.Major, inc.MajorManager)
		}
		// The manager on duty, the contacts of every service and those of
		// the incident's service, each on its own channel.
		want := []string{"mona.manager sms +46700000001", "dave.delivery email dave@desk.example", "sara.school sms +46700000002"}
		msgs := w.sent.messages()
		if d := cmp.Diff(want, recipients(msgs)); d != "" {
			t.Fatalf("notified (-want +got):\n%s", d)
		}
		for _, m := range msgs {
			if m.Incident != inc.ID || m.Number != inc.Number || !m.Time.Equal(t0.Add(time.Hour)) ||
				!strings.HasPrefix(m.Subject, "Major incident INC0000001") || !strings.Contains(m.Text, "major-incident manager mona.manager") {
				t.Errorf("message %+v", m)
			}
		}
		if msgs[0].To.Role != itsm.RoleMajorIncidentManager {
			t.Errorf("the manager is notified as %q", msgs[0].To.Role)
		}
		// What was sent is part of the incident's history.
		var notes []string
		for _, e := range inc.Journal {
			if e.Kind == incident.EntryNotification {
				notes = append(notes, e.Text)
			}
		}
		if len(notes) != 3 || !strings.Contains(notes[0], "mona.manager") || !strings.Contains(notes[2], "+46700000002") {
			t.Errorf("notification entries %q", notes)
		}
		if n := len(reqPayloads[incident.Notified](t, w, inc.ID)); n != 3 {
			t.Errorf("%d notified events, want 3", n)
		}
		if got := reqList(t, w, w.agent, incident.Filter{Major: true}); !slices.Equal(got, []itsm.ID{inc.ID}) {
			t.Errorf("major incidents %v", got)
		}
		_, err := w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "twice")
		reqCode(t, err, itsm.CodeConflict)
		_, err = w.svc.DeclareMajor(w.ctx, w.netAgent, inc.ID, "by a supplier")
		reqCode(t, err, itsm.CodeNotFound)

		w.clock.Advance(2 * time.Hour)
		inc = w.must(w.svc.StandDown(w.ctx, w.agent, inc.ID, "schools back on line"))
		if inc.Major || inc.MajorManager != "" {
			t.Errorf("stood down: major %v, manager %q", inc.Major, inc.MajorManager)
		}
		msgs = w.sent.messages()[3:]
		if d := cmp.Diff(want, recipients(msgs)); d != "" {
			t.Errorf("notified of the stand-down (-want +got):\n%s", d)
		}
		if len(msgs) > 0 && !strings.Contains(msgs[0].Subject, "stood down") {
			t.Errorf("stand-down subject %q", msgs[0].Subject)
		}
		if got := reqList(t, w, w.agent, incident.Filter{Major: true}); len(got) != 0 {
			t.Errorf("major incidents after the stand-down %v", got)
		}
		_, err = w.svc.StandDown(w.ctx, w.agent, inc.ID, "twice")
		reqCode(t, err, itsm.CodeConflict)
	})
	t.Run("the roster decides who leads", func(t *testing.T) {
		w := newWorld(t, func(c *incident.Config) {
			c.Major.Roster = append(c.Major.Roster, incident.Duty{Person: "pia.swap", Channel: "sms", Address: "+46700000009",
				From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)})
		})
		for _, c := range []struct {
			at   time.Duration
			want string
		}{
			{30 * time.Minute, "mona.manager"},
			{90 * time.Minute, "pia.swap"}, // a swap on top of the regular rota
			{2 * time.Hour, "mona.manager"},
			{8 * 24 * time.Hour, ""}, // nobody on duty
		} {
			w.clock.Set(t0.Add(c.at))
			inc := w.register("outage")
			inc = w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "outage"))
			if inc.MajorManager != c.want {
				t.Errorf("at %s: led by %q, want %q", c.at, inc.MajorManager, c.want)
			}
		}
	})
	t.Run("contacts of another service are not told", func(t *testing.T) {
		w := newWorld(t)
		r := reqRegistration(w, "mail down")
		r.Service = "e-mail"
		inc := w.must(w.svc.Register(w.ctx, w.agent, r))
		w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "nobody gets mail"))
		want := []string{"mona.manager sms +46700000001", "dave.delivery email dave@desk.example"}
		if d := cmp.Diff(want, recipients(w.sent.messages())); d != "" {
			t.Errorf("notified (-want +got):\n%s", d)
		}
	})
	t.Run("a failed delivery is recorded", func(t *testing.T) {
		w := newWorld(t)
		w.sent.fail = errors.New("sms gateway unreachable")
		inc := w.register("school network down")
		w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
		var failed []string
		for _, n := range reqPayloads[incident.Notified](t, w, inc.ID) {
			if n.Error != "" {
				failed = append(failed, n.Recipient+": "+n.Error)
			}
		}
		want := []string{"mona.manager: sms gateway unreachable", "dave.delivery: sms gateway unreachable", "sara.school: sms gateway unreachable"}
		if d := cmp.Diff(want, failed); d != "" {
			t.Errorf("failed deliveries (-want +got):\n%s", d)
		}
		got := reqGet(t, w, inc.ID)
		undelivered := 0
		for _, e := range got.Journal {
			if e.Kind == incident.EntryNotification && strings.Contains(e.Text, "not delivered: sms gateway unreachable") {
				undelivered++
			}
		}
		if undelivered != 3 || !got.Major {
			t.Errorf("%d undelivered entries in the journal, major %v", undelivered, got.Major)
		}
	})
	t.Run("the log notifier keeps messages in the store", func(t *testing.T) {
		w := newWorld(t, func(c *incident.Config) { c.Major.Notifier = incident.LogNotifier{Store: c.Store} })
		inc := w.register("school network down")
		w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
		var got []string
		err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
			es, err := tx.Events(0, itsm.MaxLimit)
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.Type != incident.NotificationEvent {
					continue
				}
				var m incident.Message
				if err := json.Unmarshal(e.Data, &m); err != nil {
					return err
				}
				if m.Incident != inc.ID {
					t.Errorf("message about %s", m.Incident)
				}
				got = append(got, m.To.Person)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"mona.manager", "dave.delivery", "sara.school"}; !slices.Equal(got, want) {
			t.Errorf("logged messages to %v, want %v", got, want)
		}
	})
}

func TestIM5PriorityOneAndTwoEscalate(t *testing.T) {
	w := newWorld(t)
	register := func(i itsm.Impact, u itsm.Urgency) *incident.Incident {
		r := reqRegistration(w, "escalation test")
		r.Impact, r.Urgency = i, u
		return w.must(w.svc.Register(w.ctx, w.agent, r))
	}
	count := func() int { return len(w.sent.messages()) }

	p1 := register(itsm.ImpactHigh, itsm.UrgencyHigh)
	msgs := w.sent.messages()
	if len(msgs) != 1 || msgs[0].To.Person != "dave.delivery" || msgs[0].To.Role != itsm.RoleDeliveryManager ||
		msgs[0].Priority != 1 || !strings.HasPrefix(msgs[0].Subject, "P1 incident "+p1.Number.String()) {
		t.Fatalf("registering a P1 sent %+v", msgs)
	}
	ns := reqPayloads[incident.Notified](t, w, p1.ID)
	if len(ns) != 1 || ns[0].Role != itsm.RoleDeliveryManager || ns[0].Error != "" {
		t.Errorf("notified events of the P1: %+v", ns)
	}
	register(itsm.ImpactHigh, itsm.UrgencyMedium)
	if n := count(); n != 2 {
		t.Errorf("registering a P2: %d messages in all, want 2", n)
	}
	p3 := register(itsm.ImpactMedium, itsm.UrgencyMedium)
	if n := count(); n != 2 {
		t.Errorf("registering a P3: %d messages in all, want 2", n)
	}
	if n := len(reqPayloads[incident.Notified](t, w, p3.ID)); n != 0 {
		t.Errorf("the P3 has %d notified events", n)
	}
	for _, c := range []struct {
		i    itsm.Impact
		u    itsm.Urgency
		want int // messages in all after the change
	}{
		{itsm.ImpactLow, itsm.UrgencyLow, 2},     // P3 to P4: less urgent
		{itsm.ImpactHigh, itsm.UrgencyMedium, 3}, // P4 to P2
		{itsm.ImpactHigh, itsm.UrgencyHigh, 4},   // P2 to P1
		{itsm.ImpactMedium, itsm.UrgencyHigh, 4}, // P1 to P2: less urgent
		{itsm.ImpactLow, itsm.UrgencyLow, 4},     // P2 to P4
	} {
		inc := w.must(w.svc.Reprioritise(w.ctx, w.agent, p3.ID, c.i, c.u, "re-assessed"))
		if n := count(); n != c.want {
			t.Errorf("to %s: %d messages in all, want %d", inc.Priority, n, c.want)
		}
	}

	t.Run("no escalation configured", func(t *testing.T) {
		w := newWorld(t, func(c *incident.Config) { c.Major.Escalation = nil })
		r := reqRegistration(w, "P1 without escalation")
		r.Impact, r.Urgency = itsm.ImpactHigh, itsm.UrgencyHigh
		inc := w.must(w.svc.Register(w.ctx, w.agent, r))
		if n := len(w.sent.messages()); n != 0 || len(inc.Journal) != 1 {
			t.Errorf("%d messages, %d journal entries", n, len(inc.Journal))
		}
	})
}

func TestIM6ConfigurationItems(t *testing.T) {
	w := newWorld(t)
	ap, sw, fw := itsm.NewID(), itsm.NewID(), itsm.NewID()
	r := reqRegistration(w, "school wifi down")
	r.CIs = []itsm.ID{ap, sw}
	inc := w.must(w.svc.Register(w.ctx, w.agent, r))
	other := w.register("printer jam")
	if !slices.Equal(inc.CIs, []itsm.ID{ap, sw}) {
		t.Fatalf("registered with CIs %v", inc.CIs)
	}
	if got := reqList(t, w, w.agent, incident.Filter{CI: sw}); !slices.Equal(got, []itsm.ID{inc.ID}) {
		t.Errorf("listed by CI %v", got)
	}
	// Relate replaces the items.
	inc = w.must(w.svc.Relate(w.ctx, w.agent, inc.ID, []itsm.ID{fw}, itsm.ID{}))
	w.must(w.svc.Relate(w.ctx, w.agent, other.ID, []itsm.ID{fw, ap}, itsm.ID{}))
	if !slices.Equal(inc.CIs, []itsm.ID{fw}) {
		t.Errorf("related CIs %v", inc.CIs)
	}
	for _, c := range []struct {
		ci   itsm.ID
		want []itsm.ID
	}{
		{sw, nil},
		{ap, []itsm.ID{other.ID}},
		{fw, []itsm.ID{other.ID, inc.ID}},
	} {
		if got := reqList(t, w, w.agent, incident.Filter{CI: c.ci}); !slices.Equal(got, c.want) {
			t.Errorf("listed by CI %s: %v, want %v", c.ci, got, c.want)
		}
	}
	// The supplier gets the items with the handover.
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	if ds := reqPayloads[incident.Delegated](t, w, inc.ID); len(ds) != 1 || !slices.Equal(ds[0].Handover.CIs, []itsm.ID{fw}) {
		t.Errorf("handover CIs %+v", ds)
	}
	// The supplier lists by CI only what it holds.
	if got := reqList(t, w, w.netAgent, incident.Filter{CI: fw}); !slices.Equal(got, []itsm.ID{inc.ID}) {
		t.Errorf("the supplier lists by CI %v", got)
	}
	inc = w.must(w.svc.Relate(w.ctx, w.agent, inc.ID, nil, itsm.ID{}))
	if len(inc.CIs) != 0 {
		t.Errorf("CIs after clearing %v", inc.CIs)
	}
	snap := ruleSnap(t, w, inc.ID)
	many := make([]itsm.ID, 65)
	for i := range many {
		many[i] = itsm.NewID()
	}
	for name, cis := range map[string][]itsm.ID{
		"zero":       {ap, {}},
		"twice":      {ap, sw, ap},
		"too many":   many,
		"zero alone": {{}},
	} {
		_, err := w.svc.Relate(w.ctx, w.agent, inc.ID, cis, itsm.ID{})
		if !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("relate %s: %v, want invalid", name, err)
		}
		r := reqRegistration(w, "bad CIs")
		r.CIs = cis
		if _, err := w.svc.Register(w.ctx, w.agent, r); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("register %s: %v, want invalid", name, err)
		}
	}
	reqUnchanged(t, w, inc.ID, snap)
}

// The customer's SLA measures the whole chain; each supplier's UC measures
// only the intervals in which that supplier held the incident.
func TestSL1ClocksPerLinkOfTheChain(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down") // P3, at t0
	id := inc.ID
	m := time.Minute
	for _, s := range []struct {
		after time.Duration
		do    func() (*incident.Incident, error)
	}{
		{10 * m, func() (*incident.Incident, error) { return w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{}) }},
		{20 * m, func() (*incident.Incident, error) { return w.svc.Accept(w.ctx, w.netAgent, id) }},
		{60 * m, func() (*incident.Incident, error) { return w.svc.Reject(w.ctx, w.netAgent, id, "the clients") }},
		{5 * m, func() (*incident.Incident, error) {
			return w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")})
		}},
		{15 * m, func() (*incident.Incident, error) { return w.svc.Accept(w.ctx, w.workAgent, id) }},
		{120 * m, func() (*incident.Incident, error) {
			return w.svc.ReportBack(w.ctx, w.workAgent, id, incident.Resolution{Code: "config", Text: "driver updated"})
		}},
		{30 * m, func() (*incident.Incident, error) { return w.svc.Close(w.ctx, w.agent, id, "Fixed.") }},
	} {
		w.clock.Advance(s.after)
		inc = w.must(s.do())
	}
	// Hand computed: the desk held it 10m + 5m; the network 20m delegated +
	// 60m accepted, until its rejection at 1h30m; the workplace 15m
	// delegated + 120m accepted, until its report-back at 3h50m.
	end := w.clock.Now()
	cases := []struct {
		agreement string
		metric    sla.Metric
		at        time.Time
		elapsed   time.Duration
		status    sla.Status
	}{
		{"city SLA", sla.MetricResolution, end, 230 * m, sla.StatusStopped},
		{"city SLA", sla.MetricResponse, end, 10 * m, sla.StatusStopped},
		{"network UC", sla.MetricResolution, end, 80 * m, sla.StatusIdle},
		{"network UC", sla.MetricResponse, end, 20 * m, sla.StatusStopped},
		{"network UC", sla.MetricUpdate, end, 80 * m, sla.StatusIdle},
		{"workplace UC", sla.MetricResolution, end, 135 * m, sla.StatusStopped},
		{"workplace UC", sla.MetricResponse, end, 15 * m, sla.StatusStopped},
		{"workplace UC", sla.MetricUpdate, end, 135 * m, sla.StatusStopped},
		// While the network held it, its clock ran with the SLA's.
		{"city SLA", sla.MetricResolution, t0.Add(60 * m), 60 * m, sla.StatusRunning},
		{"network UC", sla.MetricResolution, t0.Add(60 * m), 50 * m, sla.StatusRunning},
		{"workplace UC", sla.MetricResolution, t0.Add(60 * m), 0, sla.StatusIdle},
		// While the workplace held it, the network's stood still.
		{"network UC", sla.MetricResolution, t0.Add(3 * time.Hour), 80 * m, sla.StatusIdle},
		{"workplace UC", sla.MetricResolution, t0.Add(3 * time.Hour), 85 * m, sla.StatusRunning},
	}
	for _, c := range cases {
		got := w.clockOf(inc, c.agreement, c.metric, c.at)
		if got.Elapsed != c.elapsed || got.Status != c.status || got.Priority != 3 {
			t.Errorf("%s %s at %s: %s %s at %s, want %s %s", c.agreement, c.metric, c.at.Sub(t0),
				got.Elapsed, got.Status, got.Priority, c.elapsed, c.status)
		}
	}
	clocks, err := w.svc.Clocks(inc, end)
	if err != nil {
		t.Fatal(err)
	}
	providers := map[string]itsm.ID{"city SLA": w.desk.ID, "network UC": w.network.ID, "workplace UC": w.work.ID}
	var links time.Duration
	for _, c := range clocks {
		if c.Provider != providers[c.Agreement] {
			t.Errorf("%s answered for by %s", c.Agreement, c.Provider)
		}
		if c.Metric == sla.MetricResolution && c.Kind == sla.KindUC {
			links += c.Elapsed
		}
	}
	if len(clocks) != 8 {
		t.Errorf("%d clocks, want 8 (SLA response and resolution, three per UC)", len(clocks))
	}
	// The links of the chain and the desk's own 15 minutes add up to the
	// end-to-end time.
	if links+15*m != 230*m {
		t.Errorf("the UCs measured %s in all, want 215m", links)
	}

	// A supplier that never held an incident has no clock on it.
	only := w.register("resolved at the desk")
	w.clock.Advance(m)
	only = w.must(w.svc.Resolve(w.ctx, w.agent, only.ID, incident.Resolution{Code: "advice", Text: "done"}))
	clocks, err = w.svc.Clocks(only, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clocks {
		if c.Agreement != "city SLA" {
			t.Errorf("an incident no supplier held has a clock of %s", c.Agreement)
		}
	}
	if len(clocks) != 2 {
		t.Errorf("%d clocks of an incident the desk resolved alone, want the SLA's 2", len(clocks))
	}
}
