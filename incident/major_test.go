package incident_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/itsm"
)

// majorTo lists the recipients of messages as "person channel address".
func majorTo(ms []incident.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.To.Person+" "+m.To.Channel+" "+m.To.Address)
	}
	return out
}

// majorNotified returns the Notified payloads in the incident's history.
func majorNotified(w *world, id itsm.ID) []incident.Notified {
	w.t.Helper()
	var out []incident.Notified
	for _, e := range w.events(id) {
		p, err := incident.Decode(e)
		if err != nil {
			w.t.Fatal(err)
		}
		if n, ok := p.(incident.Notified); ok {
			out = append(out, n)
		}
	}
	return out
}

// majorJournal returns the notification entries of the incident's journal.
func majorJournal(inc *incident.Incident) []string {
	var out []string
	for _, e := range inc.Journal {
		if e.Kind == incident.EntryNotification {
			out = append(out, e.Text)
		}
	}
	return out
}

// majorReplayed checks that the stored incident is a replay of its events
// and returns it.
func majorReplayed(w *world, id itsm.ID) *incident.Incident {
	w.t.Helper()
	got, err := w.svc.Get(w.ctx, w.agent, id)
	if err != nil {
		w.t.Fatal(err)
	}
	replayed, err := incident.Replay(w.events(id))
	if err != nil {
		w.t.Fatal(err)
	}
	replayed.Version = got.Version
	if d := cmp.Diff(got, replayed); d != "" {
		w.t.Errorf("stored and replayed differ (-stored +replayed):\n%s", d)
	}
	return got
}

func TestOnDuty(t *testing.T) {
	day := 24 * time.Hour
	week := incident.Duty{Person: "mona", Channel: "sms", Address: "1", From: t0, To: t0.Add(7 * day)}
	swap := incident.Duty{Person: "pia", Channel: "sms", Address: "2", From: t0.Add(day), To: t0.Add(2 * day)}
	next := incident.Duty{Person: "nils", Channel: "sms", Address: "3", From: t0.Add(7 * day), To: t0.Add(14 * day)}
	late := incident.Duty{Person: "lars", Channel: "sms", Address: "4", From: t0.Add(36 * time.Hour), To: t0.Add(40 * time.Hour)}
	tests := []struct {
		name   string
		roster []incident.Duty
		at     time.Time
		want   string // "" for nobody
	}{
		{"empty roster", nil, t0, ""},
		{"before the first duty", []incident.Duty{week, next}, t0.Add(-time.Nanosecond), ""},
		{"From is inclusive", []incident.Duty{week, next}, t0, "mona"},
		{"To is exclusive", []incident.Duty{week, next}, t0.Add(7 * day), "nils"},
		{"just before To", []incident.Duty{week}, t0.Add(7*day - time.Nanosecond), "mona"},
		{"after the last duty", []incident.Duty{week, next}, t0.Add(14 * day), ""},
		{"in a gap", []incident.Duty{week, {Person: "nils", Channel: "sms", Address: "3", From: t0.Add(8 * day), To: t0.Add(9 * day)}}, t0.Add(7*day + time.Hour), ""},
		{"a swap on top wins", []incident.Duty{week, swap}, t0.Add(day + time.Hour), "pia"},
		{"the swap wins listed first too", []incident.Duty{swap, week}, t0.Add(day + time.Hour), "pia"},
		{"the swap starts inclusive", []incident.Duty{week, swap}, t0.Add(day), "pia"},
		{"the rota resumes at the swap's To", []incident.Duty{week, swap}, t0.Add(2 * day), "mona"},
		{"before the swap", []incident.Duty{swap, week}, t0.Add(day - time.Nanosecond), "mona"},
		{"a swap inside a swap wins", []incident.Duty{week, swap, late}, t0.Add(37 * time.Hour), "lars"},
		{"the outer swap resumes", []incident.Duty{late, week, swap}, t0.Add(40 * time.Hour), "pia"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := incident.Major{Roster: tt.roster}
			d, ok := m.OnDuty(tt.at)
			if ok != (tt.want != "") || d.Person != tt.want {
				t.Errorf("OnDuty = %q, %v; want %q", d.Person, ok, tt.want)
			}
			if !ok && d != (incident.Duty{}) {
				t.Errorf("nobody on duty, but OnDuty returned %+v", d)
			}
		})
	}
}

