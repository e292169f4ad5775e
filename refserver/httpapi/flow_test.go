package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// chain is the support chain of the tests: a customer, the desk, two
// suppliers, and a client for a person of each.
type chain struct {
	*world
	city, desk, supA, supB             itsm.ID
	agent, alice, bob, user, deskAdmin *client.ClientWithResponses
}

func newChain(t *testing.T) *chain { return chainOver(newWorld(t)) }

// chainOver registers the chain in w.
func chainOver(w *world) *chain {
	c := &chain{world: w}
	rw := []api.Access{api.AccessRead, api.AccessWrite}
	c.city = w.org("City of Example", itsm.OrgCustomer, api.AccessRead)
	c.desk = w.org("Service Desk", itsm.OrgDesk, rw...)
	c.supA = w.org("Network Supplier", itsm.OrgSupplier, rw...)
	c.supB = w.org("Hardware Supplier", itsm.OrgSupplier, rw...)
	c.agent = w.token(itsm.Actor{Organisation: c.desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}})
	c.alice = w.token(itsm.Actor{Organisation: c.supA, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}})
	c.bob = w.token(itsm.Actor{Organisation: c.supB, Person: "bob", Roles: []itsm.Role{itsm.RoleAgent}})
	c.user = w.token(itsm.Actor{Organisation: c.city, Person: "carl"})
	c.deskAdmin = w.token(itsm.Actor{Organisation: c.desk, Person: "root", Roles: []itsm.Role{itsm.RoleAdmin}})
	return c
}

func (c *chain) register(key, summary string, customer itsm.ID) *api.Incident {
	c.t.Helper()
	reg := api.Registration{Caller: api.Caller{Person: "carl", Name: "Carl"}, Channel: "phone", Customer: customer,
		Summary: summary, Impact: 2, Urgency: 2}
	// The generated client sends a header parameter's zero value when the
	// params are given, so no key means no params.
	var params *api.RegisterIncidentParams
	if key != "" {
		params = &api.RegisterIncidentParams{IdempotencyKey: key}
	}
	r, err := c.agent.RegisterIncidentWithResponse(c.ctx, params, reg)
	if err != nil || r.JSON201 == nil {
		c.t.Fatalf("register %q: %v %s", summary, err, body(r))
	}
	if !strings.HasPrefix(r.Headers201.ETag, `"`) || len(r.Headers201.ETag) < 3 {
		c.t.Errorf("register: ETag %q", r.Headers201.ETag)
	}
	if r.Headers201.Location != "/v1/incidents/"+r.JSON201.ID.String() {
		c.t.Errorf("register: Location %q", r.Headers201.Location)
	}
	return r.JSON201
}

