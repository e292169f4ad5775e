package incident_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// An incident moves between the desk's groups, to a supplier and between its
// teams, is recalled by the desk and sent on: the counters say what moved
// between organisations (SD-7) and what moved inside one, and the recall is
// recorded as the desk's, not as the supplier's rejection.
func TestHoldingMovesBetweenGroupsAndOrganisations(t *testing.T) {
	w := newWorld(t)
	r := reqRegistration(w, "wifi down in the library")
	r.Group = w.g("first line")
	inc := w.must(w.svc.Register(w.ctx, w.agent, r))
	if inc.Holder != w.desk.ID || inc.Group != w.g("first line") || inc.Timeline[0].Group != w.g("first line") {
		t.Fatalf("registered held by %s/%s, timeline %s", inc.Holder, inc.Group, inc.Timeline)
	}
	w.clock.Advance(time.Minute)
	inc = w.must(w.svc.Take(w.ctx, w.agent, inc.ID, itsm.ID{}))
	if inc.Assignee != w.agent.Person || inc.Moves != 0 || len(inc.Timeline) != 1 {
		t.Fatalf("taken: assignee %q, %d moves, %d intervals: a new assignee alone starts no interval", inc.Assignee, inc.Moves, len(inc.Timeline))
	}
	w.clock.Advance(time.Minute)
	inc = w.must(w.svc.Assign(w.ctx, w.agent, inc.ID, incident.AssignTo{Group: w.g("second line"), Assignee: "sven.second"}))
	if inc.Group != w.g("second line") || inc.Assignee != "sven.second" || inc.Moves != 1 || inc.Reassignments != 0 {
		t.Fatalf("first line to second line: %s %q, %d moves, %d re-assignments", inc.Group, inc.Assignee, inc.Moves, inc.Reassignments)
	}
	if iv := inc.Timeline[len(inc.Timeline)-1]; iv.Group != w.g("second line") || !iv.Start.Equal(w.clock.Now()) {
		t.Errorf("the move starts no interval: %s", inc.Timeline)
	}

	w.clock.Advance(time.Minute)
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))
	w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	inc = w.must(w.svc.Assign(w.ctx, w.netAgent, inc.ID, incident.AssignTo{Group: w.g("wifi")}))
	if inc.Moves != 2 || inc.Reassignments != 0 || inc.Assignments[0].Group != w.g("wifi") {
		t.Fatalf("LAN to wifi: %d moves, %d re-assignments, assignment %+v", inc.Moves, inc.Reassignments, inc.Assignments[0])
	}

	w.clock.Advance(time.Minute)
	inc = w.must(w.svc.Recall(w.ctx, w.agent, inc.ID, "the user needs it today"))
	a := inc.Assignments[0]
	if inc.Holder != w.desk.ID || !inc.Group.IsZero() || inc.State != incident.StateInProgress || a.Recalled == "" || a.Rejected != "" {
		t.Fatalf("recalled: held by %s/%s in %s, assignment %+v", inc.Holder, inc.Group, inc.State, a)
	}
	if h := reqPayloads[incident.Delegated](t, w, inc.ID); len(h) != 1 {
		t.Fatalf("%d delegations", len(h))
	}
	// Back to the supplier it was recalled from: a re-assignment, not
	// ping-pong; the handover carries no rejection, since there was none.
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.network.ID}))
	if inc.Reassignments != 1 || inc.PingPong != 0 {
		t.Errorf("after the recall: %d re-assignments, %d ping-pong", inc.Reassignments, inc.PingPong)
	}
	ds := reqPayloads[incident.Delegated](t, w, inc.ID)
	if last := ds[len(ds)-1]; last.PingPong || len(last.Handover.Rejections) != 0 {
		t.Errorf("the delegation after the recall: %+v", last)
	}
	// It sends it back; to the workplace and back to it is ping-pong.
	w.must(w.svc.Reject(w.ctx, w.netAgent, inc.ID, "not the network"))
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))
	if inc.Reassignments != 3 || inc.PingPong != 1 || inc.Moves != 2 {
		t.Errorf("back and forth: %d re-assignments, %d ping-pong, %d moves", inc.Reassignments, inc.PingPong, inc.Moves)
	}
	if n := len(reqPayloads[incident.Rejected](t, w, inc.ID)); n != 1 {
		t.Errorf("%d rejections, want the supplier's one: the recall is not one", n)
	}
	if n := len(reqPayloads[incident.Recalled](t, w, inc.ID)); n != 1 {
		t.Errorf("%d recalls", n)
	}
}

