package problem_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
)

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

// backends opens a fresh store of each kind (see internal/backendtest).
func backends() map[string]func(t testing.TB) itsm.Store {
	return backendtest.Open("spoc_problem_")
}

var (
	deskID   = itsm.MustParseID("01900000-0000-7000-8000-0000000000d1")
	desk2ID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000d2")
	telcoID  = itsm.MustParseID("01900000-0000-7000-8000-0000000000e1")
	mailcoID = itsm.MustParseID("01900000-0000-7000-8000-0000000000e2")
	cityID   = itsm.MustParseID("01900000-0000-7000-8000-0000000000c1")
)

// world is a desk with two suppliers and a city, another desk, their
// groups, an incident service and a problem service over one store, at
// 09:00 on Monday 7 December 2026 in Stockholm. Telco and Mailco read and
// write problems, the city reads them; the other desk has every right
// but owns none of them.
type world struct {
	t     testing.TB
	ctx   context.Context
	store itsm.Store
	clock *itsm.ManualClock
	dir   incident.Organisations
	perms *itsm.Permissions
	inc   *incident.Service
	svc   *problem.Service

	deskAgent, deskUser, telAgent, mailAgent, cityUser, desk2Agent itsm.Actor
	// deskLine and deskSecond are the desk's groups, telNet Telco's and
	// mailOps Mailco's.
	deskLine, deskSecond, telNet, mailOps itsm.ID
}

func person(org itsm.ID, name string, roles ...itsm.Role) itsm.Actor {
	return itsm.Actor{Organisation: org, Person: name, Roles: roles}
}

// newWorld builds the world's services on store and creates its groups.
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
		mailAgent:  person(mailcoID, "max", itsm.RoleAgent),
		cityUser:   person(cityID, "clara", itsm.RoleAgent),
		desk2Agent: person(desk2ID, "dag", itsm.RoleAgent),
	}
	w.dir, err = incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: desk2ID, Name: "Other desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: telcoID, Name: "Telco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: mailcoID, Name: "Mailco", Role: itsm.OrgSupplier},
		itsm.Organisation{ID: cityID, Name: "City", Role: itsm.OrgCustomer})
	w.ok(err)
	w.perms = itsm.NewPermissions()
	for _, o := range []itsm.ID{deskID, desk2ID, telcoID, mailcoID} {
		w.perms.Grant(o, itsm.DomainProblem, itsm.AccessAll)
		w.perms.Grant(o, itsm.DomainIncident, itsm.AccessAll)
	}
	w.perms.Grant(cityID, itsm.DomainProblem, itsm.AccessRead)
	w.perms.Grant(cityID, itsm.DomainIncident, itsm.AccessRead)
	groups, err := chain.New(chain.Config{Store: store, Directory: w.dir, Clock: w.clock})
	w.ok(err)
	admin := func(org itsm.ID) itsm.Actor { return person(org, "admin", itsm.RoleAdmin) }
	group := func(org itsm.ID, name string, members ...string) itsm.ID {
		g, err := groups.Create(w.ctx, admin(org), org, chain.Definition{Name: name, Members: members})
		w.ok(err)
		return g.ID
	}
	w.deskLine = group(deskID, "First line", "axel")
	w.deskSecond = group(deskID, "Second line", "axel")
	w.telNet = group(telcoID, "Network", "tove")
	w.mailOps = group(mailcoID, "Operations", "max")
	// A problem service without incidents serves incident's check of
	// workarounds; the one with incidents runs the commands.
	checker, err := problem.New(problem.Config{Store: store, Directory: w.dir, Permissions: w.perms})
	w.ok(err)
	w.inc, err = incident.New(incident.Config{Store: store, Directory: w.dir, Permissions: w.perms,
		Matrix: itsm.ITILMatrix(), Clock: w.clock, Workarounds: checker})
	w.ok(err)
	w.svc, err = problem.New(problem.Config{Store: store, Directory: w.dir, Permissions: w.perms, Incidents: w.inc, Clock: w.clock})
	w.ok(err)
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

// incident registers an incident of the city at the desk.
func (w *world) incident(summary string) *incident.Incident {
	w.t.Helper()
	inc, err := w.inc.Register(w.ctx, w.deskAgent, incident.Registration{
		Customer: cityID, Caller: incident.Caller{Person: "ulla", Name: "Ulla User", Contact: "+46701234567"},
		Channel: incident.ChannelPhone, Service: "mail", Category: "outage",
		Summary: summary, Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium,
	})
	w.ok(err)
	return inc
}

// record records a problem at the desk as its agent.
func (w *world) record(summary string, incidents ...itsm.ID) *problem.Problem {
	w.t.Helper()
	p, err := w.svc.Record(w.ctx, w.deskAgent, problem.Recording{Summary: summary, Service: "mail", Category: "outage",
		Priority: 2, Group: w.deskLine, Incidents: incidents, Wait: true})
	w.ok(err)
	return p
}

// workaround records a workaround at the desk as actor.
func (w *world) workaround(actor itsm.Actor, title string) *problem.Workaround {
	w.t.Helper()
	wa, err := w.svc.RecordWorkaround(w.ctx, actor, problem.WorkaroundDraft{Desk: deskID, Title: title,
		Steps: "Restart the mail client.", Risk: problem.RiskLow, Applier: []problem.Applier{problem.ApplierUser}})
	w.ok(err)
	return wa
}

// draft is a known error's draft.
func draft(title string, workarounds ...itsm.ID) problem.KnownErrorDraft {
	return problem.KnownErrorDraft{Desk: deskID, Title: title, Symptom: "Mail stops arriving.",
		RootCause: "The relay's certificate expired.", ErrorCodes: []string{"SMTP 454"}, Services: []string{"mail"},
		Workarounds: workarounds}
}

// seq is the last sequence number of the event log.
func (w *world) seq() int64 {
	w.t.Helper()
	var last int64
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		for {
			es, err := tx.Events(last, itsm.MaxLimit)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				return nil
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

// replayed checks that the problem stored is the fold of its events.
func (w *world) replayed(p *problem.Problem) {
	w.t.Helper()
	var events []itsm.Event
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var err error
		events, err = problem.History(tx, problem.Kind, p.ID)
		return err
	}))
	got, err := problem.Replay(events)
	w.ok(err)
	stored, err := w.svc.Get(w.ctx, w.deskAgent, p.ID)
	w.ok(err)
	got.Version = stored.Version
	if d := diff(got, stored); d != "" {
		w.t.Fatalf("replay of %s differs from the record: %s", p.Number, d)
	}
}

// diff returns "" when a and b encode to the same JSON, else both.
func diff(a, b any) string {
	ja, err := json.Marshal(a)
	if err != nil {
		return err.Error()
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return err.Error()
	}
	if string(ja) == string(jb) {
		return ""
	}
	return "\n" + string(ja) + "\n" + string(jb)
}

// queueOf is the queue of the problems group holds.
func queueOf(group itsm.ID) *chain.Queue { return &chain.Queue{Group: group} }
