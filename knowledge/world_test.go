package knowledge_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_knowledge_")
}

var (
	deskID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000d1")
	desk2ID = itsm.MustParseID("01900000-0000-7000-8000-0000000000d2")
	telcoID = itsm.MustParseID("01900000-0000-7000-8000-0000000000e1")
	cityID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000c1")
	townID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000c2")
	// bareID is a supplier without any right in knowledge.
	bareID = itsm.MustParseID("01900000-0000-7000-8000-0000000000e2")
)

// world is a desk with a supplier (Telco) and two customers (City,
// Town), another desk, and the incident, problem and knowledge services
// over one store, on Monday 7 December 2026 in Stockholm. Everyone may
// read knowledge; the desk, Telco and City write it; the desk and Telco
// report on it.
type world struct {
	t     testing.TB
	ctx   context.Context
	store itsm.Store
	clock *itsm.ManualClock
	dir   incident.Organisations
	perms *itsm.Permissions
	inc   *incident.Service
	prb   *problem.Service
	svc   *knowledge.Service
	// configure, if set, changes the Config of every Service the world
	// starts.
	configure func(*knowledge.Config)

	deskAgent, deskUser, telAgent, cityAgent, cityUser, townUser, desk2Agent itsm.Actor
	// townAgent is an agent of a customer that may only read knowledge;
	// bareAgent an agent of a supplier that may do nothing in it.
	townAgent, bareAgent itsm.Actor
	// useIncident is an incident of the city at the desk, for RecordUse.
	useIncident itsm.ID
}

func person(org itsm.ID, name string, roles ...itsm.Role) itsm.Actor {
	return itsm.Actor{Organisation: org, Person: name, Roles: roles}
}

func newWorld(t testing.TB, store itsm.Store) *world {
	t.Helper()
	return newWorldWith(t, store, nil)
}

// newWorldWith is newWorld whose knowledge services have the Config
// configure makes.
func newWorldWith(t testing.TB, store itsm.Store, configure func(*knowledge.Config)) *world {
	t.Helper()
	zone, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: context.Background(), store: store, configure: configure,
		clock:      itsm.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, zone)),
		deskAgent:  person(deskID, "axel", itsm.RoleAgent),
		deskUser:   person(deskID, "nils"),
		telAgent:   person(telcoID, "tove", itsm.RoleAgent),
		cityAgent:  person(cityID, "cissi", itsm.RoleAgent),
		cityUser:   person(cityID, "clara"),
		townUser:   person(townID, "tor"),
		desk2Agent: person(desk2ID, "dag", itsm.RoleAgent),
		townAgent:  person(townID, "tilde", itsm.RoleAgent),
		bareAgent:  person(bareID, "bo", itsm.RoleAgent),
	}
	w.dir, err = incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: desk2ID, Name: "Other desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: telcoID, Name: "Telco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer},
		itsm.Organisation{ID: townID, Name: "Town", Role: itsm.OrgCustomer},
		itsm.Organisation{ID: bareID, Name: "Bare", Role: itsm.OrgSupplier})
	w.ok(err)
	w.perms = itsm.NewPermissions()
	for _, o := range []itsm.ID{deskID, desk2ID, telcoID} {
		w.perms.Grant(o, itsm.DomainProblem, itsm.AccessAll)
		w.perms.Grant(o, itsm.DomainIncident, itsm.AccessAll)
		w.perms.Grant(o, itsm.DomainKnowledge, itsm.AccessAll)
	}
	w.perms.Grant(cityID, itsm.DomainKnowledge, itsm.AccessRead|itsm.AccessWrite)
	w.perms.Grant(townID, itsm.DomainKnowledge, itsm.AccessRead)
	w.perms.Grant(cityID, itsm.DomainIncident, itsm.AccessRead)
	checker, err := problem.New(problem.Config{Store: store, Directory: w.dir, Permissions: w.perms})
	w.ok(err)
	w.inc, err = incident.New(incident.Config{Store: store, Directory: w.dir, Permissions: w.perms,
		Matrix: itsm.ITILMatrix(), Clock: w.clock, Workarounds: checker})
	w.ok(err)
	w.prb, err = problem.New(problem.Config{Store: store, Directory: w.dir, Permissions: w.perms, Incidents: w.inc, Clock: w.clock})
	w.ok(err)
	w.svc = w.service()
	return w
}

