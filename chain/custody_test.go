package chain_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// The counters of the chain along one ticket that moves between groups of
// one organisation, between organisations, and back: re-assignments and
// ping-pong count movements between organisations (SD-7), moves the changes
// of group inside one; a recall is the desk's and is neither a rejection
// nor a reason for ping-pong.
func TestCustodyCounts(t *testing.T) {
	desk, net, tel := itsm.NewID(), itsm.NewID(), itsm.NewID()
	first, second, lan, wan, mobile := itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID()
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	next := func() time.Time { at = at.Add(time.Minute); return at }
	deskHolder := chain.Holder{Organisation: desk}

	var c chain.Custody
	type want struct{ reassignments, pingPong, moves, assignments int }
	check := func(step string, w want, holder chain.Holder) {
		t.Helper()
		got := want{c.Reassignments, c.PingPong, c.Moves, len(c.Assignments)}
		if got != w || c.Current() != holder {
			t.Fatalf("%s: counts %+v held by %+v, want %+v held by %+v", step, got, c.Current(), w, holder)
		}
	}
	c.Registered(chain.Holder{Organisation: desk, Group: first})
	check("registered in the first line", want{}, chain.Holder{Organisation: desk, Group: first})
	c.Assigned(chain.Holder{Organisation: desk, Group: second, Assignee: "sven"})
	check("first line to second line", want{moves: 1}, chain.Holder{Organisation: desk, Group: second, Assignee: "sven"})
	c.Assigned(chain.Holder{Organisation: desk, Group: second, Assignee: "sara"})
	check("another person of the same group", want{moves: 1}, chain.Holder{Organisation: desk, Group: second, Assignee: "sara"})

	if c.PingPongTo(net) {
		t.Fatal("a first delegation is ping-pong")
	}
	c.Delegated(chain.Holder{Organisation: net, Group: lan}, next(), false)
	check("delegated to the network supplier", want{moves: 1, assignments: 1}, chain.Holder{Organisation: net, Group: lan})
	c.Accepted(next())
	c.Assigned(chain.Holder{Organisation: net, Group: wan, Assignee: "nils"})
	check("LAN to WAN inside the supplier", want{moves: 2, assignments: 1}, chain.Holder{Organisation: net, Group: wan, Assignee: "nils"})
	if a := c.Assignments[0]; a.Group != wan || a.Assignee != "nils" || a.Accepted.IsZero() {
		t.Fatalf("the assignment does not follow the move: %+v", a)
	}

	// The desk takes it back: not a rejection, and no ping-pong when it
	// goes back to the same supplier.
	c.Recalled(deskHolder, next(), "the user needs it today")
	check("recalled", want{moves: 2, assignments: 1}, deskHolder)
	if a := c.Assignments[0]; a.Rejected != "" || a.Recalled == "" || a.Ended.IsZero() {
		t.Fatalf("recalled assignment %+v", a)
	}
	if c.PingPongTo(net) {
		t.Fatal("a delegation back to the supplier the desk recalled it from is ping-pong")
	}
	c.Delegated(chain.Holder{Organisation: net, Group: lan}, next(), c.PingPongTo(net))
	check("back to the network supplier after the recall", want{reassignments: 1, moves: 2, assignments: 2}, chain.Holder{Organisation: net, Group: lan})

	// It sends it back: the next delegation to it, after another
	// supplier, is ping-pong.
	c.Rejected(deskHolder, next(), "not ours")
	c.Delegated(chain.Holder{Organisation: tel, Group: mobile}, next(), c.PingPongTo(tel))
	check("to telephony", want{reassignments: 2, moves: 2, assignments: 3}, chain.Holder{Organisation: tel, Group: mobile})
	if !c.PingPongTo(net) || c.PingPongTo(tel) {
		t.Fatal("ping-pong is not a return to a supplier that sent it back")
	}
	c.Delegated(chain.Holder{Organisation: net}, next(), c.PingPongTo(net))
	check("re-routed back to the network supplier", want{reassignments: 3, pingPong: 1, moves: 2, assignments: 4}, chain.Holder{Organisation: net})
	if !c.Assignments[2].Ended.Equal(at) || c.Assignments[2].Rejected != "" {
		t.Fatalf("the re-routed assignment %+v", c.Assignments[2])
	}
	// Taking it into a group when none held it is not a move.
	c.Assigned(chain.Holder{Organisation: net, Group: lan, Assignee: "nils"})
	check("into a group", want{reassignments: 3, pingPong: 1, moves: 2, assignments: 4}, chain.Holder{Organisation: net, Group: lan, Assignee: "nils"})

	// The report-back leaves the supplier holding it; the reopen returns it
	// to the desk with no group.
	c.Ended(next())
	check("reported back", want{reassignments: 3, pingPong: 1, moves: 2, assignments: 4}, chain.Holder{Organisation: net, Group: lan, Assignee: "nils"})
	if c.Assignment() != nil {
		t.Fatal("an assignment is open after the report-back")
	}
	c.Returned(deskHolder, next())
	check("reopened", want{reassignments: 3, pingPong: 1, moves: 2, assignments: 4}, deskHolder)
	for _, org := range []itsm.ID{net, tel} {
		if !c.Held(org) {
			t.Errorf("%s held it, yet Held says no", org)
		}
	}
	if c.Held(desk) {
		t.Error("the desk is not one of the assignments")
	}

	// The clone shares nothing.
	cl := c.Clone()
	cl.Assignments[0].Recalled = "changed"
	if c.Assignments[0].Recalled == "changed" {
		t.Error("Clone shares the assignments")
	}
}

// The desk that already holds a ticket keeps its group when it reopens or
// cancels it: its second line resolved it and reopens it.
func TestCustodyReturnedKeepsTheDesksGroup(t *testing.T) {
	desk, second := itsm.NewID(), itsm.NewID()
	var c chain.Custody
	c.Registered(chain.Holder{Organisation: desk, Group: second, Assignee: "sven"})
	c.Returned(chain.Holder{Organisation: desk}, time.Now())
	if want := (chain.Holder{Organisation: desk, Group: second, Assignee: "sven"}); c.Current() != want {
		t.Errorf("held by %+v, want %+v", c.Current(), want)
	}
}
