package incident_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
)

// world is a small delivery for tests: a city (the customer), a desk, a
// network supplier and a workplace supplier, the city's SLA with the desk and
// a UC with each supplier, on a 24x7 calendar so that working time equals
// elapsed time and expectations are easy to compute by hand.
type world struct {
	t        testing.TB
	ctx      context.Context
	store    itsm.Store
	clock    *itsm.ManualClock
	svc      *incident.Service
	cfg      incident.Config
	sent     *outbox
	city     itsm.Organisation
	desk     itsm.Organisation
	network  itsm.Organisation
	work     itsm.Organisation
	otherDsk itsm.Organisation

	agent     itsm.Actor // the desk's agent
	netAgent  itsm.Actor // the network supplier's agent
	workAgent itsm.Actor // the workplace supplier's agent
	user      itsm.Actor // the caller, a user of the city
	other     itsm.Actor // an agent of another desk

	// groups are the groups of the desk and the suppliers by name (see
	// worldGroups), in the store's register of groups.
	groups map[string]*chain.Group
}

// worldGroups are the groups newWorld makes, by organisation (1 the city, 2
// the desk, 3 the network supplier, 4 the workplace supplier), with their
// members. Every agent of the world is a member of its organisation's
// groups, so that any of them can take a ticket.
var worldGroups = []struct {
	org     byte
	name    string
	members []string
}{
	{2, "first line", []string{"dana.desk", "dag.desk"}},
	{2, "second line", []string{"dana.desk", "sven.second"}},
	{3, "lan", []string{"nils.net", "nina.net"}},
	{3, "wifi", []string{"nils.net"}},
	{3, "core", []string{"nils.net"}},
	{4, "clients", []string{"wera.work"}},
	{4, "desktop", []string{"wera.work"}},
	{4, "school", []string{"wera.work"}},
}

// g returns the ID of the world's group with the name.
func (w *world) g(name string) itsm.ID {
	w.t.Helper()
	gr, ok := w.groups[name]
	if !ok {
		w.t.Fatalf("the world has no group %q", name)
	}
	return gr.ID
}

// outbox is a Notifier that keeps what it is given; fail makes it refuse.
type outbox struct {
	mu   sync.Mutex
	msgs []incident.Message
	fail error
}

func (o *outbox) Notify(_ context.Context, m incident.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return o.fail
	}
	o.msgs = append(o.msgs, m)
	return nil
}

func (o *outbox) messages() []incident.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]incident.Message(nil), o.msgs...)
}

// t0 is a Monday morning in Stockholm.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func fixedID(n byte) itsm.ID {
	var id itsm.ID
	id[0], id[6], id[8], id[15] = 0x01, 0x70, 0x80, n
	return id
}

// newWorld builds the delivery on a fresh memstore; tune may change the
// configuration before the service is made.
func newWorld(t testing.TB, tune ...func(*incident.Config)) *world {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	return newWorldOn(t, st, tune...)
}

