package demo_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
	"github.com/spoc-itsm/spoc/refserver/refservertest"
)

// TestSeedCMDB checks the demo's CMDB as its people find it over HTTP:
// every item, each supplier responsible for its own; one internet link
// down leaves e-mail and the school platform degraded, both Exchange
// servers down take e-mail down for every employee; the library's
// incident proposes a high impact; the customer's user sees next week's
// approved change among the outages, in Swedish and English, and the
// schedule shows it in next week.
func TestSeedCMDB(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	srv := refservertest.Start(t, store)
	cast, err := demo.Seed(ctx, srv.URL, srv.Admin)
	if err != nil {
		t.Fatal(err)
	}
	as := func(env string) *client.ClientWithResponses {
		c, err := client.New(srv.URL, cast.Token(env).Secret)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	desk, nils, user := as(demo.EnvDesk), as(demo.EnvNetwork), as(demo.EnvCustomer)
	if cast.CMDB.Items < 15 || cast.CMDB.Service.IsZero() || cast.CMDB.Change.IsZero() {
		t.Fatalf("the CMDB: %+v", cast.CMDB)
	}
	l, err := client.Check(desk.ListConfigItemsWithResponse(ctx, &api.ListConfigItemsParams{Limit: 1000}))
	if err != nil || len(l.JSON200.Items) != cast.CMDB.Items {
		t.Fatalf("the desk's items: %v %d, want %d", err, len(l.JSON200.Items), cast.CMDB.Items)
	}
	classes := map[string]int{}
	for _, it := range l.JSON200.Items {
		classes[it.Class]++
		if it.Class == "network_link" && it.Supplier != cast.Network || it.Class == "server" && it.Supplier != cast.Workplace {
			t.Errorf("%s %s is the responsibility of %s", it.Class, it.Name, it.Supplier)
		}
	}
	if classes["business_service"] < 3 || classes["server"] < 3 || classes["cluster"] != 2 || classes["network_link"] != 2 || classes["site"] < 1 {
		t.Errorf("the classes: %v", classes)
	}

	impact := func(down ...itsm.ID) *cmdb.Impact {
		t.Helper()
		q := api.ImpactQuestion{Desk: cast.Desk}
		for _, id := range down {
			q.Down = append(q.Down, api.FailedItem{Item: id})
		}
		r, err := client.Check(user.AnalyseImpactWithResponse(ctx, q))
		if err != nil {
			t.Fatal(err)
		}
		return r.JSON200
	}
	health := func(im *cmdb.Impact) map[string]string {
		out := map[string]string{}
		for _, s := range im.Services {
			out[s.Name] = s.Health
		}
		return out
	}
	// One internet link down: the pair holds (one is enough), at risk,
	// and no service is hurt through it.
	link := impact(cast.CMDB.Link)
	if got := health(link); len(got) != 0 || !slices.ContainsFunc(link.Items, func(a cmdb.Affected) bool { return a.Name == "Internetförbindelser" && a.AtRisk }) {
		t.Errorf("the Telia link down: %v %+v", got, link.Items)
	}
	exch02, err := client.Check(desk.ListConfigItemsWithResponse(ctx, &api.ListConfigItemsParams{Class: "server", Key: []string{"host_name=exch02"}}))
	if err != nil || len(exch02.JSON200.Items) != 1 {
		t.Fatalf("exch02: %v", err)
	}
	both := impact(cast.CMDB.Server, exch02.JSON200.Items[0].ID)
	if got := health(both); len(got) != 1 || got[demo.ServiceName] != "down" || both.Users != 4350 {
		t.Errorf("both Exchange servers down: %v for %d users", got, both.Users)
	}

	// The library's incident is about Exchange: a high impact.
	incs, err := client.Check(desk.ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{}))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(incs.JSON200.Items, func(inc api.Incident) bool { return inc.Summary == "Library e-mail does not arrive" })
	if i < 0 {
		t.Fatal("no library incident")
	}
	ii, err := client.Check(desk.GetIncidentImpactWithResponse(ctx, incs.JSON200.Items[i].ID))
	if err != nil || ii.JSON200.ProposedImpact != itsm.ImpactHigh || health(&ii.JSON200.Analysis)[demo.ServiceName] != "down" {
		t.Errorf("the library incident's impact: %v %+v", err, ii)
	}

	// Next week's change: the user sees it, approved, in both languages.
	out, err := client.Check(user.ListOutagesWithResponse(ctx, &api.ListOutagesParams{Desk: cast.Desk}))
	if err != nil {
		t.Fatal(err)
	}
	os := out.JSON200.Items
	if len(os) != 1 || os[0].Change != cast.CMDB.Change || os[0].State != cmdb.ChangeStateApproved || os[0].Texts.SV == "" || os[0].Texts.EN == "" ||
		os[0].Current || len(os[0].Services) != 0 {
		t.Errorf("the outages: %+v", os)
	}
	ch, err := client.Check(nils.GetChangeWithResponse(ctx, cast.CMDB.Change.String()))
	if err != nil || ch.JSON200.Supplier != cast.Network || ch.JSON200.Approval == nil || ch.JSON200.Approval.ObjectOwner != demo.ObjectOwner {
		t.Errorf("the change as the network supplier reads it: %v %+v", err, ch)
	}
	now := time.Now()
	sch, err := client.Check(desk.GetChangeScheduleWithResponse(ctx, &api.GetChangeScheduleParams{From: now, To: now.AddDate(0, 0, 15)}))
	if err != nil || len(sch.JSON200.Weeks) != 1 || sch.JSON200.Weeks[0].Changes[0].Change.ID != cast.CMDB.Change {
		t.Errorf("the schedule: %v %+v", err, sch)
	}
	if _, w := ch.JSON200.Window.Start.In(demo.Zone).ISOWeek(); w == 0 {
		t.Errorf("the window: %+v", ch.JSON200.Window)
	}
}

