package demo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
	"github.com/spoc-itsm/spoc/refserver/refservertest"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// lastSeq is the sequence number of the last event in the store.
func lastSeq(t *testing.T, store itsm.Store) int64 {
	t.Helper()
	var last int64
	err := store.Read(context.Background(), func(tx itsm.ReadTx) error {
		for {
			evs, err := tx.Events(last, itsm.MaxLimit)
			if err != nil || len(evs) == 0 {
				return err
			}
			last = evs[len(evs)-1].Seq
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// TestSeed seeds a new SQLite database through the API and checks what
// each of the demo's people then sees: the desk all four incidents in their
// states, each supplier only what it holds or held (SD-13), the customer's
// approver the agreements; and that the clocks run on the stored
// agreements.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := refservertest.Start(t, store)
	cast, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if !cast.Seeded || len(cast.Tokens) != 4 {
		t.Fatalf("seeded %v with %d tokens", cast.Seeded, len(cast.Tokens))
	}
	as := func(env string) *client.ClientWithResponses {
		t.Helper()
		c, err := client.New(srv.URL, cast.Token(env).Secret)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	states := func(env string) map[string]itsm.State {
		t.Helper()
		r, err := client.Check(as(env).ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{}))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]itsm.State{}
		for _, inc := range r.JSON200.Items {
			m[inc.Summary] = inc.State
		}
		return m
	}
	want := map[string]itsm.State{
		"Printer queue stuck at the town hall": incident.StateClosed,
		"School network slow":                  incident.StateInProgress,
		"Laptop cannot join the wifi":          incident.StateWaitingUser,
		"Library e-mail does not arrive":       incident.StateRegistered,
		demo.IncidentSummary:                   incident.StateWaitingProblem,
	}
	if got := states(demo.EnvDesk); !mapsEqual(got, want) {
		t.Errorf("the desk sees %v, want %v", got, want)
	}
	// The network supplier held the school and the wifi incidents; the
	// workplace supplier only the wifi one.
	if got := states(demo.EnvNetwork); len(got) != 2 || got["School network slow"] == "" || got["Laptop cannot join the wifi"] == "" {
		t.Errorf("the network supplier sees %v", got)
	}
	if got := states(demo.EnvWorkplace); len(got) != 1 || got["Laptop cannot join the wifi"] != incident.StateWaitingUser {
		t.Errorf("the workplace supplier sees %v", got)
	}

	ags, err := client.Check(as(demo.EnvCustomer).ListAgreementsWithResponse(ctx))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range ags.JSON200.Items {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	// The customer sees the agreements it is party to: its SLA.
	if !slices.Equal(names, []string{"Exempelstad SLA"}) {
		t.Errorf("the customer sees the agreements %q", names)
	}
	desk := as(demo.EnvDesk)
	all, err := client.Check(desk.ListAgreementsWithResponse(ctx))
	if err != nil || len(all.JSON200.Items) != 3 {
		t.Fatalf("the desk sees %v agreements: %v", all, err)
	}
	// The school incident's clocks run on the stored agreements: the SLA
	// and the network supplier's UC.
	list, err := client.Check(desk.ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range list.JSON200.Items {
		if inc.Summary != "School network slow" {
			continue
		}
		clocks, err := client.Check(desk.GetIncidentClocksWithResponse(ctx, inc.ID))
		if err != nil {
			t.Fatal(err)
		}
		agreements := map[string]bool{}
		for _, c := range clocks.JSON200.Items {
			agreements[c.Agreement] = true
		}
		if !agreements["Exempelstad SLA"] || !agreements["Nordnät UC"] || len(agreements) != 2 {
			t.Errorf("the school incident's clocks are of %v", agreements)
		}
	}

	// The desk reads its own lines and the network supplier's teams; the
	// network supplier its own teams only.
	groupNames := func(env string, org itsm.ID) []string {
		t.Helper()
		r, err := client.Check(as(env).ListGroupsWithResponse(ctx, org, &api.ListGroupsParams{}))
		if err != nil {
			t.Fatalf("%s lists the groups of %s: %v", env, org, err)
		}
		var out []string
		for _, g := range r.JSON200.Items {
			out = append(out, g.Name)
		}
		return out
	}
	if got := groupNames(demo.EnvDesk, cast.Desk); !slices.Equal(got, []string{"First line", "Second line"}) {
		t.Errorf("the desk's groups: %q", got)
	}
	for _, env := range []string{demo.EnvDesk, demo.EnvNetwork} {
		if got := groupNames(env, cast.Network); !slices.Equal(got, []string{"Network", "Telephony"}) {
			t.Errorf("%s sees the network supplier's groups %q", env, got)
		}
	}
	if r, err := as(demo.EnvNetwork).ListGroupsWithResponse(ctx, cast.Desk, &api.ListGroupsParams{}); err != nil || r.StatusCode() != 404 {
		t.Errorf("the network supplier lists the desk's groups: %v %v", r.StatusCode(), err)
	}
}

// TestSeedAgain runs Seed on a database it seeded: nothing new is made,
// the earlier tokens stop working and the new ones work.
func TestSeedAgain(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	srv := refservertest.Start(t, store)
	first, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t, store)
	second, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if second.Seeded || second.Desk != first.Desk || second.Network != first.Network {
		t.Errorf("the second seeding: %+v, the first %+v", second, first)
	}
	// Four revocations and four new tokens, and nothing else.
	if got := lastSeq(t, store) - seq; got != 8 {
		t.Errorf("the second seeding appended %d events, want 8 (4 revoked, 4 issued)", got)
	}
	for i, tok := range first.Tokens {
		old, _ := client.New(srv.URL, tok.Secret)
		if r, err := old.GetMeWithResponse(ctx); err != nil || r.StatusCode() != 401 {
			t.Errorf("%s's first token: %v %v, want 401", tok.Actor.Person, r.StatusCode(), err)
		}
		fresh, _ := client.New(srv.URL, second.Tokens[i].Secret)
		me, err := client.Check(fresh.GetMeWithResponse(ctx))
		if err != nil || me.JSON200.Actor.Person != tok.Actor.Person {
			t.Errorf("%s's new token: %v", tok.Actor.Person, err)
		}
	}
}

// TestSeedRefusesARealRegister refuses a register with an organisation the
// demo did not make, and writes nothing.
func TestSeedRefusesARealRegister(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	srv := refservertest.Start(t, store)
	if _, err := client.Check(srv.Admin.CreateOrganisationWithResponse(ctx,
		api.OrganisationInput{Name: "Real supplier AB", Role: itsm.OrgSupplier})); err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t, store)
	_, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if !errors.Is(err, demo.ErrNotEmpty) || !errors.Is(err, itsm.ErrConflict) {
		t.Errorf("seeding a register in use: %v, want ErrNotEmpty", err)
	}
	if got := lastSeq(t, store); got != seq {
		t.Errorf("the refused seeding appended %d events", got-seq)
	}
}

func mapsEqual[K, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// startWithPast starts a server on a new in-memory store and seeds it with
// the history, as --demo does.
func startWithPast(t *testing.T) (*refservertest.Server, *demo.Cast) {
	t.Helper()
	store := memstore.New()
	srv := refservertest.Start(t, store)
	cast, err := demo.SeedWithPast(context.Background(), srv.URL, srv.Admin, &demo.Past{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return srv, cast
}

// TestSeedWithPast seeds with the history, as --demo does, and uses it at
// once over HTTP: the desk drafts the follow-up of last month; the reports
// of the last full months show breaches and service credits; the customer
// and each supplier get a report (200) of exactly the agreements they are
// party to; and today's four incidents follow the history.
func TestSeedWithPast(t *testing.T) {
	ctx := context.Background()
	srv, cast := startWithPast(t)
	im := cast.Imported
	if im == nil || im.Incidents < 250 || im.Incidents > 600 || im.Commands < 4*im.Incidents {
		t.Fatalf("imported %+v, want a few hundred incidents with their commands", im)
	}
	as := func(env string) *client.ClientWithResponses {
		t.Helper()
		c, err := client.New(srv.URL, cast.Token(env).Secret, client.WithHTTPClient(&http.Client{
			Transport: refservertest.NewContractCheck(t, nil, false)}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	month, from, to := demo.LastMonth(time.Now())
	draft, err := client.Check(as(demo.EnvDesk).DraftFollowUpWithResponse(ctx,
		api.FollowUpInput{Customer: cast.Customer, Month: api.Month(month), Zone: "Europe/Stockholm"}))
	if err != nil {
		t.Fatalf("drafting the follow-up of %s right after seeding: %v", month, err)
	}
	var rep report.Report
	if err := json.Unmarshal(draft.JSON201.Versions[0].Report, &rep); err != nil || rep.Total.Registered < 60 {
		t.Errorf("the follow-up of %s counts %d registered incidents: %v", month, rep.Total.Registered, err)
	}

	// The last full months, as the desk sees them: breaches in each, and
	// credits owed in at least one.
	breached, credited := 0, 0
	for m := range demo.HistoryMonths {
		f, e := from.AddDate(0, -m, 0), to.AddDate(0, -m, 0)
		r, err := client.Check(as(demo.EnvDesk).GetReportWithResponse(ctx, &api.GetReportParams{From: f, To: e, Zone: "Europe/Stockholm"}))
		if err != nil {
			t.Fatal(err)
		}
		for _, ag := range r.JSON200.Agreements {
			for _, mf := range ag.Metrics {
				breached += mf.Breached
			}
			if ag.Credit != nil && ag.Credit.Amount > 0 {
				credited++
			}
		}
	}
	if breached == 0 || credited == 0 {
		t.Errorf("the last %d months have %d breaches and %d credits owed", demo.HistoryMonths, breached, credited)
	}

	// Every party reports on the agreements it provides or consumes.
	for env, want := range map[string][]string{
		demo.EnvDesk:      {"Arbetsplats UC", "Exempelstad SLA", "Nordnät UC"},
		demo.EnvCustomer:  {"Exempelstad SLA"},
		demo.EnvNetwork:   {"Nordnät UC"},
		demo.EnvWorkplace: {"Arbetsplats UC"},
	} {
		r, err := as(env).GetReportWithResponse(ctx, &api.GetReportParams{From: from, To: to, Zone: "Europe/Stockholm"})
		if err != nil || r.StatusCode() != http.StatusOK {
			t.Errorf("%s's report: %v %v, want 200", env, r.StatusCode(), err)
			continue
		}
		var names []string
		for _, ag := range r.JSON200.Agreements {
			names = append(names, ag.Agreement)
		}
		slices.Sort(names)
		if !slices.Equal(names, want) || r.JSON200.Total.Registered == 0 {
			t.Errorf("%s's report covers %q and %d incidents, want %q", env, names, r.JSON200.Total.Registered, want)
		}
	}

	// Today's incidents come last, after the history's.
	list, err := client.Check(as(demo.EnvDesk).ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{Limit: 4}))
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range list.JSON200.Items {
		if inc.Registered.Before(im.To) {
			t.Errorf("the newest incidents include %s %q of the history (%s)", inc.Number, inc.Summary, inc.Registered)
		}
	}
}

// TestServerDocWalkthrough runs the shell blocks of docs/server.md's "Try
// it: a report and the monthly follow-up", as written, with bash and curl
// against an in-process server seeded with the demo and its history, in
// the environment the demo's export lines give: the reports come as JSON,
// CSV and HTML, and last month's follow-up ends with version 1 rejected
// once and then approved, and version 2 drafted by the correction.
func TestServerDocWalkthrough(t *testing.T) {
	// The report's block and the follow-up's.
	blocks := shellBlocks(t, "Try it: a report and the monthly follow-up", 2, "bash", "curl", "sed", "grep")
	ctx := context.Background()
	srv, cast := startWithPast(t)
	month, from, to := demo.LastMonth(time.Now())
	dir := t.TempDir()
	script := string(blocks[0][1]) + string(blocks[1][1]) + "echo \"FU=$FU\"\n"
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SPOC="+srv.URL, "DESK_TOKEN="+cast.Token(demo.EnvDesk).Secret,
		"CUSTOMER_TOKEN="+cast.Token(demo.EnvCustomer).Secret, "CUSTOMER_ID="+cast.Customer.String(),
		"LAST_MONTH="+month, "FROM="+from.Format(time.RFC3339), "TO="+to.Format(time.RFC3339))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough: %v\n%s", err, out)
	}

	// The reports, in their three formats.
	var rep report.Report
	if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err != nil || json.Unmarshal(b, &rep) != nil || len(rep.Agreements) != 3 || len(rep.Trend) != 3 {
		t.Errorf("report.json: %d agreements, %d trend points, %v:\n%.300s", len(rep.Agreements), len(rep.Trend), err, b)
	}
	for file, start := range map[string]string{"report.csv": "period_from,", "report.html": "<!DOCTYPE html>", "followup.html": "<!DOCTYPE html>"} {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil || !strings.HasPrefix(strings.TrimSpace(string(b)), start) {
			t.Errorf("%s does not start with %q: %v\n%.200s", file, start, err, b)
		}
	}
	if !strings.HasPrefix(string(out), `{"period":`) || !strings.Contains(string(out), `"agreement":"Exempelstad SLA"`) {
		t.Errorf("the customer's report is not printed:\n%.2000s", out)
	}

	// The follow-up: rejected, redrafted, approved, corrected.
	m := regexp.MustCompile(`FU=(\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the walkthrough drafted no follow-up:\n%s", out)
	}
	desk, _ := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
	fu, err := client.Check(desk.GetFollowUpWithResponse(ctx, itsm.MustParseID(string(m[1]))))
	if err != nil {
		t.Fatalf("the follow-up %s: %v\n%s", m[1], err, out)
	}
	f := fu.JSON200
	if string(f.Month) != month || len(f.Versions) != 2 || f.State != followup.StateDrafted {
		t.Fatalf("the follow-up of %s ends %s with %d versions, want drafted with 2:\n%s", f.Month, f.State, len(f.Versions), out)
	}
	v1, v2 := f.Versions[0], f.Versions[1]
	if v1.State != followup.StateApproved || len(v1.Rejections) != 1 || v1.Approval == nil || v2.State != followup.StateDrafted || v2.Reason == "" {
		t.Errorf("the versions: %+v\n%+v", v1, v2)
	}
}

// TestHistory imports the history up to a fixed day after the Swedish
// Christmas holidays twice: the same history both times (a seeded
// generator), all of it before Now, and every incident the users reported
// registered in office hours on a Swedish working day; outside them only
// monitoring alarms arrive.
func TestHistory(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, time.January, 15, 10, 0, 0, 0, demo.Zone)
	office, err := sla.NewCalendar(sla.CalendarSpec{Name: "office", Location: demo.Zone, Holidays: []string{"se"},
		Week: [7][]sla.Span{time.Monday: {{Start: 8 * time.Hour, End: 17 * time.Hour}}, time.Tuesday: {{Start: 8 * time.Hour, End: 17 * time.Hour}},
			time.Wednesday: {{Start: 8 * time.Hour, End: 17 * time.Hour}}, time.Thursday: {{Start: 8 * time.Hour, End: 17 * time.Hour}},
			time.Friday: {{Start: 8 * time.Hour, End: 16 * time.Hour}}}})
	if err != nil {
		t.Fatal(err)
	}
	histories := make([][]string, 2)
	for i := range histories {
		store := memstore.New()
		srv := refservertest.Start(t, store)
		cast, err := demo.SeedWithPast(ctx, srv.URL, srv.Admin, &demo.Past{Store: store, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		desk, _ := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
		cursor := ""
		for {
			page, err := client.Check(desk.ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{Limit: 500, Cursor: cursor}))
			if err != nil {
				t.Fatal(err)
			}
			for _, inc := range page.JSON200.Items {
				if !inc.Registered.Before(now) {
					continue // today's four, registered through the API now
				}
				if inc.Channel != incident.ChannelMonitoring && !office.IsWorking(inc.Registered) {
					t.Errorf("%s %q came by %s outside office hours, at %s", inc.Number, inc.Summary, inc.Channel, inc.Registered.In(demo.Zone))
				}
				histories[i] = append(histories[i], fmt.Sprintf("%s %s %s %s %s", inc.Number, inc.Registered.Format(time.RFC3339),
					inc.Summary, inc.State, inc.Changed.Format(time.RFC3339)))
				if inc.Changed.After(now) {
					t.Errorf("%s changed at %s, after the history's end", inc.Number, inc.Changed)
				}
			}
			if cursor = page.JSON200.Next; cursor == "" {
				break
			}
		}
	}
	if len(histories[0]) < 250 || !slices.Equal(histories[0], histories[1]) {
		t.Errorf("two imports of the history up to %s: %d and %d incidents, equal %v", now, len(histories[0]), len(histories[1]),
			slices.Equal(histories[0], histories[1]))
	}
}