// With nobody on duty a major incident is still declared, and the contacts
// are told; nobody leads it until the desk finds someone.
func TestDeclareMajorWithNobodyOnDuty(t *testing.T) {
	tests := []struct {
		name   string
		roster []incident.Duty
	}{
		{"no roster", nil},
		{"the duty ended just now", []incident.Duty{{Person: "mona.manager", Channel: "sms", Address: "+46700000001",
			From: t0.Add(-8 * time.Hour), To: t0.Add(time.Hour)}}},
		{"the duty starts later", []incident.Duty{{Person: "mona.manager", Channel: "sms", Address: "+46700000001",
			From: t0.Add(time.Hour + time.Second), To: t0.Add(9 * time.Hour)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, func(c *incident.Config) { c.Major.Roster = tt.roster })
			inc := w.register("school network down")
			w.clock.Advance(time.Hour)
			inc = w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
			if !inc.Major || inc.MajorManager != "" {
				t.Errorf("declared: major %v, led by %q", inc.Major, inc.MajorManager)
			}
			want := []string{"dave.delivery email dave@desk.example", "sara.school sms +46700000002"}
			msgs := w.sent.messages()
			if d := cmp.Diff(want, majorTo(msgs)); d != "" {
				t.Errorf("notified (-want +got):\n%s", d)
			}
			for _, m := range msgs {
				if strings.Contains(m.Text, "major-incident manager") {
					t.Errorf("the message names a manager: %q", m.Text)
				}
			}
			majorReplayed(w, inc.ID)
		})
	}
}

// A contact who is also the manager on duty, on the same channel and
// address, gets one message.
func TestDeclareMajorTellsEachAddressOnce(t *testing.T) {
	w := newWorld(t, func(c *incident.Config) {
		c.Major.Contacts = append(c.Major.Contacts,
			incident.Contact{Person: "mona.manager", Service: "school network", Channel: "sms", Address: "+46700000001"},
			incident.Contact{Person: "mona.manager", Channel: "email", Address: "mona@desk.example"})
	})
	inc := w.register("school network down")
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
	want := []string{"mona.manager sms +46700000001", "dave.delivery email dave@desk.example",
		"sara.school sms +46700000002", "mona.manager email mona@desk.example"}
	if d := cmp.Diff(want, majorTo(w.sent.messages())); d != "" {
		t.Errorf("notified (-want +got):\n%s", d)
	}
}

