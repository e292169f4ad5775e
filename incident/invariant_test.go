package incident_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
)

// This file drives the Service with command sequences decoded from bytes and
// checks, after every command, the invariants of issue 4: only the desk opens
// and closes, a closed incident changes only by reopening, clocks never run
// backward, a UC never counts more than the SLA, one event per change, and
// the stored incident equals a replay of its events. TestRandomCommandSequences
// feeds it random bytes and FuzzLifecycle (fuzz_test.go) the fuzzer's.

var (
	invariantSeed = flag.Uint64("invariants.seed", 0, "run TestRandomCommandSequences with this seed only (0: the fixed seed and a random one)")
	invariantRuns = flag.Int("invariants.n", 0, "sequences per seed in TestRandomCommandSequences (0: the default)")
	invariantLen  = flag.Int("invariants.len", maxRandomCommands, "most commands in a sequence of TestRandomCommandSequences")
)

// op is one kind of step in a command sequence.
type op uint8

const (
	opRegister op = iota
	opStart
	opDelegate
	opAccept
	opReject
	opUpdate
	opComment
	opWait
	opResume
	opResolve
	opReportBack
	opClose
	opReopen
	opCancel
	opReprioritise
	opRecategorise
	opSetReference
	opRelate
	opCoordinate
	opDeclareMajor
	opStandDown
	// opAssign, opTake and opRecall move the incident inside the holding
	// organisation, to the acting agent, and back from a supplier to the
	// desk.
	opAssign
	opTake
	opRecall
	// opRead gets and lists as the actor: it must write nothing and show
	// exactly what the actor's organisation may see (SD-13).
	opRead
	// opOutbox makes the notifier fail, or succeed again, so that failed
	// deliveries are recorded (and checked) too.
	opOutbox
	// opStepBack sets the service's clock back by the step's duration, as a
	// corrected wall clock does; no timeline may run backward for it.
	opStepBack
	// opLinkProblem, opUnlinkProblem, opTellWorkaround and
	// opResolveForProblem are the commands package problem runs in its own
	// transactions, run here in one each.
	opLinkProblem
	opUnlinkProblem
	opTellWorkaround
	opResolveForProblem
	numOps
)

var opNames = [numOps]string{"register", "start", "delegate", "accept", "reject", "update", "comment",
	"wait", "resume", "resolve", "report-back", "close", "reopen", "cancel", "reprioritise",
	"recategorise", "set-reference", "relate", "coordinate", "declare-major", "stand-down",
	"assign", "take", "recall", "read", "outbox", "step-back",
	"link-problem", "unlink-problem", "tell-workaround", "resolve-for-problem"}

