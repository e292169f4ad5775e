package request_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_request_")
}

var (
	deskID   = itsm.MustParseID("01900000-0000-7000-8000-0000000000d1")
	telcoID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000e1")
	mailcoID = itsm.MustParseID("01900000-0000-7000-8000-0000000000e2")
	cityID   = itsm.MustParseID("01900000-0000-7000-8000-0000000000c1")
	townID   = itsm.MustParseID("01900000-0000-7000-8000-0000000000c2")
)

// world is a desk, two suppliers and a city that orders from the desk's
// catalogue, at 09:00 on Monday 7 December 2026 in Stockholm.
type world struct {
	t       testing.TB
	ctx     context.Context
	store   itsm.Store
	clock   *itsm.ManualClock
	zone    *time.Location
	cat     *catalogue.Catalogue
	lists   *authority.Lists
	index   *authority.Index
	svc     *request.Service
	fulfils *countingFulfiller
	// dir and perms are the directory and permissions every service of
	// the world shares.
	dir   incident.Organisations
	perms *itsm.Permissions

	deskAdmin, deskAgent, telAgent, mailAgent, townAgent itsm.Actor
	cityAdmin, anna, bo, cilla, dan, eve                 itsm.Actor
}

func person(org itsm.ID, name string, roles ...itsm.Role) itsm.Actor {
	return itsm.Actor{Organisation: org, Person: name, Roles: roles}
}

