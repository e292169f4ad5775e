package incident_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// chainOnly marks every text of viewWorld that is internal to the support
// chain, so that a test can look for it in whatever the customer reads.
const chainOnly = "CHAIN-ONLY"

// viewWorld is the world with a supplier that never holds the incident and
// a second customer, and one incident that went through every kind of
// journal entry: registered for the city, told the user, a work note of the
// desk, delegated to the workplace supplier with a note, its work note and
// its rejection, re-routed to the network supplier, which records its
// reference, reports status, waits, resumes, writes a work note and calls
// the user; the user answers; the desk declares a major incident (which
// notifies its contacts). It is still open, so its clocks run.
func viewWorld(t *testing.T) (w *world, stranger, neighbour itsm.Organisation, inc *incident.Incident) {
	t.Helper()
	stranger = itsm.Organisation{ID: fixedID(6), Name: "Stranger supplier", Role: itsm.OrgSupplier}
	neighbour = itsm.Organisation{ID: fixedID(7), Name: "Neighbour municipality", Role: itsm.OrgCustomer}
	w = newWorld(t, func(c *incident.Config) {
		for _, o := range []itsm.Organisation{stranger, neighbour} {
			c.Directory.(incident.Organisations)[o.ID] = o
			c.Permissions.Grant(o.ID, itsm.DomainIncident, itsm.AccessAll)
		}
	})
	inc = w.register("school wifi down")
	id := inc.ID
	step := func(f func() (*incident.Incident, error)) {
		t.Helper()
		w.clock.Advance(time.Minute)
		inc = w.must(f())
	}
	step(func() (*incident.Incident, error) {
		return w.svc.Comment(w.ctx, w.agent, id, incident.EntryCommunication, "We are on it.")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Comment(w.ctx, w.agent, id, incident.EntryWorkNote, chainOnly+" desk: the core switch again")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients"), Note: chainOnly + " desk to workplace: check the clients"})
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Comment(w.ctx, w.workAgent, id, incident.EntryWorkNote, chainOnly+" workplace: the clients are fine")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Reject(w.ctx, w.workAgent, id, chainOnly+" workplace rejects: it is the network")
	})
	step(func() (*incident.Incident, error) { return w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{}) })
	step(func() (*incident.Incident, error) { return w.svc.Accept(w.ctx, w.netAgent, id) })
	step(func() (*incident.Incident, error) {
		return w.svc.SetReference(w.ctx, w.netAgent, id, chainOnly+"-4711")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Update(w.ctx, w.netAgent, id, chainOnly+" network status: replacing a switch")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Wait(w.ctx, w.netAgent, id, incident.WaitVendor, chainOnly+" network waits: the vendor's case 99")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Resume(w.ctx, w.netAgent, id, chainOnly+" network resumes: parts arrived")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Comment(w.ctx, w.netAgent, id, incident.EntryWorkNote, chainOnly+" network: a firmware bug")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Comment(w.ctx, w.netAgent, id, incident.EntryCommunication, "Called the user to restart the access point.")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.Comment(w.ctx, w.user, id, incident.EntryCommunication, "Restarted it.")
	})
	step(func() (*incident.Incident, error) {
		return w.svc.DeclareMajor(w.ctx, w.agent, id, chainOnly+" desk: every school is down")
	})
	// The desk reads it whole.
	inc = w.must(w.svc.Get(w.ctx, w.agent, id))
	kinds := map[incident.EntryKind]bool{}
	for _, e := range inc.Journal {
		kinds[e.Kind] = true
	}
	if len(kinds) != 4 {
		t.Fatalf("the incident's journal has the kinds %v, want all four", kinds)
	}
	return w, stranger, neighbour, inc
}

