package incident_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// The rules of who may do what in which state, written out as a table from
// commands.go, and checked for every command, every state and every kind of
// actor: a change of a rule in the service breaks this test until the table
// says the same.

// ruleParty is someone a rule lets act.
type ruleParty int

const (
	// byDesk: an agent of the desk that owns the incident.
	byDesk ruleParty = iota
	// byHolder: an agent of the organisation holding it, desk or supplier.
	byHolder
	// bySupplierHolding: an agent of the supplier holding it.
	bySupplierHolding
	// bySupplier: an agent of a supplier that holds or held it.
	bySupplier
	// byCaller: the customer's user who reported it.
	byCaller
)

// ruleCond is a condition beyond the state; a command refused by one
// conflicts.
type ruleCond int

const (
	always ruleCond = iota
	deskHolds
	supplierHolds
	withinWindow
	isMajor
	notMajor
)

// ruleGrant lets a party run a command in some states, on a condition.
type ruleGrant struct {
	who  ruleParty
	in   []itsm.State
	need ruleCond
}

var (
	ruleOpen = []itsm.State{incident.StateRegistered, incident.StateInProgress, incident.StateDelegated,
		incident.StateWaitingUser, incident.StateWaitingVendor, incident.StateWaitingChange, incident.StateWaitingProblem}
	ruleWaiting  = []itsm.State{incident.StateWaitingUser, incident.StateWaitingVendor, incident.StateWaitingChange, incident.StateWaitingProblem}
	ruleEditable = append(slices.Clone(ruleOpen), incident.StateResolved) // not closed or cancelled
	ruleWorking  = append([]itsm.State{incident.StateInProgress}, ruleWaiting...)
)

// ruleRule is the rule of one command. pair marks a command on two
// incidents, the second a fresh registered one, both of which the actor must
// see.
type ruleRule struct {
	cmd    string
	grants []ruleGrant
	pair   bool
	// writes is how many versions an allowed command writes, when not one.
	writes int64
}

// ruleTable is the rules. An actor who may not see the incident gets not
// found; one no grant names gets forbidden; one a grant names gets conflict
// outside the grant's states or condition.
var ruleTable = []ruleRule{
	{cmd: "start", grants: []ruleGrant{{byDesk, []itsm.State{incident.StateRegistered}, always}}},
	{cmd: "delegate", grants: []ruleGrant{{byDesk, ruleOpen, always}}},
	{cmd: "accept", grants: []ruleGrant{{bySupplierHolding, []itsm.State{incident.StateDelegated}, always}}},
	{cmd: "reject", grants: []ruleGrant{{bySupplierHolding, append([]itsm.State{incident.StateDelegated}, ruleWorking...), always}}},
	// The holding organisation assigns within itself; the desk recalls
	// from a supplier, never from itself.
	{cmd: "assign", grants: []ruleGrant{{byHolder, ruleOpen, always}}},
	{cmd: "take", grants: []ruleGrant{{byHolder, ruleOpen, always}}},
	{cmd: "recall", grants: []ruleGrant{{byDesk, ruleOpen, supplierHolds}}},
	{cmd: "update", grants: []ruleGrant{{byHolder, ruleOpen, always}}},
	{cmd: "comment to the user", grants: []ruleGrant{{byDesk, ruleEditable, always}, {bySupplierHolding, ruleOpen, always}, {byCaller, ruleEditable, always}}},
	{cmd: "work note", grants: []ruleGrant{{byDesk, ruleEditable, always}, {bySupplierHolding, ruleOpen, always}}},
	{cmd: "wait", grants: []ruleGrant{{byHolder, []itsm.State{incident.StateRegistered, incident.StateInProgress}, always}}},
	{cmd: "resume", grants: []ruleGrant{{byHolder, ruleWaiting, always}}},
	{cmd: "resolve", grants: []ruleGrant{{byDesk, ruleOpen, deskHolds}}},
	{cmd: "report back", grants: []ruleGrant{{bySupplierHolding, ruleWorking, always}}},
	{cmd: "close", grants: []ruleGrant{{byDesk, []itsm.State{incident.StateResolved}, always}}},
	// A resolved incident is reopened whenever; a closed one within the
	// desk's window after its closure.
	{cmd: "reopen", grants: []ruleGrant{{byDesk, []itsm.State{incident.StateResolved}, always}, {byDesk, []itsm.State{incident.StateClosed}, withinWindow}}},
	{cmd: "cancel", grants: []ruleGrant{{byDesk, ruleOpen, always}}},
	{cmd: "reprioritise", grants: []ruleGrant{{byDesk, ruleEditable, always}}},
	{cmd: "recategorise", grants: []ruleGrant{{byDesk, ruleEditable, always}}},
	{cmd: "set reference", grants: []ruleGrant{{bySupplier, ruleEditable, always}}},
	{cmd: "relate", grants: []ruleGrant{{byDesk, ruleEditable, always}}},
	{cmd: "declare major", grants: []ruleGrant{{byDesk, ruleOpen, notMajor}}},
	{cmd: "stand down", grants: []ruleGrant{{byDesk, ruleEditable, isMajor}}},
	// The commands package problem runs in its own transaction. Every
	// fixture is linked to ruleProblem; "link" unlinks it first, as the
	// desk, in the same transaction (hence two versions), where the state
	// allows it.
	{cmd: "link to a problem", grants: []ruleGrant{{byDesk, ruleEditable, always}}, writes: 2},
	{cmd: "unlink from a problem", grants: []ruleGrant{{byDesk, ruleEditable, always}}},
	{cmd: "tell a workaround", grants: []ruleGrant{{byDesk, ruleOpen, always}}},
	// Through the incident's own holder: the desk resolves what it holds,
	// the supplier holding it reports back.
	{cmd: "resolve for a problem", grants: []ruleGrant{{byDesk, ruleOpen, deskHolds}, {bySupplierHolding, ruleWorking, always}}},
	{cmd: "coordinate as parent", grants: []ruleGrant{{byDesk, ruleEditable, always}}, pair: true},
	{cmd: "coordinate as child", grants: []ruleGrant{{byDesk, ruleEditable, always}}, pair: true},
}