func (o op) String() string {
	if o < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// steps are the clock moves a command byte can ask for: mostly minutes to
// hours, twice zero so that equal timestamps happen, and once more than a
// day so that reopen windows and roster duties run out.
var steps = [16]time.Duration{0, 0, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	45 * time.Minute, time.Hour, 90 * time.Minute, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour,
	6 * time.Hour, 8 * time.Hour, 12 * time.Hour, 26 * time.Hour}

// The actors of the world, in the order actor bytes 11 to 15 (modulo 16)
// name them. Bytes 0 to 10 take the actor a command naturally has (the
// owning desk's agent, or the holder's agent for a holder's command), so
// that random sequences get past the permission checks often enough to
// reach deep states.
const (
	actorDesk = iota
	actorNetwork
	actorWorkplace
	actorUser
	actorOther
	numActors
)

// commandSize is the number of bytes each command takes: op, clock step,
// actor, target incident and argument.
const commandSize = 5

// maxCommands bounds a sequence so that a long fuzz input stays fast.
const maxCommands = 64

// unknownTarget as a target byte names an incident that does not exist.
const unknownTarget = 0xff

// command is one decoded step. Target and argument are raw bytes, resolved
// against the incidents that exist when the step runs.
type command struct {
	op op
	// likely, if set, replaces op when the step runs by one of
	// likelyOps for the target's state, chosen by pick.
	likely bool
	pick   byte
	step   time.Duration
	actor  byte
	target byte
	arg    byte
}

// decodeCommand reads one command. An op byte below likelyFrom names any
// op; a higher one picks among the commands the target's state allows, so
// that random bytes get deep into the lifecycle in few steps.
func decodeCommand(b []byte) command {
	c := command{op: op(b[0] % byte(numOps)), step: steps[b[1]%16], actor: b[2] % 16, target: b[3], arg: b[4]}
	if b[0] >= likelyFrom {
		c.likely, c.pick = true, b[0]-likelyFrom
	}
	return c
}

// likelyFrom is the first op byte that picks a likely command.
const likelyFrom = 64

func (c command) bytes() []byte {
	i := slices.Index(steps[:], c.step)
	if i < 0 {
		panic(fmt.Sprintf("no step of %s", c.step))
	}
	o := byte(c.op)
	if c.likely {
		o = likelyFrom + c.pick
	}
	return []byte{o, byte(i), c.actor, c.target, c.arg}
}

// likelyOps returns commands that move t along its lifecycle from its
// state; the other commands come from op bytes below likelyFrom.
func likelyOps(t *tracked) []op {
	if t == nil {
		return []op{opRegister}
	}
	switch inc := t.inc; {
	case inc.State == incident.StateRegistered:
		return []op{opStart, opDelegate, opDelegate, opResolve, opWait, opDeclareMajor, opAssign, opTake, opLinkProblem}
	case inc.State == incident.StateDelegated:
		return []op{opAccept, opAccept, opReject, opDelegate, opSetReference, opAssign, opRecall, opLinkProblem}
	case incident.IsWaiting(inc.State):
		return []op{opResume, opResume, opUpdate, opReject, opReportBack, opRecall, opUnlinkProblem, opTellWorkaround, opResolveForProblem}
	case inc.State == incident.StateInProgress && inc.Holder == inc.Desk:
		return []op{opDelegate, opDelegate, opResolve, opWait, opUpdate, opStandDown, opAssign, opTake, opLinkProblem, opTellWorkaround, opResolveForProblem}
	case inc.State == incident.StateInProgress:
		return []op{opUpdate, opWait, opReportBack, opReportBack, opReject, opSetReference, opDelegate, opAssign, opTake, opRecall,
			opLinkProblem, opResolveForProblem}
	case inc.State == incident.StateResolved:
		return []op{opClose, opClose, opReopen, opComment, opUnlinkProblem}
	case inc.State == incident.StateClosed:
		return []op{opReopen, opRead}
	}
	return []op{opRead, opRegister}
}

// program encodes commands as a byte string the driver decodes back to them.
func program(cs ...command) []byte {
	var b []byte
	for _, c := range cs {
		b = append(b, c.bytes()...)
	}
	return b
}

// issueKind names the invariant an issue breaks, so that
// TestInvariantsCatchBugs can tell which check caught an injected fault.
type issueKind string

const (
	issueError   issueKind = "error"   // a command failed with a code it may not fail with
	issueWrite   issueKind = "write"   // a version moved other than once per change
	issueEvents  issueKind = "events"  // the new events are not the ones the command makes
	issueActor   issueKind = "actor"   // an event's actor may not have caused it
	issueClosed  issueKind = "closed"  // a closed or cancelled incident changed other than by reopening
	issueReopen  issueKind = "reopen"  // the desk could not reopen what it may, or reopened what it may not
	issueClock   issueKind = "clock"   // a clock, a timeline or the event times ran backward
	issueUC      issueKind = "uc"      // a UC counted more than the SLA of the same metric
	issueReplay  issueKind = "replay"  // stored, replayed and returned incidents differ
	issueDue     issueKind = "due"     // the due index and the running clocks differ
	issueShape   issueKind = "shape"   // a state, holder, counter or link that cannot be
	issueVisible issueKind = "visible" // a read shows what the actor may not see, or hides what it may
)

type issue struct {
	kind issueKind
	msg  string
}

// tracked is what the driver knows of one incident: its value as last
// checked, whose desk owns it, its events so far and its clocks as last
// measured.
type tracked struct {
	inc    *incident.Incident
	owner  itsm.Actor
	events []itsm.Event
	clocks map[string]measured
	due    []string // the running clocks as due-index lines
}

type measured struct {
	at    time.Time
	clock incident.Clock
}

// stats counts what the sequences reached, so that a test can show that
// the invariants were exercised, not vacuously true.
type stats struct {
	sequences, commands int
	ok, failed          [numOps]int
	closed, reopened    int // commands that closed, or reopened a closed incident
	pingPong, failedMsg int
	ucChecks, dueChecks int
	replays             int
}

func (s *stats) add(o *stats) {
	s.sequences += o.sequences
	s.commands += o.commands
	for i := range s.ok {
		s.ok[i] += o.ok[i]
		s.failed[i] += o.failed[i]
	}
	s.closed += o.closed
	s.reopened += o.reopened
	s.pingPong += o.pingPong
	s.failedMsg += o.failedMsg
	s.ucChecks += o.ucChecks
	s.dueChecks += o.dueChecks
	s.replays += o.replays
}

// driver runs one command sequence against a fresh Service on its own
// memstore, built from a world's configuration, and checks the invariants
// after every command.
type driver struct {
	ctx    context.Context
	base   *world
	raw    *memstore.Store // the service's memstore, for faults written past the service
	store  itsm.Store      // what the service uses: raw, or a wrapper around it
	clock  *itsm.ManualClock
	sent   *outbox
	svc    *incident.Service
	actors [numActors]itsm.Actor
	orgs   map[itsm.ID]itsm.Organisation
	// replay rebuilds an incident from its events; a test of the checker
	// swaps in a wrong one.
	replay func([]itsm.Event) (*incident.Incident, error)

	incs []*tracked
	seq  int64 // the last event of the log seen
	// changed reports that a record changed since the due index was
	// compared with the running clocks.
	changed bool
	// rawDue makes the due check after each change read the index from
	// the store rather than through Service.Due (see checkDue).
	rawDue bool
	sentN  int // messages the outbox had after the last command
	trace  []string
	issues []issue
	stats  stats
}

// newDriver makes a driver on a fresh memstore with base's configuration;
// wrap, if not nil, puts a store between the service and the memstore.
func newDriver(base *world, wrap func(itsm.Store) itsm.Store) *driver {
	raw := memstore.New()
	d := &driver{ctx: context.Background(), base: base, raw: raw, store: raw,
		clock: itsm.NewManualClock(t0), sent: &outbox{}, replay: incident.Replay,
		actors: [numActors]itsm.Actor{base.agent, base.netAgent, base.workAgent, base.user, base.other},
		orgs:   map[itsm.ID]itsm.Organisation{}}
	if wrap != nil {
		d.store = wrap(raw)
	}
	// The world's groups, which its routes name, as records without their
	// events, so that the log holds only the sequence's incident events.
	err := base.store.Read(d.ctx, func(tx itsm.ReadTx) error {
		return raw.Write(d.ctx, func(wtx itsm.WriteTx) error {
			for _, g := range base.groups {
				r, err := tx.Get(chain.Kind, g.ID)
				if err != nil {
					return err
				}
				r.Version = 0
				if _, err := wtx.Put(r); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		panic(err) // the world made its groups, or newWorld failed already
	}
	for _, o := range []itsm.Organisation{base.city, base.desk, base.network, base.work, base.otherDsk} {
		d.orgs[o.ID] = o
	}
	cfg := base.cfg
	cfg.Store, cfg.Clock = d.store, d.clock
	cfg.Major.Notifier = d.sent
	cfg.Workarounds = wadb{workaround1: nil, retired: itsm.Errorf(itsm.CodeConflict, "workaround %s is retired", retired)}
	svc, err := incident.New(cfg)
	if err != nil {
		panic(err) // the world's configuration is valid, or newWorld failed already
	}
	d.svc = svc
	return d
}

func (d *driver) close() { _ = d.raw.Close() }

func (d *driver) fail(kind issueKind, format string, args ...any) {
	d.issues = append(d.issues, issue{kind, fmt.Sprintf(format, args...)})
}

// run decodes and runs a program, stopping at the first command that breaks
// an invariant.
func (d *driver) run(program []byte) {
	d.stats.sequences++
	for i := 0; i+commandSize <= len(program) && i/commandSize < maxCommands; i += commandSize {
		d.step(decodeCommand(program[i : i+commandSize]))
		if len(d.issues) > 0 {
			return
		}
	}
	d.checkDue(true)
}

// report formats the issues and the commands that led to them.
func (d *driver) report() string {
	var b strings.Builder
	for _, is := range d.issues {
		fmt.Fprintf(&b, "[%s] %s\n", is.kind, is.msg)
	}
	b.WriteString("after:\n")
	for i, s := range d.trace {
		fmt.Fprintf(&b, "  %2d %s\n", i, s)
	}
	return b.String()
}

func (d *driver) agentOf(org itsm.ID) itsm.Actor {
	switch org {
	case d.base.network.ID:
		return d.actors[actorNetwork]
	case d.base.work.ID:
		return d.actors[actorWorkplace]
	case d.base.otherDsk.ID:
		return d.actors[actorOther]
	case d.base.city.ID:
		return d.actors[actorUser]
	}
	return d.actors[actorDesk]
}

// actorFor resolves a command's actor byte.
func (d *driver) actorFor(c command, t *tracked) itsm.Actor {
	if c.actor >= 16-numActors {
		return d.actors[c.actor-(16-numActors)]
	}
	if t == nil || c.op == opRegister {
		return d.actors[actorDesk]
	}
	switch c.op {
	case opAccept, opReject, opUpdate, opWait, opResume, opReportBack, opComment, opAssign, opTake, opResolveForProblem:
		return d.agentOf(t.inc.Holder)
	case opSetReference:
		if n := len(t.inc.Assignments); n > 0 {
			return d.agentOf(t.inc.Assignments[n-1].Organisation)
		}
		return d.actors[actorNetwork]
	case opRead:
		return d.actors[int(c.arg)%numActors]
	}
	return t.owner
}

// targetOf resolves a target byte to an incident index, or -1 for one that
// does not exist.
func (d *driver) targetOf(b byte) int {
	if b == unknownTarget || len(d.incs) == 0 {
		return -1
	}
	return int(b) % len(d.incs)
}

func (d *driver) idOf(i int) itsm.ID {
	if i < 0 {
		return fixedID(0xee)
	}
	return d.incs[i].inc.ID
}

// Argument sets. Each has a few valid values and one or two invalid ones.
var (
	impacts    = []itsm.Impact{itsm.ImpactHigh, itsm.ImpactMedium, itsm.ImpactLow}
	urgencies  = []itsm.Urgency{itsm.UrgencyHigh, itsm.UrgencyMedium, itsm.UrgencyLow}
	waits      = []incident.WaitReason{incident.WaitUser, incident.WaitVendor, incident.WaitChange, incident.WaitProblem, "lunch"}
	groups     = []string{"", "lan", "wifi", "clients", "first line", "second line"}
	assignees  = []string{"", "nils.net", "wera.work", "dana.desk", "sven.second", "nobody"}
	references = []string{"NET-1", "WP-7", "  ", "NET-2"}
	categories = [][3]string{{"school network", "network", ""}, {"school network", "network", "wifi"},
		{"email", "workplace", "client"}, {"", "printing", ""}}
	ci1, ci2 = fixedID(0x41), fixedID(0x42)
	cisets   = [][]itsm.ID{nil, {ci1}, {ci1, ci2}, {ci1, ci1}}
	problem1 = fixedID(0x51)
	// problems are what the link commands name: two problems and, for
	// linking, the zero ID (invalid).
	problems = []itsm.ID{problem1, fixedID(0x52), {}}
	// workarounds are what resolutions and communications name: one the
	// driver's workaround database knows, one it refuses as retired, one
	// it does not know, and none.
	workaround1, retired = fixedID(0x61), fixedID(0x62)
	workarounds          = []itsm.ID{workaround1, retired, fixedID(0x63), {}}
)

// text returns a valid text, or "" (invalid where text is required) for one
// argument byte in eight.
func text(arg byte, s string) string {
	if arg%8 == 7 {
		return ""
	}
	return s
}

func (d *driver) registration(arg byte) incident.Registration {
	r := incident.Registration{
		Customer: d.base.city.ID, Caller: incident.Caller{Person: d.base.user.Person, Name: "Ulla User"},
		Channel: incident.ChannelPhone, Service: "school network", Category: "network",
		Summary: "school wifi down", Description: "The user says the wifi is down.",
		Impact: impacts[arg%3], Urgency: urgencies[(arg/3)%3],
	}
	switch (arg / 9) % 8 {
	case 1:
		r.Subcategory = "wifi"
	case 2:
		r.Service, r.Category, r.Channel = "email", "workplace", incident.ChannelPortal
	case 3:
		r.Service, r.Category = "", "printing" // no route matches
	case 4:
		r.Customer = itsm.ID{} // no customer: the user cannot see it
	case 5:
		r.Summary = " " // invalid
	case 6:
		r.Customer = d.base.desk.ID // not a customer: invalid
	}
	return r
}

// outcome is what a command did and what the driver expects of it.
type outcome struct {
	err      error
	returned *incident.Incident // the value a single-incident command returned
	touched  []int              // the incidents a success changes
	want     []string           // the event types a success appends to each touched incident
	notified int                // messages among them
	register bool
	actor    itsm.Actor // who ran the command
	// at is when the service records the change: its clock, but never
	// before the last change of a touched incident.
	at time.Time
}

// step runs one command and checks the invariants after it.
func (d *driver) step(c command) {
	d.stats.commands++
	i := d.targetOf(c.target)
	var t *tracked
	if i >= 0 {
		t = d.incs[i]
	}
	if c.likely {
		ops := likelyOps(t)
		c.op = ops[int(c.pick)%len(ops)]
	}
	if c.op == opStepBack {
		d.clock.Set(d.clock.Now().Add(-c.step))
	} else {
		d.clock.Advance(c.step)
	}
	a := d.actorFor(c, t)
	id := d.idOf(i)
	ctx := d.ctx
	arg := c.arg
	// at is when the service records a change of the target: never before
	// its last change.
	at := d.clock.Now()
	if t != nil && t.inc.Changed.After(at) {
		at = t.inc.Changed
	}
	single := func(want ...string) outcome { return outcome{touched: []int{i}, want: want} }
	var (
		o   outcome
		inc *incident.Incident
		err error
	)
	desc := fmt.Sprintf("%s %s by %s on %s arg %d (clock %s)", c.op, c.step, a.Person, d.name(i), arg, d.clock.Now().Sub(t0))
	switch c.op {
	case opRegister:
		desc = fmt.Sprintf("%s %s by %s arg %d (clock %s)", c.op, c.step, a.Person, arg, d.clock.Now().Sub(t0))
		r := d.registration(arg)
		o = outcome{register: true, touched: []int{len(d.incs)}, want: []string{"incident.registered"}}
		if p, perr := d.base.cfg.Matrix.Priority(r.Impact, r.Urgency); perr == nil {
			o.notified = escalations(d.base.cfg.Major, p)
		}
		inc, err = d.svc.Register(ctx, a, r)
	case opStart:
		o = single("incident.started")
		inc, err = d.svc.Start(ctx, a, id)
	case opDelegate:
		orgs := []itsm.ID{{}, d.base.network.ID, d.base.work.ID, d.base.desk.ID, d.base.city.ID}
		o = single("incident.delegated")
		inc, err = d.svc.Delegate(ctx, a, id, incident.Delegation{Organisation: orgs[arg%5], Group: d.group(groups[(arg/5)%4]),
			Note: []string{"", "see the description"}[(arg/20)%2]})
	case opAssign:
		o = single("incident.assigned")
		inc, err = d.svc.Assign(ctx, a, id, incident.AssignTo{Group: d.group(groups[arg%6]), Assignee: assignees[(arg/6)%6],
			Note: []string{"", "yours"}[(arg/36)%2]})
	case opTake:
		o = single("incident.assigned")
		inc, err = d.svc.Take(ctx, a, id, d.group(groups[arg%6]))
	case opRecall:
		o = single("incident.recalled")
		inc, err = d.svc.Recall(ctx, a, id, text(arg, "taking it back: the user needs it today"))
	case opAccept:
		o = single("incident.accepted")
		inc, err = d.svc.Accept(ctx, a, id)
	case opReject:
		o = single("incident.rejected")
		inc, err = d.svc.Reject(ctx, a, id, text(arg, "not ours: a workplace fault"))
	case opUpdate:
		o = single("incident.updated")
		inc, err = d.svc.Update(ctx, a, id, text(arg, "still working on it"))
	case opComment:
		kinds := []incident.EntryKind{incident.EntryCommunication, incident.EntryWorkNote, incident.EntryCommunication, incident.EntryStatusUpdate}
		o = single("incident.commented")
		inc, err = d.svc.Comment(ctx, a, id, kinds[arg%4], text(arg/4, "called the user back"))
	case opWait:
		o = single("incident.waiting")
		inc, err = d.svc.Wait(ctx, a, id, waits[arg%5], []string{"", "parts ordered"}[(arg/5)%2])
	case opResume:
		o = single("incident.resumed")
		inc, err = d.svc.Resume(ctx, a, id, []string{"", "parts arrived"}[arg%2])
	case opResolve, opReportBack:
		r := incident.Resolution{Code: text(arg, []string{"fixed", "workaround"}[(arg/8)%2]), Text: "restarted the access point"}
		o = single("incident.resolved")
		if c.op == opResolve {
			inc, err = d.svc.Resolve(ctx, a, id, r)
		} else {
			inc, err = d.svc.ReportBack(ctx, a, id, r)
		}
	case opClose:
		o = single("incident.closed")
		inc, err = d.svc.Close(ctx, a, id, text(arg, "The wifi works again."))
	case opReopen:
		o = single("incident.reopened")
		inc, err = d.svc.Reopen(ctx, a, id, text(arg, "the user says it is down again"))
		if t != nil && a.Organisation == t.inc.Desk && a.HasRole(itsm.RoleAgent) {
			// The owning desk reopens a resolved incident whenever, a
			// closed one within its window after the closure.
			may := t.inc.State == incident.StateResolved ||
				t.inc.State == incident.StateClosed && at.Sub(t.inc.Closed) <= reopenWindow(d.base.cfg, t.inc.Desk)
			if (err == nil && !may) || (itsm.IsCode(err, itsm.CodeConflict) && may) {
				d.fail(issueReopen, "the desk reopening %s %s (closed at %s) at %s: %v", t.inc.State, d.name(i), t.inc.Closed.Sub(t0), at.Sub(t0), err)
			}
		}
	case opCancel:
		o = single("incident.cancelled")
		inc, err = d.svc.Cancel(ctx, a, id, text(arg, "duplicate"))
	case opReprioritise:
		im, ur := impacts[arg%3], urgencies[(arg/3)%3]
		if (arg/9)%8 == 7 {
			im = 0 // invalid
		}
		o = single("incident.reprioritised")
		if p, perr := d.base.cfg.Matrix.Priority(im, ur); perr == nil && t != nil && p < t.inc.Priority {
			o.notified = escalations(d.base.cfg.Major, p)
		}
		inc, err = d.svc.Reprioritise(ctx, a, id, im, ur, "more users affected")
	case opRecategorise:
		cat := categories[arg%4]
		o = single("incident.recategorised")
		inc, err = d.svc.Recategorise(ctx, a, id, cat[0], cat[1], cat[2])
	case opSetReference:
		o = single("incident.referenced")
		inc, err = d.svc.SetReference(ctx, a, id, references[arg%4])
	case opRelate:
		var p itsm.ID
		if (arg/4)%2 == 1 {
			p = problem1
		}
		o = single("incident.related")
		inc, err = d.svc.Relate(ctx, a, id, slices.Clone(cisets[arg%4]), p)
	case opCoordinate:
		j := -1
		if len(d.incs) > 0 {
			j = int(arg) % len(d.incs)
		}
		desc = fmt.Sprintf("%s %s by %s, parent %s child %s (clock %s)", c.op, c.step, a.Person, d.name(i), d.name(j), d.clock.Now().Sub(t0))
		o = outcome{touched: []int{i, j}, want: []string{"incident.coordinated"}}
		if j >= 0 && d.incs[j].inc.Changed.After(at) {
			at = d.incs[j].inc.Changed
		}
		err = d.svc.Coordinate(ctx, a, id, d.idOf(j))
	case opDeclareMajor, opStandDown:
		o = single("incident.major_declared")
		if c.op == opStandDown {
			o.want = []string{"incident.major_stood_down"}
		}
		if t != nil {
			o.notified = majorContacts(d.base.cfg.Major, t.inc.Service, at)
		}
		if c.op == opDeclareMajor {
			inc, err = d.svc.DeclareMajor(ctx, a, id, text(arg, "all schools are down"))
		} else {
			inc, err = d.svc.StandDown(ctx, a, id, text(arg, "most schools are back"))
		}
	case opLinkProblem:
		p, wait := problems[arg%3], (arg/3)%2 == 0
		o = single("incident.problem_linked")
		if wait && t != nil && (t.inc.State == incident.StateRegistered || t.inc.State == incident.StateInProgress) {
			o.want = append(o.want, "incident.waiting")
		}
		inc, err = d.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return d.svc.LinkProblem(ctx, tx, a, id, p, wait)
		})
	case opUnlinkProblem:
		o = single("incident.problem_unlinked")
		if t != nil && t.inc.State == incident.StateWaitingProblem {
			o.want = append(o.want, "incident.resumed")
		}
		inc, err = d.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return d.svc.UnlinkProblem(ctx, tx, a, id, problems[arg%2])
		})
	case opTellWorkaround:
		o = single("incident.workaround_communicated")
		inc, err = d.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return d.svc.TellWorkaround(ctx, tx, a, id, problems[arg%2], workarounds[(arg/2)%4], text(arg/8, "Use the wired network meanwhile."))
		})
	case opResolveForProblem:
		o = single("incident.resolved")
		inc, err = d.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return d.svc.ResolveForProblem(ctx, tx, a, id, problems[arg%2], workarounds[(arg/2)%4], text(arg/8, "The workaround helped."))
		})
	case opRead:
		d.trace = append(d.trace, desc)
		d.read(a)
		d.check(c, outcome{actor: a})
		return
	case opOutbox, opStepBack:
		if c.op == opOutbox {
			d.sent.mu.Lock()
			if d.sent.fail == nil {
				d.sent.fail = fmt.Errorf("the SMS gateway is down")
			} else {
				d.sent.fail = nil
			}
			desc += fmt.Sprintf(" failing=%t", d.sent.fail != nil)
			d.sent.mu.Unlock()
		}
		d.trace = append(d.trace, desc)
		d.check(c, outcome{actor: a})
		return
	}
	for range o.notified {
		o.want = append(o.want, "incident.notified")
	}
	o.err, o.returned, o.actor, o.at = err, inc, a, at
	if o.register {
		o.at = d.clock.Now()
	}
	if err != nil {
		desc += ": " + err.Error()
		d.stats.failed[c.op]++
	} else {
		d.stats.ok[c.op]++
	}
	d.trace = append(d.trace, desc)
	d.check(c, o)
}

