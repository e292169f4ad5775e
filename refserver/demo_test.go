package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/demo"
	"github.com/spoc-itsm/spoc/refserver/refservertest"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// exports returns the demo's token lines printed by a start.
func exports(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, sm := range regexp.MustCompile(`(?m)^export ([A-Z_]+)=(\S+)`).FindAllStringSubmatch(out, -1) {
		m[sm[1]] = sm[2]
	}
	return m
}

// checked is a client like the examples use (client.New), whose responses
// check validates against the contract.
func checked(t *testing.T, check *refservertest.ContractCheck, base, secret string) *client.ClientWithResponses {
	t.Helper()
	c, err := client.New(base, secret, client.WithHTTPClient(&http.Client{Transport: check}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestServerDemo starts the server with --demo twice on one SQLite file:
// the first start seeds and prints working tokens and the server's URL as
// shell lines; the second finds the demo, revokes the first start's tokens
// and prints new ones.
func TestServerDemo(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "spoc.db")
	check := newContractCheck(t)
	none := func(string) string { return "" }

	base, stop, out := startWith(t, none, "--db", db, "--demo")
	first := exports(t, out.String())
	// Eleven lines, and four of the CMDB's items and its change.
	if first["SPOC"] != base || len(first) != 15 || first["LAST_MONTH"] == "" || first["FROM"] == "" || first["SERVICE_ID"] == "" {
		t.Fatalf("the first start printed %v for %s:\n%s", first, base, out)
	}
	if !strings.Contains(out.String(), "demo: seeded") || !strings.Contains(out.String(), "demo: imported the history") {
		t.Errorf("the first start does not say it seeded and imported the history:\n%s", out)
	}
	// Whoever tries the demo at night or at a weekend learns why the
	// clocks read 0s, and the calendar's hours.
	if !strings.Contains(out.String(), "stands still") || !strings.Contains(out.String(), demo.OfficeHours) {
		t.Errorf("the demo does not say when and why office-hours clocks stand still:\n%s", out)
	}
	// The demo's supplier receives on this machine: the demo allows
	// loopback destinations, and says so.
	if !strings.Contains(out.String(), "demo: webhooks may reach loopback addresses") {
		t.Errorf("the demo does not say that it allows loopback webhooks:\n%s", out)
	}
	if _, err := client.Check(checked(t, check, base, first[demo.EnvNetwork]).CreateWebhookWithResponse(ctx,
		api.WebhookInput{URL: base + "/hook", State: webhook.StatePaused})); err != nil {
		t.Errorf("the demo's supplier subscribes a loopback receiver: %v", err)
	}
	desk := checked(t, check, base, first[demo.EnvDesk])
	count := func(c *client.ClientWithResponses) int {
		t.Helper()
		n, cursor := 0, ""
		for {
			list, err := client.Check(c.ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{Limit: 500, Cursor: cursor}))
			if err != nil {
				t.Fatal(err)
			}
			n += len(list.JSON200.Items)
			if cursor = list.JSON200.Next; cursor == "" {
				return n
			}
		}
	}
	seeded := count(desk)
	if seeded < 250 {
		t.Fatalf("the desk sees %d incidents after seeding, want the history's and today's four", seeded)
	}
	// The demo's problem: a known error with its workaround, two
	// incidents linked; and the history's spike, the one candidate.
	probs, err := client.Check(desk.ListProblemsWithResponse(ctx, &api.ListProblemsParams{}))
	if err != nil || len(probs.JSON200.Items) != 1 {
		t.Fatalf("the demo's problems: %v %v", probs, err)
	}
	p := probs.JSON200.Items[0]
	if p.Summary != demo.ProblemSummary || p.State != problem.StateKnownError || p.Linked != 2 || p.KnownError.IsZero() {
		t.Errorf("the demo's problem: %+v", p)
	}
	ke, err := client.Check(desk.GetKnownErrorWithResponse(ctx, p.KnownError))
	if err != nil || ke.JSON200.Title != demo.KnownErrorTitle || len(ke.JSON200.Workarounds) != 1 {
		t.Fatalf("the demo's known error: %v %v", ke, err)
	}
	wa, err := client.Check(desk.GetWorkaroundWithResponse(ctx, ke.JSON200.Workarounds[0]))
	if err != nil || wa.JSON200.Title != demo.WorkaroundTitle {
		t.Errorf("the demo's workaround: %v %v", wa, err)
	}
	linked, err := client.Check(desk.ListProblemIncidentsWithResponse(ctx, p.ID))
	if err != nil || len(linked.JSON200.Items) != 2 || linked.JSON200.Items[0].State != incident.StateWaitingProblem {
		t.Errorf("the demo problem's incidents: %v %v", linked, err)
	}
	cands, err := client.Check(desk.ListProblemCandidatesWithResponse(ctx))
	if err != nil || len(cands.JSON200.Items) != 1 || cands.JSON200.Items[0].Candidate.Count < demo.SpikeCount ||
		cands.JSON200.Items[0].Candidate.BaselineCount == 0 {
		t.Errorf("the demo's candidates, want one with a baseline: %v %s", err, cands.Body)
	}
	// Last month is over: its follow-up can be drafted at once.
	if _, err := client.Check(desk.DraftFollowUpWithResponse(ctx, api.FollowUpInput{Customer: itsm.MustParseID(first["CUSTOMER_ID"]),
		Month: api.Month(first["LAST_MONTH"]), Zone: "Europe/Stockholm"})); err != nil {
		t.Errorf("drafting the follow-up of %s: %v", first["LAST_MONTH"], err)
	}
	// The demo's password reset works end to end (RF-2): carl answers the
	// control questions the start printed, and the new password arrives
	// as the e-mail the demo prints; wrong answers order nothing.
	reset := regexp.MustCompile(`password reset \(type A, item ([0-9a-f-]{36})`).FindStringSubmatch(out.String())
	if reset == nil {
		t.Fatalf("the demo does not name its password reset item:\n%s", out)
	}
	carl := checked(t, check, base, first[demo.EnvCustomer])
	wrong, err := carl.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: itsm.MustParseID(reset[1]),
		Answers: json.RawMessage(`{"account":"carl","birth_town":"Lund","first_school":"Östra skolan"}`)})
	if err != nil || wrong.StatusCode() != http.StatusForbidden {
		t.Errorf("a reset with a wrong answer: %v %d, want 403", err, wrong.StatusCode())
	}
	if _, err := client.Check(carl.PlaceOrderWithResponse(ctx, nil, api.Placement{Item: itsm.MustParseID(reset[1]),
		Answers: json.RawMessage(`{"account":"carl","birth_town":"uppsala","first_school":"Östra skolan"}`)})); err != nil {
		t.Fatalf("carl orders a password reset: %v", err)
	}
	for wait := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "demo e-mail to [carl@demo.spoc.example]"); {
		if time.Now().After(wait) {
			t.Fatalf("no e-mail with carl's new password within 20 s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	base, _, out = startWith(t, none, "--db", db, "--demo")
	second := exports(t, out.String())
	if !strings.Contains(out.String(), "already seeded") || len(second) != 15 || second["NETWORK_ID"] != first["NETWORK_ID"] || second["SERVICE_ID"] != first["SERVICE_ID"] || second[demo.EnvDesk] == first[demo.EnvDesk] {
		t.Fatalf("the second start printed:\n%s", out)
	}
	for _, env := range []string{demo.EnvDesk, demo.EnvNetwork, demo.EnvWorkplace, demo.EnvCustomer} {
		if r, err := checked(t, check, base, first[env]).GetMeWithResponse(ctx); err != nil || r.StatusCode() != 401 {
			t.Errorf("%s of the first start: %v %v, want 401", env, r.StatusCode(), err)
		}
		if _, err := client.Check(checked(t, check, base, second[env]).GetMeWithResponse(ctx)); err != nil {
			t.Errorf("%s of the second start: %v", env, err)
		}
	}
	if got := count(checked(t, check, base, second[demo.EnvDesk])); got != seeded {
		t.Errorf("the desk sees %d incidents after the second start, %d after the first", got, seeded)
	}
}

// TestServerDemoRefusesARealDatabase: --demo on a database with an
// organisation of its own stops the server with the reason.
func TestServerDemoRefusesARealDatabase(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "spoc.db")
	secret := "spoc_" + strings.Repeat("A", 43)
	env := func(k string) string {
		if k == "SPOC_ADMIN_TOKEN" {
			return secret
		}
		return ""
	}
	base, stop, _ := startWith(t, env, "--db", db)
	admin := checked(t, newContractCheck(t), base, secret)
	if _, err := client.Check(admin.CreateOrganisationWithResponse(ctx,
		api.OrganisationInput{Name: "Real desk", Role: itsm.OrgDesk})); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	err := run(ctx, []string{"--addr", "127.0.0.1:0", "--db", db, "--demo"}, env, &lineWriter{line: make(chan string, 1)},
		io.Discard)
	if err == nil || !strings.Contains(err.Error(), "organisations the demo did not make") {
		t.Errorf("--demo on a database in use: %v", err)
	}
}