// ruleRun runs a command of the table as the actor on the incident id;
// partner is a fresh registered incident for the commands that need two.
var ruleRun = map[string]func(w *world, a itsm.Actor, id, partner itsm.ID) error{
	"start": func(w *world, a itsm.Actor, id, _ itsm.ID) error { _, err := w.svc.Start(w.ctx, a, id); return err },
	"delegate": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		// No fixture uses the group, so only the rules decide.
		_, err := w.svc.Delegate(w.ctx, a, id, incident.Delegation{Organisation: w.work.ID, Group: w.g("desktop")})
		return err
	},
	"accept": func(w *world, a itsm.Actor, id, _ itsm.ID) error { _, err := w.svc.Accept(w.ctx, a, id); return err },
	"reject": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Reject(w.ctx, a, id, "not ours")
		return err
	},
	"assign": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		// A group of the actor's own organisation that no fixture holds
		// it in, so that only the rules decide.
		group := map[itsm.ID]string{w.desk.ID: "second line", w.network.ID: "wifi", w.work.ID: "desktop"}[a.Organisation]
		if group == "" {
			group = "second line"
		}
		_, err := w.svc.Assign(w.ctx, a, id, incident.AssignTo{Group: w.g(group), Note: "yours"})
		return err
	},
	"take": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		// A group of the actor's organisation it is a member of.
		group := map[itsm.ID]string{w.desk.ID: "first line", w.network.ID: "lan", w.work.ID: "clients"}[a.Organisation]
		if group == "" {
			group = "first line"
		}
		_, err := w.svc.Take(w.ctx, a, id, w.g(group))
		return err
	},
	"recall": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Recall(w.ctx, a, id, "the user needs it today")
		return err
	},
	"update": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Update(w.ctx, a, id, "still on it")
		return err
	},
	"comment to the user": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Comment(w.ctx, a, id, incident.EntryCommunication, "hello")
		return err
	},
	"work note": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Comment(w.ctx, a, id, incident.EntryWorkNote, "note")
		return err
	},
	"wait": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Wait(w.ctx, a, id, incident.WaitVendor, "part ordered")
		return err
	},
	"resume": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Resume(w.ctx, a, id, "")
		return err
	},
	"resolve": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Resolve(w.ctx, a, id, incident.Resolution{Code: "advice", Text: "done"})
		return err
	},
	"report back": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.ReportBack(w.ctx, a, id, incident.Resolution{Code: "hardware", Text: "replaced"})
		return err
	},
	"close": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Close(w.ctx, a, id, "fixed")
		return err
	},
	"reopen": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Reopen(w.ctx, a, id, "back again")
		return err
	},
	"cancel": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Cancel(w.ctx, a, id, "duplicate")
		return err
	},
	"reprioritise": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		// Every fixture is medium and medium: this is always a change.
		_, err := w.svc.Reprioritise(w.ctx, a, id, itsm.ImpactHigh, itsm.UrgencyHigh, "bigger")
		return err
	},
	"recategorise": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Recategorise(w.ctx, a, id, "school network", "network", "wifi")
		return err
	},
	"set reference": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.SetReference(w.ctx, a, id, "REF-1")
		return err
	},
	"relate": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.Relate(w.ctx, a, id, []itsm.ID{fixedID(100)}, ruleProblem)
		return err
	},
	"link to a problem": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		return ruleDiscard(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			// A closed or cancelled incident stays linked, which the
			// link then finds after its state.
			if _, err := w.svc.UnlinkProblem(w.ctx, tx, w.agent, id, ruleProblem); err != nil && !itsm.IsCode(err, itsm.CodeConflict) {
				return nil, err
			}
			return w.svc.LinkProblem(w.ctx, tx, a, id, fixedID(102), true)
		}))
	},
	"unlink from a problem": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		return ruleDiscard(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.UnlinkProblem(w.ctx, tx, a, id, ruleProblem)
		}))
	},
	"tell a workaround": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		return ruleDiscard(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, a, id, ruleProblem, ruleWorkaround, "Restart the router.")
		}))
	},
	"resolve for a problem": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		return ruleDiscard(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.ResolveForProblem(w.ctx, tx, a, id, ruleProblem, ruleWorkaround, "The router was restarted.")
		}))
	},
	"declare major": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.DeclareMajor(w.ctx, a, id, "big")
		return err
	},
	"stand down": func(w *world, a itsm.Actor, id, _ itsm.ID) error {
		_, err := w.svc.StandDown(w.ctx, a, id, "over")
		return err
	},
	"coordinate as parent": func(w *world, a itsm.Actor, id, partner itsm.ID) error {
		return w.svc.Coordinate(w.ctx, a, id, partner)
	},
	"coordinate as child": func(w *world, a itsm.Actor, id, partner itsm.ID) error {
		return w.svc.Coordinate(w.ctx, a, partner, id)
	},
}