// group returns the ID of the world's group with the name, or the zero ID
// for "".
func (d *driver) group(name string) itsm.ID {
	if name == "" {
		return itsm.ID{}
	}
	return d.base.groups[name].ID
}

// groupOf returns the world's group with the ID, or nil.
func (d *driver) groupOf(id itsm.ID) *chain.Group {
	for _, g := range d.base.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (d *driver) name(i int) string {
	if i < 0 {
		return "an unknown incident"
	}
	return d.incs[i].inc.Number.String()
}

// escalations counts the contacts told when an incident reaches p (IM-5).
func escalations(m incident.Major, p itsm.Priority) int {
	n := 0
	for _, c := range m.Contacts {
		if c.Role != "" && slices.Contains(m.Escalation[p], c.Role) {
			n++
		}
	}
	return n
}

// majorContacts counts who is told of a major incident of the service at at:
// the manager on duty, the service's contacts and those of every service,
// each address once (IM-4).
func majorContacts(m incident.Major, service string, at time.Time) int {
	var addrs []string
	if d, ok := m.OnDuty(at); ok {
		addrs = append(addrs, d.Channel+" "+d.Address)
	}
	for _, c := range m.Contacts {
		if (c.Service == "" || c.Service == service) && !slices.Contains(addrs, c.Channel+" "+c.Address) {
			addrs = append(addrs, c.Channel+" "+c.Address)
		}
	}
	return len(addrs)
}

// read gets every incident and lists the incidents as a, and checks that it
// sees exactly those its organisation may see (SD-13).
func (d *driver) read(a itsm.Actor) {
	org := d.orgs[a.Organisation]
	want := map[itsm.ID]bool{}
	for _, t := range d.incs {
		may := maysee(t.inc, org)
		if may {
			want[t.inc.ID] = true
		}
		_, err := d.svc.Get(d.ctx, a, t.inc.ID)
		switch {
		case may && err != nil:
			d.fail(issueVisible, "%s of %s may see %s but Get says %v", a.Person, org.Role, t.inc.Number, err)
		case !may && !itsm.IsCode(err, itsm.CodeNotFound):
			d.fail(issueVisible, "%s of %s may not see %s but Get says %v", a.Person, org.Role, t.inc.Number, err)
		}
	}
	page, err := d.svc.List(d.ctx, a, incident.Filter{Limit: itsm.MaxLimit})
	if err != nil {
		d.fail(issueVisible, "list as %s: %v", a.Person, err)
		return
	}
	got := map[itsm.ID]bool{}
	for _, inc := range page.Incidents {
		got[inc.ID] = true
	}
	if !reflect.DeepEqual(want, got) {
		d.fail(issueVisible, "%s of %s lists %d incidents, may see %d", a.Person, org.Role, len(got), len(want))
	}
}

// maysee is the visibility rule of SD-13: the desk that owns an incident and
// the suppliers that hold or held it see it, and so does the customer whose
// user reported it.
func maysee(inc *incident.Incident, org itsm.Organisation) bool {
	switch org.Role {
	case itsm.OrgDesk, itsm.OrgSupplier:
		return inc.Held(org.ID)
	case itsm.OrgCustomer:
		return inc.Customer == org.ID
	}
	return false
}

// Event types by who may cause them: the owning desk alone opens, closes,
// routes and reprioritises (SD-4, SD-10); the holder reports; a supplier
// records its own reference on what it held; the customer's user writes
// communications.
var (
	deskOnly = []string{"incident.registered", "incident.started", "incident.delegated", "incident.closed",
		"incident.reopened", "incident.cancelled", "incident.reprioritised", "incident.recategorised",
		"incident.related", "incident.coordinated", "incident.major_declared", "incident.major_stood_down",
		"incident.notified", "incident.recalled",
		"incident.problem_linked", "incident.problem_unlinked", "incident.workaround_communicated"}
	holderOnly = []string{"incident.accepted", "incident.rejected", "incident.updated", "incident.waiting",
		"incident.resumed", "incident.resolved", "incident.assigned"}
)

// check runs every invariant after a command.
func (d *driver) check(c command, o outcome) {
	if o.err != nil {
		switch itsm.ErrorCode(o.err) {
		case itsm.CodeInvalid, itsm.CodeNotFound, itsm.CodeConflict, itsm.CodeForbidden:
		default:
			d.fail(issueError, "%s failed with code %s: %v", c.op, itsm.ErrorCode(o.err), o.err)
		}
	}
	ok := o.err == nil && len(o.touched) > 0
	d.sent.mu.Lock()
	failing, sentN := d.sent.fail != nil, len(d.sent.msgs)
	d.sent.mu.Unlock()
	switch {
	case ok && !failing && sentN != d.sentN+o.notified:
		d.fail(issueEvents, "%s: the notifier got %d messages, want %d", c.op, sentN-d.sentN, o.notified)
	case (!ok || failing) && sentN != d.sentN:
		d.fail(issueEvents, "%s: the notifier got %d messages, want none", c.op, sentN-d.sentN)
	}
	d.sentN = sentN

	byID := map[itsm.ID][]itsm.Event{}
	for _, e := range d.newEvents() {
		if e.Kind != incident.Kind {
			d.fail(issueEvents, "event %d %s is about a %q, not an incident", e.Seq, e.Type, e.Kind)
			continue
		}
		byID[e.Subject] = append(byID[e.Subject], e)
	}
	if o.register {
		if ok && o.returned != nil {
			d.incs = append(d.incs, &tracked{inc: &incident.Incident{ID: o.returned.ID}, owner: o.actor, clocks: map[string]measured{}})
		}
		d.checkRecordCount()
	}
	for k, t := range d.incs {
		var want []string
		bump := 0
		if ok && slices.Contains(o.touched, k) {
			want, bump = slices.Clone(o.want), 1
			if failing {
				for range o.notified {
					want = append(want, "incident.notified")
				}
				bump += o.notified
				d.stats.failedMsg += o.notified
			}
		}
		got := byID[t.inc.ID]
		delete(byID, t.inc.ID)
		d.checkIncident(c, o, k, want, bump, got)
	}
	for id, es := range byID {
		d.fail(issueEvents, "%s: %d events (first %s) about %s, which is not a known incident", c.op, len(es), es[0].Type, id)
	}
	// The due index changes only with a record, and the running clocks'
	// due times only with a change of the incident, so after a command
	// that changed nothing the last comparison still stands.
	if d.changed || d.stats.dueChecks == 0 {
		d.checkLinks()
		d.checkDue(false)
	}
	d.changed = false
}

// newEvents returns the events appended since the last call.
func (d *driver) newEvents() []itsm.Event {
	var out []itsm.Event
	err := d.raw.Read(d.ctx, func(tx itsm.ReadTx) error {
		for {
			es, err := tx.Events(d.seq, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			out = append(out, es...)
			d.seq = es[len(es)-1].Seq
		}
	})
	if err != nil {
		d.fail(issueEvents, "read the event log: %v", err)
	}
	return out
}

// checkRecordCount checks that the store holds one incident record per
// registration that succeeded: a refused registration writes nothing.
func (d *driver) checkRecordCount() {
	n := 0
	err := d.raw.Read(d.ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: incident.Kind, Limit: itsm.MaxLimit})
		n = len(page.Matches)
		return err
	})
	if err != nil {
		d.fail(issueWrite, "list incident records: %v", err)
	}
	if n != len(d.incs) {
		d.fail(issueWrite, "the store holds %d incident records after %d registrations", n, len(d.incs))
	}
}

