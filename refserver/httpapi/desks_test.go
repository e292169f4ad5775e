package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
)

// TestAnotherDesksAgreementsDoNotExist has two desks serve the city, each
// under its own SLA and with its own UC with the network supplier, and
// checks that a desk's agreements are its parties' business (SD-10): the
// other desk neither lists nor reads them (404, as for no agreement),
// its report neither lists nor measures them, and its event feed carries
// none of their events. The parties and the platform administrator see
// them.
func TestAnotherDesksAgreementsDoNotExist(t *testing.T) {
	l := newLedger(t, monday)
	ctx := l.ctx
	l.settle()
	l.solve("network down", l.supA, l.alice)
	desk2, bea, ben := l.secondDesk()
	c := &chain{world: l.world}
	if r := putCalendar(t, c, ben, "ring-hours", strings.ReplaceAll(alwaysCalendar, "uc-hours", "ring-hours")); r.JSON201 == nil {
		t.Fatalf("the second desk's calendar: %s", body(r))
	}
	for _, raw := range []string{
		agreementJSON("Ring SLA", "SLA", desk2, l.city, "24h", "ring-hours"),
		agreementJSON("Ring UC", "UC", l.supA, desk2, "8h", "ring-hours"),
	} {
		if r := createAgreement(t, c, ben, raw); r.JSON201 == nil {
			t.Fatalf("the second desk's agreement: %s", body(r))
		}
	}
	l.clock.Set(time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC))

	byName := map[string]itsm.ID{}
	if r, err := l.world.admin.ListAgreementsWithResponse(ctx); err != nil || r.JSON200 == nil {
		t.Fatalf("the platform administrator's agreements: %v %s", err, body(r))
	} else {
		for _, a := range r.JSON200.Items {
			byName[a.Name] = a.ID
		}
	}
	first := []string{"City SLA", "Hardware UC", "Network UC"}
	second := []string{"Ring SLA", "Ring UC"}
	if len(byName) != len(first)+len(second) {
		t.Fatalf("the platform administrator sees %v, want all five agreements", byName)
	}

	// What one desk is told names nothing of the other's business.
	quiet := func(what string, b []byte, others []string, desk itsm.ID, deskName string) {
		t.Helper()
		secrets := []string{desk.String(), deskName}
		for _, name := range others {
			secrets = append(secrets, name, byName[name].String())
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s reveals %q: %s", what, s, b)
			}
		}
	}

	for _, tc := range []struct {
		who  string
		cl   *client.ClientWithResponses
		want []string
	}{
		{"the platform administrator", l.world.admin, append(slices.Clone(first), second...)},
		{"the first desk's agent", l.agent, first},
		{"the first desk's administrator", l.admin, first},
		{"the second desk's agent", bea, second},
		{"the second desk's administrator", ben, second},
		{"the network supplier", l.alice, []string{"Network UC", "Ring UC"}},
		{"the hardware supplier", l.bob, []string{"Hardware UC"}},
		{"the city", l.user, []string{"City SLA", "Ring SLA"}},
	} {
		r, err := tc.cl.ListAgreementsWithResponse(ctx)
		if err != nil || r.JSON200 == nil {
			t.Errorf("%s lists agreements: %v %s", tc.who, err, body(r))
			continue
		}
		var names []string
		for _, a := range r.JSON200.Items {
			names = append(names, a.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(tc.want) {
			t.Errorf("%s lists %v, want %v", tc.who, names, tc.want)
		}
		for name, id := range byName {
			g, err := tc.cl.GetAgreementWithResponse(ctx, id)
			switch {
			case err != nil:
				t.Errorf("%s reads %s: %v", tc.who, name, err)
			case slices.Contains(tc.want, name) && (g.JSON200 == nil || g.JSON200.Name != name):
				t.Errorf("%s reads its %s: %s", tc.who, name, body(g))
			case !slices.Contains(tc.want, name) && g.ApplicationProblemJSON404 == nil:
				t.Errorf("%s reads %s, which it is no party to: %s, want 404", tc.who, name, body(g))
			}
		}
	}
	for _, cl := range []*client.ClientWithResponses{bea, ben} {
		r, err := cl.ListAgreementsWithResponse(ctx)
		if err == nil {
			quiet("the second desk's agreements", r.Body, first, l.desk, "Service Desk")
		}
		// Another desk's agreement answers as one that does not exist.
		g, err := cl.GetAgreementWithResponse(ctx, byName["City SLA"])
		none := itsm.NewID()
		n, err2 := cl.GetAgreementWithResponse(ctx, none)
		if err != nil || err2 != nil || strings.ReplaceAll(string(g.Body), byName["City SLA"].String(), none.String()) != string(n.Body) {
			t.Errorf("the second desk reading the first's SLA: %v %s; reading none: %v %s", err, body(g), err2, body(n))
		}
	}

	// The second desk's report, in every format, is of its own agreements;
	// naming the first desk's is as naming none.
	rep := l.getReport(bea, api.ReportFormatJSON)
	if rep.JSON200 == nil {
		t.Fatalf("the second desk's report: %s", body(rep))
	}
	if got := agreementNames(rep.JSON200); fmt.Sprint(got) != fmt.Sprint(second) {
		t.Errorf("the second desk's report is of %v, want %v", got, second)
	}
	quiet("the second desk's report", rep.Body, first, l.desk, "Service Desk")
	for _, f := range []api.ReportFormat{api.ReportFormatCsv, api.ReportFormatHTML} {
		quiet("the second desk's "+string(f)+" report", l.getReport(bea, f).Body, first, l.desk, "Service Desk")
	}
	if r := l.getReport(bea, api.ReportFormatJSON, "City SLA"); r.ApplicationProblemJSON400 == nil {
		t.Errorf("the second desk's report of the first desk's SLA: %s, want 400 as for no such agreement", body(r))
	} else {
		quiet("the refused report", r.Body, []string{"Hardware UC", "Network UC"}, l.desk, "Service Desk")
	}
	// And the first desk's report is of its own.
	rep = l.getReport(l.agent, api.ReportFormatJSON)
	if rep.JSON200 == nil {
		t.Fatalf("the first desk's report: %s", body(rep))
	}
	if got := agreementNames(rep.JSON200); fmt.Sprint(got) != fmt.Sprint(first) {
		t.Errorf("the first desk's report is of %v, want %v", got, first)
	}
	quiet("the first desk's report", rep.Body, second, desk2, "Second Desk")

	// The feed: the settings' events are the platform administrator's.
	for who, cl := range map[string]*client.ClientWithResponses{"the second desk's agent": bea,
		"the second desk's administrator": ben, "the first desk's administrator": l.admin} {
		r, err := cl.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: itsm.MaxLimit}, dropZeros)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("%s's feed: %v %s", who, err, body(r))
		}
		for _, ev := range r.JSON200.Items {
			if ev.Kind == httpapi.KindAgreement || ev.Kind == httpapi.KindCalendar {
				t.Errorf("%s's feed carries %s %s", who, ev.Type, ev.Data)
			}
		}
	}
	r, err := l.world.admin.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: itsm.MaxLimit}, dropZeros)
	if err != nil || r.JSON200 == nil {
		t.Fatalf("the platform administrator's feed: %v %s", err, body(r))
	}
	created := 0
	for _, ev := range r.JSON200.Items {
		if ev.Type == httpapi.EventAgreementCreated {
			created++
		}
	}
	if created != len(byName) {
		t.Errorf("the platform administrator's feed has %d agreement.created, want %d", created, len(byName))
	}
}