// newWorld builds the world's services on store, writing nothing to it;
// tune may change the request service's configuration before it is made.
func newWorld(t testing.TB, store itsm.Store, tune ...func(*request.Config)) *world {
	t.Helper()
	zone, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: context.Background(), store: store, zone: zone,
		clock:     itsm.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, zone)),
		deskAdmin: person(deskID, "dora", itsm.RoleAdmin, itsm.RoleAgent),
		deskAgent: person(deskID, "axel", itsm.RoleAgent),
		telAgent:  person(telcoID, "tove", itsm.RoleAgent),
		mailAgent: person(mailcoID, "max", itsm.RoleAgent),
		townAgent: person(townID, "tor", itsm.RoleAgent),
		cityAdmin: person(cityID, "clara", itsm.RoleAdmin),
		anna:      person(cityID, "anna"),
		bo:        person(cityID, "bo"),
		cilla:     person(cityID, "cilla"),
		dan:       person(cityID, "dan"),
		eve:       person(cityID, "eve"),
		fulfils:   &countingFulfiller{done: map[string]int{}},
	}
	dir, err := incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: telcoID, Name: "Telco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: mailcoID, Name: "Mailco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer},
		itsm.Organisation{ID: townID, Name: "Town", Role: itsm.OrgCustomer})
	if err != nil {
		t.Fatal(err)
	}
	perms := itsm.NewPermissions()
	for _, o := range []itsm.ID{deskID, telcoID, mailcoID, cityID, townID} {
		perms.Grant(o, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite)
	}
	if w.cat, err = catalogue.New(catalogue.Config{Store: store, Directory: dir, Permissions: perms, Clock: w.clock}); err != nil {
		t.Fatal(err)
	}
	if w.lists, err = authority.New(authority.Config{Store: store, Directory: dir, Permissions: perms, Clock: w.clock, Zone: zone}); err != nil {
		t.Fatal(err)
	}
	w.index = authority.NewIndex(zone)
	cal, err := sla.NewCalendar(sla.CalendarSpec{Name: "office", Location: zone,
		Week: sla.OfficeHours(8*time.Hour, 17*time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := request.Config{Store: store, Directory: dir, Permissions: perms,
		Catalogue: w.cat, Authority: w.index, Calendar: cal, Fulfiller: w.fulfils, Clock: w.clock}
	for _, f := range tune {
		f(&cfg)
	}
	w.dir, w.perms = dir, perms
	if w.svc, err = request.New(cfg); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) ok(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// code checks that err has the code.
func (w *world) code(err error, c itsm.Code) {
	w.t.Helper()
	if !itsm.IsCode(err, c) {
		w.t.Fatalf("got %v, want code %s", err, c)
	}
}

// today is the world's day in Stockholm, plus days.
func (w *world) today(days int) sla.Date {
	return sla.DateOf(w.clock.Now().In(w.zone)).AddDays(days)
}

// grant puts p on the city's list as role for service Telefoni from today.
func (w *world) grant(p itsm.Actor, role authority.Role, item itsm.ID) *authority.Grant {
	w.t.Helper()
	g := authority.Grant{Customer: cityID, Person: p.Person, Role: role, From: w.today(0)}
	if item.IsZero() {
		g.Service = "Telefoni"
	} else {
		g.Item = item
	}
	out, err := w.lists.Grant(w.ctx, w.cityAdmin, g)
	w.ok(err)
	return out
}

var phoneForm = json.RawMessage(`{"type":"object","properties":{"model":{"type":"string","enum":["Fairphone","Other"]},"number_port":{"type":"boolean"}},"required":["model"],"additionalProperties":false}`)

func text(sv, en string) catalogue.Text { return catalogue.Text{SV: sv, EN: en} }

// phone is the tender's order of type C: a mobile phone with a
// subscription and e-mail sync, the phone (Telco) before the sync
// (Mailco), approved by any one approver within a working day.
func phone() catalogue.Definition {
	return catalogue.Definition{
		Name: text("Mobiltelefon med abonnemang", "Mobile phone with subscription"), Description: text("Telefon, abonnemang och e-postsynk.", "Phone, subscription and e-mail sync."),
		Service: "Telefoni", Owner: "bo", Type: catalogue.TypeC, Form: phoneForm,
		Tasks: []catalogue.Task{
			{Key: "phone", Name: text("Telefon och abonnemang", "Phone and subscription"), Supplier: telcoID},
			{Key: "sync", Name: text("E-postsynk", "E-mail sync"), Supplier: mailcoID, After: []string{"phone"}},
		},
		Approval:   &catalogue.Approval{Rule: catalogue.ApproveAny, Within: 9 * time.Hour, Remind: 4 * time.Hour},
		Agreements: []string{"Requests"},
	}
}

// account is the tender's order of type B: a new user account in a
// system, approved by its owner, handled by the desk.
func account() catalogue.Definition {
	return catalogue.Definition{
		Name: text("Nytt konto i ekonomisystemet", "New account in the finance system"), Description: text("Ett konto.", "An account."),
		Service: "Telefoni", Owner: "bo", Type: catalogue.TypeB,
		Form:     json.RawMessage(`{"type":"object","properties":{"user":{"type":"string","minLength":1}},"required":["user"]}`),
		Tasks:    []catalogue.Task{{Key: "account", Name: text("Skapa kontot", "Create the account")}},
		Approval: &catalogue.Approval{Rule: catalogue.ApproveAll, Within: 18 * time.Hour},
	}
}

// offer defines d in the city's catalogue and has its owner agree.
func (w *world) offer(d catalogue.Definition) itsm.ID {
	w.t.Helper()
	it, err := w.cat.Define(w.ctx, w.deskAdmin, cityID, d)
	w.ok(err)
	_, err = w.cat.Agree(w.ctx, person(cityID, d.Owner), it.ID, 1, "ok")
	w.ok(err)
	return it.ID
}

func (w *world) place(a itsm.Actor, item itsm.ID, answers string) (*request.Order, error) {
	return w.svc.Place(w.ctx, a, request.Placement{Item: item, Answers: json.RawMessage(answers)})
}

// task returns the order's task with key, as the desk reads it.
func (w *world) task(o *request.Order, key string) *request.Task {
	w.t.Helper()
	o, err := w.svc.GetOrder(w.ctx, w.deskAgent, o.ID)
	w.ok(err)
	for _, ts := range o.Tasks {
		if ts.Key == key {
			t, err := w.svc.GetTask(w.ctx, w.deskAgent, ts.ID)
			w.ok(err)
			return t
		}
	}
	w.t.Fatalf("order %s has no task %q", o.Number, key)
	return nil
}

// countingFulfiller fulfils orders of type A, remembering the keys it
// acted on so that it acts once per key, and failing as told.
type countingFulfiller struct {
	calls int
	done  map[string]int
	fail  error
	// hook, when set, runs inside each call, after counting it.
	hook func()
}

func (f *countingFulfiller) Fulfil(_ context.Context, ff request.Fulfilment) (request.Outcome, error) {
	f.calls++
	if f.hook != nil {
		f.hook()
	}
	if f.fail != nil {
		return request.Outcome{}, f.fail
	}
	f.done[ff.Key]++
	return request.Outcome{Note: "Done for " + ff.Requester}, nil
}