// TestViewPerKindAndParty decides, for each kind of journal entry and each
// party, whether the party reads it, and checks that every way of reading
// the incident (Get, GetByNumber, List, Due, the incident a command returns,
// the events as View shows them, report tickets) agrees: the support chain
// (the desk, the supplier holding it, a supplier that held it) reads
// everything, the customer only the communications and none of the chain's
// texts, and any other organisation nothing at all.
func TestViewPerKindAndParty(t *testing.T) {
	w, stranger, neighbour, whole := viewWorld(t)
	all := map[incident.EntryKind]bool{incident.EntryCommunication: true, incident.EntryWorkNote: true,
		incident.EntryStatusUpdate: true, incident.EntryNotification: true}
	customer := map[incident.EntryKind]bool{incident.EntryCommunication: true}
	parties := []struct {
		name  string
		actor itsm.Actor
		view  incident.View
		reads map[incident.EntryKind]bool
	}{
		{"the desk", w.agent, incident.ViewChain, all},
		{"the supplier holding it", w.netAgent, incident.ViewChain, all},
		{"a supplier that held it", w.workAgent, incident.ViewChain, all},
		{"a supplier that never held it", itsm.Actor{Organisation: stranger.ID, Person: "sven.stranger", Roles: []itsm.Role{itsm.RoleAgent}}, incident.ViewNone, nil},
		{"the customer's caller", w.user, incident.ViewCustomer, customer},
		{"the customer's agent", itsm.Actor{Organisation: w.city.ID, Person: "cora.city", Roles: []itsm.Role{itsm.RoleAgent}}, incident.ViewCustomer, customer},
		{"another customer", itsm.Actor{Organisation: neighbour.ID, Person: "nora.neighbour", Roles: []itsm.Role{itsm.RoleAgent}}, incident.ViewNone, nil},
		{"another desk", w.other, incident.ViewNone, nil},
	}
	kinds := []incident.EntryKind{incident.EntryCommunication, incident.EntryWorkNote, incident.EntryStatusUpdate, incident.EntryNotification}
	events := w.events(whole.ID)
	for _, p := range parties {
		t.Run(p.name, func(t *testing.T) {
			v, err := w.svc.View(w.ctx, p.actor, whole.ID)
			if p.view == incident.ViewNone {
				reqCode(t, err, itsm.CodeNotFound)
				reqCode(t, func() error { _, err := w.svc.Get(w.ctx, p.actor, whole.ID); return err }(), itsm.CodeNotFound)
				reqCode(t, func() error { _, err := w.svc.GetByNumber(w.ctx, p.actor, whole.Number); return err }(), itsm.CodeNotFound)
				if got := reqList(t, w, p.actor, incident.Filter{}); slices.Contains(got, whole.ID) {
					t.Errorf("%s lists the incident", p.name)
				}
				for _, e := range events {
					if _, ok, err := v.Event(e); ok || err != nil {
						t.Errorf("%s is shown %s: %v", p.name, e.Type, err)
					}
				}
				return
			}
			if err != nil || v != p.view {
				t.Fatalf("%s's view is %s (%v), want %s", p.name, v, err, p.view)
			}
			got := w.must(w.svc.Get(w.ctx, p.actor, whole.ID))
			// Each kind, read or not, as the table has it.
			for _, k := range kinds {
				var want, read []incident.Entry
				for _, e := range whole.Journal {
					if e.Kind == k && p.reads[k] {
						want = append(want, e)
					}
				}
				for _, e := range got.Journal {
					if e.Kind == k {
						read = append(read, e)
					}
				}
				if d := cmp.Diff(want, read); d != "" {
					t.Errorf("%s reads these %s entries (-want +got):\n%s", p.name, k, d)
				}
				if v.Shows(k) != p.reads[k] {
					t.Errorf("%s's view shows %s: %t", p.name, k, v.Shows(k))
				}
			}
			if v == incident.ViewChain {
				if d := cmp.Diff(whole, got); d != "" {
					t.Errorf("%s reads less than the whole incident (-whole +read):\n%s", p.name, d)
				}
			} else {
				if got.References != nil || slices.ContainsFunc(got.Assignments, func(a chain.Assignment) bool { return a.Rejected != "" || a.Recalled != "" }) {
					t.Errorf("%s reads the references %v and assignments %+v", p.name, got.References, got.Assignments)
				}
				if len(got.Assignments) != 2 {
					t.Errorf("%s does not read the assignments %+v", p.name, got.Assignments)
				}
				// Everything else is the incident's.
				whole := *whole
				whole.Journal, whole.References, whole.Assignments = got.Journal, nil, got.Assignments
				if d := cmp.Diff(&whole, got); d != "" {
					t.Errorf("%s reads more than the journal changed (-whole +read):\n%s", p.name, d)
				}
				if b := mustMarshal(t, got); strings.Contains(string(b), chainOnly) {
					t.Errorf("%s reads the chain's texts: %s", p.name, b)
				}
			}

			// Every other way of reading it agrees with Get.
			if byNumber := w.must(w.svc.GetByNumber(w.ctx, p.actor, whole.Number)); !cmp.Equal(got, byNumber) {
				t.Errorf("%s reads another incident by number:\n%s", p.name, cmp.Diff(got, byNumber))
			}
			page, err := w.svc.List(w.ctx, p.actor, incident.Filter{})
			if err != nil || len(page.Incidents) != 1 || !cmp.Equal(got, page.Incidents[0]) {
				t.Errorf("%s lists %v (%v), not what it reads", p.name, page.Incidents, err)
			}
			var q incident.DueQuery
			if p.actor.Organisation == w.network.ID || p.actor.Organisation == w.work.ID {
				q.Provider = p.actor.Organisation // a supplier asks for its own
			}
			due, err := w.svc.Due(w.ctx, p.actor, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(due.Clocks) == 0 && p.actor.Organisation != w.work.ID {
				t.Errorf("%s finds no running clock", p.name)
			}
			for _, c := range due.Clocks {
				if !cmp.Equal(got, c.Incident) {
					t.Errorf("%s's due clock %s carries another incident:\n%s", p.name, c.Metric, cmp.Diff(got, c.Incident))
				}
			}
			// The events it is shown build what it reads: the feed and Get
			// agree (but for the time of the last change, which the hidden
			// events moved too).
			var shown []itsm.Event
			for _, e := range events {
				s, ok, err := v.Event(e)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					if s.ID != e.ID || s.Seq != e.Seq || s.Type != e.Type || s.Subject != e.Subject || !s.Time.Equal(e.Time) {
						t.Errorf("%s is shown event %d with another envelope: %+v", p.name, e.Seq, s)
					}
					shown = append(shown, s)
				}
			}
			replayed, err := incident.Replay(shown)
			if err != nil {
				t.Fatal(err)
			}
			replayed.Version, replayed.Changed = got.Version, got.Changed
			if d := cmp.Diff(got, replayed); d != "" {
				t.Errorf("%s reads otherwise than its events tell (-read +replayed):\n%s", p.name, d)
			}
			if v == incident.ViewCustomer {
				if len(shown) == len(events) {
					t.Errorf("the customer is shown all %d events", len(events))
				}
				for _, e := range shown {
					if strings.Contains(string(e.Data), chainOnly) {
						t.Errorf("%s is shown %s %s", p.name, e.Type, e.Data)
					}
				}
				// A report reads no journal: the tickets carry no text of
				// the chain's.
				var tickets []report.Ticket
				for tk, err := range w.svc.Tickets(w.ctx, p.actor, report.Period{From: t0, To: t0.Add(24 * time.Hour)}) {
					if err != nil {
						t.Fatal(err)
					}
					tickets = append(tickets, tk)
				}
				if b := mustMarshal(t, tickets); len(tickets) != 1 || strings.Contains(string(b), chainOnly) {
					t.Errorf("%s's report tickets: %s", p.name, b)
				}
			} else if !slices.EqualFunc(shown, events, func(a, b itsm.Event) bool { return a.Seq == b.Seq && string(a.Data) == string(b.Data) }) {
				t.Errorf("%s is not shown every event as it is", p.name)
			}
		})
	}

	// A command returns the incident as its actor reads it.
	w.clock.Advance(time.Minute)
	said := w.must(w.svc.Comment(w.ctx, w.user, whole.ID, incident.EntryCommunication, "Thanks."))
	if b := mustMarshal(t, said); strings.Contains(string(b), chainOnly) {
		t.Errorf("the customer's comment returned the chain's texts: %s", b)
	}
	if n := len(said.Journal); n == 0 || said.Journal[n-1].Text != "Thanks." {
		t.Errorf("the customer's comment returned the journal %+v", said.Journal)
	}
}