// TestCalendarsAreMaintainedByTheirDesk checks who replaces a calendar:
// the organisation whose administrator created it and the platform
// administrator; a calendar stored before calendars had a maintainer is the
// platform's. A desk's agreements count only on its own calendars and the
// platform's, so that no desk changes another desk's clocks. Every desk
// with service-level rights reads every calendar.
func TestCalendarsAreMaintainedByTheirDesk(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	desk2 := c.org("Second Desk", itsm.OrgDesk, api.AccessRead, api.AccessWrite)
	ben := c.token(itsm.Actor{Organisation: desk2, Person: "ben", Roles: []itsm.Role{itsm.RoleAdmin}})
	calendar := func(name, zone string) string {
		return fmt.Sprintf(`{"name":%q,"location":%q,"hours":"24x7"}`, name, zone)
	}
	put := func(who string, cl *client.ClientWithResponses, name, zone string, want int) []byte {
		t.Helper()
		r := putCalendar(t, c, cl, name, calendar(name, zone))
		if r.StatusCode() != want {
			t.Errorf("%s puts %s: %s, want %d", who, name, body(r), want)
		}
		return r.Body
	}
	put("the first desk", c.deskAdmin, "first-hours", "UTC", 201)
	put("the second desk", ben, "second-hours", "UTC", 201)
	put("the platform", c.admin, "shared-hours", "UTC", 201)

	// The second desk reads the first desk's calendar but cannot replace
	// it, and the refusal names neither the desk nor its administrator.
	if g, err := ben.GetCalendarWithResponse(ctx, "first-hours"); err != nil || g.JSON200 == nil {
		t.Errorf("the second desk reads the first's calendar: %v %s", err, body(g))
	}
	before := settingsState(t, c)
	first := []string{c.desk.String(), "Service Desk", `"root"`}
	second := []string{desk2.String(), "Second Desk", `"ben"`}
	for _, tc := range []struct {
		who    string
		cl     *client.ClientWithResponses
		name   string
		others []string
	}{
		{"the second desk", ben, "first-hours", first},
		{"the first desk", c.deskAdmin, "second-hours", second},
		{"the first desk", c.deskAdmin, "shared-hours", second},
		{"the second desk", ben, "shared-hours", first},
	} {
		b := put(tc.who, tc.cl, tc.name, "Europe/Oslo", 403)
		for _, s := range tc.others {
			if strings.Contains(string(b), s) {
				t.Errorf("%s refused %s reveals %q: %s", tc.who, tc.name, s, b)
			}
		}
	}
	if after := settingsState(t, c); after != before {
		t.Errorf("refused replacements changed the store:\n%s\nwant\n%s", after, before)
	}
	put("the first desk", c.deskAdmin, "first-hours", "Europe/Stockholm", 200)
	put("the second desk", ben, "second-hours", "Europe/Stockholm", 200)
	put("the platform", c.admin, "first-hours", "Europe/Helsinki", 200)
	put("the platform", c.admin, "shared-hours", "Europe/Stockholm", 200)
	// The platform's replacement leaves the calendar the first desk's.
	put("the first desk", c.deskAdmin, "first-hours", "UTC", 200)
	put("the second desk", ben, "first-hours", "UTC", 403)

	// A desk's agreement counts on its own calendars or the platform's.
	for _, tc := range []struct {
		who      string
		cl       *client.ClientWithResponses
		name     string
		desk     itsm.ID
		calendar string
		want     int
	}{
		{"the second desk", ben, "Second on first", desk2, "first-hours", 400},
		{"the platform", c.admin, "Second on first by the platform", desk2, "first-hours", 400},
		{"the first desk", c.deskAdmin, "First on second", c.desk, "second-hours", 400},
		{"the second desk", ben, "Second on its own", desk2, "second-hours", 201},
		{"the second desk", ben, "Second on shared", desk2, "shared-hours", 201},
		{"the first desk", c.deskAdmin, "First on its own", c.desk, "first-hours", 201},
		{"the platform", c.admin, "First by the platform", c.desk, "first-hours", 201},
	} {
		r := createAgreement(t, c, tc.cl, agreementJSON(tc.name, "SLA", tc.desk, c.city, "8h", tc.calendar))
		if r.StatusCode() != tc.want {
			t.Errorf("%s creates %q on %s: %s, want %d", tc.who, tc.name, tc.calendar, body(r), tc.want)
		}
	}

	// A calendar stored without a maintainer is the platform's.
	err := c.store.Write(ctx, func(tx itsm.WriteTx) error {
		page, err := tx.Query(itsm.Query{Kind: httpapi.KindCalendar, Index: "name", Match: itsm.MatchEqual, Value: "second-hours", Limit: 1})
		if err != nil || len(page.Matches) != 1 {
			return fmt.Errorf("find second-hours: %v %d", err, len(page.Matches))
		}
		rec := page.Matches[0].Record
		rec.Index = nil
		_, err = tx.Put(rec)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	put("the second desk", ben, "second-hours", "UTC", 403)
	put("the platform", c.admin, "second-hours", "UTC", 200)
	put("the second desk", ben, "second-hours", "UTC", 403)

	// Every organisation with service-level read reads every calendar.
	if g, err := c.admin.GrantPermissionsWithResponse(ctx, c.supA, api.Rights{Domain: itsm.DomainServiceLevel,
		Access: api.AccessList{api.AccessRead}}); err != nil || g.JSON200 == nil {
		t.Fatalf("grant: %v %s", err, body(g))
	}
	if l, err := c.alice.ListCalendarsWithResponse(ctx); err != nil || l.JSON200 == nil || len(l.JSON200.Items) != 3 {
		t.Errorf("a supplier with service-level read lists the calendars: %v %s, want all three", err, body(l))
	}
}

// TestDesksNameTheirAgreementsAlike has two desks each agree an "SLA
// Kommunen" with their own customer and a "UC Nät" with the same supplier:
// names are unique per desk (sla.Agreement.Desk), so that a name another
// desk uses is no conflict and no sign of that desk's business (SD-10).
// Each desk sees, measures and reports against its own; the platform
// administrator sees all four and tells them apart by their parties and,
// in reports, by their desk. A desk's own duplicate is still 409, naming
// no other desk.
func TestDesksNameTheirAgreementsAlike(t *testing.T) {
	l := newLedger(t, monday)
	ctx := l.ctx
	desk2, bea, ben := l.secondDesk()
	c := &chain{world: l.world}
	if r := putCalendar(t, c, l.world.admin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		t.Fatalf("the platform's calendar: %s", body(r))
	}
	type desk struct {
		name              string
		id, customer      itsm.ID
		admin, agent      *client.ClientWithResponses
		slaWithin, within time.Duration
		ids               []itsm.ID // of its SLA and its UC
	}
	desks := []*desk{
		{name: "Service Desk", id: l.desk, customer: l.city, admin: l.admin, agent: l.agent, slaWithin: 16 * time.Hour, within: 8 * time.Hour},
		{name: "Second Desk", id: desk2, customer: l.town, admin: ben, agent: bea, slaWithin: 24 * time.Hour, within: 4 * time.Hour},
	}
	for _, d := range desks {
		for _, raw := range []string{
			agreementJSON("SLA Kommunen", "SLA", d.id, d.customer, d.slaWithin.String(), "uc-hours"),
			agreementJSON("UC Nät", "UC", l.supA, d.id, d.within.String(), "uc-hours"),
		} {
			r := createAgreement(t, c, d.admin, raw)
			if r.JSON201 == nil {
				t.Fatalf("%s creates %s: %s", d.name, raw, body(r))
			}
			d.ids = append(d.ids, r.JSON201.ID)
		}
	}

	// A desk's own duplicate is a conflict, whoever creates it, and the
	// refusal names no other desk; nothing is stored.
	before := settingsState(t, c)
	for i, d := range desks {
		other := desks[1-i]
		for _, cl := range []*client.ClientWithResponses{d.admin, l.world.admin} {
			for _, raw := range []string{
				agreementJSON("SLA Kommunen", "SLA", d.id, other.customer, "2h", "uc-hours"),
				agreementJSON("UC Nät", "UC", l.supB, d.id, "2h", "uc-hours"),
			} {
				r := createAgreement(t, c, cl, raw)
				if r.ApplicationProblemJSON409 == nil {
					t.Errorf("%s's duplicate %s: %s, want 409", d.name, raw, body(r))
					continue
				}
				for _, s := range []string{other.id.String(), other.name, other.ids[0].String(), other.ids[1].String()} {
					if strings.Contains(string(r.Body), s) {
						t.Errorf("%s's duplicate reveals %q: %s", d.name, s, r.Body)
					}
				}
			}
		}
	}
	if after := settingsState(t, c); after != before {
		t.Errorf("refused duplicates changed the store:\n%s\nwant\n%s", after, before)
	}

	// Each desk lists its own; the platform administrator all four, told
	// apart by their IDs and parties.
	for _, d := range desks {
		r, err := d.agent.ListAgreementsWithResponse(ctx)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("%s lists agreements: %v %s", d.name, err, body(r))
		}
		var got []itsm.ID
		for _, a := range r.JSON200.Items {
			got = append(got, a.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(d.ids) {
			t.Errorf("%s lists %v, want its own %v", d.name, got, d.ids)
		}
	}
	r, err := l.world.admin.ListAgreementsWithResponse(ctx)
	if err != nil || r.JSON200 == nil {
		t.Fatalf("the platform administrator lists agreements: %v %s", err, body(r))
	}
	parties := map[string]bool{}
	for _, a := range r.JSON200.Items {
		parties[fmt.Sprint(a.Name, a.Provider, a.Consumer)] = true
	}
	want := map[string]bool{}
	for _, d := range desks {
		want[fmt.Sprint("SLA Kommunen", d.id, d.customer)] = true
		want[fmt.Sprint("UC Nät", l.supA, d.id)] = true
	}
	if fmt.Sprint(parties) != fmt.Sprint(want) {
		t.Errorf("the platform administrator lists %v, want %v", parties, want)
	}

	// Each desk's incident is measured against its own SLA and UC.
	for _, d := range desks {
		id := l.solveBy(d.agent, d.customer, "network down at "+d.name, l.supA, l.alice)
		g, err := d.agent.GetIncidentClocksWithResponse(ctx, id)
		if err != nil || g.JSON200 == nil {
			t.Fatalf("%s's clocks: %v %s", d.name, err, body(g))
		}
		targets := map[string]time.Duration{}
		for _, cl := range g.JSON200.Items {
			targets[cl.Agreement] = time.Duration(cl.Target)
		}
		if want := map[string]time.Duration{"SLA Kommunen": d.slaWithin, "UC Nät": d.within}; fmt.Sprint(targets) != fmt.Sprint(want) {
			t.Errorf("%s's incident is measured against %v, want %v", d.name, targets, want)
		}
	}
	l.clock.Set(time.Date(2026, time.December, 1, 10, 0, 0, 0, time.UTC))

	// Each desk's report is of its own two agreements, by name too.
	for i, d := range desks {
		other := desks[1-i]
		for _, names := range [][]string{nil, {"SLA Kommunen", "UC Nät"}} {
			rep := l.getReport(d.agent, api.ReportFormatJSON, names...)
			if rep.JSON200 == nil {
				t.Fatalf("%s's report of %v: %s", d.name, names, body(rep))
			}
			var got []string
			for _, a := range rep.JSON200.Agreements {
				got = append(got, fmt.Sprint(a.Agreement, a.Desk, a.Provider, a.Consumer, a.Metrics[0].Met))
			}
			want := []string{fmt.Sprint("SLA Kommunen", d.id, d.id, d.customer, 1), fmt.Sprint("UC Nät", d.id, l.supA, d.id, 1)}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s's report of %v is of %v, want %v", d.name, names, got, want)
			}
			if strings.Contains(string(rep.Body), other.id.String()) {
				t.Errorf("%s's report names the other desk: %s", d.name, rep.Body)
			}
		}
	}

	// The platform administrator's report holds all four, told apart by
	// name and desk, in every format; a name selects each desk's. The
	// platform administration holds no incident rights by default; granted
	// them, it reports over all agreements.
	l.grant(auth.AdminOrganisation, itsm.DomainIncident, api.AccessRead, api.AccessReport)
	for _, names := range [][]string{nil, {"SLA Kommunen"}} {
		rep := l.getReport(l.world.admin, api.ReportFormatJSON, names...)
		if rep.JSON200 == nil {
			t.Fatalf("the platform administrator's report of %v: %s", names, body(rep))
		}
		got := map[string]bool{}
		for _, a := range rep.JSON200.Agreements {
			got[fmt.Sprint(a.Agreement, a.Desk, a.Provider, a.Consumer)] = true
			for _, m := range a.Metrics {
				if m.Desk != a.Desk {
					t.Errorf("the platform administrator's report: %s of desk %s has a metric of desk %s", a.Agreement, a.Desk, m.Desk)
				}
			}
		}
		want := map[string]bool{}
		for _, d := range desks {
			want[fmt.Sprint("SLA Kommunen", d.id, d.id, d.customer)] = true
			if names == nil {
				want[fmt.Sprint("UC Nät", d.id, l.supA, d.id)] = true
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the platform administrator's report of %v is of %v, want %v", names, got, want)
		}
		for _, tp := range rep.JSON200.Trend {
			series := map[string]bool{}
			for _, m := range tp.Metrics {
				k := fmt.Sprint(m.Agreement, m.Desk, m.Metric)
				if series[k] {
					t.Errorf("the platform administrator's trend %v has %s twice", tp.Period, k)
				}
				series[k] = true
			}
		}
	}
	if rep := l.getReport(l.world.admin, api.ReportFormatCsv); rep.StatusCode() != 200 {
		t.Errorf("the platform administrator's CSV report: %s", body(rep))
	}
	// The compliance charts' titles tell the two desks' UCs with one
	// supplier apart.
	page := l.getReport(l.world.admin, api.ReportFormatHTML)
	for _, d := range desks {
		if label := "<figcaption>UC Nät (Network Supplier for " + d.name + ")</figcaption>"; !strings.Contains(string(page.Body), label) {
			t.Errorf("the platform administrator's page has no %q: %s", label, body(page))
		}
	}
}

// TestAgreementsStoredBeforeNamesWereUniquePerDesk checks that an agreement
// stored when names were unique across all desks (its name a Unique index
// value) is still found and counted: its desk's duplicate is 409 before
// and after UpgradeAgreements rewrites its index values, another desk may
// use its name, and the upgrade leaves the body as it was and does nothing
// a second time. The upgrade runs over both single-process stores.
func TestAgreementsStoredBeforeNamesWereUniquePerDesk(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	desk2 := c.org("Second Desk", itsm.OrgDesk, api.AccessRead, api.AccessWrite)
	ben := c.token(itsm.Actor{Organisation: desk2, Person: "ben", Roles: []itsm.Role{itsm.RoleAdmin}})
	if r := putCalendar(t, c, c.admin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		t.Fatalf("the platform's calendar: %s", body(r))
	}
	raw := agreementJSON("SLA Kommunen", "SLA", c.desk, c.city, "16h", "uc-hours")
	old := func(id itsm.ID) itsm.Record {
		return itsm.Record{Kind: httpapi.KindAgreement, ID: id, Body: json.RawMessage(raw),
			Unique: map[string]string{"name": "SLA Kommunen"},
			Index:  map[string][]string{"provider": {c.desk.String()}, "consumer": {c.city.String()}, "calendar": {"uc-hours"}}}
	}
	id := itsm.NewID()
	if err := c.store.Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(old(id)); return err }); err != nil {
		t.Fatal(err)
	}
	dup := agreementJSON("SLA Kommunen", "SLA", c.desk, c.city, "8h", "uc-hours")
	if r := createAgreement(t, c, c.deskAdmin, dup); r.ApplicationProblemJSON409 == nil {
		t.Errorf("the desk's duplicate of its agreement stored before: %s, want 409", body(r))
	}
	if err := httpapi.UpgradeAgreements(ctx, c.store); err != nil {
		t.Fatal(err)
	}
	if r := createAgreement(t, c, c.deskAdmin, dup); r.ApplicationProblemJSON409 == nil {
		t.Errorf("the desk's duplicate after the upgrade: %s, want 409", body(r))
	}
	if r := createAgreement(t, c, ben, agreementJSON("SLA Kommunen", "SLA", desk2, c.city, "8h", "uc-hours")); r.JSON201 == nil {
		t.Errorf("the second desk's agreement of the name: %s", body(r))
	}
	if g, err := c.agent.GetAgreementWithResponse(ctx, id); err != nil || g.JSON200 == nil || g.JSON200.Name != "SLA Kommunen" {
		t.Errorf("the desk reads its agreement stored before: %v %s", err, body(g))
	}

	for name, open := range backendtest.Open("spoc_httpapi_") {
		store := open(t)
		if err := store.Write(ctx, func(tx itsm.WriteTx) error { _, err := tx.Put(old(id)); return err }); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for range 2 {
			if err := httpapi.UpgradeAgreements(ctx, store); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		err := store.Read(ctx, func(tx itsm.ReadTx) error {
			rec, err := tx.Get(httpapi.KindAgreement, id)
			if err != nil {
				return err
			}
			want := map[string]string{"desk_name": c.desk.String() + " SLA Kommunen"}
			if rec.Version != 2 || string(rec.Body) != raw || fmt.Sprint(rec.Unique) != fmt.Sprint(want) ||
				fmt.Sprint(rec.Index["name"]) != "[SLA Kommunen]" {
				t.Errorf("%s: upgraded to v%d %v %v %s", name, rec.Version, rec.Unique, rec.Index, rec.Body)
			}
			page, err := tx.Query(itsm.Query{Kind: httpapi.KindAgreement, Index: "name", Match: itsm.MatchEqual, Value: "SLA Kommunen"})
			if err == nil && len(page.Matches) != 1 {
				t.Errorf("%s: %d agreements found by name, want 1", name, len(page.Matches))
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// secondDesk puts a second desk beside the city's, with every right on
// incidents and service levels, and returns it with a token of its agent
// (bea) and of its administrator (ben).
func (l *ledger) secondDesk() (desk itsm.ID, agent, admin *client.ClientWithResponses) {
	rwr := []api.Access{api.AccessRead, api.AccessWrite, api.AccessReport}
	desk = l.org("Second Desk", itsm.OrgDesk, rwr...)
	l.grant(desk, itsm.DomainServiceLevel, rwr...)
	agent = l.token(itsm.Actor{Organisation: desk, Person: "bea", Roles: []itsm.Role{itsm.RoleAgent}})
	admin = l.token(itsm.Actor{Organisation: desk, Person: "ben", Roles: []itsm.Role{itsm.RoleAdmin}})
	return desk, agent, admin
}
