package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// TestGroupsOverHTTP walks a supplier's groups through the API: its
// administrator creates them, the desk lists them a page at a time,
// changes go through If-Match, names stay unique, a refused change of
// several fields changes none, and the platform administration follows
// the changes in the event feed.
func TestGroupsOverHTTP(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	admin := c.token(itsm.Actor{Organisation: c.supA, Person: "sara", Roles: []itsm.Role{itsm.RoleAdmin}})

	created := map[string]*api.SupportGroup{}
	for _, in := range []api.GroupInput{
		{Name: "Network", Members: []string{"alice", " sara", "alice"}, Email: "network@supa.example"},
		{Name: " telephony "},
		{Name: "Field service"},
	} {
		r, err := admin.CreateGroupWithResponse(ctx, c.supA, in)
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create %q: %v %s", in.Name, err, body(r))
		}
		g := r.JSON201
		if r.Headers201.ETag != `"1"` || r.Headers201.Location != "/v1/organisations/"+c.supA.String()+"/groups/"+g.ID.String() {
			t.Errorf("create %q: ETag %q, Location %q", in.Name, r.Headers201.ETag, r.Headers201.Location)
		}
		created[g.Name] = g
	}
	network := created["Network"]
	if !slices.Equal(network.Members, []string{"alice", "sara"}) || !network.Active || network.Organisation != c.supA || created["telephony"] == nil {
		t.Errorf("created %+v", created)
	}
	if r, _ := admin.CreateGroupWithResponse(ctx, c.supA, api.GroupInput{Name: "NETWORK"}); r == nil || r.StatusCode() != http.StatusConflict {
		t.Errorf("a name taken otherwise cased: %s", body(r))
	}

	// The desk lists the supplier's groups, two at a time, in name order.
	var names []string
	params := &api.ListGroupsParams{Limit: 2}
	for range 3 {
		r, err := c.agent.ListGroupsWithResponse(ctx, c.supA, params, dropZeros)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("list: %v %s", err, body(r))
		}
		for _, g := range r.JSON200.Items {
			names = append(names, g.Name)
		}
		if r.JSON200.Next == "" {
			break
		}
		params.Cursor = r.JSON200.Next
	}
	if want := []string{"Field service", "Network", "telephony"}; !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}

	// A change names the version it was decided on.
	got, err := c.agent.GetGroupWithResponse(ctx, c.supA, network.ID)
	if err != nil || got.JSON200 == nil || got.HTTPResponse.Header.Get("ETag") != `"1"` {
		t.Fatalf("get: %v %s", err, body(got))
	}
	name, members, active := "Networks", []string{"alice"}, false
	r, err := admin.UpdateGroupWithResponse(ctx, c.supA, network.ID, &api.UpdateGroupParams{IfMatch: `"1"`},
		api.GroupChange{Name: &name, Members: &members, Active: &active})
	if err != nil || r.JSON200 == nil || r.HTTPResponse.Header.Get("ETag") != `"2"` {
		t.Fatalf("update: %v %s", err, body(r))
	}
	if g := r.JSON200; g.Name != name || !slices.Equal(g.Members, members) || g.Active || g.Email != "network@supa.example" {
		t.Errorf("updated %+v", g)
	}
	r, _ = admin.UpdateGroupWithResponse(ctx, c.supA, network.ID, &api.UpdateGroupParams{IfMatch: `"1"`}, api.GroupChange{Name: &name})
	if r == nil || r.StatusCode() != http.StatusPreconditionFailed {
		t.Errorf("a stale If-Match: %s", body(r))
	}
	// A refused change of several fields changes none.
	taken, bad := "Telephony", "not an address"
	for _, change := range []api.GroupChange{{Name: &taken, Active: &active}, {Name: &name, Email: &bad}} {
		r, _ = admin.UpdateGroupWithResponse(ctx, c.supA, network.ID, nil, change)
		if r == nil || r.StatusCode() < 400 {
			t.Errorf("a change with a refused field: %s", body(r))
		}
	}
	// An empty member list clears the members; email "" removes it.
	none, noEmail, again := []string{}, "", true
	r, err = admin.UpdateGroupWithResponse(ctx, c.supA, network.ID, nil, api.GroupChange{Members: &none, Email: &noEmail, Active: &again})
	if err != nil || r.JSON200 == nil || len(r.JSON200.Members) != 0 || r.JSON200.Email != "" || !r.JSON200.Active || r.JSON200.Name != name {
		t.Fatalf("clear: %v %s", err, body(r))
	}
	if !strings.Contains(string(r.Body), `"members":[]`) {
		t.Errorf("no members is not an empty list: %s", r.Body)
	}

	// The platform administration follows the changes in the feed; the
	// supplier's agents do not see them there.
	var types []string
	feed, err := c.admin.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: 1000})
	if err != nil || feed.JSON200 == nil {
		t.Fatalf("feed: %v %s", err, body(feed))
	}
	for _, e := range feed.JSON200.Items {
		if strings.HasPrefix(e.Type, "group.") {
			types = append(types, e.Type)
		}
	}
	want := []string{"group.created", "group.created", "group.created", "group.renamed", "group.members_changed",
		"group.deactivated", "group.members_changed", "group.email_changed", "group.activated"}
	if !slices.Equal(types, want) {
		t.Errorf("the feed has %v, want %v", types, want)
	}
	if f, err := c.alice.ListEventsWithResponse(ctx, &api.ListEventsParams{Limit: 1000}); err != nil || f.JSON200 == nil {
		t.Fatalf("feed: %v", err)
	} else {
		for _, e := range f.JSON200.Items {
			if strings.HasPrefix(e.Type, "group.") {
				t.Errorf("an agent's feed shows %s", e.Type)
			}
		}
	}
}
