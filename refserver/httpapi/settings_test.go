package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/sla"
)

const (
	officeCalendar = `{"name":"se-office","location":"Europe/Stockholm",` +
		`"hours":{"mon":["08:00-17:00"],"tue":["08:00-17:00"],"wed":["08:00-17:00"],"thu":["08:00-17:00"],"fri":["08:00-16:00"]},` +
		`"holidays":["se"],"days":{"2026-12-23":[]}}`
	alwaysCalendar = `{"name":"uc-hours","location":"UTC","hours":"24x7"}`
)

// putCalendar puts raw JSON as the calendar name.
func putCalendar(t testing.TB, c *chain, cl *client.ClientWithResponses, name, raw string) *client.PutCalendarResponse {
	t.Helper()
	r, err := cl.PutCalendarWithBodyWithResponse(c.ctx, name, "application/json", strings.NewReader(raw))
	if err != nil {
		t.Fatalf("put calendar %s: %v", name, err)
	}
	return r
}

// createAgreement posts raw JSON as an agreement.
func createAgreement(t testing.TB, c *chain, cl *client.ClientWithResponses, raw string) *client.CreateAgreementResponse {
	t.Helper()
	r, err := cl.CreateAgreementWithBodyWithResponse(c.ctx, "application/json", strings.NewReader(raw))
	if err != nil {
		t.Fatalf("create agreement: %v", err)
	}
	return r
}

// agreementJSON is an agreement with one resolution target per priority
// plus the extra targets, and credits.
func agreementJSON(name, kind string, provider, consumer itsm.ID, within, calendar string, extra ...string) string {
	var targets []string
	for p := 1; p <= 4; p++ {
		targets = append(targets, fmt.Sprintf(`{"metric":"resolution","priority":%d,"within":%q,"calendar":%q,`+
			`"pause":["waiting_user"],"stop":["resolved","closed","cancelled"]}`, p, within, calendar))
	}
	targets = append(targets, extra...)
	return fmt.Sprintf(`{"name":%q,"kind":%q,"provider":%q,"consumer":%q,"objective":0.95,"warnings":[0.5,0.75],`+
		`"targets":[%s],"credits":{"monthly_fee":10000000,"currency":"SEK","steps":[{"above":0,"percent":5},{"above":0.05,"percent":10}],"cap":15}}`,
		name, kind, provider, consumer, strings.Join(targets, ","))
}

