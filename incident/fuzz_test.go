package incident_test

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzLifecycle from the seed scripts")

// FuzzLifecycle decodes the fuzzer's bytes into a command sequence (five
// bytes a command, see decodeCommand), runs it on a fresh memstore and
// checks every invariant after every command, as TestRandomCommandSequences
// does with random bytes. testdata/fuzz/FuzzLifecycle holds the seed
// scripts below.
func FuzzLifecycle(f *testing.F) {
	base := newWorld(f)
	f.Fuzz(func(t *testing.T, program []byte) {
		d := newDriver(base, nil)
		defer d.close()
		d.run(program)
		if len(d.issues) > 0 {
			t.Fatalf("a command broke an invariant:\n%s", d.report())
		}
	})
}

// Actor bytes of the seed scripts: natural takes the actor a command
// naturally has; the others name one actor.
const (
	natural byte = 0
	asDesk  byte = 16 - numActors + iota - 1
	asNetwork
	asWorkplace
	asUser
	asOther
)

// Argument bytes of the seed scripts (see driver.step).
const (
	argP1         = 0             // impact high, urgency high
	argP3         = 1 + 3         // impact and urgency medium
	argP4Printing = 2 + 6 + 9*3   // impact and urgency low, a category no route matches
	argNoCustomer = 1 + 3 + 9*4   // P3 without a customer
	argEmpty      = 7             // an empty text where one is required
	argToNetwork  = 1 + 5*1       // the network supplier's group lan
	argToWork     = 2 + 5*3       // the workplace supplier's group clients
	argToDesk     = 3             // not a supplier
	argWaitVendor = 1             // waiting for a vendor
	argWaitUser   = 0             // waiting for the user: pauses the clocks
	argToP1       = 0             // reprioritise to impact high, urgency high
	argToP4       = 2 + 6         // reprioritise to impact low, urgency low
	argCIsProblem = 2 + 4         // two configuration items and a problem
	argCIsTwice   = 3             // one configuration item twice: invalid
	argWorkNote   = 1             // a work note
	argStatusKind = 3             // a status update as a comment: invalid
	argRefBlank   = 2             // a blank reference: invalid
	argRecatWork  = 2             // email / workplace / client
	argReadByUser = actorUser     // with natural: the user reads
	argReadBySupp = actorNetwork  // with natural: the network supplier reads
	argReadOther  = actorOther    // with natural: the other desk reads
	argUnknown    = unknownTarget // as a target: an incident that does not exist
	argToSecond   = 5 + 6*4       // assign: the desk's second line, sven.second
	argToWifiNils = 2 + 6*1       // assign: the network supplier's wifi, nils.net
	argToClients  = 3             // assign: the workplace supplier's group: not the holder's
	argInFirst    = 4             // take: in the desk's first line
	argInLAN      = 1             // take: in the network supplier's lan
)

func cmd(o op, step time.Duration, actor, target, arg byte) command {
	return command{op: o, step: step, actor: actor, target: target, arg: arg}
}

