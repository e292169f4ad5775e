package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// supplierAgent makes a supplier with an agent on the server at base, as
// the administrator whose token is admin, and returns the agent's client.
func supplierAgent(t *testing.T, base, admin string) *client.ClientWithResponses {
	t.Helper()
	ctx := context.Background()
	check := newContractCheck(t)
	a := apiClient(t, check, base, admin)
	org, err := client.Check(a.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: "Network Supplier", Role: itsm.OrgSupplier}))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := client.Check(a.IssueTokenWithResponse(ctx, api.TokenInput{Name: "alice",
		Actor: itsm.Actor{Organisation: org.JSON201.ID, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}}}))
	if err != nil {
		t.Fatal(err)
	}
	return apiClient(t, check, base, tok.JSON201.Secret)
}

// TestServerWebhookDestinations: by default the server refuses webhooks to
// its own networks; --webhook-allow or SPOC_WEBHOOK_ALLOW allow them, and
// --webhook-max-per-org bounds an organisation's subscriptions.
func TestServerWebhookDestinations(t *testing.T) {
	ctx := context.Background()
	admin := auth.NewSecret()
	env := map[string]string{auth.EnvAdminToken: admin}
	getenv := func(k string) string { return env[k] }

	base, stop, _ := startWith(t, getenv, "--db", filepath.Join(t.TempDir(), "spoc.db"))
	alice := supplierAgent(t, base, admin)
	for _, u := range []string{base + "/metrics", "http://localhost:5432/", "https://169.254.169.254/latest/meta-data/",
		"https://[::ffff:10.0.0.1]/", "https://2130706433/"} {
		r, err := alice.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: u})
		if err != nil || r.StatusCode() != http.StatusBadRequest || r.ApplicationProblemJSON400 == nil ||
			!strings.Contains(r.ApplicationProblemJSON400.Detail, "only public addresses") {
			t.Errorf("subscribe %s: %v %s", u, err, r.Body)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	env[EnvWebhookAllow] = "127.0.0.0/8"
	base, _, _ = startWith(t, getenv, "--db", filepath.Join(t.TempDir(), "spoc.db"), "--webhook-max-per-org", "1")
	alice = supplierAgent(t, base, admin)
	if _, err := client.Check(alice.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: base + "/hook"})); err != nil {
		t.Errorf("subscribe loopback with %s=127.0.0.0/8: %v", EnvWebhookAllow, err)
	}
	r, err := alice.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: base + "/other"})
	if err != nil || r.StatusCode() != http.StatusConflict || r.ApplicationProblemJSON409 == nil ||
		!strings.Contains(r.ApplicationProblemJSON409.Detail, "at most 1") {
		t.Errorf("a second subscription with --webhook-max-per-org 1: %v %s", err, r.Body)
	}
}

// TestServerRefusesBadWebhookSettings: a wrong allow-list or limit stops the
// server before it listens, naming the flag or the variable.
func TestServerRefusesBadWebhookSettings(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--webhook-allow", "10.0.0.0/33"}, "--webhook-allow: netguard: allow-list entry \"10.0.0.0/33\""},
		{nil, []string{"--webhook-allow", "10.0.0.0/8,,hooks.internal"}, "--webhook-allow: netguard: allow-list entry 2 is empty"},
		{map[string]string{EnvWebhookAllow: "2130706433"}, nil, "$SPOC_WEBHOOK_ALLOW: netguard: allow-list entry \"2130706433\""},
		{nil, []string{"--webhook-max-per-org", "0"}, "--webhook-max-per-org 0"},
		{map[string]string{EnvWebhookMaxPerOrg: "ten"}, nil, `SPOC_WEBHOOK_MAX_PER_ORG="ten"`},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "x.db")}, tt.args...),
			func(k string) string { return tt.env[k] }, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: %v, want an error with %q", tt.env, tt.args, err, tt.want)
		}
		if strings.Contains(stdout.String(), "listening") {
			t.Errorf("%v %v: the server listened", tt.env, tt.args)
		}
	}
}
