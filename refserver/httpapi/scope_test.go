package httpapi_test

import (
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/sla"
)

// TestAgreementScopeOverHTTP checks that an agreement's scope is stored and
// shown, problems among them, that one stored without a scope shows
// incidents, that an unknown scope is refused with nothing stored, and that
// an incident's clocks run against the agreements for incidents only
// (decision 82).
func TestAgreementScopeOverHTTP(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	if r := putCalendar(t, c, c.deskAdmin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		t.Fatalf("create uc-hours: %s", body(r))
	}
	scoped := func(name, scope string) string {
		raw := agreementJSON(name, "SLA", c.desk, c.city, "16h", "uc-hours")
		if scope == "" {
			return raw
		}
		return strings.Replace(raw, `"kind":"SLA",`, `"kind":"SLA","scope":"`+scope+`",`, 1)
	}
	before := settingsState(t, c)
	if r := createAgreement(t, c, c.deskAdmin, scoped("Change SLA", "changes")); r.StatusCode() != 400 {
		t.Errorf("an unknown scope: %d %s, want 400", r.StatusCode(), r.Body)
	}
	if after := settingsState(t, c); after != before {
		t.Errorf("the refused agreement changed the store:\n%s", after)
	}
	for _, tc := range []struct{ name, scope, want string }{
		{"Incident SLA", "", "incidents"},
		{"Explicit SLA", "incidents", "incidents"},
		{"Order SLA", "requests", "requests"},
		{"Problem SLA", "problems", "problems"},
	} {
		r := createAgreement(t, c, c.deskAdmin, scoped(tc.name, tc.scope))
		if r.JSON201 == nil || r.JSON201.Scope != sla.Scope(tc.want) {
			t.Fatalf("create %s: %s, want scope %s", tc.name, body(r), tc.want)
		}
		g, err := c.agent.GetAgreementWithResponse(ctx, r.JSON201.ID)
		if err != nil || g.JSON200 == nil || g.JSON200.Scope != sla.Scope(tc.want) {
			t.Errorf("get %s: %v %s, want scope %s", tc.name, err, body(g), tc.want)
		}
	}
	loaded, err := loadedScopes(c)
	if err != nil {
		t.Fatal(err)
	}
	if loaded != "Explicit SLA:incidents Incident SLA: Order SLA:requests Problem SLA:problems" {
		t.Errorf("loaded scopes %q", loaded)
	}

	inc := c.register("", "The city's network is down", c.city)
	r, err := c.agent.GetIncidentClocksWithResponse(ctx, inc.ID)
	if err != nil || r.JSON200 == nil {
		t.Fatalf("clocks: %v %s", err, body(r))
	}
	var got []string
	for _, k := range r.JSON200.Items {
		got = append(got, k.Agreement)
	}
	if strings.Join(got, ",") != "Explicit SLA,Incident SLA" {
		t.Errorf("the incident is measured by %v, want the two SLAs for incidents and not those for requests and problems", got)
	}
}

// loadedScopes is "name:scope" of each agreement a server loads at its
// start, in name order.
func loadedScopes(c *chain) (string, error) {
	ags, err := httpapi.LoadAgreements(c.ctx, c.store)
	var out []string
	for _, a := range ags {
		out = append(out, a.Name+":"+string(a.Scope))
	}
	return strings.Join(out, " "), err
}
