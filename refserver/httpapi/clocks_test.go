package httpapi_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/sla"
)

// TestClocksPerParty checks who sees which service-level clocks: the desk
// every one, a supplier those of its own agreement (SD-13), the customer
// those of its SLA; in an incident's clocks and among the due ones.
func TestClocksPerParty(t *testing.T) {
	desk := itsm.Organisation{ID: itsm.NewID(), Name: "Desk", Role: itsm.OrgDesk}
	city := itsm.Organisation{ID: itsm.NewID(), Name: "City", Role: itsm.OrgCustomer}
	net := itsm.Organisation{ID: itsm.NewID(), Name: "Network", Role: itsm.OrgSupplier}
	always, err := sla.NewCalendar(sla.CalendarSpec{Name: "24x7", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	done := []itsm.State{incident.StateResolved, incident.StateClosed, incident.StateCancelled}
	targets := func(within time.Duration) []sla.Target {
		var out []sla.Target
		for p := itsm.Priority(1); p <= 4; p++ {
			out = append(out, sla.Target{Metric: sla.MetricResolution, Priority: p, Within: within, Calendar: always, Stop: done})
		}
		return out
	}
	w := newWorldWith(t, []itsm.Organisation{desk, city, net}, []*sla.Agreement{
		{Name: "City SLA", Kind: sla.KindSLA, Provider: desk.ID, Consumer: city.ID, Objective: 0.95, Targets: targets(8 * time.Hour)},
		{Name: "Network UC", Kind: sla.KindUC, Provider: net.ID, Consumer: desk.ID, Objective: 0.9, Targets: targets(4 * time.Hour)},
	})
	c := &chain{world: w, desk: desk.ID, city: city.ID, supA: net.ID}
	for _, g := range []struct {
		org itsm.ID
		acc []api.Access
	}{{desk.ID, []api.Access{api.AccessRead, api.AccessWrite}}, {net.ID, []api.Access{api.AccessRead, api.AccessWrite}}, {city.ID, []api.Access{api.AccessRead}}} {
		if r, err := w.admin.GrantPermissionsWithResponse(w.ctx, g.org, api.Rights{Domain: itsm.DomainIncident, Access: g.acc}); err != nil || r.JSON200 == nil {
			t.Fatalf("grant: %v %s", err, body(r))
		}
	}
	c.agent = w.token(itsm.Actor{Organisation: desk.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}})
	c.alice = w.token(itsm.Actor{Organisation: net.ID, Person: "nils", Roles: []itsm.Role{itsm.RoleAgent}})
	c.user = w.token(itsm.Actor{Organisation: city.ID, Person: "ulla"})
	inc := c.register("", "The city's network is down", city.ID)
	if r, err := c.agent.DelegateIncidentWithResponse(w.ctx, inc.ID, nil, api.Delegation{Organisation: net.ID}); err != nil || r.JSON200 == nil {
		t.Fatalf("delegate: %v %s", err, body(r))
	}

	kinds := func(clocks []api.Clock) map[sla.Kind]int {
		out := map[sla.Kind]int{}
		for _, c := range clocks {
			out[c.Kind]++
		}
		return out
	}
	deskClocks, err := c.agent.GetIncidentClocksWithResponse(w.ctx, inc.ID)
	if err != nil || deskClocks.JSON200 == nil {
		t.Fatalf("desk clocks: %v %s", err, body(deskClocks))
	}
	if k := kinds(deskClocks.JSON200.Items); k[sla.KindSLA] != 1 || k[sla.KindUC] != 1 {
		t.Errorf("the desk's clocks: %v, want the SLA's and the UC's", k)
	}
	supClocks, err := c.alice.GetIncidentClocksWithResponse(w.ctx, inc.ID)
	if err != nil || supClocks.JSON200 == nil {
		t.Fatalf("supplier clocks: %v %s", err, body(supClocks))
	}
	if k := kinds(supClocks.JSON200.Items); k[sla.KindSLA] != 0 || k[sla.KindUC] != 1 {
		t.Errorf("the supplier's clocks: %v, want its UC's only", k)
	}
	custClocks, err := c.user.GetIncidentClocksWithResponse(w.ctx, inc.ID)
	if err != nil || custClocks.JSON200 == nil {
		t.Fatalf("customer clocks: %v %s", err, body(custClocks))
	}
	if k := kinds(custClocks.JSON200.Items); k[sla.KindSLA] != 1 || k[sla.KindUC] != 0 {
		t.Errorf("the customer's clocks: %v, want its SLA's only", k)
	}

	dueKinds := func(page *api.DueClockPage) map[sla.Kind]int {
		out := map[sla.Kind]int{}
		for _, c := range page.Items {
			out[c.Kind]++
		}
		return out
	}
	if r, err := c.agent.ListDueClocksWithResponse(w.ctx, nil); err != nil || r.JSON200 == nil {
		t.Errorf("the desk's due clocks: %v %s", err, body(r))
	} else if k := dueKinds(r.JSON200); k[sla.KindSLA] != 1 || k[sla.KindUC] != 1 {
		t.Errorf("the desk's due clocks: %v", k)
	}
	if r, err := c.alice.ListDueClocksWithResponse(w.ctx, &api.ListDueClocksParams{Provider: net.ID}, dropZeros); err != nil || r.JSON200 == nil {
		t.Errorf("the supplier's due clocks: %v %s", err, body(r))
	} else if k := dueKinds(r.JSON200); k[sla.KindSLA] != 0 || k[sla.KindUC] != 1 {
		t.Errorf("the supplier's due clocks: %v", k)
	}
	if r, err := c.alice.ListDueClocksWithResponse(w.ctx, &api.ListDueClocksParams{Provider: desk.ID}, dropZeros); err != nil || r.StatusCode() != 403 {
		t.Errorf("the supplier asking for the desk's due clocks: %v %s, want 403", err, body(r))
	}
	if r, err := c.user.ListDueClocksWithResponse(w.ctx, nil); err != nil || r.JSON200 == nil {
		t.Errorf("the customer's due clocks: %v %s", err, body(r))
	} else if k := dueKinds(r.JSON200); k[sla.KindSLA] != 1 || k[sla.KindUC] != 0 {
		t.Errorf("the customer's due clocks: %v", k)
	}
}