// ruleFixture drives an incident into a state with real commands and says
// where it ends: its state, who holds it ("desk", "network", "workplace"),
// which suppliers held it, and whether it is major or beyond the reopen
// window.
type ruleFixture struct {
	name   string
	state  itsm.State
	holder string
	held   []string
	major  bool
	stale  bool
	drive  func(w *world, id itsm.ID) error
}

// ruleSteps runs commands in order until one fails.
func ruleSteps(steps ...func() error) error {
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

func ruleDiscard(_ *incident.Incident, err error) error { return err }

var ruleFixtures = func() []ruleFixture {
	start := func(w *world, id itsm.ID) func() error {
		return func() error { return ruleDiscard(w.svc.Start(w.ctx, w.agent, id)) }
	}
	toNetwork := func(w *world, id itsm.ID) func() error {
		return func() error { return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{})) }
	}
	toWork := func(w *world, id itsm.ID) func() error {
		return func() error {
			return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Organisation: w.work.ID, Group: w.g("clients")}))
		}
	}
	accept := func(w *world, id itsm.ID, a itsm.Actor) func() error {
		return func() error { return ruleDiscard(w.svc.Accept(w.ctx, a, id)) }
	}
	wait := func(w *world, id itsm.ID, a itsm.Actor, r incident.WaitReason) func() error {
		return func() error { return ruleDiscard(w.svc.Wait(w.ctx, a, id, r, "")) }
	}
	reject := func(w *world, id itsm.ID) func() error {
		return func() error { return ruleDiscard(w.svc.Reject(w.ctx, w.netAgent, id, "not the network")) }
	}
	resolve := func(w *world, id itsm.ID) func() error {
		return func() error {
			return ruleDiscard(w.svc.Resolve(w.ctx, w.agent, id, incident.Resolution{Code: "advice", Text: "done"}))
		}
	}
	reportBack := func(w *world, id itsm.ID) func() error {
		return func() error {
			return ruleDiscard(w.svc.ReportBack(w.ctx, w.netAgent, id, incident.Resolution{Code: "hardware", Text: "replaced"}))
		}
	}
	closeIt := func(w *world, id itsm.ID) func() error {
		return func() error { return ruleDiscard(w.svc.Close(w.ctx, w.agent, id, "fixed")) }
	}
	return []ruleFixture{
		{"registered", incident.StateRegistered, "desk", nil, false, false,
			func(w *world, id itsm.ID) error { return nil }},
		{"in progress at the desk", incident.StateInProgress, "desk", nil, false, false,
			func(w *world, id itsm.ID) error { return start(w, id)() }},
		{"waiting for the user before the desk started", incident.StateWaitingUser, "desk", nil, false, false,
			func(w *world, id itsm.ID) error { return wait(w, id, w.agent, incident.WaitUser)() }},
		{"waiting for a problem at the desk", incident.StateWaitingProblem, "desk", nil, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(start(w, id), wait(w, id, w.agent, incident.WaitProblem))
			}},
		{"delegated to the network", incident.StateDelegated, "network", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error { return toNetwork(w, id)() }},
		{"in progress at the network", incident.StateInProgress, "network", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error { return ruleSteps(toNetwork(w, id), accept(w, id, w.netAgent)) }},
		{"waiting for a vendor at the network", incident.StateWaitingVendor, "network", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(toNetwork(w, id), accept(w, id, w.netAgent), wait(w, id, w.netAgent, incident.WaitVendor))
			}},
		{"waiting for a change at the network", incident.StateWaitingChange, "network", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(toNetwork(w, id), accept(w, id, w.netAgent), wait(w, id, w.netAgent, incident.WaitChange))
			}},
		{"back at the desk after the network rejected it", incident.StateInProgress, "desk", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error { return ruleSteps(toNetwork(w, id), reject(w, id)) }},
		{"re-routed to the workplace", incident.StateDelegated, "workplace", []string{"network", "workplace"}, false, false,
			func(w *world, id itsm.ID) error { return ruleSteps(toNetwork(w, id), reject(w, id), toWork(w, id)) }},
		{"in progress at the workplace after the network", incident.StateInProgress, "workplace", []string{"network", "workplace"}, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(toNetwork(w, id), reject(w, id), toWork(w, id), accept(w, id, w.workAgent))
			}},
		{"resolved at first contact", incident.StateResolved, "desk", nil, false, false,
			func(w *world, id itsm.ID) error { return ruleSteps(start(w, id), resolve(w, id)) }},
		{"resolved by the network's report-back", incident.StateResolved, "network", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(toNetwork(w, id), accept(w, id, w.netAgent), reportBack(w, id))
			}},
		{"closed after first contact", incident.StateClosed, "desk", nil, false, false,
			func(w *world, id itsm.ID) error { return ruleSteps(start(w, id), resolve(w, id), closeIt(w, id)) }},
		{"closed after the network's report-back", incident.StateClosed, "network", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(toNetwork(w, id), accept(w, id, w.netAgent), reportBack(w, id), closeIt(w, id))
			}},
		{"closed beyond the reopen window", incident.StateClosed, "desk", nil, false, true,
			func(w *world, id itsm.ID) error {
				err := ruleSteps(start(w, id), resolve(w, id), closeIt(w, id))
				w.clock.Advance(incident.DefaultReopenWindow + time.Hour)
				return err
			}},
		{"resolved beyond the reopen window, not closed", incident.StateResolved, "network", []string{"network"}, false, true,
			func(w *world, id itsm.ID) error {
				err := ruleSteps(toNetwork(w, id), accept(w, id, w.netAgent), reportBack(w, id))
				w.clock.Advance(incident.DefaultReopenWindow + time.Hour)
				return err
			}},
		{"closed within the reopen window, resolved long before", incident.StateClosed, "desk", nil, false, false,
			func(w *world, id itsm.ID) error {
				err := ruleSteps(start(w, id), resolve(w, id))
				w.clock.Advance(incident.DefaultReopenWindow + time.Hour)
				return ruleSteps(func() error { return err }, closeIt(w, id))
			}},
		{"reopened after the network's report-back", incident.StateInProgress, "desk", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(toNetwork(w, id), accept(w, id, w.netAgent), reportBack(w, id), closeIt(w, id),
					func() error { return ruleDiscard(w.svc.Reopen(w.ctx, w.agent, id, "back")) })
			}},
		{"cancelled while delegated to the network", incident.StateCancelled, "desk", []string{"network"}, false, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(toNetwork(w, id), func() error { return ruleDiscard(w.svc.Cancel(w.ctx, w.agent, id, "duplicate")) })
			}},
		{"a major incident in progress at the desk", incident.StateInProgress, "desk", nil, true, false,
			func(w *world, id itsm.ID) error {
				return ruleSteps(start(w, id), func() error { return ruleDiscard(w.svc.DeclareMajor(w.ctx, w.agent, id, "big")) })
			}},
	}
}()

