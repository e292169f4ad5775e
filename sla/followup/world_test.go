package followup_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Stockholm wherever the tests run

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// directory is a Directory held in a map.
type directory map[itsm.ID]itsm.Organisation

func (d directory) Organisation(_ context.Context, id itsm.ID) (itsm.Organisation, error) {
	if o, ok := d[id]; ok {
		return o, nil
	}
	return itsm.Organisation{}, itsm.Errorf(itsm.CodeNotFound, "organisation %s is unknown", id)
}

// computer stands in for report.Compute: it returns a hand-made report whose
// figures the test sets, so that a test can make the "same" month compute to
// other figures later, and counts its calls.
type computer struct {
	mu       sync.Mutex
	resolved int // the figure that changes between computations
	calls    int
	err      error
	// wrongPeriod and none make it misbehave.
	wrongPeriod, none bool
}

func (c *computer) set(resolved int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resolved = resolved
}

func (c *computer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// compute returns the report of the desk's SLA with the customer.
func (c *computer) compute() followup.ComputeFunc {
	return func(_ context.Context, desk, customer itsm.ID, p report.Period) (*report.Report, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.calls++
		switch {
		case c.err != nil:
			return nil, c.err
		case c.none:
			return nil, nil
		case c.wrongPeriod:
			p.To = p.To.AddDate(0, 0, -1)
		}
		met := c.resolved - 1
		compliance := float64(met) / float64(c.resolved)
		return &report.Report{
			Period: p,
			Total:  report.Figures{Registered: c.resolved + 2, Resolved: c.resolved, Closed: c.resolved},
			Agreements: []report.AgreementFigures{{
				Agreement: "city SLA", Kind: sla.KindSLA, Provider: desk, Consumer: customer, Objective: 0.95,
				Metrics: []report.MetricFigures{{Agreement: "city SLA", Kind: sla.KindSLA, Provider: desk,
					Metric: sla.MetricResolution, Met: met, Breached: 1, Compliance: &compliance, Objective: 0.95,
					Shortfall: max(0, 0.95-compliance), Stopped: c.resolved, Mean: new(report.Duration(3 * time.Hour))}},
				Credit: &report.Credit{Percent: 5, Amount: 2500, Currency: "SEK"},
			}},
		}, nil
	}
}

var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return loc
}()

// slas answers Config.Provides from a map of desk to the customers it
// provides an SLA to.
type slas map[itsm.ID][]itsm.ID

func (m slas) provides(_ context.Context, desk, customer itsm.ID) (bool, error) {
	return slices.Contains(m[desk], customer), nil
}

// world is a delivery with two customers, two desks (one of which drafts),
// a desk without report rights and a supplier, and a person for every part.
type world struct {
	t     *testing.T
	ctx   context.Context
	store itsm.Store
	clock *itsm.ManualClock
	calc  *computer
	svc   *followup.Service
	dir   directory
	perms *itsm.Permissions
	// slas are the customers each desk provides an SLA to.
	slas slas

	city, town, desk, desk2, weakDesk, net itsm.Organisation

	agent, clerk, agent2, weakAgent  itsm.Actor // desks
	approver, cityUser, townApprover itsm.Actor // customers
	netAgent                         itsm.Actor // supplier
	nov, oct                         report.Period
}

func newWorld(t *testing.T) *world { return newWorldOn(t, nil) }

