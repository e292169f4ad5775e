package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/sla"
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
	// The customer has no report access: its report is refused.
	nov := time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)
	noReport, err6 := c.user.GetReportWithResponse(ctx, &api.GetReportParams{From: nov, To: nov.AddDate(0, 1, 0)}, dropZeros)
	for _, e := range []error{err1, err2, err3, err4, err5, err6} {
		if e != nil {
			t.Fatal(e)
		}
	}
	for _, tc := range []struct {
		r    any
		want int
	}{{forbidden, 403}, {noReport, 403}, {missing, 404}, {conflict, 409}, {stale, 412}, {reused, 422}} {
		status, p := problemOf(t, tc.r)
		// The Go client's error says the code once, not the status's
		// title beside it ("forbidden: ... 403 Forbidden: ..."), nor a
		// 412's staleness after the detail that says it.
		hr, b := client.Parts(tc.r)
		if msg := client.ResponseError(hr, b).Error(); !strings.HasPrefix(msg, string(p.Code)+": ") || strings.Contains(msg, http.StatusText(status)) ||
			strings.Count(msg, itsm.ErrStale.Error()) > 1 {
			t.Errorf("%d: the client's error %q says the refusal twice", status, msg)
		}
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

// TestInvalidSettingsSaySLAsWords puts a calendar and creates an agreement
// that the contract allows but package sla refuses: 400 invalid, with
// sla's own message (its Text) as the detail, passed on rather than
// re-worded.
func TestInvalidSettingsSaySLAsWords(t *testing.T) {
	c := newChain(t)
	overlap := `{"name":"bad-hours","location":"UTC","hours":{"mon":["08:00-12:00","11:00-17:00"]}}`
	_, slaErr := sla.ParseCalendar([]byte(overlap))
	var want *itsm.Error
	if !errors.As(slaErr, &want) {
		t.Fatalf("sla refused the calendar with %v, not an *itsm.Error", slaErr)
	}
	status, p := problemOf(t, putCalendar(t, c, c.deskAdmin, "bad-hours", overlap))
	if status != http.StatusBadRequest || p.Code != api.ErrorCodeInvalid || p.Detail != want.Text() {
		t.Errorf("an overlapping calendar: %d %s %q, want 400 invalid %q", status, p.Code, p.Detail, want.Text())
	}

	if r := putCalendar(t, c, c.deskAdmin, "uc-hours", alwaysCalendar); r.StatusCode() != http.StatusOK && r.StatusCode() != http.StatusCreated {
		t.Fatalf("put the calendar: %s", body(r))
	}
	raw := strings.Replace(agreementJSON("backwards", "SLA", c.desk, c.city, "8h", "uc-hours"),
		`"warnings":[0.5,0.75]`, `"warnings":[0.75,0.5]`, 1)
	status, p = problemOf(t, createAgreement(t, c, c.deskAdmin, raw))
	if status != http.StatusBadRequest || p.Code != api.ErrorCodeInvalid ||
		p.Detail != `agreement "backwards": warnings [0.75 0.5] must increase within (0, 1)` {
		t.Errorf("decreasing warnings: %d %s %q", status, p.Code, p.Detail)
	}
}

// TestContractRefusalsNameTheField sends requests the contract refuses,
// one per kind of rule, and checks the sentence each gets: the field, what
// was expected and an example, in the problem's detail and its errors.
func TestContractRefusalsNameTheField(t *testing.T) {
	c := newChain(t)
	valid := `{"caller":{"person":"carl"},"channel":"phone","summary":"x","impact":2,"urgency":2}`
	register := func(old, new string) string { return strings.Replace(valid, old, new, 1) }
	for _, tc := range []struct{ method, path, body, detail string }{
		{"POST", "/v1/incidents", register(`"summary":"x"`, `"summary":5`), "the field summary must be a string, not a number"},
		{"POST", "/v1/incidents", `{"caller":{"person":"carl"},"channel":"phone"}`, "the field summary is required but missing"},
		{"POST", "/v1/incidents", register(`"phone"`, `"pigeon"`),
			`the field channel must be one of "phone", "email", "portal", "chat", "walk_in" or "monitoring"`},
		{"POST", "/v1/incidents", register(`"impact":2`, `"impact":0`), "the field impact must be at least 1"},
		{"POST", "/v1/incidents", register(`"impact":2`, `"impact":2.5`), "the field impact must be a whole number"},
		{"POST", "/v1/incidents", register(`{`, `{"colour":"red",`), "the field colour is unknown here (the fields are caller, category, " +
			"channel, cis, customer, description, group, impact, service, subcategory, summary, urgency)"},
		{"POST", "/v1/incidents", register(`"x"`, `"`+strings.Repeat("x", 301)+`"`), "the field summary must be at most 300 characters long"},
		// A member whose schema is a $ref wrapped in allOf: the ID's rule.
		{"POST", "/v1/incidents", register(`"urgency":2`, `"urgency":2,"customer":"city"`),
			"the field customer must be a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f"},
		{"GET", "/v1/incidents/INC42", "",
			"the path parameter id must be an incident's ID (a UUID such as 0b5e5f3c-1c9d-4e8e-9a4f-7d2c1b3a4e5f) or its master number (such as INC0000042)"},
		{"GET", "/v1/incidents?limit=ten", "", "the query parameter limit must be a whole number"},
		{"GET", "/v1/reports?from=2026-11-01&to=2026-12-01T00:00:00Z", "",
			"the query parameter from must be a date and time with its offset (RFC 3339), such as 2026-11-30T09:00:00Z"},
		{"GET", "/v1/followups?month=2026-13", "", "the query parameter month must be a month such as 2026-11"},
		{"PUT", "/v1/calendars/x", `{"name":"x","location":"UTC","hours":"9to5"}`, `the field hours must be "24x7" (or an object)`},
		{"PUT", "/v1/calendars/x", `{"name":"x","location":"UTC","hours":{"mon":["8-17"]}}`,
			"the field hours.mon[0] must be a span of wall-clock times such as 08:00-17:00 (it may end at 24:00)"},
		{"PUT", "/v1/calendars/x", `{"name":"x","location":"UTC","hours":"24x7","holidays":["se","se"]}`, "the field holidays must not list an item twice"},
		{"PUT", "/v1/calendars/x", `[]`, "the body must be an object, not a list"},
	} {
		req, err := http.NewRequestWithContext(c.ctx, tc.method, c.base+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.body == "" {
			req.Body = nil
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+c.secrets["root"])
		resp, err := (&http.Client{Transport: c.check}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p api.Problem
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusBadRequest || p.Code != api.ErrorCodeInvalid || p.Detail != tc.detail ||
			len(p.Errors) != 1 || p.Errors[0].Detail != tc.detail {
			t.Errorf("%s %s %.60s: %d %+v (%v)\nwant detail %q", tc.method, tc.path, tc.body, resp.StatusCode, p, err, tc.detail)
		}
	}
}
