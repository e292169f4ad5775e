package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// TestAuthorisationMatrix calls each served operation as each kind of caller
// and checks the status: what the register, the tokens, the webhooks and the
// incidents allow whom (SD-4, SD-13), 401 without a token. Administrators
// come in two kinds: the platform administrator manages the register, the
// rights and every organisation's tokens and webhooks; an organisation's
// administrator (of the desk, of a supplier) only its own organisation's
// tokens and webhooks, and another organisation's token does not exist for
// it. A desk's agreements and calendars are its own: another desk's
// agreement is not found, and only the platform administrator and the desk
// that made a calendar replace it. An organisation's groups are changed by
// its administrators and the platform; its people read them, and the desk's
// those of every supplier; to anyone else they do not exist. The holding
// organisation's agents assign within it; only the desk recalls.
func TestAuthorisationMatrix(t *testing.T) {
	c := chainOver(newHookWorld(t))
	ctx := c.ctx
	supAdmin := c.token(itsm.Actor{Organisation: c.supA, Person: "sara", Roles: []itsm.Role{itsm.RoleAdmin}})
	inc := c.register("", "The city's network is down", c.city)
	if r, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, nil, api.Delegation{Organisation: c.supA}); err != nil || r.JSON200 == nil {
		t.Fatalf("delegate: %v %s", err, body(r))
	}
	recv := newReceiver(t)
	desk2 := c.org("Second Desk", itsm.OrgDesk)
	if r := putCalendar(t, c, c.admin, "uc-hours", alwaysCalendar); r.JSON201 == nil {
		t.Fatalf("create uc-hours: %s", body(r))
	}
	// The second desk's own calendar and SLA with the city.
	desk2Admin := c.token(itsm.Actor{Organisation: desk2, Person: "ben", Roles: []itsm.Role{itsm.RoleAdmin}})
	secondHours := strings.ReplaceAll(alwaysCalendar, "uc-hours", "second-hours")
	if r := putCalendar(t, c, desk2Admin, "second-hours", secondHours); r.JSON201 == nil {
		t.Fatalf("create second-hours: %s", body(r))
	}
	desk2SLA := createAgreement(t, c, desk2Admin, agreementJSON("Second SLA", "SLA", desk2, c.city, "8h", "second-hours"))
	if desk2SLA.JSON201 == nil {
		t.Fatalf("create the second desk's SLA: %s", body(desk2SLA))
	}
	// A group of each supplier and of the desk, made by the platform.
	group := func(org itsm.ID, name string) itsm.ID {
		r, err := c.admin.CreateGroupWithResponse(ctx, org, api.GroupInput{Name: name, Members: []string{"alice"}})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create group %s: %v %s", name, err, body(r))
		}
		return r.JSON201.ID
	}
	groupA, groupB := group(c.supA, "Network"), group(c.supB, "Hardware")
	group(c.desk, "First line")
	teams := 0
	rename := func() *string { teams++; s := fmt.Sprint("Team ", teams); return &s }
	n := 0
	type call func(*client.ClientWithResponses) (any, error)
	ops := []struct {
		name string
		call call
		// the platform administrator, the desk's administrator, supplier
		// A's administrator, a desk agent, supplier A's agent holding the
		// incident, a customer user, no token
		want [7]int
	}{
		{"getMe", func(cl *client.ClientWithResponses) (any, error) { return cl.GetMeWithResponse(ctx) },
			[7]int{200, 200, 200, 200, 200, 200, 401}},
		{"listOrganisations", func(cl *client.ClientWithResponses) (any, error) { return cl.ListOrganisationsWithResponse(ctx) },
			[7]int{200, 200, 200, 200, 200, 200, 401}},
		{"createOrganisation", func(cl *client.ClientWithResponses) (any, error) {
			n++
			return cl.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: fmt.Sprint("Supplier ", n), Role: itsm.OrgSupplier})
		}, [7]int{201, 403, 403, 403, 403, 403, 401}},
		{"getOrganisation", func(cl *client.ClientWithResponses) (any, error) { return cl.GetOrganisationWithResponse(ctx, c.desk) },
			[7]int{200, 200, 404, 200, 404, 404, 401}},
		{"updateOrganisation", func(cl *client.ClientWithResponses) (any, error) {
			return cl.UpdateOrganisationWithResponse(ctx, c.supB, api.OrganisationInput{Name: "Hardware Supplier", Role: itsm.OrgSupplier})
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"updateOrganisation of one's own", func(cl *client.ClientWithResponses) (any, error) {
			return cl.UpdateOrganisationWithResponse(ctx, c.supA, api.OrganisationInput{Name: "Network Supplier", Role: itsm.OrgSupplier})
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"getPermissions", func(cl *client.ClientWithResponses) (any, error) { return cl.GetPermissionsWithResponse(ctx, c.desk) },
			[7]int{200, 200, 404, 200, 404, 404, 401}},
		{"getPermissions of another organisation", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetPermissionsWithResponse(ctx, c.supB)
		}, [7]int{200, 403, 404, 403, 404, 404, 401}},
		{"grantPermissions", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GrantPermissionsWithResponse(ctx, c.supB, api.Rights{Domain: itsm.DomainIncident, Access: api.AccessList{api.AccessRead}})
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"grantPermissions to one's own", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GrantPermissionsWithResponse(ctx, c.supA, api.Rights{Domain: itsm.DomainIncident, Access: api.AccessList{api.AccessRead}})
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"listTokens", func(cl *client.ClientWithResponses) (any, error) { return cl.ListTokensWithResponse(ctx, nil) },
			[7]int{200, 200, 200, 403, 403, 403, 401}},
		{"listTokens of another organisation", func(cl *client.ClientWithResponses) (any, error) {
			return cl.ListTokensWithResponse(ctx, &api.ListTokensParams{Organisation: c.supB}, dropZeros)
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"issueToken for another organisation", func(cl *client.ClientWithResponses) (any, error) {
			return cl.IssueTokenWithResponse(ctx, api.TokenInput{Name: "integration",
				Actor: itsm.Actor{Organisation: c.supB, Person: "robot", Roles: []itsm.Role{itsm.RoleAgent}}})
		}, [7]int{201, 403, 403, 403, 403, 403, 401}},
		{"issueToken for the desk", func(cl *client.ClientWithResponses) (any, error) {
			return cl.IssueTokenWithResponse(ctx, api.TokenInput{Name: "integration",
				Actor: itsm.Actor{Organisation: c.desk, Person: "robot", Roles: []itsm.Role{itsm.RoleAgent}}})
		}, [7]int{201, 201, 403, 403, 403, 403, 401}},
		{"issueToken for a platform administrator", func(cl *client.ClientWithResponses) (any, error) {
			return cl.IssueTokenWithResponse(ctx, api.TokenInput{Name: "second administrator", Actor: auth.Admin()})
		}, [7]int{201, 403, 403, 403, 403, 403, 401}},
		{"revokeToken of another organisation", func(cl *client.ClientWithResponses) (any, error) {
			victim, err := c.admin.IssueTokenWithResponse(ctx, api.TokenInput{Name: "victim",
				Actor: itsm.Actor{Organisation: c.supB, Person: "robot"}})
			if err != nil || victim.JSON201 == nil {
				t.Fatalf("issue a token to revoke: %v %s", err, body(victim))
			}
			return cl.RevokeTokenWithResponse(ctx, victim.JSON201.Token.ID)
		}, [7]int{200, 404, 404, 403, 403, 403, 401}},
		{"listWebhooks", func(cl *client.ClientWithResponses) (any, error) { return cl.ListWebhooksWithResponse(ctx, nil) },
			[7]int{200, 200, 200, 200, 200, 403, 401}},
		{"listWebhooks of another organisation", func(cl *client.ClientWithResponses) (any, error) {
			return cl.ListWebhooksWithResponse(ctx, &api.ListWebhooksParams{Owner: c.supB}, dropZeros)
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"createWebhook for another organisation", func(cl *client.ClientWithResponses) (any, error) {
			return cl.CreateWebhookWithResponse(ctx, api.WebhookInput{Owner: c.supB, URL: recv.srv.URL})
		}, [7]int{201, 403, 403, 403, 403, 403, 401}},
		{"listIncidents", func(cl *client.ClientWithResponses) (any, error) { return cl.ListIncidentsWithResponse(ctx, nil) },
			[7]int{403, 200, 200, 200, 200, 200, 401}},
		{"registerIncident", func(cl *client.ClientWithResponses) (any, error) {
			return cl.RegisterIncidentWithResponse(ctx, nil, api.Registration{Caller: api.Caller{Person: "carl"},
				Channel: "phone", Summary: "Another outage", Impact: 3, Urgency: 3})
		}, [7]int{403, 403, 403, 201, 403, 403, 401}},
		{"getIncident", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetIncidentWithResponse(ctx, inc.Number.String())
		},
			[7]int{403, 200, 200, 200, 200, 200, 401}},
		{"getIncidentClocks", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetIncidentClocksWithResponse(ctx, inc.ID)
		},
			[7]int{403, 200, 200, 200, 200, 200, 401}},
		{"listDueClocks", func(cl *client.ClientWithResponses) (any, error) { return cl.ListDueClocksWithResponse(ctx, nil) },
			[7]int{403, 200, 403, 200, 403, 200, 401}},
		// A group's queue is its organisation's: supplier A reads its own
		// and not supplier B's, the desk neither of them (404, as if they
		// did not exist); a customer holds nothing and has no queue.
		{"getGroupQueue of supplier A", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetGroupQueueWithResponse(ctx, groupA, nil)
		}, [7]int{403, 404, 200, 404, 200, 403, 401}},
		{"getGroupQueue of supplier B", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetGroupQueueWithResponse(ctx, groupB, &api.GetGroupQueueParams{Unassigned: true}, dropZeros)
		}, [7]int{403, 404, 404, 404, 404, 403, 401}},
		{"getAssignedQueue", func(cl *client.ClientWithResponses) (any, error) { return cl.GetAssignedQueueWithResponse(ctx, nil) },
			[7]int{403, 200, 200, 200, 200, 403, 401}},
		{"commentIncident", func(cl *client.ClientWithResponses) (any, error) {
			return cl.CommentIncidentWithResponse(ctx, inc.ID, nil, api.Comment{Kind: "work_note", Text: "checking"})
		}, [7]int{403, 403, 403, 200, 200, 403, 401}},
		// Only the holding supplier's agents assign within it, to its own
		// groups: supplier A's agent cannot assign within supplier B, and
		// the desk, the customer and the administrators assign nothing.
		{"takeIncident", func(cl *client.ClientWithResponses) (any, error) {
			return cl.TakeIncidentWithResponse(ctx, inc.ID, nil, api.Take{Group: groupA})
		}, [7]int{403, 403, 403, 403, 200, 403, 401}},
		{"assignIncident within the holding supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.AssignIncidentWithResponse(ctx, inc.ID, nil, api.AssignTo{Group: groupA})
		}, [7]int{403, 403, 403, 403, 200, 403, 401}},
		{"assignIncident within another supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.AssignIncidentWithResponse(ctx, inc.ID, nil, api.AssignTo{Group: groupB})
		}, [7]int{403, 403, 403, 403, 400, 403, 401}},
		{"listEvents", func(cl *client.ClientWithResponses) (any, error) { return cl.ListEventsWithResponse(ctx, nil) },
			[7]int{200, 200, 200, 200, 200, 200, 401}},
		{"listCalendars", func(cl *client.ClientWithResponses) (any, error) { return cl.ListCalendarsWithResponse(ctx) },
			[7]int{200, 200, 403, 403, 403, 403, 401}},
		{"putCalendar of the platform", func(cl *client.ClientWithResponses) (any, error) {
			return cl.PutCalendarWithBodyWithResponse(ctx, "uc-hours", "application/json", strings.NewReader(alwaysCalendar))
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"putCalendar of another desk", func(cl *client.ClientWithResponses) (any, error) {
			return cl.PutCalendarWithBodyWithResponse(ctx, "second-hours", "application/json", strings.NewReader(secondHours))
		}, [7]int{200, 403, 403, 403, 403, 403, 401}},
		{"getAgreement of another desk", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetAgreementWithResponse(ctx, desk2SLA.JSON201.ID)
		}, [7]int{200, 404, 404, 404, 404, 200, 401}},
		{"createAgreement of the desk", func(cl *client.ClientWithResponses) (any, error) {
			n++
			return cl.CreateAgreementWithBodyWithResponse(ctx, "application/json",
				strings.NewReader(agreementJSON(fmt.Sprint("UC ", n), "UC", c.supB, c.desk, "8h", "uc-hours")))
		}, [7]int{201, 201, 403, 403, 403, 403, 401}},
		{"createAgreement of another desk", func(cl *client.ClientWithResponses) (any, error) {
			n++
			return cl.CreateAgreementWithBodyWithResponse(ctx, "application/json",
				strings.NewReader(agreementJSON(fmt.Sprint("SLA ", n), "SLA", desk2, c.city, "8h", "uc-hours")))
		}, [7]int{201, 403, 403, 403, 403, 403, 401}},
		{"listGroups of a supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.ListGroupsWithResponse(ctx, c.supA, nil)
		}, [7]int{200, 200, 200, 200, 200, 404, 401}},
		{"listGroups of the desk", func(cl *client.ClientWithResponses) (any, error) {
			return cl.ListGroupsWithResponse(ctx, c.desk, nil)
		}, [7]int{200, 200, 404, 200, 404, 404, 401}},
		{"createGroup of one's own supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.CreateGroupWithResponse(ctx, c.supA, api.GroupInput{Name: *rename()})
		}, [7]int{201, 403, 201, 403, 403, 404, 401}},
		{"createGroup of another supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.CreateGroupWithResponse(ctx, c.supB, api.GroupInput{Name: *rename()})
		}, [7]int{201, 403, 404, 403, 404, 404, 401}},
		{"createGroup of the desk", func(cl *client.ClientWithResponses) (any, error) {
			return cl.CreateGroupWithResponse(ctx, c.desk, api.GroupInput{Name: *rename()})
		}, [7]int{201, 201, 404, 403, 404, 404, 401}},
		{"createGroup of the customer", func(cl *client.ClientWithResponses) (any, error) {
			return cl.CreateGroupWithResponse(ctx, c.city, api.GroupInput{Name: *rename()})
		}, [7]int{400, 404, 404, 404, 404, 403, 401}},
		{"getGroup of a supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetGroupWithResponse(ctx, c.supA, groupA)
		}, [7]int{200, 200, 200, 200, 200, 404, 401}},
		{"getGroup under another organisation's path", func(cl *client.ClientWithResponses) (any, error) {
			return cl.GetGroupWithResponse(ctx, c.supB, groupA)
		}, [7]int{404, 404, 404, 404, 404, 404, 401}},
		{"updateGroup of one's own supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.UpdateGroupWithResponse(ctx, c.supA, groupA, nil, api.GroupChange{Name: rename()})
		}, [7]int{200, 403, 200, 403, 403, 404, 401}},
		{"updateGroup of another supplier", func(cl *client.ClientWithResponses) (any, error) {
			return cl.UpdateGroupWithResponse(ctx, c.supB, groupB, nil, api.GroupChange{Name: rename()})
		}, [7]int{200, 403, 404, 403, 404, 404, 401}},
		// Last, since the desk then holds the incident: only the desk
		// recalls it from the supplier.
		{"recallIncident", func(cl *client.ClientWithResponses) (any, error) {
			return cl.RecallIncidentWithResponse(ctx, inc.ID, nil, api.Reason{Reason: "the user needs it today"})
		}, [7]int{403, 403, 403, 200, 403, 403, 401}},
	}
	callers := []struct {
		name string
		cl   *client.ClientWithResponses
	}{{"platform admin", c.admin}, {"desk admin", c.deskAdmin}, {"supplier admin", supAdmin}, {"desk agent", c.agent},
		{"supplier agent", c.alice}, {"customer user", c.user}, {"no token", c.anon}}
	for _, op := range ops {
		for i, who := range callers {
			r, err := op.call(who.cl)
			if err != nil {
				t.Errorf("%s as %s: %v", op.name, who.name, err)
				continue
			}
			hr := reflectResponse(r)
			if hr.StatusCode != op.want[i] {
				t.Errorf("%s as %s: %s, want %d", op.name, who.name, body(r), op.want[i])
			}
			if hr.StatusCode == http.StatusUnauthorized && hr.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s as %s: 401 without a challenge", op.name, who.name)
			}
			if hr.StatusCode >= 400 && hr.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s as %s: %d as %s", op.name, who.name, hr.StatusCode, hr.Header.Get("Content-Type"))
			}
		}
	}

	// Every answer above was checked against the contract by the client's
	// transport; make sure it saw them all.
	distinct := map[string]bool{}
	for _, op := range ops {
		distinct[strings.Fields(op.name)[0]] = true
	}
	if seen := c.check.Operations(); len(seen) < len(distinct) {
		t.Errorf("the contract checked responses of %d operations, want at least %d: %v", len(seen), len(distinct), seen)
	}
}