// checkIncident checks incident k after a command that should have appended
// the event types want to it and moved its version by bump, and got the new
// events got.
func (d *driver) checkIncident(c command, o outcome, k int, want []string, bump int, got []itsm.Event) {
	t := d.incs[k]
	prev := t.inc
	if prev.Number.IsZero() {
		prev = nil // registered by this command
	}
	var prevVersion int64
	if prev != nil {
		prevVersion = prev.Version
	}
	// A record the store has not written since is the same record (the
	// store counts writes in its version), so only the clocks need a look;
	// this keeps the check after a refused command cheap.
	if prev != nil && bump == 0 && len(got) == 0 && d.version(prev.ID) == prevVersion {
		d.checkClocks(t, prev)
		return
	}
	d.changed = true
	cur, err := d.svc.Get(d.ctx, t.owner, t.inc.ID)
	if err != nil {
		d.fail(issueWrite, "get %s as %s: %v", d.name(k), t.owner.Person, err)
		return
	}
	if cur.Version != prevVersion+int64(bump) {
		d.fail(issueWrite, "%s: %s is at version %d, was %d, want %d more", c.op, cur.Number, cur.Version, prevVersion, bump)
	}
	if bump == 0 && prev != nil {
		if ok, diff := same(prev, cur); !ok {
			d.fail(issueWrite, "%s changed %s, which it should not touch (-before +after):\n%s", c.op, cur.Number, diff)
		}
	}
	d.checkEvents(c, o, prev, cur, want, got)
	main := len(o.want)
	t.events = append(t.events, got...)
	if len(got) > 0 {
		d.stats.replays++
		r, err := d.replay(t.events)
		if err != nil {
			d.fail(issueReplay, "replay %s: %v", cur.Number, err)
		} else {
			r.Version = cur.Version // the store's, not part of the history
			if ok, diff := same(cur, r); !ok {
				d.fail(issueReplay, "%s: stored %s differs from the replay of its %d events (-stored +replayed):\n%s", c.op, cur.Number, len(t.events), diff)
			}
		}
		d.checkCustomerView(c, cur, t.events)
		d.checkProblem(t, cur)
		// What the command returned is the incident after its own events:
		// the stored one, unless failed deliveries were recorded after it
		// returned.
		if o.returned != nil && k == o.touched[0] && len(got) >= main && bump > 0 {
			want := cur
			if len(got) > main {
				want, err = d.replay(t.events[:len(t.events)-len(got)+main])
				if err == nil {
					want.Version = prevVersion + 1
				}
			}
			if err == nil {
				// The actor reads it as its view shows it.
				want = incident.ViewOf(want, d.orgs[o.actor.Organisation]).Incident(want)
				if ok, diff := same(o.returned, want); !ok {
					d.fail(issueReplay, "%s returned %s unlike its events (-returned +replayed):\n%s", c.op, cur.Number, diff)
				}
			}
		}
	}
	if prev != nil && prev.State == incident.StateClosed && cur.State != incident.StateClosed {
		if c.op == opReopen {
			d.stats.reopened++
		}
	}
	if cur.State == incident.StateClosed && (prev == nil || prev.State != incident.StateClosed) {
		d.stats.closed++
	}
	if cur.PingPong > 0 && (prev == nil || prev.PingPong == 0) {
		d.stats.pingPong++
	}
	d.checkShape(prev, cur)
	d.checkClocks(t, cur)
	t.inc = cur
}