// Who may assign what: only the holding organisation's agents, within that
// organisation, to its active groups and their members; the desk alone
// recalls, and only from a supplier. A refusal writes nothing.
func TestHoldingRefusals(t *testing.T) {
	w := newWorld(t)
	inc := w.register("switch dead")
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))
	id := inc.ID
	cases := []struct {
		name string
		run  func() error
		code itsm.Code
	}{
		{"the desk assigns within the supplier holding it", func() error {
			return ruleDiscard(w.svc.Assign(w.ctx, w.agent, id, incident.AssignTo{Group: w.g("wifi")}))
		}, itsm.CodeForbidden},
		{"another supplier assigns within the holder", func() error {
			return ruleDiscard(w.svc.Assign(w.ctx, w.workAgent, id, incident.AssignTo{Group: w.g("clients")}))
		}, itsm.CodeNotFound},
		{"the customer assigns", func() error {
			return ruleDiscard(w.svc.Assign(w.ctx, w.user, id, incident.AssignTo{Group: w.g("wifi")}))
		}, itsm.CodeForbidden},
		{"the holder assigns to another organisation's group", func() error {
			return ruleDiscard(w.svc.Assign(w.ctx, w.netAgent, id, incident.AssignTo{Group: w.g("clients")}))
		}, itsm.CodeInvalid},
		{"the holder assigns to a person not of the group", func() error {
			return ruleDiscard(w.svc.Assign(w.ctx, w.netAgent, id, incident.AssignTo{Group: w.g("wifi"), Assignee: "nina.net"}))
		}, itsm.CodeInvalid},
		{"the holder assigns to nobody", func() error {
			return ruleDiscard(w.svc.Assign(w.ctx, w.netAgent, id, incident.AssignTo{}))
		}, itsm.CodeInvalid},
		{"the holder assigns as it is held", func() error {
			return ruleDiscard(w.svc.Assign(w.ctx, w.netAgent, id, incident.AssignTo{Group: w.g("lan")}))
		}, itsm.CodeConflict},
		{"a supplier agent takes it in a group it is not a member of", func() error {
			other := itsm.Actor{Organisation: w.network.ID, Person: "olof.net", Roles: []itsm.Role{itsm.RoleAgent}}
			return ruleDiscard(w.svc.Take(w.ctx, other, id, itsm.ID{}))
		}, itsm.CodeInvalid},
		{"the supplier recalls", func() error {
			return ruleDiscard(w.svc.Recall(w.ctx, w.netAgent, id, "ours no more"))
		}, itsm.CodeForbidden},
		{"the desk recalls without a reason", func() error {
			return ruleDiscard(w.svc.Recall(w.ctx, w.agent, id, ""))
		}, itsm.CodeInvalid},
		{"the desk delegates to another supplier's group", func() error {
			return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Organisation: w.work.ID, Group: w.g("lan")}))
		}, itsm.CodeInvalid},
		{"the desk registers into a supplier's group", func() error {
			r := reqRegistration(w, "into the wrong group")
			r.Group = w.g("lan")
			return ruleDiscard(w.svc.Register(w.ctx, w.agent, r))
		}, itsm.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := ruleSnap(t, w, id)
			reqCode(t, c.run(), c.code)
			reqUnchanged(t, w, id, snap)
		})
	}
	// The desk holds it again: nothing to recall.
	w.must(w.svc.Reject(w.ctx, w.netAgent, id, "not ours"))
	snap := ruleSnap(t, w, id)
	_, err := w.svc.Recall(w.ctx, w.agent, id, "mine")
	reqCode(t, err, itsm.CodeConflict)
	reqUnchanged(t, w, id, snap)
}