func TestMajorConfigIsChecked(t *testing.T) {
	base := newWorld(t).cfg
	from, to := t0, t0.Add(8*time.Hour)
	duty := incident.Duty{Person: "mona", Channel: "sms", Address: "+46700000001", From: from, To: to}
	contact := incident.Contact{Person: "dave", Role: itsm.RoleDeliveryManager, Channel: "email", Address: "dave@desk.example"}
	tests := []struct {
		name   string
		change func(m *incident.Major)
		reason string // "" for a valid configuration
	}{
		{"the world's", func(*incident.Major) {}, ""},
		{"zero", func(m *incident.Major) { *m = incident.Major{} }, ""},
		{"contact without role or service", func(m *incident.Major) {
			m.Contacts = []incident.Contact{{Person: "sara", Channel: "sms", Address: "+46700000002"}}
		}, ""},
		{"duty without person", func(m *incident.Major) {
			d := duty
			d.Person = " "
			m.Roster = []incident.Duty{duty, d}
		}, "roster duty 1 has no person"},
		{"duty without channel", func(m *incident.Major) {
			d := duty
			d.Channel = ""
			m.Roster = []incident.Duty{d}
		}, "roster duty 0 (mona) has no channel or address"},
		{"duty without address", func(m *incident.Major) {
			d := duty
			d.Address = ""
			m.Roster = []incident.Duty{d}
		}, "roster duty 0 (mona) has no channel or address"},
		{"duty ending before it starts", func(m *incident.Major) {
			d := duty
			d.From, d.To = to, from
			m.Roster = []incident.Duty{d}
		}, "roster duty 0 (mona) ends before it starts"},
		{"duty of no length", func(m *incident.Major) {
			d := duty
			d.To = d.From
			m.Roster = []incident.Duty{d}
		}, "ends before it starts"},
		{"duty without dates", func(m *incident.Major) {
			d := duty
			d.From, d.To = time.Time{}, time.Time{}
			m.Roster = []incident.Duty{d}
		}, "ends before it starts"},
		{"contact without person", func(m *incident.Major) {
			c := contact
			c.Person = ""
			m.Contacts = []incident.Contact{c}
		}, "contact 0 has no person"},
		{"contact without channel", func(m *incident.Major) {
			c := contact
			c.Channel = ""
			m.Contacts = []incident.Contact{contact, c}
		}, "contact 1 (dave) has no channel or address"},
		{"contact without address", func(m *incident.Major) {
			c := contact
			c.Address = ""
			m.Contacts = []incident.Contact{c}
		}, "contact 0 (dave) has no channel or address"},
		{"contact with an unknown role", func(m *incident.Major) {
			c := contact
			c.Role = "boss"
			m.Contacts = []incident.Contact{c}
		}, `contact 0 (dave) has unknown role "boss"`},
		{"escalation to an unknown role", func(m *incident.Major) {
			m.Escalation = map[itsm.Priority][]itsm.Role{1: {itsm.RoleDeliveryManager, "Delivery Manager"}}
		}, `escalation of P1 names unknown role "Delivery Manager"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			cfg.Major = incident.Major{Notifier: base.Major.Notifier,
				Roster: slices.Clone(base.Major.Roster), Contacts: slices.Clone(base.Major.Contacts),
				Escalation: map[itsm.Priority][]itsm.Role{1: {itsm.RoleDeliveryManager}}}
			tt.change(&cfg.Major)
			_, err := incident.New(cfg)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("New: %v\nwant invalid containing %q", err, tt.reason)
			}
		})
	}
}

// escalatingWorld escalates P1 to the delivery manager and a second role,
// and P2 to the delivery manager only.
func escalatingWorld(t *testing.T) *world {
	return newWorld(t, func(c *incident.Config) {
		c.Major.Contacts = append(c.Major.Contacts,
			incident.Contact{Person: "mia.major", Role: itsm.RoleMajorIncidentManager, Channel: "email", Address: "mia@desk.example"})
		c.Major.Escalation = map[itsm.Priority][]itsm.Role{
			1: {itsm.RoleDeliveryManager, itsm.RoleMajorIncidentManager},
			2: {itsm.RoleDeliveryManager},
		}
	})
}

func TestEscalationOnRegister(t *testing.T) {
	dave, mia := "dave.delivery email dave@desk.example", "mia.major email mia@desk.example"
	tests := []struct {
		name    string
		impact  itsm.Impact
		urgency itsm.Urgency
		want    []string
	}{
		{"P1", itsm.ImpactHigh, itsm.UrgencyHigh, []string{dave, mia}},
		{"P2 by impact", itsm.ImpactHigh, itsm.UrgencyMedium, []string{dave}},
		{"P2 by urgency", itsm.ImpactMedium, itsm.UrgencyHigh, []string{dave}},
		{"P3", itsm.ImpactMedium, itsm.UrgencyMedium, nil},
		{"P4", itsm.ImpactLow, itsm.UrgencyLow, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := escalatingWorld(t)
			r := incident.Registration{Customer: w.city.ID, Caller: incident.Caller{Person: w.user.Person},
				Channel: incident.ChannelMonitoring, Service: "payroll", Summary: "payroll batch failed",
				Impact: tt.impact, Urgency: tt.urgency}
			inc := w.must(w.svc.Register(w.ctx, w.agent, r))
			if inc.Priority.String() != tt.name[:2] {
				t.Fatalf("registered at %s, want %s", inc.Priority, tt.name[:2])
			}
			msgs := w.sent.messages()
			if d := cmp.Diff(tt.want, majorTo(msgs)); d != "" {
				t.Errorf("notified (-want +got):\n%s", d)
			}
			subject := inc.Priority.String() + " incident INC0000001: payroll batch failed"
			for _, m := range msgs {
				if m.Subject != subject || m.Priority != inc.Priority || m.Incident != inc.ID || !m.Time.Equal(t0) {
					t.Errorf("message %+v, want subject %q", m, subject)
				}
			}
			ns := majorNotified(w, inc.ID)
			if len(ns) != len(tt.want) || len(majorJournal(inc)) != len(tt.want) {
				t.Errorf("%d notified events and %d journal entries, want %d", len(ns), len(majorJournal(inc)), len(tt.want))
			}
			for _, n := range ns {
				if n.Role == "" || n.Error != "" || n.Actor().Person != w.agent.Person {
					t.Errorf("notified %+v", n)
				}
			}
		})
	}
}

// Each raise to an escalated priority notifies its roles, a second raise
// after a lowering too; a lowering, or a change that keeps the priority,
// does not.
func TestEscalationOnRaise(t *testing.T) {
	dave, mia := "dave.delivery email dave@desk.example", "mia.major email mia@desk.example"
	w := escalatingWorld(t)
	r := incident.Registration{Customer: w.city.ID, Caller: incident.Caller{Person: w.user.Person},
		Channel: incident.ChannelPhone, Service: "payroll", Summary: "payroll slow", Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow}
	inc := w.must(w.svc.Register(w.ctx, w.agent, r))
	steps := []struct {
		impact  itsm.Impact
		urgency itsm.Urgency
		want    itsm.Priority
		told    []string
	}{
		{itsm.ImpactMedium, itsm.UrgencyMedium, 3, nil},
		{itsm.ImpactHigh, itsm.UrgencyMedium, 2, []string{dave}},
		{itsm.ImpactMedium, itsm.UrgencyHigh, 2, nil}, // the same priority
		{itsm.ImpactHigh, itsm.UrgencyHigh, 1, []string{dave, mia}},
		{itsm.ImpactHigh, itsm.UrgencyMedium, 2, nil}, // lowered
		{itsm.ImpactMedium, itsm.UrgencyMedium, 3, nil},
		{itsm.ImpactHigh, itsm.UrgencyHigh, 1, []string{dave, mia}}, // P3 straight to P1
		{itsm.ImpactLow, itsm.UrgencyLow, 4, nil},
		{itsm.ImpactMedium, itsm.UrgencyHigh, 2, []string{dave}},
	}
	seen := 0
	for i, s := range steps {
		w.clock.Advance(time.Minute)
		inc = w.must(w.svc.Reprioritise(w.ctx, w.agent, inc.ID, s.impact, s.urgency, "re-assessed"))
		if inc.Priority != s.want {
			t.Fatalf("step %d: priority %s, want %s", i, inc.Priority, s.want)
		}
		msgs := w.sent.messages()[seen:]
		seen += len(msgs)
		if d := cmp.Diff(s.told, majorTo(msgs)); d != "" {
			t.Errorf("step %d to %s: notified (-want +got):\n%s", i, s.want, d)
		}
		for _, m := range msgs {
			if m.Priority != s.want || !strings.HasPrefix(m.Subject, s.want.String()+" incident "+inc.Number.String()) ||
				!m.Time.Equal(w.clock.Now()) {
				t.Errorf("step %d: message %+v", i, m)
			}
		}
	}
	if n := len(majorNotified(w, inc.ID)); n != seen || seen != 6 {
		t.Errorf("%d notified events for %d messages, want 6", n, seen)
	}
	majorReplayed(w, inc.ID)
}

// LogNotifier keeps each message, whole, in the store's event log.
func TestLogNotifierAppendsTheMessages(t *testing.T) {
	var (
		mu   sync.Mutex
		sent []incident.Message
	)
	w := newWorld(t, func(c *incident.Config) {
		log := incident.LogNotifier{Store: c.Store}
		c.Major.Notifier = incident.NotifierFunc(func(ctx context.Context, m incident.Message) error {
			mu.Lock()
			sent = append(sent, m)
			mu.Unlock()
			return log.Notify(ctx, m)
		})
	})
	inc := w.register("school network down")
	w.clock.Advance(time.Hour)
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
	w.clock.Advance(time.Hour)
	w.must(w.svc.StandDown(w.ctx, w.agent, inc.ID, "back on line"))

	var logged []incident.Message
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
			if !e.Time.Equal(m.Time) {
				t.Errorf("event at %s for a message of %s", e.Time, m.Time)
			}
			logged = append(logged, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != 6 {
		t.Fatalf("%d messages logged, want 3 for the declaration and 3 for the stand-down", len(logged))
	}
	if d := cmp.Diff(sent, logged); d != "" {
		t.Errorf("logged messages differ from those sent (-sent +logged):\n%s", d)
	}
	if !strings.Contains(logged[0].Text, "major-incident manager mona.manager") || logged[0].Number != inc.Number {
		t.Errorf("first message %+v", logged[0])
	}
	// The log's events are not the incident's: replay still works.
	majorReplayed(w, inc.ID)
}

// A delivery that fails does not undo the change: the command succeeds, and
// the failure joins the history next to the message it concerns.
func TestFailedDeliveryIsRecorded(t *testing.T) {
	gateway := errors.New("sms gateway unreachable")
	w := newWorld(t, func(c *incident.Config) {
		c.Major.Notifier = incident.NotifierFunc(func(_ context.Context, m incident.Message) error {
			if m.To.Channel == "sms" {
				return gateway
			}
			return nil
		})
	})
	inc := w.register("school network down")
	w.clock.Advance(time.Hour)
	got, err := w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line")
	if err != nil || !got.Major {
		t.Fatalf("DeclareMajor: %v, major %v", err, got != nil && got.Major)
	}
	var failed []string
	for _, n := range majorNotified(w, inc.ID) {
		if n.Error != "" {
			failed = append(failed, n.Recipient+" "+n.Channel+": "+n.Error)
		}
	}
	want := []string{"mona.manager sms: sms gateway unreachable", "sara.school sms: sms gateway unreachable"}
	if d := cmp.Diff(want, failed); d != "" {
		t.Errorf("failed deliveries (-want +got):\n%s", d)
	}
	stored := majorReplayed(w, inc.ID)
	notes := majorJournal(stored)
	if len(notes) != 5 || !strings.HasSuffix(notes[3], "(sms +46700000001): not delivered: sms gateway unreachable") {
		t.Errorf("notification entries %q", notes)
	}
	if !stored.Major || stored.MajorManager != "mona.manager" {
		t.Errorf("stored: major %v, led by %q", stored.Major, stored.MajorManager)
	}
}

// The failure is recorded even when the caller's context ends while the
// Notifier works, because the change it belongs to is already committed.
func TestFailedDeliveryIsRecordedAfterTheCallerGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWorld(t, func(c *incident.Config) {
		c.Major.Notifier = incident.NotifierFunc(func(ctx context.Context, m incident.Message) error {
			cancel()
			return ctx.Err()
		})
	})
	inc := w.register("school network down")
	if _, err := w.svc.DeclareMajor(ctx, w.agent, inc.ID, "every school is off line"); err != nil {
		t.Fatalf("DeclareMajor: %v", err)
	}
	n := 0
	for _, p := range majorNotified(w, inc.ID) {
		if p.Error == context.Canceled.Error() {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d failures recorded, want 3", n)
	}
}

// The Notifier is called after the commit, so what it is asked to send is
// already in the incident's history when it runs.
func TestNotifierSeesTheCommittedChange(t *testing.T) {
	var w *world
	var seen []int
	w = newWorld(t, func(c *incident.Config) {
		c.Major.Notifier = incident.NotifierFunc(func(ctx context.Context, m incident.Message) error {
			inc, err := w.svc.Get(ctx, w.agent, m.Incident)
			if err != nil {
				return err
			}
			if !inc.Major {
				t.Error("the Notifier runs before the declaration is committed")
			}
			seen = append(seen, len(majorJournal(inc)))
			return nil
		})
	})
	inc := w.register("school network down")
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
	if !slices.Equal(seen, []int{3, 3, 3}) {
		t.Errorf("the Notifier saw %v notification entries, want all 3 each time", seen)
	}
}

func TestStandDownTellsTheSameContacts(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school network down")
	w.clock.Advance(time.Hour)
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
	declared := w.sent.messages()
	w.clock.Advance(3 * time.Hour)
	inc = w.must(w.svc.StandDown(w.ctx, w.agent, inc.ID, "schools back on line"))
	stood := w.sent.messages()[len(declared):]
	if d := cmp.Diff(majorTo(declared), majorTo(stood)); d != "" || len(stood) != 3 {
		t.Errorf("stand-down recipients (-declared +stood down):\n%s", d)
	}
	for _, m := range stood {
		if m.Subject != "Major incident INC0000001 stood down: school network down" || !m.Time.Equal(t0.Add(4*time.Hour)) {
			t.Errorf("stand-down message %+v", m)
		}
	}
	if inc.Major || inc.MajorManager != "" {
		t.Errorf("stood down: major %v, led by %q", inc.Major, inc.MajorManager)
	}
	if n := len(majorJournal(inc)); n != 6 {
		t.Errorf("%d notification entries, want 6", n)
	}
	// A stood-down incident may be declared again.
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "down again"))
}

func TestMajorCommandsAreRefused(t *testing.T) {
	w := newWorld(t)
	major := w.register("school network down")
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, major.ID, "every school is off line"))
	plain := w.register("one printer jammed")
	resolved := w.register("password reset")
	w.must(w.svc.Resolve(w.ctx, w.agent, resolved.ID, incident.Resolution{Code: "reset", Text: "new password given"}))
	delegated := w.register("switch down")
	w.must(w.svc.Delegate(w.ctx, w.agent, delegated.ID, incident.Delegation{}))
	before := len(w.sent.messages())

	tests := []struct {
		name string
		do   func() error
		code itsm.Code
	}{
		{"declare twice", func() error { _, err := w.svc.DeclareMajor(w.ctx, w.agent, major.ID, "again"); return err }, itsm.CodeConflict},
		{"declare a resolved incident", func() error {
			_, err := w.svc.DeclareMajor(w.ctx, w.agent, resolved.ID, "late")
			return err
		}, itsm.CodeConflict},
		{"declare without a reason", func() error { _, err := w.svc.DeclareMajor(w.ctx, w.agent, plain.ID, " "); return err }, itsm.CodeInvalid},
		{"declare as the supplier holding it", func() error {
			_, err := w.svc.DeclareMajor(w.ctx, w.netAgent, delegated.ID, "big")
			return err
		}, itsm.CodeForbidden},
		{"declare as another desk", func() error { _, err := w.svc.DeclareMajor(w.ctx, w.other, plain.ID, "big"); return err }, itsm.CodeNotFound},
		{"stand down a plain incident", func() error { _, err := w.svc.StandDown(w.ctx, w.agent, plain.ID, "over"); return err }, itsm.CodeConflict},
		{"stand down as the caller", func() error { _, err := w.svc.StandDown(w.ctx, w.user, major.ID, "over"); return err }, itsm.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !itsm.IsCode(err, tt.code) {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
	if n := len(w.sent.messages()); n != before {
		t.Errorf("refused commands sent %d messages", n-before)
	}
}

// webhook is an HTTP receiver of httpnotify's requests.
type webhook struct {
	mu     sync.Mutex
	bodies [][]byte
	keys   []string
	bad    []string // requests that failed verification
	status int
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := httpnotify.Verify(majorSecret, r.Header.Get(httpnotify.HeaderTimestamp), body,
		r.Header.Get(httpnotify.HeaderSignature), t0, time.Minute); err != nil {
		h.bad = append(h.bad, err.Error())
	}
	h.bodies = append(h.bodies, body)
	h.keys = append(h.keys, r.Header.Get(httpnotify.HeaderIdempotencyKey))
	if h.status != 0 {
		w.WriteHeader(h.status)
	}
}

var majorSecret = []byte("the desk and the relay share this")

// webhookWorld is the world with its messages posted to a webhook.
func webhookWorld(t *testing.T, status int) (*world, *webhook) {
	h := &webhook{status: status}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w := newWorld(t, func(c *incident.Config) {
		n, err := httpnotify.New(httpnotify.Options{URL: srv.URL + "/hooks/s3cr3t", Secret: majorSecret, Clock: c.Clock})
		if err != nil {
			t.Fatal(err)
		}
		c.Major.Notifier = n
	})
	return w, h
}

// End to end: a major incident declared at a desk whose Notifier posts to a
// webhook; the receiver gets one signed message per contact and the
// incident's journal lists them.
func TestDeclareMajorPostsToAWebhook(t *testing.T) {
	w, h := webhookWorld(t, 0)
	inc := w.register("school network down")
	inc = w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))

	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bad) != 0 {
		t.Errorf("requests that fail verification: %q", h.bad)
	}
	var got []incident.Message
	for _, b := range h.bodies {
		var m incident.Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("body %s: %v", b, err)
		}
		got = append(got, m)
	}
	want := []string{"mona.manager sms +46700000001", "dave.delivery email dave@desk.example", "sara.school sms +46700000002"}
	if d := cmp.Diff(want, majorTo(got)); d != "" {
		t.Errorf("the webhook received (-want +got):\n%s", d)
	}
	for i, m := range got {
		if m.Incident != inc.ID || m.Number != inc.Number || m.Priority != inc.Priority ||
			m.Subject != "Major incident INC0000001: school network down" || h.keys[i] != httpnotify.IdempotencyKey(m) {
			t.Errorf("message %d: %+v with key %s", i, m, h.keys[i])
		}
	}
	if keys := slices.Compact(slices.Sorted(slices.Values(h.keys))); len(keys) != 3 {
		t.Errorf("idempotency keys %q are not one per message", h.keys)
	}
	notes := majorJournal(majorReplayed(w, inc.ID))
	if len(notes) != 3 {
		t.Fatalf("notification entries %q, want 3", notes)
	}
	for i, n := range notes {
		if !strings.Contains(n, strings.Fields(want[i])[0]) || strings.Contains(n, "not delivered") {
			t.Errorf("entry %d: %q", i, n)
		}
	}
}

// A webhook that is down leaves the desk a record of whom it did not reach,
// without the secret path of the webhook's URL.
func TestDeclareMajorWithTheWebhookDown(t *testing.T) {
	w, h := webhookWorld(t, http.StatusServiceUnavailable)
	inc := w.register("school network down")
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school is off line"))
	h.mu.Lock()
	if len(h.bodies) != 3 {
		t.Errorf("%d requests, want 3 and no retries", len(h.bodies))
	}
	h.mu.Unlock()
	var failed int
	for _, n := range majorNotified(w, inc.ID) {
		if n.Error == "" {
			continue
		}
		failed++
		if !strings.HasPrefix(n.Error, "unavailable: httpnotify: 127.0.0.1:") || !strings.Contains(n.Error, "503 Service Unavailable") ||
			strings.Contains(n.Error, "s3cr3t") {
			t.Errorf("recorded error %q", n.Error)
		}
	}
	if failed != 3 {
		t.Errorf("%d failures recorded, want 3", failed)
	}
}
