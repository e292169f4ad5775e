package authority_test

import (
	"context"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/sla"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_authority_")
}

var (
	cityID  = itsm.MustParseID("01900000-0000-7000-8000-00000000c001")
	townID  = itsm.MustParseID("01900000-0000-7000-8000-00000000c002")
	deskID  = itsm.MustParseID("01900000-0000-7000-8000-00000000d001")
	desk2ID = itsm.MustParseID("01900000-0000-7000-8000-00000000d002")
	suppID  = itsm.MustParseID("01900000-0000-7000-8000-00000000e001")
	laptop  = itsm.MustParseID("01900000-0000-7000-8000-0000000011a1")
	phone   = itsm.MustParseID("01900000-0000-7000-8000-0000000011a2")
)

// directory is the organisations of the tests.
type directory map[itsm.ID]itsm.Organisation

func (d directory) Organisation(_ context.Context, id itsm.ID) (itsm.Organisation, error) {
	if o, ok := d[id]; ok {
		return o, nil
	}
	return itsm.Organisation{}, itsm.Errorf(itsm.CodeNotFound, "organisation %s is unknown", id)
}

var orgs = directory{
	cityID:  {ID: cityID, Name: "City", Role: itsm.OrgCustomer},
	townID:  {ID: townID, Name: "Town", Role: itsm.OrgCustomer},
	deskID:  {ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
	desk2ID: {ID: desk2ID, Name: "Other desk", Role: itsm.OrgDesk},
	suppID:  {ID: suppID, Name: "Supplier", Role: itsm.OrgSupplier},
}

type world struct {
	t     testing.TB
	ctx   context.Context
	store itsm.Store
	clock *itsm.ManualClock
	zone  *time.Location
	perms *itsm.Permissions
	lists *authority.Lists

	cityAdmin, alice, bob, carol, townAdmin, deskAgent, deskUser, desk2Agent, suppAgent, platform itsm.Actor
}

func stockholm(t testing.TB) *time.Location {
	z, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// newWorld is the lists of the city and the town on store, at 10:00 on
// Friday 27 March 2026 in Stockholm, two days before summer time begins.
func newWorld(t testing.TB, store itsm.Store) *world {
	w := &world{t: t, ctx: context.Background(), store: store, zone: stockholm(t)}
	w.clock = itsm.NewManualClock(time.Date(2026, 3, 27, 10, 0, 0, 0, w.zone))
	w.perms = itsm.NewPermissions()
	for _, o := range []itsm.ID{cityID, townID, deskID, desk2ID} {
		w.perms.Grant(o, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite)
	}
	w.perms.Grant(suppID, itsm.DomainRequest, itsm.AccessRead|itsm.AccessWrite)
	w.cityAdmin = itsm.Actor{Organisation: cityID, Person: "ada", Roles: []itsm.Role{itsm.RoleAdmin}}
	w.alice = itsm.Actor{Organisation: cityID, Person: "alice"}
	w.bob = itsm.Actor{Organisation: cityID, Person: "bob", Roles: []itsm.Role{itsm.RoleApprover}}
	w.carol = itsm.Actor{Organisation: cityID, Person: "carol"}
	w.townAdmin = itsm.Actor{Organisation: townID, Person: "tove", Roles: []itsm.Role{itsm.RoleAdmin}}
	w.deskAgent = itsm.Actor{Organisation: deskID, Person: "dan", Roles: []itsm.Role{itsm.RoleAgent}}
	w.deskUser = itsm.Actor{Organisation: deskID, Person: "dora"}
	w.desk2Agent = itsm.Actor{Organisation: desk2ID, Person: "dag", Roles: []itsm.Role{itsm.RoleAgent}}
	w.suppAgent = itsm.Actor{Organisation: suppID, Person: "sam", Roles: []itsm.Role{itsm.RoleAgent, itsm.RoleAdmin}}
	w.platform = itsm.Actor{Organisation: suppID, Person: "root", Roles: []itsm.Role{itsm.RoleAdmin}}
	var err error
	w.lists, err = authority.New(authority.Config{Store: store, Directory: orgs, Permissions: w.perms, Clock: w.clock,
		Admin:  func(a itsm.Actor) bool { return a.Person == "root" && a.Organisation == suppID },
		Serves: func(_ context.Context, desk, _ itsm.ID) (bool, error) { return desk == deskID, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// today is the date the world's clock reads, plus n days.
func (w *world) day(n int) sla.Date { return sla.DateOf(w.clock.Now().In(w.zone)).AddDays(n) }

func (w *world) grant(g authority.Grant) *authority.Grant {
	w.t.Helper()
	return must[*authority.Grant](w.t)(w.lists.Grant(w.ctx, w.cityAdmin, g))
}

// log is every event of the store.
func (w *world) log() []itsm.Event {
	w.t.Helper()
	var out []itsm.Event
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		for {
			page, err := tx.Events(int64(len(out)), itsm.MaxLimit)
			out = append(out, page...)
			if err != nil || len(page) < itsm.MaxLimit {
				return err
			}
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// index is an index built from the store.
func (w *world) index() *authority.Index {
	w.t.Helper()
	x := authority.NewIndex(w.zone)
	if err := x.Build(w.ctx, w.store); err != nil {
		w.t.Fatal(err)
	}
	return x
}

func wantCode(t testing.TB, err error, code itsm.Code, what string) {
	t.Helper()
	if !itsm.IsCode(err, code) {
		t.Errorf("%s: error %v, want %s", what, err, code)
	}
}