// What the customer is shown of each event type: the rejection without its
// reason, the status update without its text, no work note, no reference,
// no notification.
func TestViewCustomerEvents(t *testing.T) {
	w, _, _, whole := viewWorld(t)
	w.must(w.svc.ReportBack(w.ctx, w.netAgent, whole.ID, incident.Resolution{Code: "hardware", Text: "Replaced a switch."}))
	w.must(w.svc.Close(w.ctx, w.agent, whole.ID, "The network is back."))
	v := incident.ViewOf(whole, w.city)
	shown := map[string]int{}
	for _, e := range w.events(whole.ID) {
		s, ok, err := v.Event(e)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		shown[e.Type]++
		p, err := incident.Decode(s)
		if err != nil {
			t.Fatal(err)
		}
		switch p := p.(type) {
		case incident.Rejected:
			if p.Reason != "" {
				t.Errorf("the customer is shown the rejection reason %q", p.Reason)
			}
		case incident.Updated:
			if p.Text != "" {
				t.Errorf("the customer is shown the status update %q", p.Text)
			}
		case incident.Commented:
			if p.Kind != incident.EntryCommunication {
				t.Errorf("the customer is shown a %s: %q", p.Kind, p.Text)
			}
		case incident.Resolved:
			if p.Text != "Replaced a switch." {
				t.Errorf("the customer is shown the resolution %+v", p)
			}
		case incident.Delegated:
			if p.Note != "" || len(p.Handover.Rejections) != 0 || len(p.Handover.Communications) == 0 {
				t.Errorf("the customer is shown the delegation %+v", p)
			}
		}
	}
	want := map[string]int{"incident.registered": 1, "incident.commented": 3, "incident.delegated": 2,
		"incident.rejected": 1, "incident.accepted": 1, "incident.updated": 1, "incident.waiting": 1,
		"incident.resumed": 1, "incident.major_declared": 1, "incident.resolved": 1, "incident.closed": 1}
	if d := cmp.Diff(want, shown); d != "" {
		t.Errorf("the customer is shown these events (-want +got):\n%s", d)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestViewAt checks that a supplier's view of an incident's past begins at
// its first delegation, whatever it holds now, so that a reader deciding an
// event twice decides it the same way; the desk and the customer see an
// event as they see the incident.
func TestViewAt(t *testing.T) {
	w, stranger, _, inc := viewWorld(t)
	byOrg := map[string]itsm.Actor{"desk": w.agent, "workplace": w.workAgent, "network": w.netAgent, "customer": w.user,
		"stranger": {Organisation: stranger.ID, Person: "sam", Roles: []itsm.Role{itsm.RoleAgent}}}
	first := map[string]time.Time{}
	for _, a := range inc.Assignments {
		for name, who := range byOrg {
			if who.Organisation == a.Organisation && first[name].IsZero() {
				first[name] = a.Delegated
			}
		}
	}
	if first["workplace"].IsZero() || first["network"].IsZero() || !first["workplace"].Before(first["network"]) {
		t.Fatalf("the world delegates to workplace, then network: %v", first)
	}
	for _, e := range w.events(inc.ID) {
		for name, who := range byOrg {
			got, err := w.svc.ViewAt(w.ctx, who, inc.ID, e.Time)
			if name == "stranger" {
				if !itsm.IsCode(err, itsm.CodeNotFound) {
					t.Errorf("a stranger's view at %s: %v %v, want not found", e.Type, got, err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			want := incident.ViewChain
			switch {
			case name == "customer":
				want = incident.ViewCustomer
			case name != "desk" && e.Time.Before(first[name]):
				want = incident.ViewNone
			}
			if got != want {
				t.Errorf("%s's view at %s (%s): %v, want %v", name, e.Type, e.Time.Format(time.TimeOnly), got, want)
			}
		}
	}
}