// ruleFixtureNamed returns the fixture with the name.
func ruleFixtureNamed(name string) ruleFixture {
	for _, fx := range ruleFixtures {
		if fx.name == name {
			return fx
		}
	}
	panic("no fixture " + name)
}

// ruleActors are the kinds of actor the rules tell apart.
var ruleActors = []struct {
	name string
	of   func(w *world) itsm.Actor
}{
	{"desk agent", func(w *world) itsm.Actor { return w.agent }},
	{"desk clerk", func(w *world) itsm.Actor { return itsm.Actor{Organisation: w.desk.ID, Person: "kim.clerk"} }},
	{"other desk's agent", func(w *world) itsm.Actor { return w.other }},
	{"network agent", func(w *world) itsm.Actor { return w.netAgent }},
	{"workplace agent", func(w *world) itsm.Actor { return w.workAgent }},
	{"caller", func(w *world) itsm.Actor { return w.user }},
}

// ruleOrg returns the organisation a fixture names.
func ruleOrg(w *world, name string) itsm.ID {
	switch name {
	case "desk":
		return w.desk.ID
	case "network":
		return w.network.ID
	case "workplace":
		return w.work.ID
	}
	panic("unknown organisation " + name)
}

// ruleParties returns whether the actor may see an incident of the fixture,
// and the parties it is then one of.
func ruleParties(w *world, fx ruleFixture, a itsm.Actor) (visible bool, parties []ruleParty) {
	agent := a.HasRole(itsm.RoleAgent)
	holder := ruleOrg(w, fx.holder)
	switch a.Organisation {
	case w.desk.ID:
		if agent {
			parties = append(parties, byDesk)
			if holder == w.desk.ID {
				parties = append(parties, byHolder)
			}
		}
		return true, parties
	case w.network.ID, w.work.ID:
		held := slices.ContainsFunc(fx.held, func(n string) bool { return ruleOrg(w, n) == a.Organisation })
		if held && agent {
			parties = append(parties, bySupplier)
			if holder == a.Organisation {
				parties = append(parties, byHolder, bySupplierHolding)
			}
		}
		return held, parties
	case w.city.ID:
		if a.Person == w.user.Person {
			parties = append(parties, byCaller)
		}
		return true, parties
	}
	return false, nil
}

