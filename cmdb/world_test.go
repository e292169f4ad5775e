package cmdb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_cmdb_")
}

var (
	deskID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000d1")
	desk2ID = itsm.MustParseID("01900000-0000-7000-8000-0000000000d2")
	telcoID = itsm.MustParseID("01900000-0000-7000-8000-0000000000e1")
	hostID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000e3")
	cityID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000c1")
	// bareID is a supplier without any right in the CMDB; loneID a
	// supplier that does not work with the desk.
	bareID = itsm.MustParseID("01900000-0000-7000-8000-0000000000e2")
	loneID = itsm.MustParseID("01900000-0000-7000-8000-0000000000e4")
)

// world is a desk with two suppliers (Telco, Host) and a customer (City),
// another desk, a supplier without rights (Bare) and one that does not
// work with the desk (Lone), and the CMDB over one store, on Monday 7
// December 2026 in Stockholm. The desks and the suppliers may read, write
// and report; the city reads.
type world struct {
	t     testing.TB
	ctx   context.Context
	store itsm.Store
	clock *itsm.ManualClock
	dir   incident.Organisations
	perms *itsm.Permissions
	svc   *cmdb.Service

	deskAgent, deskUser, telAgent, hostAgent, cityAgent, desk2Agent, bareAgent, loneAgent itsm.Actor
}

func person(org itsm.ID, name string, roles ...itsm.Role) itsm.Actor {
	return itsm.Actor{Organisation: org, Person: name, Roles: roles}
}

func newWorld(t testing.TB, store itsm.Store) *world {
	t.Helper()
	zone, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: context.Background(), store: store,
		clock:      itsm.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, zone)),
		deskAgent:  person(deskID, "axel", itsm.RoleAgent),
		deskUser:   person(deskID, "nils"),
		telAgent:   person(telcoID, "tove", itsm.RoleAgent),
		hostAgent:  person(hostID, "hugo", itsm.RoleAgent),
		cityAgent:  person(cityID, "cissi", itsm.RoleAgent),
		desk2Agent: person(desk2ID, "dag", itsm.RoleAgent),
		bareAgent:  person(bareID, "bo", itsm.RoleAgent),
		loneAgent:  person(loneID, "lo", itsm.RoleAgent),
	}
	w.dir, err = incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: desk2ID, Name: "Other desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: telcoID, Name: "Telco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: hostID, Name: "Host", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer},
		itsm.Organisation{ID: bareID, Name: "Bare", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: loneID, Name: "Lone", Role: itsm.OrgSupplier})
	w.ok(err)
	w.perms = itsm.NewPermissions()
	for _, o := range []itsm.ID{deskID, desk2ID, telcoID, hostID, loneID} {
		w.perms.Grant(o, itsm.DomainCMDB, itsm.AccessAll)
	}
	w.perms.Grant(cityID, itsm.DomainCMDB, itsm.AccessRead|itsm.AccessWrite)
	w.svc = w.service()
	return w
}

// worksWith: Lone works with no desk; everyone else with every desk.
func worksWith(desk, org itsm.ID) bool { return org != loneID }

// service starts a CMDB service on the world's store; it polls rarely,
// so that the tests say when it catches up (Sync).
func (w *world) service() *cmdb.Service {
	w.t.Helper()
	svc, err := cmdb.New(w.ctx, cmdb.Config{Store: w.store, Directory: w.dir, Permissions: w.perms,
		WorksWith: worksWith, Clock: w.clock, Poll: time.Hour})
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

// footprint is a digest of everything the CMDB stored: the log's end and
// every item record.
func (w *world) footprint() string {
	w.t.Helper()
	h := sha256.New()
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var last int64
		for {
			es, err := tx.Events(last, itsm.MaxLimit)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				break
			}
			last = es[len(es)-1].Seq
		}
		fmt.Fprintln(h, last)
		return itsm.Scan(w.ctx, tx, itsm.Query{Kind: cmdb.KindItem, Limit: itsm.MaxLimit}, func(hit itsm.Hit) error {
			fmt.Fprintf(h, "%s %d %s\n", hit.Record.ID, hit.Record.Version, hit.Record.Body)
			return nil
		})
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// refuse runs cmd, which must fail with code c and write nothing.
func (w *world) refuse(c itsm.Code, cmd func() error) error {
	w.t.Helper()
	before := w.footprint()
	err := cmd()
	w.code(err, c)
	if after := w.footprint(); after != before {
		w.t.Fatalf("a refused command (%v) wrote", err)
	}
	return err
}

// item creates an item of the desk by the desk's agent.
func (w *world) item(class, name string, attrs map[string]string, rs ...cmdb.Relation) *cmdb.Item {
	w.t.Helper()
	n := cmdb.NewItem{Class: class, Relations: rs, ItemEdit: cmdb.ItemEdit{Name: name, Attributes: attrs}}
	if class == "cluster" {
		n.Redundancy = &cmdb.Redundancy{Min: 1}
	}
	it, err := w.svc.Create(w.ctx, w.deskAgent, n)
	w.ok(err)
	return it
}

// server creates a server of the desk named host.
func (w *world) server(host string, rs ...cmdb.Relation) *cmdb.Item {
	w.t.Helper()
	return w.item("server", host, map[string]string{"host_name": host}, rs...)
}

func rel(typ string, to *cmdb.Item) cmdb.Relation { return cmdb.Relation{Type: typ, To: to.ID} }

// replayed checks that the item stored is the fold of its events.
func (w *world) replayed(id itsm.ID) {
	w.t.Helper()
	checkReplay(w, cmdb.KindItem, id, cmdb.Replay, w.svc.Get, func(it *cmdb.Item) (*int64, itsm.Number) { return &it.Version, it.Number })
}

// checkReplay fails the test unless the record of kind with id, as get
// reads it, is the fold of its events by replay, version aside: one check
// for items, changes and imports.
func checkReplay[T any](w *world, kind string, id itsm.ID, replay func([]itsm.Event) (*T, error),
	get func(context.Context, itsm.Actor, itsm.ID) (*T, error), version func(*T) (*int64, itsm.Number)) {
	w.t.Helper()
	var events []itsm.Event
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var err error
		events, err = itsm.AllEventsOf(tx, kind, id)
		return err
	}))
	got, err := replay(events)
	w.ok(err)
	stored, err := get(w.ctx, w.deskAgent, id)
	w.ok(err)
	v, _ := version(got)
	sv, number := version(stored)
	*v = *sv
	if d := diff(got, stored); d != "" {
		w.t.Fatalf("replay of %s %s differs from the record: %s", kind, number, d)
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