// reflectResponse returns the HTTP response of a generated response.
func reflectResponse(r any) *http.Response {
	hr, _ := reflectField(r, "HTTPResponse").(*http.Response)
	return hr
}

// TestRequestsAgainstTheContract sends requests the contract refuses: each
// gets 400 (or 413) with a problem naming where it does not match, and
// nothing changes.
func TestRequestsAgainstTheContract(t *testing.T) {
	c := newChain(t)
	secret := c.secrets["dana"]
	send := func(method, path, contentType string, b io.Reader, header ...string) (*http.Response, api.Problem) {
		t.Helper()
		req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, b)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := (&http.Client{Transport: c.check}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p api.Problem
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 400 {
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Errorf("%s %s: %d not a problem: %s", method, path, resp.StatusCode, raw)
			}
		}
		return resp, p
	}
	valid := `{"caller":{"person":"carl"},"channel":"phone","summary":"x","impact":2,"urgency":2}`
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		want                     int
		where                    string
	}{
		{"not JSON", "POST", "/v1/incidents", `{"caller":`, nil, 400, ""},
		{"a wrong type", "POST", "/v1/incidents", strings.Replace(valid, `"summary":"x"`, `"summary":5`, 1), nil, 400, "/summary"},
		{"an unknown property", "POST", "/v1/incidents", strings.Replace(valid, `{`, `{"colour":"red",`, 1), nil, 400, ""},
		{"a missing property", "POST", "/v1/incidents", `{"caller":{"person":"carl"},"channel":"phone"}`, nil, 400, ""},
		{"a bad enum", "POST", "/v1/incidents", strings.Replace(valid, `"phone"`, `"pigeon"`, 1), nil, 400, "/channel"},
		{"a bad ID", "GET", "/v1/incidents/not-an-id/clocks", "", nil, 400, ""},
		{"a bad number", "GET", "/v1/incidents/INC42", "", nil, 400, ""},
		{"a bad If-Match", "POST", "/v1/incidents/" + itsm.NewID().String() + "/accept", "", []string{"If-Match", "W/\"1\""}, 400, ""},
		{"a bad limit", "GET", "/v1/incidents?limit=0", "", nil, 400, ""},
		{"two filters", "GET", "/v1/incidents?caller=carl&major=true", "", nil, 400, ""},
		{"an unknown operation", "GET", "/v1/nothing", "", nil, 404, ""},
		{"a wrong method", "DELETE", "/v1/incidents", "", nil, 405, ""},
	} {
		var b io.Reader
		ct := ""
		if tc.body != "" {
			b, ct = strings.NewReader(tc.body), "application/json"
		}
		resp, p := send(tc.method, tc.path, ct, b, tc.header...)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d %+v, want %d", tc.name, resp.StatusCode, p, tc.want)
			continue
		}
		if tc.where != "" && (len(p.Errors) != 1 || p.Errors[0].Pointer != tc.where) {
			t.Errorf("%s: errors %+v, want one at %s", tc.name, p.Errors, tc.where)
		}
	}
	// A chunked body over the limit is cut off while it is read: 413.
	big := io.MultiReader(strings.NewReader(`{"summary":"`), bytes.NewReader(bytes.Repeat([]byte("a"), 2<<20)), strings.NewReader(`"}`))
	if resp, p := send("POST", "/v1/incidents", "application/json", io.NopCloser(big)); resp.StatusCode != http.StatusRequestEntityTooLarge || p.Code != "invalid" {
		t.Errorf("a body over the limit: %d %+v, want 413", resp.StatusCode, p)
	}
	// Nothing was registered by any of them.
	if r, err := c.agent.ListIncidentsWithResponse(c.ctx, nil); err != nil || r.JSON200 == nil || len(r.JSON200.Items) != 0 {
		t.Errorf("refused requests registered: %v %s", err, body(r))
	}
}

// TestPublicDocuments checks that the contract and the schemas are served
// without a token, and that nothing else is.
func TestPublicDocuments(t *testing.T) {
	w := newWorld(t)
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(w.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get("/openapi.yaml")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != api.SpecMediaType || !bytes.Equal(b, api.Spec()) {
		t.Errorf("/openapi.yaml: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
	schemas, err := api.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	resp, b = get("/schemas/incident.delegated.json")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != api.SchemaMediaType || !bytes.Equal(b, schemas["incident.delegated.json"]) {
		t.Errorf("a schema: %d %s %.80s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if resp, b = get("/schemas/nothing.json"); resp.StatusCode != 404 {
		t.Errorf("an unknown schema: %d %s", resp.StatusCode, b)
	}
	if resp, b = get("/v1/me"); resp.StatusCode != 401 || !strings.Contains(string(b), `"unauthenticated"`) {
		t.Errorf("/v1/me without a token: %d %s", resp.StatusCode, b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), "GET", w.base+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer spoc_not-a-real-token")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("/v1/me with a made-up token: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
}