// seedScripts are the committed seeds of FuzzLifecycle, each a story the
// invariants have to survive, and what the story must end in, so that a
// change of the decoding that breaks a seed shows.
var seedScripts = []struct {
	name   string
	script []command
	check  func(d *driver) error
}{
	{"first-contact", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opRead, 0, natural, 0, argReadByUser),
		cmd(opStart, 5*time.Minute, natural, 0, 0),
		cmd(opResolve, 15*time.Minute, natural, 0, 0),
		cmd(opClose, 0, natural, 0, argEmpty), // no message: refused
		cmd(opClose, time.Minute, natural, 0, 0),
		cmd(opUpdate, time.Hour, natural, 0, 0), // closed: refused
	}, endsIn(0, incident.StateClosed)},
	{"through-a-supplier-and-back", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opDelegate, 15*time.Minute, natural, 0, 0), // by route: network
		cmd(opAccept, 0, asWorkplace, 0, 0),            // not the holder: refused
		cmd(opAccept, 15*time.Minute, natural, 0, 0),
		cmd(opSetReference, 0, natural, 0, 0),
		cmd(opWait, 30*time.Minute, natural, 0, argWaitVendor),
		cmd(opUpdate, 2*time.Hour, natural, 0, 0),
		cmd(opResume, time.Hour, natural, 0, 0),
		cmd(opReportBack, time.Hour, natural, 0, 0),
		cmd(opClose, 15*time.Minute, natural, 0, 0),
		cmd(opReopen, 4*time.Hour, natural, 0, 0),
		cmd(opDelegate, 5*time.Minute, natural, 0, argToNetwork), // ping-pong
		cmd(opAccept, 5*time.Minute, natural, 0, 0),
		cmd(opReportBack, time.Hour, natural, 0, 0),
		cmd(opClose, 0, natural, 0, 0),
	}, func(d *driver) error {
		if inc := d.incs[0].inc; inc.State != incident.StateClosed || inc.PingPong != 1 || inc.Reopened != 1 {
			return fmt.Errorf("%s, %d ping-pong, reopened %d times; want closed, 1, 1", inc.State, inc.PingPong, inc.Reopened)
		}
		return nil
	}},
	{"moves-recall-and-back", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opAssign, time.Minute, natural, 0, argToSecond), // into a group: not a move
		cmd(opTake, time.Minute, natural, 0, argInFirst),    // second line to first line: a move
		cmd(opRecall, 0, natural, 0, 0),                     // the desk holds it: refused
		cmd(opDelegate, 5*time.Minute, natural, 0, 0),       // by route: network, lan
		cmd(opAssign, 0, asWorkplace, 0, argToClients),      // never held it: refused
		cmd(opAccept, 5*time.Minute, natural, 0, 0),
		cmd(opAssign, 15*time.Minute, natural, 0, argToWifiNils), // lan to wifi: a move
		cmd(opAssign, 0, natural, 0, argToClients),               // another supplier's group: refused
		cmd(opTake, 15*time.Minute, natural, 0, argInLAN),        // wifi to lan: a move
		cmd(opRecall, 30*time.Minute, asNetwork, 0, 0),           // only the desk recalls: refused
		cmd(opRecall, 30*time.Minute, natural, 0, 0),
		cmd(opDelegate, 5*time.Minute, natural, 0, argToNetwork), // back after the recall: no ping-pong
		cmd(opReject, 30*time.Minute, natural, 0, 0),
		cmd(opDelegate, 5*time.Minute, natural, 0, argToWork),
		cmd(opDelegate, 5*time.Minute, natural, 0, argToNetwork), // back after the rejection: ping-pong
		cmd(opRead, 0, natural, 0, argReadByUser),
	}, func(d *driver) error {
		if inc := d.incs[0].inc; inc.Moves != 3 || inc.Reassignments != 3 || inc.PingPong != 1 || inc.Assignments[0].Recalled == "" {
			return fmt.Errorf("%d moves, %d reassignments, %d ping-pong, first assignment %+v; want 3, 3, 1, recalled",
				inc.Moves, inc.Reassignments, inc.PingPong, inc.Assignments[0])
		}
		return nil
	}},
	{"rejected-and-rerouted", []command{
		cmd(opRegister, 0, natural, 0, argP4Printing),
		cmd(opDelegate, 0, natural, 0, 0), // no route: refused
		cmd(opDelegate, time.Minute, natural, 0, argToDesk),
		cmd(opDelegate, time.Minute, natural, 0, argToWork),
		cmd(opReject, 30*time.Minute, natural, 0, argEmpty), // no reason: refused
		cmd(opReject, 30*time.Minute, natural, 0, 0),
		cmd(opDelegate, 5*time.Minute, natural, 0, argToNetwork),
		cmd(opAccept, 5*time.Minute, natural, 0, 0),
		cmd(opDelegate, time.Hour, natural, 0, argToWork), // re-routed while held: ping-pong
		cmd(opReportBack, 0, asNetwork, 0, 0),             // no longer holds it: refused
		cmd(opAccept, 15*time.Minute, natural, 0, 0),
		cmd(opWait, 15*time.Minute, natural, 0, argWaitUser),
		cmd(opReject, 45*time.Minute, natural, 0, 0),
		cmd(opResolve, 5*time.Minute, natural, 0, 0),
		cmd(opRead, 0, natural, 0, argReadBySupp),
	}, func(d *driver) error {
		if inc := d.incs[0].inc; inc.State != incident.StateResolved || inc.Reassignments != 2 || inc.PingPong != 1 {
			return fmt.Errorf("%s, %d reassignments, %d ping-pong; want resolved, 2, 1", inc.State, inc.Reassignments, inc.PingPong)
		}
		return nil
	}},
	{"major-incident-with-failed-messages", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opReprioritise, 5*time.Minute, natural, 0, argToP1), // notifies the delivery manager
		cmd(opDeclareMajor, 0, natural, 0, 0),
		cmd(opDeclareMajor, 0, natural, 0, 0), // already major: refused
		cmd(opOutbox, time.Minute, natural, 0, 0),
		cmd(opStandDown, 3*time.Hour, natural, 0, 0), // deliveries fail and are recorded
		cmd(opReprioritise, 0, natural, 0, argToP4),
		cmd(opReprioritise, 0, natural, 0, argToP1), // notifies, and fails
		cmd(opOutbox, 0, natural, 0, 0),
		cmd(opRegister, time.Minute, natural, 0, argP1), // notifies on registration
		cmd(opCancel, time.Hour, natural, 0, 0),
		cmd(opReopen, 0, natural, 0, 0), // cancelled: refused
		cmd(opDeclareMajor, 26*time.Hour, natural, 1, 0),
		cmd(opDeclareMajor, 0, natural, 0, 0), // cancelled: refused
	}, func(d *driver) error {
		if d.stats.failedMsg == 0 || d.incs[0].inc.State != incident.StateCancelled || !d.incs[1].inc.Major {
			return fmt.Errorf("%d failed messages, first %s, second major %t", d.stats.failedMsg, d.incs[0].inc.State, d.incs[1].inc.Major)
		}
		return nil
	}},
	{"coordinated-incidents", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opRegister, time.Minute, natural, 0, argP3),
		cmd(opRegister, time.Minute, natural, 0, argNoCustomer),
		cmd(opCoordinate, 0, natural, 0, 0), // its own parent: refused
		cmd(opCoordinate, 5*time.Minute, natural, 0, 1),
		cmd(opCoordinate, 0, natural, 0, 2),
		cmd(opCoordinate, 0, natural, 1, 2), // a child cannot be a parent: refused
		cmd(opCoordinate, 0, natural, 0, 1), // already its child: refused
		cmd(opRelate, 0, natural, 0, argCIsProblem),
		cmd(opRelate, 0, natural, 1, argCIsTwice), // refused
		cmd(opRecategorise, time.Minute, natural, 2, argRecatWork),
		cmd(opDelegate, time.Minute, natural, 2, 0), // by route: workplace
		cmd(opRead, 0, natural, 0, argReadByUser),   // the user sees two of three
		cmd(opResolve, time.Hour, natural, 0, 0),
		cmd(opClose, 0, natural, 0, 0),
		cmd(opCoordinate, 0, natural, 0, 1), // closed: refused
		cmd(opCoordinate, 0, natural, argUnknown, 1),
	}, func(d *driver) error {
		if p := d.incs[0].inc; len(p.Children) != 2 || d.incs[2].inc.Parent != p.ID {
			return fmt.Errorf("parent has children %v, third has parent %s", p.Children, d.incs[2].inc.Parent)
		}
		return nil
	}},
	{"clock-steps-back-and-stands-still", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opStart, 3*time.Hour, natural, 0, 0),
		cmd(opStepBack, 4*time.Hour, natural, 0, 0),
		cmd(opDelegate, 0, natural, 0, 0),
		cmd(opAccept, 0, natural, 0, 0),
		cmd(opUpdate, 0, natural, 0, 0),
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opStepBack, 26*time.Hour, natural, 0, 0),
		cmd(opWait, 0, natural, 0, argWaitUser),
		cmd(opResume, 90*time.Minute, natural, 0, 0),
		cmd(opReportBack, 0, natural, 0, 0),
		cmd(opCoordinate, 0, natural, 1, 0),
		cmd(opClose, 12*time.Hour, natural, 0, 0),
	}, endsIn(0, incident.StateClosed)},
	{"actors-out-of-turn", []command{
		cmd(opRegister, 0, asNetwork, 0, argP3), // a supplier: refused
		cmd(opRegister, 0, asUser, 0, argP3),    // the user: refused
		cmd(opRegister, 0, asOther, 0, argP3),   // the other desk's incident
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opStart, 0, asOther, 1, 0),   // not its desk: not found
		cmd(opStart, 0, asNetwork, 1, 0), // never held it: not found
		cmd(opComment, 0, asUser, 1, 0),  // the caller writes
		cmd(opComment, 0, asUser, 1, argWorkNote),
		cmd(opComment, 0, asDesk, 1, argStatusKind),
		cmd(opSetReference, 0, asNetwork, 1, 0), // never held it
		cmd(opDelegate, time.Minute, asDesk, 0, 0),
		cmd(opDelegate, time.Minute, natural, 1, argToNetwork),
		cmd(opSetReference, 0, asNetwork, 1, argRefBlank),
		cmd(opClose, 0, asNetwork, 1, 0),
		cmd(opResolve, 0, asDesk, 1, 0), // the supplier holds it
		cmd(opCancel, 0, asUser, 1, 0),
		cmd(opCancel, time.Minute, natural, 1, 0),
		cmd(opSetReference, 0, asNetwork, 1, 0), // cancelled
		cmd(opRead, 0, natural, 0, argReadOther),
		cmd(opDelegate, 0, natural, 0, argToNetwork), // the other desk delegates its own
		cmd(opAccept, 0, natural, 0, 0),
		cmd(opRead, 0, natural, 0, argReadBySupp),
	}, endsIn(1, incident.StateCancelled)},
	{"reopen-resolved-long-ago", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opResolve, time.Hour, natural, 0, 0),
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opReopen, 26*time.Hour, natural, 0, 0), // not closed: reopened after more than five days
	}, func(d *driver) error {
		if inc := d.incs[0].inc; inc.State != incident.StateInProgress || inc.Reopened != 1 {
			return fmt.Errorf("%s, reopened %d times; want in progress, once", inc.State, inc.Reopened)
		}
		return nil
	}},
	{"reopen-window-runs-out", []command{
		cmd(opRegister, 0, natural, 0, argP3),
		cmd(opResolve, time.Hour, natural, 0, 0),
		cmd(opReopen, 26*time.Hour, natural, 0, 0),
		cmd(opResolve, time.Hour, natural, 0, 0),
		cmd(opStandDown, 0, natural, 0, 0), // not major: refused
		cmd(opClose, 26*time.Hour, natural, 0, 0),
		cmd(opComment, 26*time.Hour, natural, 0, 0), // closed: refused
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opRead, 26*time.Hour, natural, 0, 0),
		cmd(opReopen, 26*time.Hour, natural, 0, 0), // more than five days after the closure: refused
	}, func(d *driver) error {
		if inc := d.incs[0].inc; inc.State != incident.StateClosed || inc.Reopened != 1 {
			return fmt.Errorf("%s, reopened %d times; want closed, once", inc.State, inc.Reopened)
		}
		return nil
	}},
}

func endsIn(k int, s itsm.State) func(d *driver) error {
	return func(d *driver) error {
		if got := d.incs[k].inc.State; got != s {
			return fmt.Errorf("incident %d ends in %s, want %s", k, got, s)
		}
		return nil
	}
}

// TestFuzzSeeds runs each seed script, checks that it tells its story, and
// that testdata/fuzz/FuzzLifecycle holds it as committed; -update-fuzz-seeds
// rewrites the files.
func TestFuzzSeeds(t *testing.T) {
	base := newWorld(t)
	for _, s := range seedScripts {
		t.Run(s.name, func(t *testing.T) {
			prog := program(s.script...)
			d := newDriver(base, nil)
			defer d.close()
			d.run(prog)
			if len(d.issues) > 0 {
				t.Fatalf("a command broke an invariant:\n%s", d.report())
			}
			if err := s.check(d); err != nil {
				t.Errorf("the script does not tell its story: %v\n%s", err, d.report())
			}
			seqtest.Seed(t, "FuzzLifecycle", s.name, prog, *updateSeeds)
		})
	}
}
