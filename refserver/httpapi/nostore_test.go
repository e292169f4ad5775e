package httpapi_test

import (
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// Every answer that shows a token or a webhook secret says Cache-Control
// no-store, so that no cache on the way keeps it; answers without one are
// left to the usual rules.
func TestSecretsAreNotCached(t *testing.T) {
	c := newHookChain(t)
	rc := newReceiver(t)
	tok, err := c.admin.IssueTokenWithResponse(c.ctx, api.TokenInput{Name: "carol's token",
		Actor: itsm.Actor{Organisation: c.supA, Person: "carol", Roles: []itsm.Role{itsm.RoleAgent}}})
	if err != nil || tok.JSON201 == nil {
		t.Fatalf("issue: %v %s", err, body(tok))
	}
	sub, err := c.alice.CreateWebhookWithResponse(c.ctx, api.WebhookInput{URL: rc.srv.URL})
	if err != nil || sub.JSON201 == nil {
		t.Fatalf("subscribe: %v %s", err, body(sub))
	}
	rot, err := c.alice.RotateWebhookSecretWithResponse(c.ctx, sub.JSON201.ID, api.WebhookSecret{})
	if err != nil || rot.JSON200 == nil {
		t.Fatalf("rotate: %v %s", err, body(rot))
	}
	for name, got := range map[string]string{
		"issued token":    tok.HTTPResponse.Header.Get("Cache-Control"),
		"created webhook": sub.HTTPResponse.Header.Get("Cache-Control"),
		"rotated secret":  rot.HTTPResponse.Header.Get("Cache-Control"),
	} {
		if got != "no-store" {
			t.Errorf("the %s: Cache-Control %q, want no-store", name, got)
		}
	}
	get, err := c.alice.GetWebhookWithResponse(c.ctx, sub.JSON201.ID)
	if err != nil || get.JSON200 == nil || get.HTTPResponse.Header.Get("Cache-Control") == "no-store" {
		t.Errorf("a webhook without its secret: %v, Cache-Control %q", err, get.HTTPResponse.Header.Get("Cache-Control"))
	}
}
