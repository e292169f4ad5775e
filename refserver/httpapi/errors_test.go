package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// problemOf decodes the problem of a generated response.
func problemOf(t *testing.T, r any) (int, api.Problem) {
	t.Helper()
	hr := reflectResponse(r)
	b, _ := reflectField(r, "Body").([]byte)
	var p api.Problem
	if hr == nil || json.Unmarshal(b, &p) != nil {
		t.Fatalf("not a problem: %s", body(r))
	}
	return hr.StatusCode, p
}

// TestRefusalsReadOnce provokes a refusal of each status a caller can fix
// (403, 404, 409, 412, 422) and checks that its detail says the refusal
// once: the code is the problem's member, never again a prefix of the
// detail or of a cause within it.
func TestRefusalsReadOnce(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	inc := c.register("alert-7", "The printer is on fire", c.city)
	got, err := c.agent.GetIncidentWithResponse(ctx, inc.ID.String())
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get: %v %s", err, body(got))
	}
	reg := api.Registration{Caller: api.Caller{Person: "carl", Name: "Carl"}, Channel: "phone", Customer: c.city,
		Summary: "another thing", Impact: 2, Urgency: 2}
	forbidden, err1 := c.user.RegisterIncidentWithResponse(ctx, nil, reg)
	missing, err2 := c.agent.GetIncidentWithResponse(ctx, itsm.NewID().String())
	conflict, err3 := c.agent.CloseIncidentWithResponse(ctx, inc.ID, nil, api.Closure{Message: "done"})
	if _, err := c.agent.UpdateIncidentWithResponse(ctx, inc.ID, nil, api.StatusUpdate{Text: "on it"}); err != nil {
		t.Fatal(err)
	}
	stale, err4 := c.agent.UpdateIncidentWithResponse(ctx, inc.ID, &api.UpdateIncidentParams{IfMatch: got.Headers200.ETag},
		api.StatusUpdate{Text: "still on it"})
	reused, err5 := c.agent.RegisterIncidentWithResponse(ctx, &api.RegisterIncidentParams{IdempotencyKey: "alert-7"}, reg)
	for _, e := range []error{err1, err2, err3, err4, err5} {
		if e != nil {
			t.Fatal(e)
		}
	}
	for _, tc := range []struct {
		r    any
		want int
	}{{forbidden, 403}, {missing, 404}, {conflict, 409}, {stale, 412}, {reused, 422}} {
		status, p := problemOf(t, tc.r)
		if status != tc.want || p.Detail == "" {
			t.Errorf("%d %+v, want %d with a detail", status, p, tc.want)
			continue
		}
		for _, code := range []string{"invalid", "forbidden", "not_found", "conflict", "unavailable", "unsupported", "internal"} {
			if strings.Contains(strings.ToLower(p.Detail), code+": ") {
				t.Errorf("%d: detail %q says %q, which the problem's code (%s) says already", status, p.Detail, code, p.Code)
			}
		}
	}
}

// TestOperationsNotOfferedAre501 calls the operations of the services a
// server runs without: 501 with the code unsupported, which says that
// retrying is useless, not unavailable, which says it may succeed later.
func TestOperationsNotOfferedAre501(t *testing.T) {
	c := newChain(t)
	hooks, err := c.deskAdmin.ListWebhooksWithResponse(c.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	fus, err := c.agent.ListFollowUpsWithResponse(c.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for what, r := range map[string]any{"webhooks": hooks, "follow-ups": fus} {
		status, p := problemOf(t, r)
		if status != http.StatusNotImplemented || p.Code != api.ErrorCode(itsm.CodeUnsupported) || !strings.Contains(p.Detail, what) {
			t.Errorf("%s: %d %+v, want 501 unsupported naming %s", what, status, p, what)
		}
	}
}
