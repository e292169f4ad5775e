package incident_test

import (
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/sla"
)

// TestRequestAgreementsMeasureNoIncident checks decision 82's rule from the
// incident side: an agreement scoped to requests measures no incident,
// whatever its parties, neither in its clocks nor in the due index, while
// one without a scope or scoped to incidents does.
func TestRequestAgreementsMeasureNoIncident(t *testing.T) {
	w := newWorld(t, func(c *incident.Config) {
		sla0 := *c.Agreements[0]
		explicit, orders := sla0, sla0
		explicit.Name, explicit.Scope = "city SLA for incidents", sla.ScopeIncidents
		orders.Name, orders.Scope = "city SLA for orders", sla.ScopeRequests
		// Due at other times than the others, so that the due index
		// would show its clocks.
		orders.Targets = slices.Clone(sla0.Targets)
		for i := range orders.Targets {
			orders.Targets[i].Within *= 2
		}
		c.Agreements = append(c.Agreements, &explicit, &orders)
	})
	inc := w.register("The printer is down")
	clocks, err := w.svc.Clocks(inc, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range clocks {
		if !slices.Contains(names, c.Agreement) {
			names = append(names, c.Agreement)
		}
	}
	if !slices.Equal(names, []string{"city SLA", "city SLA for incidents"}) {
		t.Errorf("the incident is measured by %v, want the SLA without scope and the one for incidents", names)
	}
	page, err := w.svc.Due(w.ctx, w.agent, incident.DueQuery{})
	if err != nil {
		t.Fatal(err)
	}
	// The two SLAs for incidents are due at the same times, so their
	// response and resolution clocks share two index values.
	if len(page.Clocks) != 2 {
		t.Errorf("%d running clocks due, want the 2 of the SLAs for incidents: %+v", len(page.Clocks), page.Clocks)
	}
}