// TestIncidentAcrossTheChain walks one incident from registration to
// closure through the desk and a supplier over HTTP, with optimistic
// concurrency, idempotent registration and what each party may see.
func TestIncidentAcrossTheChain(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx

	me, err := c.alice.GetMeWithResponse(ctx)
	if err != nil || me.JSON200 == nil || me.JSON200.Actor.Person != "alice" || me.JSON200.Organisation.ID != c.supA {
		t.Fatalf("me: %v %s", err, body(me))
	}

	inc := c.register("alert-42", "The city's network is down", c.city)
	// A retry with the same key and content is the same incident.
	again := c.register("alert-42", "The city's network is down ", c.city)
	if again.ID != inc.ID || again.Summary != inc.Summary || again.Key != "alert-42" {
		t.Errorf("a retry with the same key registered %s %q, want %s %q", again.ID, again.Summary, inc.ID, inc.Summary)
	}
	// The same key with other content is no retry: 422, nothing registered.
	reused, err := c.agent.RegisterIncidentWithResponse(ctx, &api.RegisterIncidentParams{IdempotencyKey: "alert-42"},
		api.Registration{Caller: api.Caller{Person: "carl", Name: "Carl"}, Channel: "phone", Customer: c.city,
			Summary: "something else entirely", Impact: 2, Urgency: 2})
	if err != nil || reused.ApplicationProblemJSON422 == nil || reused.ApplicationProblemJSON422.Code != api.ErrorCodeInvalid ||
		!strings.Contains(reused.ApplicationProblemJSON422.Detail, inc.Number.String()) {
		t.Errorf("the key with other content: %v %s, want 422 invalid naming %s", err, body(reused), inc.Number)
	}
	other := c.register("", "The desk's own printer", itsm.ID{})

	// The desk reads it back by master number and delegates it under the
	// ETag it read.
	got, err := c.agent.GetIncidentWithResponse(ctx, inc.Number.String())
	if err != nil || got.JSON200 == nil || got.JSON200.ID != inc.ID {
		t.Fatalf("get by number: %v %s", err, body(got))
	}
	del, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, &api.DelegateIncidentParams{IfMatch: got.Headers200.ETag},
		api.Delegation{Organisation: c.supA, Note: "please look"})
	if err != nil || del.JSON200 == nil || del.JSON200.Holder != c.supA {
		t.Fatalf("delegate: %v %s", err, body(del))
	}
	if del.Headers200.ETag == got.Headers200.ETag {
		t.Errorf("the ETag %s did not change with the delegation", del.Headers200.ETag)
	}

	// The supplier reads it and accepts under its ETag; a retry with the
	// same ETag is stale now.
	seen, err := c.alice.GetIncidentWithResponse(ctx, inc.ID.String())
	if err != nil || seen.JSON200 == nil {
		t.Fatalf("supplier get: %v %s", err, body(seen))
	}
	acc, err := c.alice.AcceptIncidentWithResponse(ctx, inc.ID, &api.AcceptIncidentParams{IfMatch: seen.Headers200.ETag})
	if err != nil || acc.JSON200 == nil {
		t.Fatalf("accept: %v %s", err, body(acc))
	}
	stale, err := c.alice.UpdateIncidentWithResponse(ctx, inc.ID, &api.UpdateIncidentParams{IfMatch: seen.Headers200.ETag},
		api.StatusUpdate{Text: "looking"})
	if err != nil || stale.ApplicationProblemJSON412 == nil || stale.ApplicationProblemJSON412.Code != api.ErrorCodeConflict {
		t.Fatalf("a stale If-Match: %v %s, want 412 conflict", err, body(stale))
	}
	for _, tag := range []string{`"abc"`, `"0"`, `"007"`} {
		odd, err := c.alice.UpdateIncidentWithResponse(ctx, inc.ID, &api.UpdateIncidentParams{IfMatch: tag},
			api.StatusUpdate{Text: "looking"})
		if err != nil || odd.StatusCode() != http.StatusPreconditionFailed {
			t.Errorf("If-Match %s: %v %s, want 412", tag, err, body(odd))
		}
	}
	upd, err := c.alice.UpdateIncidentWithResponse(ctx, inc.ID, &api.UpdateIncidentParams{IfMatch: acc.Headers200.ETag},
		api.StatusUpdate{Text: "a switch failed; replacing it"})
	if err != nil || upd.JSON200 == nil {
		t.Fatalf("update: %v %s", err, body(upd))
	}
	ref, err := c.alice.SetIncidentReferenceWithResponse(ctx, inc.ID, &api.SetIncidentReferenceParams{IfMatch: "*"},
		api.ReferenceInput{Reference: "NET-7"})
	if err != nil || ref.JSON200 == nil || ref.JSON200.Reference(c.supA) != "NET-7" {
		t.Fatalf("reference: %v %s", err, body(ref))
	}
	back, err := c.alice.ReportBackIncidentWithResponse(ctx, inc.ID, nil,
		api.Resolution{Code: "hardware", Text: "Replaced the switch."})
	if err != nil || back.JSON200 == nil || back.JSON200.State != "resolved" {
		t.Fatalf("report back: %v %s", err, body(back))
	}
	// Closing is the desk's, not the supplier's (SD-4).
	if r, err := c.alice.CloseIncidentWithResponse(ctx, inc.ID, nil, api.Closure{Message: "done"}); err != nil || r.StatusCode() != http.StatusForbidden {
		t.Errorf("a supplier closing: %v %s, want 403", err, body(r))
	}
	closed, err := c.agent.CloseIncidentWithResponse(ctx, inc.ID, &api.CloseIncidentParams{IfMatch: back.Headers200.ETag},
		api.Closure{Message: "The network is back; the switch was replaced."})
	if err != nil || closed.JSON200 == nil || closed.JSON200.State != "closed" {
		t.Fatalf("close: %v %s", err, body(closed))
	}

	// Who sees what (SD-13): the other supplier nothing, the customer its own.
	if r, err := c.bob.GetIncidentWithResponse(ctx, inc.ID.String()); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("supplier B reading A's incident: %v %s, want 404", err, body(r))
	}
	if r, err := c.bob.ListIncidentsWithResponse(ctx, nil); err != nil || r.JSON200 == nil || len(r.JSON200.Items) != 0 {
		t.Errorf("supplier B's list: %v %s, want empty", err, body(r))
	}
	if r, err := c.user.GetIncidentWithResponse(ctx, inc.Number.String()); err != nil || r.JSON200 == nil || r.JSON200.State != "closed" {
		t.Errorf("the customer reading its incident: %v %s", err, body(r))
	}
	if r, err := c.user.GetIncidentWithResponse(ctx, other.ID.String()); err != nil || r.ApplicationProblemJSON404 == nil {
		t.Errorf("the customer reading another's incident: %v %s, want 404", err, body(r))
	}
	if r, err := c.alice.ListIncidentsWithResponse(ctx, &api.ListIncidentsParams{State: "closed"}, dropZeros); err != nil || r.JSON200 == nil ||
		len(r.JSON200.Items) != 1 || r.JSON200.Items[0].ID != inc.ID {
		t.Errorf("supplier A's closed incidents: %v %s", err, body(r))
	}
	// A page of one and its cursor give every incident once.
	var ids []itsm.ID
	params := &api.ListIncidentsParams{Limit: 1}
	for range 5 {
		r, err := c.agent.ListIncidentsWithResponse(ctx, params, dropZeros)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("desk list: %v %s", err, body(r))
		}
		for _, i := range r.JSON200.Items {
			ids = append(ids, i.ID)
		}
		if r.JSON200.Next == "" {
			break
		}
		params.Cursor = r.JSON200.Next
	}
	if len(ids) != 2 || !slices.Contains(ids, inc.ID) || !slices.Contains(ids, other.ID) {
		t.Errorf("the desk's pages hold %v, want %s and %s", ids, inc.ID, other.ID)
	}
	if r, err := c.alice.GetIncidentClocksWithResponse(ctx, inc.ID); err != nil || r.JSON200 == nil || r.Headers200.ETag != closed.Headers200.ETag {
		t.Errorf("clocks: %v %s", err, body(r))
	}
	if r, err := c.alice.ListDueClocksWithResponse(ctx, &api.ListDueClocksParams{Provider: c.supA}, dropZeros); err != nil || r.JSON200 == nil {
		t.Errorf("due clocks: %v %s", err, body(r))
	}

	// Coordination: the desk makes the other incident a child of a new one.
	parent := c.register("", "Several printers fail", itsm.ID{})
	co, err := c.agent.CoordinateIncidentWithResponse(ctx, parent.ID, api.Coordination{Child: other.ID})
	if err != nil || co.JSON200 == nil || !slices.Contains(co.JSON200.Children, other.ID) {
		t.Fatalf("coordinate: %v %s", err, body(co))
	}
	if r, err := c.agent.CoordinateIncidentWithResponse(ctx, parent.ID, api.Coordination{Child: other.ID}); err != nil || r.StatusCode() != http.StatusConflict {
		t.Errorf("coordinating again: %v %s, want 409", err, body(r))
	}

	// The feed, per party.
	feed := func(who *client.ClientWithResponses) (types []string, subjects map[itsm.ID]bool) {
		t.Helper()
		subjects = map[itsm.ID]bool{}
		var after int64
		for {
			r, err := who.ListEventsWithResponse(ctx, &api.ListEventsParams{After: after, Limit: 7}, dropZeros)
			if err != nil || r.JSON200 == nil {
				t.Fatalf("events: %v %s", err, body(r))
			}
			for _, e := range r.JSON200.Items {
				types = append(types, e.Type)
				if e.Subject != nil {
					subjects[*e.Subject] = true
				}
			}
			if r.JSON200.Next == after {
				return types, subjects
			}
			after = r.JSON200.Next
		}
	}
	adminTypes, adminSubjects := feed(c.admin)
	if !slices.Contains(adminTypes, "organisation.created") || !slices.Contains(adminTypes, "token.issued") ||
		adminSubjects[inc.ID] {
		t.Errorf("the administrator's feed: %v", adminTypes)
	}
	for name, who := range map[string]*client.ClientWithResponses{"desk agent": c.agent, "supplier A": c.alice,
		"supplier B": c.bob, "customer": c.user} {
		types, subjects := feed(who)
		for _, typ := range types {
			if !strings.HasPrefix(typ, "incident.") {
				t.Errorf("the %s's feed has %s", name, typ)
			}
		}
		want := map[string][]itsm.ID{"desk agent": {inc.ID, other.ID, parent.ID}, "supplier A": {inc.ID},
			"customer": {inc.ID}}[name]
		if len(subjects) != len(want) {
			t.Errorf("the %s's feed is about %v, want %v", name, subjects, want)
		}
		for _, id := range want {
			if !subjects[id] {
				t.Errorf("the %s's feed lacks %s", name, id)
			}
		}
		if name == "supplier A" && !slices.Contains(types, "incident.registered") {
			t.Errorf("supplier A's feed lacks the registration of the incident it held: %v", types)
		}
	}
}