func newWorldOn(t testing.TB, st itsm.Store, tune ...func(*incident.Config)) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), store: st, clock: itsm.NewManualClock(t0), sent: &outbox{}}
	w.city = itsm.Organisation{ID: fixedID(1), Name: "City", Role: itsm.OrgCustomer}
	w.desk = itsm.Organisation{ID: fixedID(2), Name: "Desk", Role: itsm.OrgDesk}
	w.network = itsm.Organisation{ID: fixedID(3), Name: "Network supplier", Role: itsm.OrgSupplier}
	w.work = itsm.Organisation{ID: fixedID(4), Name: "Workplace supplier", Role: itsm.OrgSupplier}
	w.otherDsk = itsm.Organisation{ID: fixedID(5), Name: "Other desk", Role: itsm.OrgDesk}
	dir, err := incident.NewOrganisations(w.city, w.desk, w.network, w.work, w.otherDsk)
	if err != nil {
		t.Fatal(err)
	}
	perms := itsm.NewPermissions()
	for _, o := range []itsm.Organisation{w.city, w.desk, w.network, w.work, w.otherDsk} {
		perms.Grant(o.ID, itsm.DomainIncident, itsm.AccessAll)
	}
	w.agent = itsm.Actor{Organisation: w.desk.ID, Person: "dana.desk", Roles: []itsm.Role{itsm.RoleAgent}}
	w.netAgent = itsm.Actor{Organisation: w.network.ID, Person: "nils.net", Roles: []itsm.Role{itsm.RoleAgent}}
	w.workAgent = itsm.Actor{Organisation: w.work.ID, Person: "wera.work", Roles: []itsm.Role{itsm.RoleAgent}}
	w.user = itsm.Actor{Organisation: w.city.ID, Person: "ulla.user"}
	w.other = itsm.Actor{Organisation: w.otherDsk.ID, Person: "olle.other", Roles: []itsm.Role{itsm.RoleAgent}}

	groups, err := chain.New(chain.Config{Store: st, Directory: dir, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	w.groups = make(map[string]*chain.Group)
	for _, g := range worldGroups {
		org := fixedID(g.org)
		admin := itsm.Actor{Organisation: org, Person: "admin", Roles: []itsm.Role{itsm.RoleAdmin}}
		if w.groups[g.name], err = groups.Create(w.ctx, admin, org, chain.Definition{Name: g.name, Members: g.members}); err != nil {
			t.Fatal(err)
		}
	}

	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	stops := []itsm.State{incident.StateResolved, incident.StateClosed, incident.StateCancelled}
	responded := append([]itsm.State{incident.StateInProgress, incident.StateDelegated}, stops...)
	pauseUser := []itsm.State{incident.StateWaitingUser}
	targets := func(resolution [4]time.Duration, update time.Duration, respondStops []itsm.State) []sla.Target {
		var ts []sla.Target
		for i, d := range resolution {
			p := itsm.Priority(i + 1)
			ts = append(ts,
				sla.Target{Metric: sla.MetricResolution, Priority: p, Within: d, Calendar: always, Pause: pauseUser, Stop: stops},
				sla.Target{Metric: sla.MetricResponse, Priority: p, Within: d / 4, Calendar: always, Pause: pauseUser, Stop: respondStops})
			if update > 0 {
				ts = append(ts, sla.Target{Metric: sla.MetricUpdate, Priority: p, Within: update, Calendar: always, Pause: pauseUser, Stop: stops})
			}
		}
		return ts
	}
	h := time.Hour
	accepted := append([]itsm.State{incident.StateInProgress}, stops...)
	w.cfg = incident.Config{
		Store: st, Directory: dir, Permissions: perms, Matrix: itsm.ServiceNowMatrix(), Clock: w.clock,
		Agreements: []*sla.Agreement{
			{Name: "city SLA", Kind: sla.KindSLA, Provider: w.desk.ID, Consumer: w.city.ID, Objective: 0.95,
				Targets: targets([4]time.Duration{4 * h, 8 * h, 24 * h, 72 * h}, 0, responded)},
			{Name: "network UC", Kind: sla.KindUC, Provider: w.network.ID, Consumer: w.desk.ID, Objective: 0.95,
				Targets: targets([4]time.Duration{2 * h, 6 * h, 16 * h, 48 * h}, 2*h, accepted)},
			{Name: "workplace UC", Kind: sla.KindUC, Provider: w.work.ID, Consumer: w.desk.ID, Objective: 0.9,
				Targets: targets([4]time.Duration{3 * h, 6 * h, 16 * h, 60 * h}, 4*h, accepted)},
		},
		Routes: []incident.Route{
			{Category: "network", Organisation: w.network.ID, Group: w.g("lan")},
			{Category: "network", Subcategory: "wifi", Organisation: w.network.ID, Group: w.g("wifi")},
			{Category: "workplace", Organisation: w.work.ID, Group: w.g("clients")},
		},
		Major: incident.Major{
			Roster: []incident.Duty{
				{Person: "mona.manager", Channel: "sms", Address: "+46700000001", From: t0.Add(-24 * h), To: t0.Add(7 * 24 * h)},
			},
			Contacts: []incident.Contact{
				{Person: "dave.delivery", Role: itsm.RoleDeliveryManager, Channel: "email", Address: "dave@desk.example"},
				{Person: "sara.school", Service: "school network", Channel: "sms", Address: "+46700000002"},
			},
			Escalation: map[itsm.Priority][]itsm.Role{1: {itsm.RoleDeliveryManager}, 2: {itsm.RoleDeliveryManager}},
			Notifier:   w.sent,
		},
	}
	for _, f := range tune {
		f(&w.cfg)
	}
	w.svc, err = incident.New(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// register registers a P3 network incident (medium impact, low urgency) as
// the desk's agent.
func (w *world) register(summary string) *incident.Incident {
	w.t.Helper()
	inc, err := w.svc.Register(w.ctx, w.agent, incident.Registration{
		Customer: w.city.ID, Caller: incident.Caller{Person: w.user.Person, Name: "Ulla User", Contact: "+46701234567"},
		Channel: incident.ChannelPhone, Service: "school network", Category: "network",
		Summary: summary, Description: "The user says: " + summary + ", since this morning.",
		Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return inc
}

// must fails the test on err and returns inc.
func (w *world) must(inc *incident.Incident, err error) *incident.Incident {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	return inc
}

// events returns every event of the log about the incident.
func (w *world) events(id itsm.ID) []itsm.Event {
	w.t.Helper()
	var out []itsm.Event
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var after int64
		for {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				return nil
			}
			for _, e := range es {
				if e.Subject == id {
					out = append(out, e)
				}
			}
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// clock returns the named clock of inc measured at at.
func (w *world) clockOf(inc *incident.Incident, agreement string, m sla.Metric, at time.Time) incident.Clock {
	w.t.Helper()
	cs, err := w.svc.Clocks(inc, at)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Agreement == agreement && c.Metric == m {
			return c
		}
	}
	w.t.Fatalf("%s has no %s clock of %q at %s; clocks: %+v", inc.Number, m, agreement, at, cs)
	return incident.Clock{}
}