// settingsState is what the refused writes must leave alone.
func settingsState(t *testing.T, c *chain) string {
	t.Helper()
	var out []string
	err := c.store.Read(c.ctx, func(tx itsm.ReadTx) error {
		for _, kind := range []string{httpapi.KindCalendar, httpapi.KindAgreement} {
			page, err := tx.Query(itsm.Query{Kind: kind, Limit: itsm.MaxLimit})
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				out = append(out, fmt.Sprintf("%s %s v%d %s", kind, h.Record.ID, h.Record.Version, h.Record.Body))
			}
		}
		evs, err := tx.Events(0, itsm.MaxLimit)
		out = append(out, fmt.Sprint(len(evs), " events"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// TestCalendarsAndAgreements stores calendars and agreements through the
// API and checks that the incident clocks are measured against them (SL-1),
// that a replaced calendar re-resolves the agreements on it, that bad input
// stores nothing, and who may write and read what.
func TestCalendarsAndAgreements(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx

	// Calendars: created, replaced, read back as put.
	r := putCalendar(t, c, c.deskAdmin, "se-office", strings.Replace(officeCalendar, `"08:00-16:00"`, `"08:00-15:00"`, 1))
	if r.JSON201 == nil || r.HTTPResponse.Header.Get("Location") != "/v1/calendars/se-office" {
		t.Fatalf("create se-office: %s", body(r))
	}
	if r := putCalendar(t, c, c.admin, "se-office", officeCalendar); r.JSON200 == nil {
		t.Fatalf("replace se-office: %s", body(r))
	}
	if r := putCalendar(t, c, c.deskAdmin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		t.Fatalf("create uc-hours: %s", body(r))
	}
	g, err := c.admin.GetCalendarWithResponse(ctx, "se-office")
	if err != nil || g.JSON200 == nil {
		t.Fatalf("get se-office: %v %s", err, body(g))
	}
	if !sameJSON(t, g.Body, []byte(officeCalendar)) {
		t.Errorf("se-office reads back as %s, want %s", g.Body, officeCalendar)
	}
	if l, err := c.deskAdmin.ListCalendarsWithResponse(ctx); err != nil || l.JSON200 == nil ||
		len(l.JSON200.Items) != 2 || l.JSON200.Items[0].Name != "se-office" || l.JSON200.Items[1].Name != "uc-hours" {
		t.Errorf("list calendars: %v %s", err, body(l))
	}

	// Agreements: an SLA on office hours and a supplier's UC around the
	// clock, both with credits.
	slaJSON := agreementJSON("City SLA", "SLA", c.desk, c.city, "16h", "se-office",
		`{"metric":"response","priority":3,"within":"30m","calendar":"uc-hours","stop":["in_progress","delegated","resolved","closed","cancelled"]}`)
	cr := createAgreement(t, c, c.deskAdmin, slaJSON)
	if cr.JSON201 == nil {
		t.Fatalf("create the SLA: %s", body(cr))
	}
	citySLA := *cr.JSON201
	if cr.HTTPResponse.Header.Get("Location") != "/v1/agreements/"+citySLA.ID.String() || citySLA.Objective != 0.95 ||
		citySLA.Credits.MonthlyFee != 10000000 || len(citySLA.Targets) != 5 || citySLA.Targets[0].Within != api.Duration(16*time.Hour) {
		t.Errorf("the SLA created: %s", cr.Body)
	}
	cr = createAgreement(t, c, c.admin, agreementJSON("Network UC", "UC", c.supA, c.desk, "4h", "uc-hours"))
	if cr.JSON201 == nil {
		t.Fatalf("create the UC: %s", body(cr))
	}
	networkUC := *cr.JSON201

	// Bad input is refused with nothing stored.
	before := settingsState(t, c)
	for _, tc := range []struct {
		name string
		call func() (int, []byte)
		want int
	}{
		{"an unknown calendar", func() (int, []byte) {
			r := createAgreement(t, c, c.deskAdmin, agreementJSON("X", "SLA", c.desk, c.city, "8h", "nowhere"))
			return r.StatusCode(), r.Body
		}, 400},
		{"a duration that is not one", func() (int, []byte) {
			r := createAgreement(t, c, c.deskAdmin, agreementJSON("X", "SLA", c.desk, c.city, "8 hours", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 400},
		{"a negative duration", func() (int, []byte) {
			r := createAgreement(t, c, c.deskAdmin, agreementJSON("X", "SLA", c.desk, c.city, "-8h", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 400},
		{"an SLA provided by a supplier", func() (int, []byte) {
			r := createAgreement(t, c, c.deskAdmin, agreementJSON("X", "SLA", c.supA, c.city, "8h", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 400},
		{"a UC consumed by a customer", func() (int, []byte) {
			r := createAgreement(t, c, c.deskAdmin, agreementJSON("X", "UC", c.supA, c.city, "8h", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 400},
		{"an unknown provider", func() (int, []byte) {
			r := createAgreement(t, c, c.deskAdmin, agreementJSON("X", "UC", itsm.NewID(), c.desk, "8h", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 400},
		{"credit steps out of order", func() (int, []byte) {
			raw := strings.Replace(agreementJSON("X", "UC", c.supB, c.desk, "8h", "uc-hours"), `"above":0.05`, `"above":0`, 1)
			r := createAgreement(t, c, c.deskAdmin, raw)
			return r.StatusCode(), r.Body
		}, 400},
		{"a duplicate name", func() (int, []byte) {
			r := createAgreement(t, c, c.deskAdmin, agreementJSON("Network UC", "UC", c.supB, c.desk, "8h", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 409},
		{"an agreement by a desk agent", func() (int, []byte) {
			r := createAgreement(t, c, c.agent, agreementJSON("X", "UC", c.supB, c.desk, "8h", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 403},
		{"an agreement by a supplier", func() (int, []byte) {
			r := createAgreement(t, c, c.alice, agreementJSON("X", "UC", c.supA, c.desk, "8h", "uc-hours"))
			return r.StatusCode(), r.Body
		}, 403},
		{"a calendar by a desk agent", func() (int, []byte) {
			r := putCalendar(t, c, c.agent, "uc-hours", strings.Replace(alwaysCalendar, "UTC", "Europe/Oslo", 1))
			return r.StatusCode(), r.Body
		}, 403},
		{"a calendar whose span ends before it starts", func() (int, []byte) {
			r := putCalendar(t, c, c.deskAdmin, "uc-hours", `{"name":"uc-hours","location":"UTC","hours":{"mon":["17:00-08:00"]}}`)
			return r.StatusCode(), r.Body
		}, 400},
		{"a calendar in an unknown zone", func() (int, []byte) {
			r := putCalendar(t, c, c.deskAdmin, "mars", `{"name":"mars","location":"Mars/Olympus_Mons","hours":"24x7"}`)
			return r.StatusCode(), r.Body
		}, 400},
		{"a calendar with a bad date", func() (int, []byte) {
			r := putCalendar(t, c, c.deskAdmin, "mars", `{"name":"mars","location":"UTC","hours":"24x7","days":{"2026-02-30":[]}}`)
			return r.StatusCode(), r.Body
		}, 400},
		{"a calendar under another name", func() (int, []byte) {
			r := putCalendar(t, c, c.deskAdmin, "mars", alwaysCalendar)
			return r.StatusCode(), r.Body
		}, 400},
	} {
		if got, b := tc.call(); got != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, got, b, tc.want)
		}
	}
	if after := settingsState(t, c); after != before {
		t.Errorf("refused writes changed the store:\n%s\nwant\n%s", after, before)
	}

	// Who reads what: calendars need read access to service levels.
	if l, err := c.user.ListCalendarsWithResponse(ctx); err != nil || l.StatusCode() != 403 {
		t.Errorf("calendars for a customer without service-level rights: %v %s, want 403", err, body(l))
	}
	if g, err := c.admin.GrantPermissionsWithResponse(ctx, c.city, api.Rights{Domain: itsm.DomainServiceLevel,
		Access: api.AccessList{api.AccessRead}}); err != nil || g.JSON200 == nil {
		t.Fatalf("grant: %v %s", err, body(g))
	}
	if l, err := c.user.GetCalendarWithResponse(ctx, "uc-hours"); err != nil || l.JSON200 == nil || l.JSON200.Location != "UTC" {
		t.Errorf("a calendar for a customer with service-level rights: %v %s", err, body(l))
	}
	if l, err := c.user.GetCalendarWithResponse(ctx, "nowhere"); err != nil || l.StatusCode() != 404 {
		t.Errorf("a missing calendar: %v %s, want 404", err, body(l))
	}
	for _, tc := range []struct {
		who  string
		cl   *client.ClientWithResponses
		want []string
	}{
		{"the administrator", c.admin, []string{"City SLA", "Network UC"}},
		{"a desk agent", c.agent, []string{"City SLA", "Network UC"}},
		{"the UC's supplier", c.alice, []string{"Network UC"}},
		{"another supplier", c.bob, nil},
		{"the customer", c.user, []string{"City SLA"}},
	} {
		l, err := tc.cl.ListAgreementsWithResponse(ctx)
		if err != nil || l.JSON200 == nil {
			t.Errorf("agreements for %s: %v %s", tc.who, err, body(l))
			continue
		}
		var names []string
		for _, a := range l.JSON200.Items {
			names = append(names, a.Name)
		}
		if fmt.Sprint(names) != fmt.Sprint(tc.want) {
			t.Errorf("agreements for %s: %v, want %v", tc.who, names, tc.want)
		}
		for _, a := range []api.Agreement{citySLA, networkUC} {
			g, err := tc.cl.GetAgreementWithResponse(ctx, a.ID)
			sees := strings.Contains(fmt.Sprint(tc.want), a.Name)
			if err != nil || (sees && (g.JSON200 == nil || g.JSON200.Name != a.Name)) || (!sees && g.StatusCode() != 404) {
				t.Errorf("%s for %s: %v %s (sees: %v)", a.Name, tc.who, err, body(g), sees)
			}
		}
	}

	// The clocks of an incident are measured against the agreements stored:
	// the SLA's from registration, the UC's once delegated.
	inc := c.register("", "The city's network is down", c.city)
	if r, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, nil, api.Delegation{Organisation: c.supA}); err != nil || r.JSON200 == nil {
		t.Fatalf("delegate: %v %s", err, body(r))
	}
	clocks := func() map[string]api.Clock {
		t.Helper()
		r, err := c.agent.GetIncidentClocksWithResponse(ctx, inc.ID)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("clocks: %v %s", err, body(r))
		}
		out := map[string]api.Clock{}
		for _, k := range r.JSON200.Items {
			out[k.Agreement+" "+string(k.Metric)] = k
		}
		return out
	}
	got := clocks()
	slaClock, uc := got["City SLA resolution"], got["Network UC resolution"]
	if len(got) != 3 || slaClock.Kind != "SLA" || slaClock.Target != api.Duration(16*time.Hour) || slaClock.Provider != c.desk ||
		uc.Kind != "UC" || uc.Target != api.Duration(4*time.Hour) || uc.Provider != c.supA || uc.Status != "running" ||
		got["City SLA response"].Status != "stopped" {
		t.Fatalf("clocks: %+v", got)
	}
	// Around the clock, the UC is due four hours after the delegation.
	if d := time.Until(uc.Due); d < 3*time.Hour || d > 4*time.Hour+time.Minute {
		t.Errorf("the UC is due in %s, want about 4h", d)
	}
	// Replaced by half an hour a week, the calendar puts it days away.
	if r := putCalendar(t, c, c.deskAdmin, "uc-hours", `{"name":"uc-hours","location":"UTC","hours":{"sun":["00:00-00:30"]}}`); r.JSON200 == nil {
		t.Fatalf("replace uc-hours: %s", body(r))
	}
	if later := clocks()["Network UC resolution"]; later.Due.Sub(uc.Due) < 7*24*time.Hour {
		t.Errorf("after the calendar changed the UC is due at %s, before at %s: the agreement still counts the old hours", later.Due, uc.Due)
	}

	// What a server loads at its start is what the API stored.
	loaded, err := httpapi.LoadAgreements(ctx, c.store)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 2 || loaded[0].Name != "City SLA" || loaded[0].Objective != 0.95 || loaded[0].Warnings[1] != 0.75 ||
		loaded[0].Credits == nil || loaded[0].Credits.Steps[1].Above != 0.05 || loaded[0].Targets[0].Calendar.Name() != "se-office" ||
		loaded[1].Name != "Network UC" || loaded[1].Kind != sla.KindUC || loaded[1].Targets[0].Calendar.IsWorking(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("loaded %+v", loaded)
	}

	// Each change left an event naming who made it.
	var types []string
	err = c.store.Read(ctx, func(tx itsm.ReadTx) error {
		evs, err := tx.Events(0, itsm.MaxLimit)
		for _, ev := range evs {
			if ev.Kind != httpapi.KindCalendar && ev.Kind != httpapi.KindAgreement {
				continue
			}
			var data struct{ By itsm.Actor }
			if err := json.Unmarshal(ev.Data, &data); err != nil || data.By.Person == "" {
				t.Errorf("%s: %v %s", ev.Type, err, ev.Data)
			}
			types = append(types, ev.Type+" by "+data.By.Person)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("[calendar.put by root calendar.put by %[1]s calendar.put by root agreement.created by root agreement.created by %[1]s calendar.put by root]",
		auth.AdminPerson); fmt.Sprint(types) != want {
		t.Errorf("events %v, want %s", types, want)
	}
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(va) == fmt.Sprint(vb)
}