// TestServerDocCMDBWalkthrough runs the shell block of docs/server.md's
// "Try it: the CMDB", as written, with bash and curl against an
// in-process server seeded with the demo: the impact of both Exchange
// servers is e-mail down for every employee, the library's incident
// proposes a high impact, exch01 has its memory, and the network
// supplier's inventory in Windows-1252 is applied, registering sw-sh-02.
func TestServerDocCMDBWalkthrough(t *testing.T) {
	blocks := shellBlocks(t, "Try it: the CMDB", 1, "bash", "curl", "sed", "tr", "date")
	ctx := context.Background()
	srv, cast := startWithPast(t)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", string(blocks[0][1])+"echo \"IMP=$IMP\"\n")
	cmd.Dir = t.TempDir()
	db := cast.CMDB
	cmd.Env = append(os.Environ(), "SPOC="+srv.URL, "DESK_TOKEN="+cast.Token(demo.EnvDesk).Secret,
		"CUSTOMER_TOKEN="+cast.Token(demo.EnvCustomer).Secret, "NETWORK_TOKEN="+cast.Token(demo.EnvNetwork).Secret,
		"WORKPLACE_TOKEN="+cast.Token(demo.EnvWorkplace).Secret, "DESK_ID="+cast.Desk.String(), "WORKPLACE_ID="+cast.Workplace.String(),
		"SERVICE_ID="+db.Service.String(), "SERVER_ID="+db.Server.String(), "LINK_ID="+db.Link.String(), "CHANGE_ID="+db.Change.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough: %v\n%s", err, out)
	}
	for _, want := range []string{`"users":4350`, `"proposed_impact":1`, `"health":"degraded"`, `"memory_gb":"64"`,
		demo.ChangeTitle, `"kind":"unchanged"`, `"kind":"missing"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the walkthrough does not show %s:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`IMP=([0-9a-f-]{36})`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the walkthrough made no import:\n%s", out)
	}
	desk, err := client.New(srv.URL, cast.Token(demo.EnvDesk).Secret)
	if err != nil {
		t.Fatal(err)
	}
	imp, err := client.Check(desk.GetImportWithResponse(ctx, string(m[1])))
	if err != nil || imp.JSON200.State != cmdb.ImportStateApplied || imp.JSON200.Encoding != "windows-1252" ||
		imp.JSON200.Counts != (cmdb.Counts{Created: 1, Unchanged: 1, Missing: 2}) {
		t.Errorf("the import after the walkthrough: %v %+v", err, imp)
	}
	sw, err := client.Check(desk.ListConfigItemsWithResponse(ctx, &api.ListConfigItemsParams{Class: "network_device", Key: []string{"host_name=sw-sh-02"}}))
	if err != nil || len(sw.JSON200.Items) != 1 || sw.JSON200.Items[0].Supplier != cast.Network {
		t.Errorf("sw-sh-02 after the walkthrough: %v %+v", err, sw)
	}
}