// ruleExpect is the outcome the table gives: "" for success, or the code.
func ruleExpect(w *world, fx ruleFixture, r ruleRule, a itsm.Actor) itsm.Code {
	visible, parties := ruleParties(w, fx, a)
	if r.pair {
		partner, _ := ruleParties(w, ruleFixtureNamed("registered"), a)
		visible = visible && partner
	}
	if !visible {
		return itsm.CodeNotFound
	}
	named := false
	for _, g := range r.grants {
		if !slices.Contains(parties, g.who) {
			continue
		}
		named = true
		met := true
		switch g.need {
		case deskHolds:
			met = fx.holder == "desk"
		case supplierHolds:
			met = fx.holder != "desk"
		case withinWindow:
			met = !fx.stale
		case isMajor:
			met = fx.major
		case notMajor:
			met = !fx.major
		}
		if met && slices.Contains(g.in, fx.state) {
			return ""
		}
	}
	if named {
		return itsm.CodeConflict
	}
	return itsm.CodeForbidden
}

// ruleSnapshot is what a refused command must leave as it was.
type ruleSnapshot struct {
	Version int64
	Log     int
}

// ruleLogLen counts the events of the whole log.
func ruleLogLen(t testing.TB, w *world) int {
	t.Helper()
	n := 0
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var after int64
		for {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			// The world's groups wrote theirs before: only the
			// incidents' count.
			for _, e := range es {
				if e.Kind == incident.Kind {
					n++
				}
			}
			after = es[len(es)-1].Seq
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ruleSnap reads the stored version of the incident, whoever may see it, and
// the length of the log.
func ruleSnap(t testing.TB, w *world, id itsm.ID) ruleSnapshot {
	t.Helper()
	var v int64
	err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		r, err := tx.Get(incident.Kind, id)
		v = r.Version
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ruleSnapshot{Version: v, Log: ruleLogLen(t, w)}
}

// ruleProblem is the problem every fixture is linked to, and
// ruleWorkaround a workaround of the rules' world's workaround database.
var (
	ruleProblem    = fixedID(101)
	ruleWorkaround = fixedID(103)
)

// ruleWorld is the world of the rules, with a workaround database.
func ruleWorld(t testing.TB) *world {
	return newWorld(t, func(c *incident.Config) { c.Workarounds = wadb{ruleWorkaround: nil} })
}

// ruleDrive registers an incident, links it to ruleProblem and drives it
// into the fixture's state, checking that it got there.
func ruleDrive(t *testing.T, w *world, fx ruleFixture) *incident.Incident {
	t.Helper()
	inc, err := w.svc.Register(w.ctx, w.agent, reqRegistration(w, "rules: "+fx.name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
		return w.svc.LinkProblem(w.ctx, tx, w.agent, inc.ID, ruleProblem, false)
	}); err != nil {
		t.Fatal(err)
	}
	if err := fx.drive(w, inc.ID); err != nil {
		t.Fatalf("driving into %q: %v", fx.name, err)
	}
	if inc, err = w.svc.Get(w.ctx, w.agent, inc.ID); err != nil {
		t.Fatal(err)
	}
	if inc.State != fx.state || inc.Holder != ruleOrg(w, fx.holder) || inc.Major != fx.major {
		t.Fatalf("driven into %s held by %s (major %v), the fixture says %s held by %s (major %v)",
			inc.State, inc.Holder, inc.Major, fx.state, fx.holder, fx.major)
	}
	for _, org := range []string{"network", "workplace"} {
		if inc.Held(ruleOrg(w, org)) != slices.Contains(fx.held, org) {
			t.Fatalf("%s held it: %v; the fixture says %v", org, inc.Held(ruleOrg(w, org)), fx.held)
		}
	}
	return inc
}

func TestRulesOfStateAndActor(t *testing.T) {
	for _, r := range ruleTable {
		if ruleRun[r.cmd] == nil {
			t.Fatalf("no runner for %q", r.cmd)
		}
	}
	if len(ruleRun) != len(ruleTable) {
		t.Fatalf("%d runners for %d rules", len(ruleRun), len(ruleTable))
	}
	covered := map[itsm.State]bool{}
	for _, fx := range ruleFixtures {
		covered[fx.state] = true
	}
	for _, s := range incident.States() {
		if !covered[s] {
			t.Errorf("no fixture in state %s", s)
		}
	}
	// Every command is allowed somewhere and refused somewhere, or the
	// table proves nothing about it.
	base := ruleWorld(t)
	for _, r := range ruleTable {
		allowed, refused := 0, 0
		for _, fx := range ruleFixtures {
			for _, ra := range ruleActors {
				if ruleExpect(base, fx, r, ra.of(base)) == "" {
					allowed++
				} else {
					refused++
				}
			}
		}
		if allowed == 0 || refused == 0 {
			t.Errorf("%q is allowed in %d cases and refused in %d", r.cmd, allowed, refused)
		}
	}
	for _, fx := range ruleFixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			w := ruleWorld(t)
			// Refusals share one incident, as they must not change it;
			// each allowed command gets a fresh one.
			shared := ruleDrive(t, w, fx)
			for _, r := range ruleTable {
				for _, ra := range ruleActors {
					a := ra.of(w)
					want := ruleExpect(w, fx, r, a)
					t.Run(r.cmd+"/"+ra.name, func(t *testing.T) {
						inc := shared
						if want == "" {
							inc = ruleDrive(t, w, fx)
						}
						var partner itsm.ID
						if r.pair {
							partner = ruleDrive(t, w, ruleFixtureNamed("registered")).ID
						}
						before := ruleSnap(t, w, inc.ID)
						var partnerBefore ruleSnapshot
						if !partner.IsZero() {
							partnerBefore = ruleSnap(t, w, partner)
						}
						err := ruleRun[r.cmd](w, a, inc.ID, partner)
						after := ruleSnap(t, w, inc.ID)
						if want == "" {
							if err != nil {
								t.Fatalf("refused: %v", err)
							}
							if after.Version != before.Version+max(r.writes, 1) || after.Log <= before.Log {
								t.Errorf("allowed, but wrote version %d and %d events", after.Version, after.Log-before.Log)
							}
							if !partner.IsZero() && ruleSnap(t, w, partner).Version != partnerBefore.Version+1 {
								t.Error("coordinated without writing the partner")
							}
							return
						}
						defer func() {
							// A refusal that wrote spoils the shared
							// incident for the cases after it.
							if after != before {
								shared = ruleDrive(t, w, fx)
							}
						}()
						if err == nil {
							t.Fatalf("allowed; the rules want %s", want)
						}
						var e *itsm.Error
						if !errors.As(err, &e) || itsm.ErrorCode(err) != want {
							t.Fatalf("error %v (%T), want an *itsm.Error with code %s", err, err, want)
						}
						if after != before {
							t.Errorf("refused, but wrote: version and log %+v, were %+v", after, before)
						}
						if !partner.IsZero() && ruleSnap(t, w, partner).Version != partnerBefore.Version {
							t.Error("refused, but wrote the partner")
						}
						msg := err.Error()
						if want == itsm.CodeNotFound {
							if strings.Contains(msg, inc.Number.String()) || strings.Contains(msg, string(fx.state)) {
								t.Errorf("not found, but the message tells: %s", msg)
							}
							return
						}
						states := []string{fmt.Sprintf("(state %s)", fx.state)}
						if !partner.IsZero() {
							// Coordinate checks the parent first.
							states = append(states, fmt.Sprintf("(state %s)", incident.StateRegistered))
						}
						if r.cmd == "link to a problem" && fx.state == incident.StateWaitingProblem {
							// The runner's unlink resumed it before the link.
							states = append(states, fmt.Sprintf("(state %s)", incident.StateInProgress))
						}
						if !slices.ContainsFunc(states, func(s string) bool { return strings.Contains(msg, s) }) ||
							!strings.Contains(msg, strconv.Quote(a.Person)) {
							t.Errorf("the message names not the state %s and the actor %q: %s", fx.state, a.Person, msg)
						}
					})
				}
			}
		})
	}
}