// version returns the stored version of an incident's record, or 0.
func (d *driver) version(id itsm.ID) int64 {
	var v int64
	_ = d.raw.Read(d.ctx, func(tx itsm.ReadTx) error {
		r, err := tx.Get(incident.Kind, id)
		v = r.Version
		return err
	})
	return v
}

// checkEvents checks the events a command appended to one incident: one per
// change, of the types the command makes, at the time the service recorded
// it, caused by an actor that may cause it.
func (d *driver) checkEvents(c command, o outcome, prev, cur *incident.Incident, want []string, got []itsm.Event) {
	types := make([]string, len(got))
	for i, e := range got {
		types[i] = e.Type
	}
	if !slices.Equal(types, want) {
		d.fail(issueEvents, "%s appended %v to %s, want %v", c.op, types, cur.Number, want)
	}
	if prev != nil && len(got) > 0 {
		switch {
		case prev.State == incident.StateCancelled:
			d.fail(issueClosed, "%s changed cancelled %s with %v", c.op, cur.Number, types)
		case prev.State == incident.StateClosed && got[0].Type != "incident.reopened":
			d.fail(issueClosed, "%s changed closed %s with %v, not by reopening", c.op, cur.Number, types)
		}
	}
	last := time.Time{}
	if prev != nil {
		last = prev.Changed
	}
	viaProblem := slices.Contains(types, "incident.problem_linked") || slices.Contains(types, "incident.problem_unlinked")
	holder, held := cur.Holder, cur.Held
	if prev != nil {
		holder, held = prev.Holder, prev.Held
	}
	for i, e := range got {
		if e.Subject != cur.ID {
			d.fail(issueEvents, "event %d %s of %s names subject %s", e.Seq, e.Type, cur.Number, e.Subject)
		}
		if !e.Time.Equal(o.at) {
			d.fail(issueClock, "event %d %s of %s is at %s, want %s", e.Seq, e.Type, cur.Number, e.Time.Sub(t0), o.at.Sub(t0))
		}
		if e.Time.Before(last) {
			d.fail(issueClock, "event %d %s of %s at %s is before the change at %s", e.Seq, e.Type, cur.Number, e.Time.Sub(t0), last.Sub(t0))
		}
		last = e.Time
		p, err := incident.Decode(e)
		if err != nil {
			d.fail(issueEvents, "decode event %d of %s: %v", e.Seq, cur.Number, err)
			continue
		}
		if n, ok := p.(incident.Notified); ok && (n.Error != "") != (i >= len(o.want)) {
			d.fail(issueEvents, "notification %d of %s: error %q, want one only for failed deliveries", e.Seq, cur.Number, n.Error)
		}
		a := p.Actor()
		org, known := d.orgs[a.Organisation]
		agent := a.HasRole(itsm.RoleAgent)
		switch {
		case !known:
			d.fail(issueActor, "%s of %s by %q of unknown organisation %s", e.Type, cur.Number, a.Person, a.Organisation)
		case viaProblem && (e.Type == "incident.waiting" || e.Type == "incident.resumed"):
			// Linking makes it wait and unlinking resumes it: the desk's
			// decision, whoever holds it.
			if w, ok := p.(incident.Waiting); ok && w.Reason != incident.WaitProblem {
				d.fail(issueEvents, "%s of %s waits for %s, not the problem it was linked to", e.Type, cur.Number, w.Reason)
			}
			if org.Role != itsm.OrgDesk || org.ID != cur.Desk || !agent {
				d.fail(issueActor, "%s of %s with its problem link by %q of %s %s: only the owning desk's agents may", e.Type, cur.Number, a.Person, org.Role, org.Name)
			}
		case slices.Contains(deskOnly, e.Type):
			if org.Role != itsm.OrgDesk || org.ID != cur.Desk || !agent {
				d.fail(issueActor, "%s of %s by %q of %s %s: only the owning desk's agents may", e.Type, cur.Number, a.Person, org.Role, org.Name)
			}
		case slices.Contains(holderOnly, e.Type):
			if org.ID != holder || !agent || (org.Role != itsm.OrgSupplier && org.ID != cur.Desk) {
				d.fail(issueActor, "%s of %s by %q of %s %s, which does not hold it", e.Type, cur.Number, a.Person, org.Role, org.Name)
			}
			if (e.Type == "incident.accepted" || e.Type == "incident.rejected") && org.Role != itsm.OrgSupplier {
				d.fail(issueActor, "%s of %s by %q of %s %s: only the supplier holding it may", e.Type, cur.Number, a.Person, org.Role, org.Name)
			}
		case e.Type == "incident.referenced":
			if org.Role != itsm.OrgSupplier || !held(org.ID) || !agent {
				d.fail(issueActor, "%s of %s by %q of %s %s, which never held it", e.Type, cur.Number, a.Person, org.Role, org.Name)
			}
		case e.Type == "incident.commented":
			var ok bool
			switch org.Role {
			case itsm.OrgDesk:
				ok = org.ID == cur.Desk && agent
			case itsm.OrgSupplier:
				ok = org.ID == holder && agent
			case itsm.OrgCustomer:
				cm, _ := p.(incident.Commented)
				ok = org.ID == cur.Customer && cm.Kind == incident.EntryCommunication
			}
			if !ok {
				d.fail(issueActor, "%s of %s by %q of %s %s, which may not write to it", e.Type, cur.Number, a.Person, org.Role, org.Name)
			}
		default:
			d.fail(issueEvents, "event %d of %s has type %s, which the checker does not know", e.Seq, cur.Number, e.Type)
		}
	}
}

