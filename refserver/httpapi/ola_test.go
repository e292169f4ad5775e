package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/sla"
)

// TestOLABetweenGroups is SL-1 between groups over HTTP: the desk's
// administrator agrees an OLA of its second line to its first line, which
// only the desk sees, and the incident's clocks show it running only while
// the second line holds the incident. An OLA naming another organisation's
// group, a UC naming a group, and an OLA of the desk to itself without two
// groups are refused and store nothing.
func TestOLABetweenGroups(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	w, clock := serveManual(t, start)
	c := chainOver(w)
	supAdmin := c.token(itsm.Actor{Organisation: c.supA, Person: "sam", Roles: []itsm.Role{itsm.RoleAdmin}})

	group := func(org itsm.ID, name string) itsm.ID {
		t.Helper()
		r, err := c.admin.CreateGroupWithResponse(ctx, org, api.GroupInput{Name: name, Members: []string{"dana", "alice"}})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create group %s: %v %s", name, err, body(r))
		}
		return r.JSON201.ID
	}
	first, second, netCore := group(c.desk, "First line"), group(c.desk, "Second line"), group(c.supA, "Core")
	if r := putCalendar(t, c, c.deskAdmin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		t.Fatalf("create uc-hours: %s", body(r))
	}
	// ola is an agreement of the kind between provider and the desk, with
	// the groups set.
	ola := func(name, kind string, provider, pg, cg itsm.ID) string {
		raw := agreementJSON(name, kind, provider, c.desk, "4h", "uc-hours")
		var groups []string
		if !pg.IsZero() {
			groups = append(groups, `"provider_group":"`+pg.String()+`"`)
		}
		if !cg.IsZero() {
			groups = append(groups, `"consumer_group":"`+cg.String()+`"`)
		}
		if len(groups) == 0 {
			return raw
		}
		return strings.Replace(raw, `"objective"`, strings.Join(groups, ",")+`,"objective"`, 1)
	}

	before := settingsState(t, c)
	for name, raw := range map[string]string{
		"the supplier's group for the desk": ola("Bad OLA", "OLA", c.desk, netCore, first),
		"a group the desk does not have":    ola("Bad OLA", "OLA", c.desk, second, netCore),
		"a UC naming a group":               ola("Bad UC", "UC", c.supA, netCore, itsm.ID{}),
		"the desk to itself, one group":     ola("Bad OLA", "OLA", c.desk, second, itsm.ID{}),
		"the desk to itself, same group":    ola("Bad OLA", "OLA", c.desk, second, second),
		"the desk to itself, no group":      ola("Bad OLA", "OLA", c.desk, itsm.ID{}, itsm.ID{}),
	} {
		if r := createAgreement(t, c, c.deskAdmin, raw); r.StatusCode() != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", name, r.StatusCode(), r.Body)
		}
	}
	if after := settingsState(t, c); after != before {
		t.Errorf("refused agreements changed the settings:\n%s\nwant\n%s", after, before)
	}

	cr := createAgreement(t, c, c.deskAdmin, ola("Second line OLA", "OLA", c.desk, second, first))
	if cr.JSON201 == nil || cr.JSON201.ProviderGroup != second || cr.JSON201.ConsumerGroup != first ||
		cr.JSON201.Provider != c.desk || cr.JSON201.Consumer != c.desk {
		t.Fatalf("create the second line's OLA: %s", body(cr))
	}
	if r := createAgreement(t, c, c.deskAdmin, ola("Core OLA", "OLA", c.supA, netCore, second)); r.JSON201 == nil {
		t.Fatalf("create the core team's OLA: %s", body(r))
	}
	// An OLA inside the desk is the desk's business only.
	names := func(items []api.Agreement) []string {
		var out []string
		for _, a := range items {
			out = append(out, a.Name)
		}
		return out
	}
	if l, err := c.deskAdmin.ListAgreementsWithResponse(ctx); err != nil || l.JSON200 == nil ||
		!slices.Contains(names(l.JSON200.Items), "Second line OLA") {
		t.Errorf("the desk's agreements: %v %s", err, body(l))
	}
	if l, err := supAdmin.ListAgreementsWithResponse(ctx); err != nil || l.JSON200 == nil ||
		slices.Contains(names(l.JSON200.Items), "Second line OLA") || !slices.Contains(names(l.JSON200.Items), "Core OLA") {
		t.Errorf("the supplier's agreements: %v %s", err, body(l))
	}

	inc := c.register("", "The city's network is down", c.city)
	assign := func(after time.Duration, to itsm.ID) {
		t.Helper()
		clock.Advance(after)
		if r, err := c.agent.AssignIncidentWithResponse(ctx, inc.ID, nil, api.AssignTo{Group: to}); err != nil || r.JSON200 == nil {
			t.Fatalf("assign: %v %s", err, body(r))
		}
	}
	olaClock := func(cl *client.ClientWithResponses, name string) *api.Clock {
		t.Helper()
		r, err := cl.GetIncidentClocksWithResponse(ctx, inc.ID)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("clocks: %v %s", err, body(r))
		}
		for i, k := range r.JSON200.Items {
			if k.Agreement == name {
				return &r.JSON200.Items[i]
			}
		}
		return nil
	}
	if k := olaClock(c.agent, "Second line OLA"); k != nil {
		t.Errorf("the second line's OLA runs before the second line held the incident: %+v", k)
	}
	assign(10*time.Minute, second)
	assign(30*time.Minute, first)
	clock.Advance(20 * time.Minute)
	if k := olaClock(c.agent, "Second line OLA"); k == nil || k.Status != sla.StatusIdle || k.Elapsed != api.Duration(30*time.Minute) {
		t.Errorf("the second line's OLA while the first line holds the incident: %+v, want 30m idle", k)
	}
	assign(0, second)
	clock.Advance(15 * time.Minute)
	k := olaClock(c.agent, "Second line OLA")
	if k == nil || k.Status != sla.StatusRunning || k.Elapsed != api.Duration(45*time.Minute) ||
		k.Provider != c.desk || k.Group != second || k.Kind != sla.KindOLA || !k.Due.Equal(clock.Now().Add(195*time.Minute)) {
		t.Errorf("the second line's OLA back with the second line: %+v, want 45m running, due in 3h15m", k)
	}
	// The supplier holding the incident does not see the desk's OLA, and the
	// core team's does not apply until the core team holds it.
	if r, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, nil, api.Delegation{Organisation: c.supA}); err != nil || r.JSON200 == nil {
		t.Fatalf("delegate: %v %s", err, body(r))
	}
	if k := olaClock(c.alice, "Second line OLA"); k != nil {
		t.Errorf("the supplier sees the desk's internal OLA: %+v", k)
	}
	if k := olaClock(c.alice, "Core OLA"); k != nil {
		t.Errorf("the core team's OLA applies before the core team held the incident: %+v", k)
	}
	if r, err := c.alice.TakeIncidentWithResponse(ctx, inc.ID, nil, api.Take{Group: netCore}); err != nil || r.JSON200 == nil {
		t.Fatalf("take: %v %s", err, body(r))
	}
	clock.Advance(time.Hour)
	if k := olaClock(c.alice, "Core OLA"); k == nil || k.Status != sla.StatusRunning || k.Elapsed != api.Duration(time.Hour) || k.Group != netCore {
		t.Errorf("the core team's OLA after an hour with the core team: %+v, want 1h running", k)
	}
	if k := olaClock(c.agent, "Second line OLA"); k == nil || k.Status != sla.StatusIdle || k.Elapsed != api.Duration(45*time.Minute) {
		t.Errorf("the second line's OLA while the supplier holds the incident: %+v, want 45m idle", k)
	}
}