func TestRulesRefuseInvalidInput(t *testing.T) {
	w := newWorld(t)
	desk := ruleDrive(t, w, ruleFixtureNamed("in progress at the desk"))
	net := ruleDrive(t, w, ruleFixtureNamed("in progress at the network"))
	long := strings.Repeat("x", incident.MaxSummary+1)
	huge := strings.Repeat("x", incident.MaxText+1)
	badUTF8 := "caf\xe9"
	reg := func(change func(r *incident.Registration)) func() error {
		return func() error {
			r := reqRegistration(w, "valid summary")
			change(&r)
			return ruleDiscard(w.svc.Register(w.ctx, w.agent, r))
		}
	}
	fix := func(code, text string) incident.Resolution { return incident.Resolution{Code: code, Text: text} }
	inTx := func(fn func(tx itsm.WriteTx) (*incident.Incident, error)) func() error {
		return func() error { return ruleDiscard(w.inTx(fn)) }
	}
	cases := []struct {
		name string
		run  func() error
	}{
		{"register: empty summary", reg(func(r *incident.Registration) { r.Summary = "" })},
		{"register: blank summary", reg(func(r *incident.Registration) { r.Summary = " \t " })},
		{"register: summary with a control character", reg(func(r *incident.Registration) { r.Summary = "wifi\x00down" })},
		{"register: summary with a newline", reg(func(r *incident.Registration) { r.Summary = "wifi\ndown" })},
		{"register: oversize summary", reg(func(r *incident.Registration) { r.Summary = long })},
		{"register: summary not UTF-8", reg(func(r *incident.Registration) { r.Summary = badUTF8 })},
		{"register: invalid channel", reg(func(r *incident.Registration) { r.Channel = "fax" })},
		{"register: no channel", reg(func(r *incident.Registration) { r.Channel = "" })},
		{"register: no caller", reg(func(r *incident.Registration) { r.Caller.Person = " " })},
		{"register: caller name with a control character", reg(func(r *incident.Registration) { r.Caller.Name = "Ulla\x1b" })},
		{"register: category with a tab", reg(func(r *incident.Registration) { r.Category = "net\twork" })},
		{"register: oversize description", reg(func(r *incident.Registration) { r.Description = huge })},
		{"register: description not UTF-8", reg(func(r *incident.Registration) { r.Description = badUTF8 })},
		{"register: a supplier as the customer", reg(func(r *incident.Registration) { r.Customer = w.network.ID })},
		{"register: an unknown customer", reg(func(r *incident.Registration) { r.Customer = fixedID(99) })},
		{"register: zero CI", reg(func(r *incident.Registration) { r.CIs = []itsm.ID{{}} })},
		{"register: CI twice", reg(func(r *incident.Registration) { r.CIs = []itsm.ID{fixedID(100), fixedID(100)} })},
		{"register: impact off the matrix", reg(func(r *incident.Registration) { r.Impact = 0 })},
		{"register: urgency off the matrix", reg(func(r *incident.Registration) { r.Urgency = 4 })},
		{"delegate: a group of another supplier", func() error {
			return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, desk.ID, incident.Delegation{Organisation: w.work.ID, Group: w.g("lan")}))
		}},
		{"delegate: oversize note", func() error {
			return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, desk.ID, incident.Delegation{Organisation: w.work.ID, Note: huge}))
		}},
		{"delegate: to a desk", func() error {
			return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, desk.ID, incident.Delegation{Organisation: w.desk.ID}))
		}},
		{"delegate: to the customer", func() error {
			return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, desk.ID, incident.Delegation{Organisation: w.city.ID}))
		}},
		{"delegate: to an unknown organisation", func() error {
			return ruleDiscard(w.svc.Delegate(w.ctx, w.agent, desk.ID, incident.Delegation{Organisation: fixedID(99)}))
		}},
		{"reject: blank reason", func() error { return ruleDiscard(w.svc.Reject(w.ctx, w.netAgent, net.ID, "  ")) }},
		{"reject: oversize reason", func() error { return ruleDiscard(w.svc.Reject(w.ctx, w.netAgent, net.ID, huge)) }},
		{"update: empty", func() error { return ruleDiscard(w.svc.Update(w.ctx, w.netAgent, net.ID, "")) }},
		{"update: not UTF-8", func() error { return ruleDiscard(w.svc.Update(w.ctx, w.netAgent, net.ID, badUTF8)) }},
		{"comment: status update kind", func() error {
			return ruleDiscard(w.svc.Comment(w.ctx, w.agent, desk.ID, incident.EntryStatusUpdate, "x"))
		}},
		{"comment: notification kind", func() error {
			return ruleDiscard(w.svc.Comment(w.ctx, w.agent, desk.ID, incident.EntryNotification, "x"))
		}},
		{"comment: empty", func() error {
			return ruleDiscard(w.svc.Comment(w.ctx, w.agent, desk.ID, incident.EntryWorkNote, ""))
		}},
		{"wait: unknown reason", func() error { return ruleDiscard(w.svc.Wait(w.ctx, w.agent, desk.ID, "lunch", "")) }},
		{"wait: no reason", func() error { return ruleDiscard(w.svc.Wait(w.ctx, w.agent, desk.ID, "", "")) }},
		{"wait: oversize note", func() error {
			return ruleDiscard(w.svc.Wait(w.ctx, w.agent, desk.ID, incident.WaitUser, huge))
		}},
		{"resume: oversize note", func() error { return ruleDiscard(w.svc.Resume(w.ctx, w.agent, desk.ID, huge)) }},
		{"resolve: no code", func() error { return ruleDiscard(w.svc.Resolve(w.ctx, w.agent, desk.ID, fix(" ", "done"))) }},
		{"resolve: code with a control character", func() error {
			return ruleDiscard(w.svc.Resolve(w.ctx, w.agent, desk.ID, fix("a\rb", "done")))
		}},
		{"resolve: no text", func() error { return ruleDiscard(w.svc.Resolve(w.ctx, w.agent, desk.ID, fix("advice", ""))) }},
		{"report back: no text", func() error {
			return ruleDiscard(w.svc.ReportBack(w.ctx, w.netAgent, net.ID, fix("hardware", "")))
		}},
		{"report back: oversize code", func() error {
			return ruleDiscard(w.svc.ReportBack(w.ctx, w.netAgent, net.ID, fix(long, "done")))
		}},
		{"cancel: no reason", func() error { return ruleDiscard(w.svc.Cancel(w.ctx, w.agent, desk.ID, "")) }},
		{"reprioritise: impact off the matrix", func() error {
			return ruleDiscard(w.svc.Reprioritise(w.ctx, w.agent, desk.ID, 0, itsm.UrgencyHigh, "x"))
		}},
		{"reprioritise: no reason", func() error {
			return ruleDiscard(w.svc.Reprioritise(w.ctx, w.agent, desk.ID, itsm.ImpactHigh, itsm.UrgencyHigh, ""))
		}},
		{"recategorise: control character", func() error {
			return ruleDiscard(w.svc.Recategorise(w.ctx, w.agent, desk.ID, "", "net\x00", ""))
		}},
		{"recategorise: oversize", func() error {
			return ruleDiscard(w.svc.Recategorise(w.ctx, w.agent, desk.ID, long, "network", ""))
		}},
		{"set reference: empty", func() error { return ruleDiscard(w.svc.SetReference(w.ctx, w.netAgent, net.ID, "")) }},
		{"set reference: blank", func() error { return ruleDiscard(w.svc.SetReference(w.ctx, w.netAgent, net.ID, " \t")) }},
		{"set reference: control character", func() error {
			return ruleDiscard(w.svc.SetReference(w.ctx, w.netAgent, net.ID, "NET\x001"))
		}},
		{"relate: zero CI", func() error {
			return ruleDiscard(w.svc.Relate(w.ctx, w.agent, desk.ID, []itsm.ID{fixedID(100), {}}, itsm.ID{}))
		}},
		{"relate: CI twice", func() error {
			return ruleDiscard(w.svc.Relate(w.ctx, w.agent, desk.ID, []itsm.ID{fixedID(100), fixedID(100)}, itsm.ID{}))
		}},
		{"declare major: no reason", func() error { return ruleDiscard(w.svc.DeclareMajor(w.ctx, w.agent, desk.ID, "")) }},
		{"stand down: no reason", func() error { return ruleDiscard(w.svc.StandDown(w.ctx, w.agent, desk.ID, "")) }},
		{"close: no message", func() error { return ruleDiscard(w.svc.Close(w.ctx, w.agent, desk.ID, "")) }},
		{"reopen: no reason", func() error { return ruleDiscard(w.svc.Reopen(w.ctx, w.agent, desk.ID, "")) }},
		{"coordinate: its own parent", func() error { return w.svc.Coordinate(w.ctx, w.agent, desk.ID, desk.ID) }},
		{"relate: another problem", func() error {
			return ruleDiscard(w.svc.Relate(w.ctx, w.agent, desk.ID, nil, fixedID(102)))
		}},
		{"relate: no problem while linked", func() error {
			return ruleDiscard(w.svc.Relate(w.ctx, w.agent, desk.ID, nil, itsm.ID{}))
		}},
		{"resolve: a workaround without a workaround database", func() error {
			return ruleDiscard(w.svc.Resolve(w.ctx, w.agent, desk.ID, incident.Resolution{Code: "advice", Text: "done", Workaround: ruleWorkaround}))
		}},
		{"report back: a workaround without a workaround database", func() error {
			return ruleDiscard(w.svc.ReportBack(w.ctx, w.netAgent, net.ID, incident.Resolution{Code: "hardware", Text: "done", Workaround: ruleWorkaround}))
		}},
		{"link: zero problem", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.LinkProblem(w.ctx, tx, w.agent, desk.ID, itsm.ID{}, false)
		})},
		{"link: no transaction", func() error {
			return ruleDiscard(w.svc.LinkProblem(w.ctx, nil, w.agent, desk.ID, fixedID(102), false))
		}},
		{"tell a workaround: zero workaround", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, w.agent, desk.ID, ruleProblem, itsm.ID{}, "Restart it.")
		})},
		{"tell a workaround: no text", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, w.agent, desk.ID, ruleProblem, ruleWorkaround, " \n ")
		})},
		{"tell a workaround: text not UTF-8", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, w.agent, desk.ID, ruleProblem, ruleWorkaround, badUTF8)
		})},
		{"tell a workaround: oversize text", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, w.agent, desk.ID, ruleProblem, ruleWorkaround, huge)
		})},
		{"tell a workaround: no workaround database", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, w.agent, desk.ID, ruleProblem, ruleWorkaround, "Restart it.")
		})},
		{"resolve for a problem: no text", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.ResolveForProblem(w.ctx, tx, w.agent, desk.ID, ruleProblem, itsm.ID{}, "")
		})},
		{"resolve for a problem: text with a control character", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.ResolveForProblem(w.ctx, tx, w.agent, desk.ID, ruleProblem, itsm.ID{}, "done\x00")
		})},
		{"resolve for a problem: no workaround database", inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.ResolveForProblem(w.ctx, tx, w.netAgent, net.ID, ruleProblem, ruleWorkaround, "done")
		})},
	}
	deskBefore, netBefore := ruleSnap(t, w, desk.ID), ruleSnap(t, w, net.ID)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			var e *itsm.Error
			if !errors.As(err, &e) || e.Code != itsm.CodeInvalid {
				t.Fatalf("error %v (%T), want an *itsm.Error with code invalid", err, err)
			}
		})
	}
	if got := ruleSnap(t, w, desk.ID); got != deskBefore {
		t.Errorf("invalid input wrote the desk's incident: %+v, was %+v", got, deskBefore)
	}
	if got := ruleSnap(t, w, net.ID); got != netBefore {
		t.Errorf("invalid input wrote the network's incident: %+v, was %+v", got, netBefore)
	}
	// No refused registration took a number.
	inc := w.register("after the invalid ones")
	if inc.Number.Seq != 3 {
		t.Errorf("the next incident is %s, want INC0000003", inc.Number)
	}
}