// service starts a knowledge service on the world's store; it polls
// rarely, so that the tests say when it catches up (Sync).
func (w *world) service() *knowledge.Service {
	w.t.Helper()
	cfg := knowledge.Config{Store: w.store, Directory: w.dir, Permissions: w.perms,
		Incidents: w.inc, Clock: w.clock, Poll: time.Hour}
	if w.configure != nil {
		w.configure(&cfg)
	}
	svc, err := knowledge.New(w.ctx, cfg)
	w.ok(err)
	w.t.Cleanup(func() { svc.Close() })
	return svc
}

func (w *world) ok(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) code(err error, c itsm.Code) {
	w.t.Helper()
	if !itsm.IsCode(err, c) {
		w.t.Fatalf("got %v, want code %s", err, c)
	}
}

// seq is the last sequence number of the event log.
func (w *world) seq() int64 {
	w.t.Helper()
	var last int64
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		for {
			es, err := tx.Events(last, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			last = es[len(es)-1].Seq
		}
	}))
	return last
}

// refuse runs cmd, which must fail with code c and write nothing.
func (w *world) refuse(c itsm.Code, cmd func() error) {
	w.t.Helper()
	before := w.seq()
	err := cmd()
	w.code(err, c)
	if after := w.seq(); after != before {
		w.t.Fatalf("a refused command (%v) wrote events %d to %d", err, before+1, after)
	}
}

// content is an article's content for audience a.
func content(title, body string, a knowledge.Audience, customers ...itsm.ID) knowledge.Content {
	return knowledge.Content{Title: title, Body: body, Service: "e-post", Category: "konto",
		Keywords: []string{"lösenord"}, Audience: a, Customers: customers}
}

// published creates and publishes an article of the desk.
func (w *world) published(title, body string, a knowledge.Audience, customers ...itsm.ID) *knowledge.Article {
	w.t.Helper()
	art, err := w.svc.Create(w.ctx, w.deskAgent, knowledge.Draft{Kind: knowledge.KindGuide, Language: knowledge.Swedish,
		Content: content(title, body, a, customers...)})
	w.ok(err)
	_, err = w.svc.Submit(w.ctx, w.deskAgent, art.ID)
	w.ok(err)
	art, err = w.svc.Publish(w.ctx, w.deskAgent, art.ID, knowledge.Publishing{})
	w.ok(err)
	return art
}

// replayed checks that the article stored is the fold of its events.
func (w *world) replayed(id itsm.ID) {
	w.t.Helper()
	var events []itsm.Event
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var err error
		events, err = itsm.AllEventsOf(tx, knowledge.Kind, id)
		return err
	}))
	got, err := knowledge.Replay(events)
	w.ok(err)
	stored, err := w.svc.Get(w.ctx, w.deskAgent, id)
	w.ok(err)
	got.Version, got.Stats, got.PastReview = stored.Version, stored.Stats, stored.PastReview
	if got.Published != nil {
		got.Published.HTML = stored.Published.HTML
	}
	if d := diff(got, stored); d != "" {
		w.t.Fatalf("replay of %s differs from the record: %s", stored.Number, d)
	}
}

func diff(a, b any) string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) == string(jb) {
		return ""
	}
	return "\n" + string(ja) + "\n" + string(jb)
}

// incident registers an incident of the city at the desk.
func (w *world) incident() itsm.ID {
	w.t.Helper()
	inc, err := w.inc.Register(w.ctx, w.deskAgent, incident.Registration{
		Customer: cityID, Caller: incident.Caller{Person: "ulla", Name: "Ulla User", Contact: "+46701234567"},
		Channel: incident.ChannelPhone, Service: "e-post", Category: "konto",
		Summary: "Glömt lösenord", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium,
	})
	w.ok(err)
	return inc.ID
}