// checkShape checks what must hold of every incident, and what may only
// grow.
func (d *driver) checkShape(prev, cur *incident.Incident) {
	fail := func(format string, args ...any) {
		d.fail(issueShape, "%s in %s: %s", cur.Number, cur.State, fmt.Sprintf(format, args...))
	}
	if !slices.Contains(incident.States(), cur.State) {
		fail("state %q is not one of incident.States()", cur.State)
	}
	if want := fmt.Sprintf("INC%07d", slices.IndexFunc(d.incs, func(t *tracked) bool { return t.inc.ID == cur.ID })+1); cur.Number.String() != want {
		fail("number %s, want %s: numbers follow registrations without gaps", cur.Number, want)
	}
	var last *chain.Assignment
	if n := len(cur.Assignments); n > 0 {
		last = &cur.Assignments[n-1]
	}
	open := last != nil && last.Ended.IsZero()
	ended := cur.State == incident.StateResolved || cur.State == incident.StateClosed
	if cur.Assignee != "" && cur.Group.IsZero() {
		fail("assignee %q without a group", cur.Assignee)
	}
	if g := d.groupOf(cur.Group); !cur.Group.IsZero() && (g == nil || g.Organisation != cur.Holder || cur.Assignee != "" && !g.HasMember(cur.Assignee)) {
		fail("held by %s group %s assignee %q, which is not one of the holder's groups and members", cur.Holder, cur.Group, cur.Assignee)
	}
	switch {
	case cur.Holder == cur.Desk:
		if open {
			fail("the desk holds it, yet an open assignment %+v", last)
		}
	case last == nil || last.Organisation != cur.Holder || last.Group != cur.Group || last.Assignee != cur.Assignee:
		fail("holder %s/%s/%q is neither the desk nor the last assignment %+v", cur.Holder, cur.Group, cur.Assignee, last)
	case incident.IsOpen(cur.State) && !open:
		fail("supplier %s holds it without an open assignment", cur.Holder)
	case ended && (open || cur.Outcome == nil || cur.Outcome.By != cur.Holder):
		fail("supplier %s holds it after resolution %+v it did not report", cur.Holder, cur.Outcome)
	case !incident.IsOpen(cur.State) && !ended:
		fail("supplier %s holds a %s incident", cur.Holder, cur.State)
	case cur.State == incident.StateDelegated && !last.Accepted.IsZero(), incident.IsOpen(cur.State) && cur.State != incident.StateDelegated && last.Accepted.IsZero():
		fail("assignment %+v does not match the state", *last)
	}
	if (cur.Outcome != nil) != ended || cur.Resolved.IsZero() != !ended || cur.Closed.IsZero() != (cur.State != incident.StateClosed) {
		fail("outcome %+v, resolved %s, closed %s", cur.Outcome, cur.Resolved, cur.Closed)
	}
	reassigned, pingPong := max(len(cur.Assignments)-1, 0), 0
	for i, a := range cur.Assignments {
		if a.PingPong {
			pingPong++
			// Ping-pong is a return to an organisation that let the
			// incident go by itself, never one the desk recalled it from.
			if !slices.ContainsFunc(cur.Assignments[:i], func(b chain.Assignment) bool { return b.Organisation == a.Organisation && b.Recalled == "" }) {
				fail("assignment %d to %s is ping-pong, yet no earlier one let it go", i, a.Organisation)
			}
		}
		if a.Rejected != "" && a.Recalled != "" {
			fail("assignment %d was both rejected and recalled", i)
		}
	}
	if cur.Reassignments != reassigned || cur.PingPong != pingPong {
		fail("%d reassignments and %d ping-pong, but %d assignments, %d of them back", cur.Reassignments, cur.PingPong, len(cur.Assignments), pingPong)
	}
	if cur.Major != (cur.MajorManager != "") && cur.MajorManager != "" {
		fail("major manager %q of an incident that is not major", cur.MajorManager)
	}
	if err := cur.Timeline.Validate(); err != nil {
		d.fail(issueClock, "%s: %v", cur.Number, err)
	}
	if n := len(cur.Timeline); n == 0 {
		fail("empty timeline")
	} else if iv := cur.Timeline[n-1]; iv.State != cur.State || iv.Holder != cur.Holder || iv.Group != cur.Group || iv.Priority != cur.Priority {
		fail("the timeline ends in %+v", iv)
	}
	if prev == nil {
		return
	}
	if cur.Reassignments < prev.Reassignments || cur.PingPong < prev.PingPong || cur.Moves < prev.Moves || cur.Reopened < prev.Reopened || cur.Version < prev.Version {
		fail("a counter went down: reassignments %d->%d, ping-pong %d->%d, moves %d->%d, reopened %d->%d, version %d->%d",
			prev.Reassignments, cur.Reassignments, prev.PingPong, cur.PingPong, prev.Moves, cur.Moves, prev.Reopened, cur.Reopened, prev.Version, cur.Version)
	}
	// A move is one group of the holder to another, by an assignment
	// inside it: never a change of holder.
	wantMoves := prev.Moves
	if cur.Holder == prev.Holder && !prev.Group.IsZero() && cur.Group != prev.Group && len(cur.Assignments) == len(prev.Assignments) {
		wantMoves++
	}
	if cur.Moves != wantMoves {
		fail("moves %d after %d, from %s/%s to %s/%s", cur.Moves, prev.Moves, prev.Holder, prev.Group, cur.Holder, cur.Group)
	}
	if len(cur.Timeline) < len(prev.Timeline) || !slices.Equal(cur.Timeline[:len(prev.Timeline)], prev.Timeline) {
		d.fail(issueClock, "%s: the timeline's history changed:\n%s\nbecame\n%s", cur.Number, prev.Timeline, cur.Timeline)
	} else if n := len(prev.Timeline); n > 0 && len(cur.Timeline) > n && cur.Timeline[n].Start.Before(prev.Timeline[n-1].Start) {
		d.fail(issueClock, "%s: a new interval starts at %s, before %s", cur.Number, cur.Timeline[n].Start.Sub(t0), prev.Timeline[n-1].Start.Sub(t0))
	}
	if len(cur.Journal) < len(prev.Journal) || !slices.Equal(cur.Journal[:len(prev.Journal)], prev.Journal) {
		fail("the journal's earlier entries changed")
	}
}

// inTx runs fn, a command of package problem's, in a write transaction of
// its own on the service's store.
func (d *driver) inTx(fn func(tx itsm.WriteTx) (*incident.Incident, error)) (*incident.Incident, error) {
	return writeIn(d.ctx, d.store, fn)
}

// checkProblem checks that the incident is linked to the problem its last
// link event names, that a related event names that problem too (the link
// changes only by linking and unlinking), and that it waits for a problem
// only while linked to one.
func (d *driver) checkProblem(t *tracked, cur *incident.Incident) {
	var want itsm.ID
	for _, e := range t.events {
		p, err := incident.Decode(e)
		if err != nil {
			continue // checkEvents reported it
		}
		switch p := p.(type) {
		case incident.ProblemLinked:
			want = p.Problem
		case incident.ProblemUnlinked:
			if p.Problem != want {
				d.fail(issueShape, "%s: event %d unlinks problem %s, but it was linked to %s", cur.Number, e.Seq, p.Problem, want)
			}
			want = itsm.ID{}
		case incident.Related:
			if p.Problem != want {
				d.fail(issueShape, "%s: event %d relates problem %s, but it was linked to %s", cur.Number, e.Seq, p.Problem, want)
			}
		}
	}
	if cur.Problem != want {
		d.fail(issueShape, "%s is linked to problem %s, its link events to %s", cur.Number, cur.Problem, want)
	}
	if cur.State == incident.StateWaitingProblem && cur.Problem.IsZero() {
		d.fail(issueShape, "%s waits for a problem, linked to none", cur.Number)
	}
}

// checkLinks checks that coordination links agree on both sides and have one
// level (IM-3), that the incidents linked to each problem are the ones
// LinkedTo lists, and that ResolvedBy counts the incidents whose outcome
// names each workaround.
func (d *driver) checkLinks() {
	d.checkProblemQueries()
	byID := map[itsm.ID]*incident.Incident{}
	for _, t := range d.incs {
		byID[t.inc.ID] = t.inc
	}
	for _, t := range d.incs {
		inc := t.inc
		if !inc.Parent.IsZero() {
			p := byID[inc.Parent]
			if p == nil || !slices.Contains(p.Children, inc.ID) || len(inc.Children) > 0 || !p.Parent.IsZero() {
				d.fail(issueShape, "%s is a child of %s, which does not list it or is not a parent of one level", inc.Number, inc.Parent)
			}
		}
		for _, ch := range inc.Children {
			if c := byID[ch]; c == nil || c.Parent != inc.ID {
				d.fail(issueShape, "%s lists child %s, which has another parent", inc.Number, ch)
			}
		}
	}
}

// checkProblemQueries compares LinkedTo and ResolvedBy with the tracked
// incidents.
func (d *driver) checkProblemQueries() {
	err := d.raw.Read(d.ctx, func(tx itsm.ReadTx) error {
		for _, p := range problems[:2] {
			var want []itsm.Number
			for _, t := range d.incs {
				if t.inc.Problem == p {
					want = append(want, t.inc.Number)
				}
			}
			linked, err := d.svc.LinkedTo(tx, p)
			if err != nil {
				return err
			}
			var got []itsm.Number
			for _, inc := range linked {
				got = append(got, inc.Number)
			}
			if !slices.Equal(got, want) {
				d.fail(issueShape, "LinkedTo(%s) lists %v, the incidents linked are %v", p, got, want)
			}
		}
		for _, w := range workarounds {
			want := 0
			for _, t := range d.incs {
				if t.inc.Outcome != nil && t.inc.Outcome.Workaround == w && !w.IsZero() {
					want++
				}
			}
			got, err := d.svc.ResolvedBy(tx, w)
			if err != nil {
				return err
			}
			if got != want {
				d.fail(issueShape, "ResolvedBy(%s) is %d, %d incidents name it", w, got, want)
			}
		}
		return nil
	})
	if err != nil {
		d.fail(issueShape, "problem queries: %v", err)
	}
}

// checkClocks measures every clock of the incident now (never before its
// last change) and checks that none ran backward since it was measured last
// at the same priority, that the UCs together count no more resolution time
// than the SLA on the same calendar, and keeps the running clocks as
// due-index lines.
func (d *driver) checkClocks(t *tracked, cur *incident.Incident) {
	at := d.clock.Now()
	if cur.Changed.After(at) {
		at = cur.Changed
	}
	clocks, err := d.svc.Clocks(cur, at)
	if err != nil {
		d.fail(issueClock, "clocks of %s: %v", cur.Number, err)
		return
	}
	var (
		due      []string
		slaRes   *incident.Clock
		ucs      time.Duration
		ucNames  []string
		sameCals = true
	)
	for i, c := range clocks {
		key := c.Agreement + " " + string(c.Metric)
		last, seen := t.clocks[key]
		monotone := c.Metric == sla.MetricResolution || c.Metric == sla.MetricResponse
		if seen && monotone && !at.Before(last.at) && last.clock.Priority == c.Priority && c.Elapsed < last.clock.Elapsed {
			d.fail(issueClock, "%s: %s %s ran backward from %s at %s to %s at %s", cur.Number, c.Agreement, c.Metric,
				last.clock.Elapsed, last.at.Sub(t0), c.Elapsed, at.Sub(t0))
		}
		t.clocks[key] = measured{at, c}
		if c.Status == sla.StatusRunning {
			due = append(due, dueLine(cur.ID, c.Provider, string(c.Kind), string(c.Metric), c.Due))
		}
		if c.Metric != sla.MetricResolution {
			continue
		}
		if c.Kind == sla.KindSLA {
			slaRes = &clocks[i]
		} else {
			ucs += c.Elapsed
			ucNames = append(ucNames, c.Agreement)
		}
	}
	if slaRes != nil && len(ucNames) > 0 {
		cal := d.calendar(slaRes.Agreement, slaRes.Priority)
		for _, n := range ucNames {
			sameCals = sameCals && cal != nil && d.calendar(n, slaRes.Priority) == cal
		}
		if sameCals {
			d.stats.ucChecks++
			if ucs > slaRes.Elapsed {
				d.fail(issueUC, "%s at %s: UCs %v counted %s of resolution, more than the SLA's %s", cur.Number, at.Sub(t0), ucNames, ucs, slaRes.Elapsed)
			}
		}
	}
	t.due = due
}

