package httpapi_test

import (
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// Over HTTP, a supplier's agent pages through its group's queue, takes an
// incident out of the unassigned queue into its own, and another supplier
// finds no such group.
func TestQueuesOverHTTP(t *testing.T) {
	c := newChain(t)
	ctx := c.ctx
	g, err := c.admin.CreateGroupWithResponse(ctx, c.supA, api.GroupInput{Name: "Network", Members: []string{"alice"}})
	if err != nil || g.JSON201 == nil {
		t.Fatalf("create group: %v %s", err, body(g))
	}
	lan := g.JSON201.ID
	var ids []itsm.ID
	for _, s := range []string{"school offline", "library offline", "town hall offline"} {
		inc := c.register("", s, c.city)
		if r, err := c.agent.DelegateIncidentWithResponse(ctx, inc.ID, nil, api.Delegation{Organisation: c.supA, Group: lan}); err != nil || r.JSON200 == nil {
			t.Fatalf("delegate: %v %s", err, body(r))
		}
		ids = append(ids, inc.ID)
	}
	read := func(cl *client.ClientWithResponses, p api.GetGroupQueueParams) []itsm.ID {
		t.Helper()
		var out []itsm.ID
		for {
			r, err := cl.GetGroupQueueWithResponse(ctx, lan, &p, dropZeros)
			if err != nil || r.JSON200 == nil {
				t.Fatalf("queue: %v %s", err, body(r))
			}
			for _, it := range r.JSON200.Items {
				out = append(out, it.Incident.ID)
			}
			if r.JSON200.Next == "" {
				return out
			}
			p.Cursor = r.JSON200.Next
		}
	}
	if got := read(c.alice, api.GetGroupQueueParams{Limit: 2}); len(got) != 3 {
		t.Fatalf("the group's queue holds %v, want the 3 delegated", got)
	}
	if r, err := c.alice.TakeIncidentWithResponse(ctx, ids[1], nil, api.Take{}); err != nil || r.JSON200 == nil {
		t.Fatalf("take: %v %s", err, body(r))
	}
	if got := read(c.alice, api.GetGroupQueueParams{Unassigned: true, Limit: 1}); len(got) != 2 || got[0] == ids[1] || got[1] == ids[1] {
		t.Errorf("unassigned: %v, want all but %s", got, ids[1])
	}
	mine, err := c.alice.GetAssignedQueueWithResponse(ctx, nil)
	if err != nil || mine.JSON200 == nil || len(mine.JSON200.Items) != 1 || mine.JSON200.Items[0].Incident.ID != ids[1] || mine.JSON200.Items[0].Incident.Assignee != "alice" {
		t.Errorf("alice's queue: %v %s", err, body(mine))
	}
	if r, err := c.bob.GetGroupQueueWithResponse(ctx, lan, nil); err != nil || r.StatusCode() != 404 {
		t.Errorf("supplier B reads supplier A's queue: %v %s", err, body(r))
	}
	if r, err := c.user.GetAssignedQueueWithResponse(ctx, nil); err != nil || r.StatusCode() != 403 {
		t.Errorf("the customer reads a queue: %v %s", err, body(r))
	}
}