func newWorldOn(t *testing.T, store itsm.Store) *world {
	t.Helper()
	if store == nil {
		ms := memstore.New()
		t.Cleanup(func() { ms.Close() })
		store = ms
	}
	w := &world{t: t, ctx: context.Background(), store: store, calc: &computer{resolved: 40},
		clock: itsm.NewManualClock(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))}
	org := func(name string, role itsm.OrgRole) itsm.Organisation {
		return itsm.Organisation{ID: itsm.NewID(), Name: name, Role: role}
	}
	w.city, w.town = org("City", itsm.OrgCustomer), org("Town", itsm.OrgCustomer)
	w.desk, w.desk2, w.weakDesk = org("Desk", itsm.OrgDesk), org("Other desk", itsm.OrgDesk), org("Weak desk", itsm.OrgDesk)
	w.net = org("Network", itsm.OrgSupplier)
	dir := directory{}
	for _, o := range []itsm.Organisation{w.city, w.town, w.desk, w.desk2, w.weakDesk, w.net} {
		dir[o.ID] = o
	}
	perms := itsm.NewPermissions().
		Grant(w.desk.ID, itsm.DomainServiceLevel, itsm.AccessAll).
		Grant(w.desk2.ID, itsm.DomainServiceLevel, itsm.AccessAll).
		Grant(w.weakDesk.ID, itsm.DomainServiceLevel, itsm.AccessRead|itsm.AccessWrite).
		Grant(w.city.ID, itsm.DomainServiceLevel, itsm.AccessRead|itsm.AccessWrite|itsm.AccessReport).
		Grant(w.town.ID, itsm.DomainServiceLevel, itsm.AccessRead|itsm.AccessWrite|itsm.AccessReport).
		Grant(w.net.ID, itsm.DomainServiceLevel, itsm.AccessAll)
	person := func(o itsm.Organisation, name string, roles ...itsm.Role) itsm.Actor {
		return itsm.Actor{Organisation: o.ID, Person: name, Roles: roles}
	}
	w.agent = person(w.desk, "dana", itsm.RoleAgent)
	w.clerk = person(w.desk, "dirk")
	w.agent2 = person(w.desk2, "olga", itsm.RoleAgent)
	w.weakAgent = person(w.weakDesk, "walt", itsm.RoleAgent)
	w.approver = person(w.city, "carl", itsm.RoleApprover)
	w.cityUser = person(w.city, "ulla")
	w.townApprover = person(w.town, "tove", itsm.RoleApprover)
	w.netAgent = person(w.net, "nils", itsm.RoleAgent, itsm.RoleApprover)
	w.nov = report.Month(2026, time.November, stockholm)
	w.oct = report.Month(2026, time.October, stockholm)
	w.dir, w.perms = dir, perms
	// The other desk serves neither customer until a test says so.
	w.slas = slas{w.desk.ID: {w.city.ID, w.town.ID}, w.weakDesk.ID: {w.city.ID}}
	w.use(w.calc.compute())
	return w
}

// use makes the world's service compute reports with compute.
func (w *world) use(compute followup.ComputeFunc) {
	w.t.Helper()
	svc, err := followup.New(followup.Config{Store: w.store, Directory: w.dir, Permissions: w.perms, Clock: w.clock,
		Provides: w.slas.provides, Compute: compute})
	if err != nil {
		w.t.Fatal(err)
	}
	w.svc = svc
}

// must fails the test on err and moves the clock on, so that every change
// has its own time.
func (w *world) must(f *followup.FollowUp, err error) *followup.FollowUp {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	w.clock.Advance(time.Hour)
	return f
}

func (w *world) draft(customer itsm.ID, p report.Period) *followup.FollowUp {
	w.t.Helper()
	return w.must(w.svc.Draft(w.ctx, w.agent, customer, p))
}

// log returns the whole event log.
func (w *world) log() []itsm.Event {
	w.t.Helper()
	var out []itsm.Event
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var after int64
		for {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			out = append(out, es...)
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// events returns the events of one follow-up.
func (w *world) events(key itsm.ID) []itsm.Event {
	w.t.Helper()
	var out []itsm.Event
	for _, e := range w.log() {
		if e.Subject == key {
			out = append(out, e)
		}
	}
	return out
}

func types(es []itsm.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

// payload decodes an event's data into a map, for checks by field name.
func payload(t *testing.T, e itsm.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantErr fails unless err has the code and its message contains every part.
func wantErr(t *testing.T, err error, code itsm.Code, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if !itsm.IsCode(err, code) {
		t.Fatalf("error %q has code %s, want %s", err, itsm.ErrorCode(err), code)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// resolvedOf decodes a version's report and returns its figure.
func resolvedOf(t *testing.T, v *followup.Version) int {
	t.Helper()
	r, err := v.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return r.Total.Resolved
}