// calendar returns the calendar of the resolution target of the named
// agreement at priority p.
func (d *driver) calendar(agreement string, p itsm.Priority) any {
	for _, a := range d.base.cfg.Agreements {
		if a.Name == agreement {
			if t, ok := a.Target(sla.MetricResolution, p); ok {
				return t.Calendar
			}
		}
	}
	return nil
}

func dueLine(inc, provider itsm.ID, kind, metric string, due time.Time) string {
	return strings.Join([]string{inc.String(), provider.String(), kind, metric, due.UTC().Format(time.RFC3339Nano)}, " ")
}

// checkDue checks that the due index holds exactly the running clocks with
// their due times: through Service.Due for all due times, and at the end of
// a sequence (final) per supplier too. With rawDue set it reads the index
// values from the store instead, except at the end: Service.Due decodes the
// incident of every clock it finds, which after every change costs more than
// the command itself, and ten thousand sequences have to run in seconds.
func (d *driver) checkDue(final bool) {
	d.stats.dueChecks++
	var want []string
	desks := []itsm.Actor{d.actors[actorDesk]}
	for _, t := range d.incs {
		want = append(want, t.due...)
		if t.inc.Desk != d.base.desk.ID && len(desks) == 1 {
			desks = append(desks, d.actors[actorOther])
		}
	}
	slices.Sort(want)
	var got []string
	if d.rawDue && !final {
		got = d.indexedDue()
	} else {
		for _, a := range desks {
			got = append(got, d.due(a, incident.DueQuery{})...)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		d.fail(issueDue, "the due index holds\n  %s\nbut the running clocks are\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !final {
		return
	}
	for _, sup := range []itsm.Organisation{d.base.network, d.base.work} {
		var mine []string
		for _, l := range want {
			if strings.Fields(l)[1] == sup.ID.String() {
				mine = append(mine, l)
			}
		}
		got := d.due(d.agentOf(sup.ID), incident.DueQuery{Provider: sup.ID})
		slices.Sort(got)
		if !slices.Equal(got, mine) {
			d.fail(issueDue, "the due index of %s holds\n  %s\nbut its running clocks are\n  %s", sup.Name, strings.Join(got, "\n  "), strings.Join(mine, "\n  "))
		}
	}
}

// indexedDue reads the due index from the store: each value is "due
// provider kind metric" (incident.IndexDue).
func (d *driver) indexedDue() []string {
	var out []string
	err := d.raw.Read(d.ctx, func(tx itsm.ReadTx) error {
		q := itsm.Query{Kind: incident.Kind, Index: incident.IndexDue, Match: itsm.MatchAll, Limit: itsm.MaxLimit}
		for {
			page, err := tx.Query(q)
			if err != nil {
				return err
			}
			for _, h := range page.Matches {
				f := strings.Fields(h.Value)
				if len(f) != 4 {
					return fmt.Errorf("due index value %q has %d fields", h.Value, len(f))
				}
				due, err := time.Parse(time.RFC3339Nano, f[0])
				if err != nil {
					return err
				}
				p, err := itsm.ParseID(f[1])
				if err != nil {
					return err
				}
				out = append(out, dueLine(h.Record.ID, p, f[2], f[3], due))
			}
			if page.Next == "" {
				return nil
			}
			q.After = page.Next
		}
	})
	if err != nil {
		d.fail(issueDue, "read the due index: %v", err)
	}
	return out
}

func (d *driver) due(a itsm.Actor, q incident.DueQuery) []string {
	var out []string
	q.Limit = itsm.MaxLimit
	for {
		page, err := d.svc.Due(d.ctx, a, q)
		if err != nil {
			d.fail(issueDue, "due as %s: %v", a.Person, err)
			return out
		}
		for _, c := range page.Clocks {
			out = append(out, dueLine(c.Incident.ID, c.Provider, string(c.Kind), string(c.Metric), c.Due))
		}
		if page.Next == "" {
			return out
		}
		q.After = page.Next
	}
}

// same compares two incidents: reflect.DeepEqual first, because the check
// runs after every command, and go-cmp for the verdict and the report when
// that finds a difference.
// checkCustomerView checks that the events the customer is shown, replayed,
// build the incident as the customer reads it: the feed and Get agree. Only
// Changed may differ, as the events the customer is not shown change it too.
func (d *driver) checkCustomerView(c command, cur *incident.Incident, events []itsm.Event) {
	org, ok := d.orgs[cur.Customer]
	if !ok {
		return
	}
	v := incident.ViewOf(cur, org)
	if v != incident.ViewCustomer {
		d.fail(issueReplay, "%s: the customer's view of %s is %s", c.op, cur.Number, v)
		return
	}
	var shown []itsm.Event
	for _, e := range events {
		e, ok, err := v.Event(e)
		if err != nil {
			d.fail(issueReplay, "%s: the customer's view of event %d of %s: %v", c.op, e.Seq, cur.Number, err)
			return
		}
		if ok {
			shown = append(shown, e)
		}
	}
	r, err := incident.Replay(shown)
	if err != nil {
		d.fail(issueReplay, "%s: replay the customer's events of %s: %v", c.op, cur.Number, err)
		return
	}
	want := v.Incident(cur)
	r.Version, r.Changed = want.Version, want.Changed
	if ok, diff := same(want, r); !ok {
		d.fail(issueReplay, "%s: the customer reads %s unlike the replay of the %d events it is shown (-read +replayed):\n%s", c.op, cur.Number, len(shown), diff)
	}
}

func same(a, b *incident.Incident) (bool, string) {
	if reflect.DeepEqual(a, b) {
		return true, ""
	}
	diff := cmp.Diff(a, b)
	return diff == "", diff
}

// fixedSeed makes the first half of TestRandomCommandSequences the same on
// every run; the second half uses a new seed each run, printed on failure.
const fixedSeed = 0x5eed_0004

// maxRandomCommands bounds the random sequences by default: long enough to
// reopen, re-route and coordinate, short enough for ten thousand in
// seconds; -invariants.len makes longer ones for a longer search.
const maxRandomCommands = 10

// randomProgram returns random command bytes that start with a registration
// (and for a third of them two), so that most sequences have incidents to
// work on and some can coordinate.
func randomProgram(r *rand.Rand) []byte {
	n := 1 + r.IntN(max(*invariantLen, 1))
	b := make([]byte, n*commandSize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	// Registration arguments below 36 are the four valid variants.
	b[0], b[2], b[4] = byte(opRegister), 0, byte(r.IntN(36))
	if n > 1 && r.IntN(3) == 0 {
		b[5], b[7], b[9] = byte(opRegister), 0, byte(r.IntN(36))
	}
	return b
}

// failure is a sequence that broke an invariant.
type failure struct {
	seed    uint64
	index   int
	program []byte
	report  string
}

// runSequences runs n random sequences of seed on all CPUs, each on its own
// store, and returns what they reached and the first failure.
func runSequences(base *world, seed uint64, n int) (stats, *failure) {
	var (
		mu    sync.Mutex
		total stats
		first *failure
		next  int
		wg    sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var mine stats
			defer func() {
				mu.Lock()
				total.add(&mine)
				mu.Unlock()
			}()
			for {
				mu.Lock()
				i := next
				next++
				stop := i >= n || first != nil
				mu.Unlock()
				if stop {
					return
				}
				prog := randomProgram(rand.New(rand.NewPCG(seed, uint64(i))))
				d := newDriver(base, nil)
				d.rawDue = true
				d.run(prog)
				d.close()
				mine.add(&d.stats)
				if len(d.issues) > 0 {
					mu.Lock()
					if first == nil || i < first.index {
						first = &failure{seed: seed, index: i, program: prog, report: d.report()}
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return total, first
}

// TestRandomCommandSequences runs ten thousand random command sequences,
// half from a fixed seed and half from a new one, and checks every
// invariant after every command. With -short it runs a thousand, and under
// the race detector (which slows it tenfold and finds nothing in a single
// goroutine's sequence) three hundred.
func TestRandomCommandSequences(t *testing.T) {
	base := newWorld(t)
	n := 5000
	switch {
	case *invariantRuns > 0:
		n = *invariantRuns
	case seqtest.Race():
		n = 150
	case testing.Short():
		n = 500
	}
	seeds := []uint64{fixedSeed, rand.Uint64()}
	if *invariantSeed != 0 {
		seeds = []uint64{*invariantSeed}
	}
	// Each sequence allocates a store and throws it away, in a heap of a few
	// megabytes; a larger collection target halves the time the runtime
	// spends collecting and returning that memory.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	var total, fixed stats
	start := time.Now()
	for _, seed := range seeds {
		st, f := runSequences(base, seed, n)
		total.add(&st)
		if seed == fixedSeed {
			fixed = st
		}
		if f != nil {
			t.Fatalf("sequence %d of seed %d broke an invariant:\n%s\nreproduce with\n  go test ./incident -run '^TestRandomCommandSequences$' -invariants.seed=%d -invariants.n=%d\n"+
				"or add it to testdata/fuzz/FuzzLifecycle as\n  go test fuzz v1\n  []byte(%q)",
				f.index, f.seed, f.report, f.seed, f.index+1, f.program)
		}
	}
	elapsed := time.Since(start)
	ok, failed := 0, 0
	for i := range total.ok {
		ok += total.ok[i]
		failed += total.failed[i]
	}
	t.Logf("%d sequences, %d commands (%d succeeded, %d refused) in %s (%.0f sequences/s); seeds %d; "+
		"%d closed, %d reopened after closing, %d ping-pong, %d failed deliveries recorded, %d replays, %d UC-SLA and %d due-index comparisons",
		total.sequences, total.commands, ok, failed, elapsed.Round(time.Millisecond), float64(total.sequences)/elapsed.Seconds(), seeds,
		total.closed, total.reopened, total.pingPong, total.failedMsg, total.replays, total.ucChecks, total.dueChecks)
	if fixed.sequences < 5000 {
		return // the coverage below is known for the fixed seed's full run
	}
	// The invariants hold vacuously unless the sequences reach the states
	// they are about. The fixed seed's sequences are the same on every
	// run, so this cannot flake.
	for o := opRegister; o < numOps; o++ {
		if o >= opRead && o <= opStepBack {
			continue // neither succeeds nor is refused
		}
		if fixed.ok[o] == 0 || fixed.failed[o] == 0 {
			t.Errorf("%s succeeded %d times and was refused %d times: the sequences do not cover it", o, fixed.ok[o], fixed.failed[o])
		}
	}
	for name, n := range map[string]int{"closings": fixed.closed, "reopenings of closed incidents": fixed.reopened,
		"ping-pong delegations": fixed.pingPong, "failed deliveries": fixed.failedMsg, "UC-SLA comparisons": fixed.ucChecks} {
		if n == 0 {
			t.Errorf("no %s: the sequences do not cover them", name)
		}
	}
}

// dropStore loses every event of one type that its transactions append, the
// fault of a store that acknowledges what it did not write.
type dropStore struct {
	itsm.Store
	drop string
}

func (s dropStore) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	return s.Store.Write(ctx, func(tx itsm.WriteTx) error { return fn(dropTx{tx, s.drop}) })
}

type dropTx struct {
	itsm.WriteTx
	drop string
}

func (tx dropTx) Append(e itsm.Event) (itsm.Event, error) {
	if e.Type == tx.drop {
		return e, nil
	}
	return tx.WriteTx.Append(e)
}

// rewrite changes the stored record of incident k behind the service's back.
func (d *driver) rewrite(t *testing.T, k int, change func(inc *incident.Incident, rec *itsm.Record)) {
	t.Helper()
	err := d.raw.Write(d.ctx, func(tx itsm.WriteTx) error {
		rec, err := tx.Get(incident.Kind, d.incs[k].inc.ID)
		if err != nil {
			return err
		}
		var inc incident.Incident
		if err := json.Unmarshal(rec.Body, &inc); err != nil {
			return err
		}
		change(&inc, &rec)
		if rec.Body, err = json.Marshal(&inc); err != nil {
			return err
		}
		_, err = tx.Put(rec)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// appendEvent appends an event about incident k behind the service's back.
func (d *driver) appendEvent(t *testing.T, k int, p incident.Payload, at time.Time) {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	err = d.raw.Write(d.ctx, func(tx itsm.WriteTx) error {
		_, err := tx.Append(itsm.Event{Type: p.Type(), Kind: incident.Kind, Subject: d.incs[k].inc.ID, Time: at, Data: data})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInvariantsCatchBugs injects faults the service could have (a lost
// event, a wrong replay, a write without an event, a rewritten history, a
// stale due index, a supplier closing, a change to a closed incident, an
// event back in time, a problem link its events do not make, a workaround
// resolution its index does not count) and checks that the invariant checker reports each.
func TestInvariantsCatchBugs(t *testing.T) {
	base := newWorld(t)
	c := func(o op, step time.Duration, arg byte) command { return command{op: o, step: step, arg: arg} }
	// A P2 network incident (impact high, urgency medium) through the
	// network supplier to closure; the fault comes after step `after`.
	script := []command{
		c(opRegister, 0, 3),
		c(opDelegate, 10*time.Minute, 0),
		c(opAccept, 15*time.Minute, 0),
		c(opUpdate, time.Hour, 0),
		c(opReportBack, time.Hour, 0),
		c(opClose, 15*time.Minute, 0),
		c(opRead, time.Hour, 0),
	}
	tests := []struct {
		name   string
		wrap   func(itsm.Store) itsm.Store
		after  int // inject after this many script steps
		inject func(t *testing.T, d *driver)
		want   issueKind
		text   string // in the message of an issue of kind want
	}{
		{name: "no fault", after: len(script)},
		{name: "the store drops an event", want: issueEvents, text: "appended [] to INC0000001, want [incident.accepted]",
			wrap: func(s itsm.Store) itsm.Store { return dropStore{s, "incident.accepted"} }},
		{name: "replay drops the last event", want: issueReplay, text: "differs from the replay",
			inject: func(t *testing.T, d *driver) {
				d.replay = func(es []itsm.Event) (*incident.Incident, error) { return incident.Replay(es[:max(len(es)-1, 1)]) }
			}, after: 2},
		{name: "a record written without an event", after: 3, want: issueWrite, text: "is at version 4, was 3, want 0 more",
			inject: func(t *testing.T, d *driver) {
				d.rewrite(t, 0, func(inc *incident.Incident, _ *itsm.Record) { inc.Summary = "changed quietly" })
			}},
		{name: "history rewritten so a clock runs backward", after: 4, want: issueClock, text: "city SLA resolution ran backward",
			inject: func(t *testing.T, d *driver) {
				d.rewrite(t, 0, func(inc *incident.Incident, _ *itsm.Record) {
					for i := range inc.Timeline {
						inc.Timeline[i].State = incident.StateWaitingUser // paused all along
					}
				})
			}},
		{name: "a stale due index", after: 3, want: issueDue, text: "the due index holds",
			inject: func(t *testing.T, d *driver) {
				d.rewrite(t, 0, func(_ *incident.Incident, rec *itsm.Record) { delete(rec.Index, incident.IndexDue) })
			}},
		{name: "a supplier closes", after: 4, want: issueActor, text: "incident.closed of INC0000001 by \"nils.net\"",
			inject: func(t *testing.T, d *driver) {
				d.appendEvent(t, 0, incident.Closed{By: incident.By{By: d.base.netAgent}, Message: "closed it myself"}, d.clock.Now())
			}},
		{name: "a closed incident changes", after: 6, want: issueClosed, text: "changed closed INC0000001",
			inject: func(t *testing.T, d *driver) {
				d.appendEvent(t, 0, incident.Commented{By: incident.By{By: d.base.agent}, Kind: incident.EntryWorkNote, Text: "late note"}, d.clock.Now())
			}},
		{name: "an unlink of a problem it was never linked to", after: 3, want: issueShape, text: "unlinks problem",
			inject: func(t *testing.T, d *driver) {
				d.appendEvent(t, 0, incident.ProblemUnlinked{By: incident.By{By: d.base.agent}, Problem: problem1}, d.clock.Now())
			}},
		{name: "a workaround resolution without its index", after: 5, want: issueShape, text: "ResolvedBy(",
			inject: func(t *testing.T, d *driver) {
				d.rewrite(t, 0, func(inc *incident.Incident, _ *itsm.Record) { inc.Outcome.Workaround = workaround1 })
			}},
		{name: "an event back in time", after: 3, want: issueClock, text: "before the change",
			inject: func(t *testing.T, d *driver) {
				d.appendEvent(t, 0, incident.Commented{By: incident.By{By: d.base.agent}, Kind: incident.EntryWorkNote, Text: "from the past"}, t0)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDriver(base, tt.wrap)
			defer d.close()
			for i, cmd := range script {
				if i == tt.after && tt.inject != nil {
					// The fault, then a read, so that the checker looks
					// before the next command.
					tt.inject(t, d)
					if d.step(command{op: opRead}); len(d.issues) > 0 {
						break
					}
				}
				if d.step(cmd); len(d.issues) > 0 {
					break
				}
			}
			if tt.want == "" {
				if len(d.issues) > 0 {
					t.Fatalf("issues without a fault:\n%s", d.report())
				}
				if got := d.incs[0].inc.State; got != incident.StateClosed {
					t.Fatalf("the script ends in %s, want closed", got)
				}
				return
			}
			found := slices.ContainsFunc(d.issues, func(is issue) bool { return is.kind == tt.want && strings.Contains(is.msg, tt.text) })
			if !found {
				t.Fatalf("want a %s issue saying %q; got:\n%s", tt.want, tt.text, d.report())
			}
		})
	}
}

// reopenWindow is the model of the reopen window of desk's closed
// incidents under cfg.
func reopenWindow(cfg incident.Config, desk itsm.ID) time.Duration {
	if w, ok := cfg.ReopenWindows[desk]; ok {
		return w
	}
	if cfg.ReopenWindow != 0 {
		return cfg.ReopenWindow
	}
	return incident.DefaultReopenWindow
}
