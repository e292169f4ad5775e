package problem_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// This file drives the Service with command sequences decoded from bytes
// (four a command: op, actor, target, argument): problems recorded and
// moved along the chain by every actor of the world, known errors and
// workarounds recorded, revised, attached and retired, incidents
// registered, handed to a supplier, linked, unlinked, told and resolved,
// candidates accepted and dismissed. After every command it checks the
// invariants (see check). TestRandomSequences feeds it random bytes and
// FuzzCommands the fuzzer's.

// op is one kind of step.
type op uint8

const (
	opRecord op = iota
	opDelegate
	opAccept
	opReject
	opRecall
	opAssign
	opInvestigate
	opNote
	opRelate
	opIdentify
	opStartFix
	opResolve
	opClose
	opCancel
	opLink
	opUnlink
	opCommunicate
	opResolveIncident
	opRecordWorkaround
	opReviseWorkaround
	opRetireWorkaround
	opRecordKnownError
	opReviseKnownError
	opAttach
	opDetach
	opPublish
	opRetireKnownError
	opRegister
	opHandOver
	opAcceptCandidate
	opDismissCandidate
	numOps
)

var opNames = [numOps]string{"record", "delegate", "accept", "reject", "recall", "assign", "investigate", "note", "relate",
	"identify", "start fix", "resolve", "close", "cancel", "link", "unlink", "communicate", "resolve incident",
	"record workaround", "revise workaround", "retire workaround", "record known error", "revise known error",
	"attach", "detach", "publish", "retire known error", "register incident", "hand over incident",
	"accept candidate", "dismiss candidate"}

func (o op) String() string { return opNames[o%numOps] }

// commandSize is the bytes of one command; maxCommands bounds a sequence.
const (
	commandSize = 4
	maxCommands = 60
)

// naturalActors is how many actor bytes (of 16) take the actor a command
// naturally has; the others name one of the world's actors.
const naturalActors = 10

type command struct{ op, actor, target, arg byte }

func (c command) bytes() []byte { return []byte{c.op, c.actor, c.target, c.arg} }

func program(cs ...command) []byte {
	var b []byte
	for _, c := range cs {
		b = append(b, c.bytes()...)
	}
	return b
}

// driver runs one command sequence against a fresh world.
type driver struct {
	w       *world
	t       testing.TB
	stats   seqtest.Counts
	issues  []string
	log     []string
	schemas *schematest.Log
	// problems, incidents, workarounds and knownErrors are what the
	// sequence made, in order.
	problems, incidents, workarounds, knownErrors []itsm.ID
	last                                          int64
}

func newDriver(t testing.TB, w *world) *driver {
	return &driver{w: w, t: t, stats: seqtest.Counts{Sequences: 1, OK: make([]int, numOps), Refused: make([]int, numOps)}, schemas: newSchemaChecker(t)}
}

func (d *driver) fail(format string, args ...any) {
	d.issues = append(d.issues, fmt.Sprintf(format, args...))
}

func (d *driver) report() string { return strings.Join(append(d.log, d.issues...), "\n") }

// run decodes and runs a program, stopping at the first broken invariant.
func (d *driver) run(program []byte) {
	for i := 0; i+commandSize <= len(program) && i < maxCommands*commandSize && len(d.issues) == 0; i += commandSize {
		c := command{program[i], program[i+1], program[i+2], program[i+3]}
		d.step(c)
	}
}

func pick(ids []itsm.ID, b byte) itsm.ID {
	if len(ids) == 0 || b == 0xff {
		return itsm.NewID() // one that does not exist
	}
	return ids[int(b)%len(ids)]
}

// actors the actor byte names from naturalActors on.
func (d *driver) actors() []itsm.Actor {
	w := d.w
	return []itsm.Actor{w.deskAgent, w.telAgent, w.mailAgent, w.cityUser, w.desk2Agent, w.deskUser}
}

// agentOf is an agent of org.
func (d *driver) agentOf(org itsm.ID) itsm.Actor {
	switch org {
	case telcoID:
		return d.w.telAgent
	case mailcoID:
		return d.w.mailAgent
	}
	return d.w.deskAgent
}

// actor is the command's actor: natural is the desk for the desk's
// commands and the holder for the holder's.
func (d *driver) actor(c command, o op, target itsm.ID) itsm.Actor {
	if int(c.actor%16) >= naturalActors {
		as := d.actors()
		return as[int(c.actor)%len(as)]
	}
	switch o {
	case opAccept, opReject, opAssign, opInvestigate, opIdentify, opStartFix, opResolve:
		if p, err := d.w.svc.Get(d.w.ctx, d.w.deskAgent, target); err == nil {
			return d.agentOf(p.Holder)
		}
	case opRecord, opRecordWorkaround, opRecordKnownError:
		return []itsm.Actor{d.w.deskAgent, d.w.telAgent}[c.arg%2]
	}
	return d.w.deskAgent
}

// text is a text from the argument: empty for a few, which is invalid
// where one is required.
func text(arg byte, s string) string {
	if arg%11 == 0 {
		return ""
	}
	return s
}

// step runs one command and checks the invariants after it.
func (d *driver) step(c command) {
	w := d.w
	o := op(c.op % byte(numOps))
	w.clock.Advance(time.Duration(c.arg%4) * 17 * time.Minute)
	var target itsm.ID
	switch o {
	case opRecordWorkaround, opRecordKnownError, opRegister, opAcceptCandidate, opDismissCandidate, opRecord:
	case opReviseWorkaround, opRetireWorkaround:
		target = pick(d.workarounds, c.target)
	case opReviseKnownError, opAttach, opDetach, opPublish, opRetireKnownError:
		target = pick(d.knownErrors, c.target)
	case opHandOver:
		target = pick(d.incidents, c.target)
	default:
		target = pick(d.problems, c.target)
	}
	a := d.actor(c, o, target)
	ctx, s := w.ctx, w.svc
	before := w.seq()
	var err error
	var made itsm.ID
	switch o {
	case opRecord:
		var p *problem.Problem
		r := problem.Recording{Summary: text(c.target+1, "Mail relay drops messages"), Priority: itsm.Priority(1 + c.target%5),
			Wait: c.arg%2 == 0}
		if a.Organisation != deskID {
			r.Desk = deskID
		}
		if c.target%3 == 0 && len(d.incidents) > 0 {
			r.Incidents = []itsm.ID{pick(d.incidents, c.arg)}
		}
		p, err = s.Record(ctx, a, r)
		if err == nil {
			made, d.problems = p.ID, append(d.problems, p.ID)
		}
	case opDelegate:
		to := []itsm.ID{telcoID, mailcoID, cityID}[c.arg%3]
		group := []itsm.ID{w.telNet, w.mailOps, {}}[c.arg%3]
		_, err = s.Delegate(ctx, a, target, to, group, "")
	case opAccept:
		_, err = s.Accept(ctx, a, target)
	case opReject:
		_, err = s.Reject(ctx, a, target, text(c.arg, "not ours"))
	case opRecall:
		_, err = s.Recall(ctx, a, target, text(c.arg, "we take it"))
	case opAssign:
		groups := []itsm.ID{{}, w.deskSecond, w.telNet, w.mailOps, w.deskLine}
		_, err = s.Assign(ctx, a, target, groups[c.arg%5], []string{"", "tove", "axel"}[c.arg%3], "")
	case opInvestigate:
		_, err = s.Investigate(ctx, a, target)
	case opNote:
		_, err = s.Note(ctx, a, target, text(c.arg, "looked at the logs"))
	case opRelate:
		_, err = s.Relate(ctx, a, target, problem.Relations{Changes: []string{"CHG" + fmt.Sprint(c.arg%3)}})
	case opIdentify:
		var k *problem.KnownError
		dr := draft(text(c.arg, "Certificate expired"))
		if c.arg%2 == 0 && len(d.workarounds) > 0 {
			dr.Workarounds = []itsm.ID{pick(d.workarounds, c.arg)}
		}
		_, k, err = s.Identify(ctx, a, target, dr)
		if err == nil {
			made, d.knownErrors = k.ID, append(d.knownErrors, k.ID)
		}
	case opStartFix:
		_, err = s.StartFix(ctx, a, target, text(c.arg, "CHG7"), "")
	case opResolve:
		_, _, err = s.Resolve(ctx, a, target, text(c.arg, "fixed"))
	case opClose:
		_, err = s.Close(ctx, a, target, "")
	case opCancel:
		_, err = s.Cancel(ctx, a, target, text(c.arg, "duplicate"))
	case opLink:
		_, err = s.Link(ctx, a, target, pick(d.incidents, c.arg), c.arg%2 == 0)
	case opUnlink:
		_, err = s.Unlink(ctx, a, target, pick(d.incidents, c.arg))
	case opCommunicate:
		_, _, err = s.CommunicateWorkaround(ctx, a, target, pick(d.workarounds, c.arg), text(c.arg, "Use the backup relay"))
	case opResolveIncident:
		inc := pick(d.incidents, c.arg)
		if i, e := w.inc.Get(ctx, w.deskAgent, inc); e == nil && int(c.actor%16) < naturalActors {
			a = d.agentOf(i.Holder)
		}
		var wa itsm.ID
		if c.arg%2 == 0 {
			wa = pick(d.workarounds, c.arg)
		}
		_, err = s.ResolveIncident(ctx, a, target, inc, wa, text(c.arg, "it works again"))
	case opRecordWorkaround:
		var wa *problem.Workaround
		wa, err = s.RecordWorkaround(ctx, a, problem.WorkaroundDraft{Desk: deskID, Title: text(c.arg, "Backup relay"),
			Steps: "Send through the backup relay.", Risk: []problem.Risk{problem.RiskLow, problem.RiskHigh, "none"}[c.target%3],
			Applier: []problem.Applier{problem.ApplierDesk}})
		if err == nil {
			made, d.workarounds = wa.ID, append(d.workarounds, wa.ID)
		}
	case opReviseWorkaround:
		_, err = s.ReviseWorkaround(ctx, a, target, problem.WorkaroundDraft{Title: text(c.arg, "Backup relay, v2"),
			Steps: "Send through the backup relay.", Risk: problem.RiskMedium, Applier: []problem.Applier{problem.ApplierUser}})
	case opRetireWorkaround:
		_, err = s.RetireWorkaround(ctx, a, target, text(c.arg, "superseded"))
	case opRecordKnownError:
		var k *problem.KnownError
		dr := draft(text(c.arg, "Vendor defect"))
		if c.arg%2 == 0 && len(d.workarounds) > 0 {
			dr.Workarounds = []itsm.ID{pick(d.workarounds, c.target)}
		}
		k, err = s.RecordKnownError(ctx, a, dr)
		if err == nil {
			made, d.knownErrors = k.ID, append(d.knownErrors, k.ID)
		}
	case opReviseKnownError:
		dr := draft(text(c.arg, "Vendor defect, revised"))
		dr.Fix.Status = []problem.FixStatus{problem.FixPlanned, problem.FixReleased, "later"}[c.arg%3]
		_, err = s.ReviseKnownError(ctx, a, target, dr)
	case opAttach:
		_, err = s.AttachWorkaround(ctx, a, target, pick(d.workarounds, c.arg))
	case opDetach:
		_, err = s.DetachWorkaround(ctx, a, target, pick(d.workarounds, c.arg))
	case opPublish:
		_, err = s.PublishKnownError(ctx, a, target)
	case opRetireKnownError:
		_, err = s.RetireKnownError(ctx, a, target, text(c.arg, "gone"))
	case opRegister:
		var inc *incident.Incident
		inc, err = w.inc.Register(ctx, w.deskAgent, incident.Registration{Customer: cityID,
			Caller: incident.Caller{Person: "ulla", Name: "Ulla"}, Channel: incident.ChannelPhone, Service: "mail",
			Category: "outage", Summary: "No mail", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium})
		if err == nil {
			made, d.incidents = inc.ID, append(d.incidents, inc.ID)
		}
	case opHandOver:
		if _, err = w.inc.Delegate(ctx, w.deskAgent, target, incident.Delegation{Organisation: telcoID, Group: w.telNet}); err == nil {
			_, err = w.inc.Accept(ctx, w.telAgent, target)
		}
	case opAcceptCandidate, opDismissCandidate:
		var incs []itsm.ID
		for i := range int(c.target%3) + 1 {
			if id := pick(d.incidents, c.target+byte(i)); !slices.Contains(incs, id) {
				incs = append(incs, id)
			}
		}
		cand := candidate.Candidate{Key: candidate.Key{Service: "mail", Category: "outage", Token: "mail"}, Incidents: incs, Count: len(incs)}
		if o == opAcceptCandidate {
			var p *problem.Problem
			p, err = s.AcceptCandidate(ctx, a, cand, problem.Recording{Priority: 3, Wait: c.arg%2 == 0})
			if err == nil {
				made, d.problems = p.ID, append(d.problems, p.ID)
			}
		} else {
			_, err = s.DismissCandidate(ctx, a, cand, text(c.arg, "a busy Monday"))
		}
	}
	d.stats.Commands++
	line := fmt.Sprintf("%s by %s on %s: ", o, a.Person, target)
	if err != nil {
		d.stats.Refused[o]++
		line += err.Error()
	} else {
		d.stats.OK[o]++
		line += "ok " + made.String()
	}
	d.log = append(d.log, line)
	d.check(o, before, err)
}

// check checks the invariants after a command: a refusal wrote nothing
// and says why with a code; every record is the fold of its events; a
// problem's counter of links is the number of incidents naming it, and a
// closed or cancelled one has no incident waiting for it; a known error's
// workarounds exist, are its desk's; the master numbers have no gap; every
// event matches its schema.
func (d *driver) check(o op, before int64, err error) {
	w := d.w
	if err != nil {
		if c := itsm.ErrorCode(err); c == itsm.CodeInternal || c == "" {
			d.fail("%s failed without a code of the rules: %v", o, err)
		}
		if after := w.seq(); after != before {
			d.fail("refused %s wrote events %d to %d", o, before+1, after)
		}
		return
	}
	err = w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		history := map[itsm.ID][]itsm.Event{}
		for after := int64(0); ; {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				if err != nil {
					return err
				}
				break
			}
			for _, e := range es {
				history[e.Subject] = append(history[e.Subject], e)
			}
			after = es[len(es)-1].Seq
		}
		incs := map[itsm.ID][]*incident.Incident{}
		for _, r := range all(d, tx, incident.Kind) {
			var i incident.Incident
			if err := json.Unmarshal(r.Body, &i); err != nil {
				return err
			}
			if !i.Problem.IsZero() {
				incs[i.Problem] = append(incs[i.Problem], &i)
			}
		}
		var numbers []itsm.Number
		for _, r := range all(d, tx, problem.Kind) {
			var p problem.Problem
			d.replays(history, r, &p, problem.Kind, func(es []itsm.Event) (any, error) { return problem.Replay(es) })
			numbers = append(numbers, p.Number)
			if p.Linked != len(incs[p.ID]) {
				d.fail("%s counts %d links, %d incidents name it", p.Number, p.Linked, len(incs[p.ID]))
			}
			for _, i := range incs[p.ID] {
				if (p.State == problem.StateClosed || p.State == problem.StateCancelled) && i.State == incident.StateWaitingProblem {
					d.fail("%s is %s, and %s still waits for it", p.Number, p.State, i.Number)
				}
			}
			if err := p.Timeline.Validate(); err != nil {
				d.fail("%s: %v", p.Number, err)
			}
			if p.State == problem.StateKnownError && p.KnownError.IsZero() {
				d.fail("%s is a known error without one", p.Number)
			}
		}
		d.gapless(problem.PrefixProblem, numbers)
		numbers = nil
		for _, r := range all(d, tx, problem.KindKnownError) {
			var k problem.KnownError
			d.replays(history, r, &k, problem.KindKnownError, func(es []itsm.Event) (any, error) { return problem.ReplayKnownError(es) })
			numbers = append(numbers, k.Number)
			for _, id := range k.Workarounds {
				wr, err := tx.Get(problem.KindWorkaround, id)
				var wa problem.Workaround
				if err == nil {
					err = json.Unmarshal(wr.Body, &wa)
				}
				if err != nil || wa.Desk != k.Desk {
					d.fail("%s names workaround %s: %v, desk %s", k.Number, id, err, wa.Desk)
				}
			}
		}
		d.gapless(problem.PrefixKnownError, numbers)
		numbers = nil
		for _, r := range all(d, tx, problem.KindWorkaround) {
			var wa problem.Workaround
			d.replays(history, r, &wa, problem.KindWorkaround, func(es []itsm.Event) (any, error) { return problem.ReplayWorkaround(es) })
			numbers = append(numbers, wa.Number)
		}
		d.gapless(problem.PrefixWorkaround, numbers)
		return nil
	})
	if err != nil {
		d.fail("reading the store: %v", err)
	}
	d.last = d.schemas.Check(w.t, w.ctx, w.store, d.last)
}

// all reads every record of kind.
func all(d *driver, tx itsm.ReadTx, kind string) []itsm.Record {
	var out []itsm.Record
	q := itsm.Query{Kind: kind, Limit: itsm.MaxLimit}
	for {
		page, err := tx.Query(q)
		if err != nil {
			d.fail("query %s: %v", kind, err)
			return out
		}
		for _, h := range page.Matches {
			out = append(out, h.Record)
		}
		if page.Next == "" {
			return out
		}
		q.After = page.Next
	}
}

// replays decodes record r into v and checks that replaying its events,
// from history by subject, gives the same JSON.
func (d *driver) replays(history map[itsm.ID][]itsm.Event, r itsm.Record, v any, kind string, replay func([]itsm.Event) (any, error)) {
	if err := json.Unmarshal(r.Body, v); err != nil {
		d.fail("decode %s %s: %v", kind, r.ID, err)
		return
	}
	got, err := replay(history[r.ID])
	if err != nil {
		d.fail("replay of %s: %v", r.ID, err)
		return
	}
	if diff := diff(got, v); diff != "" {
		d.fail("replay of %s %s differs from its record: %s", kind, r.ID, diff)
	}
}

// gapless checks that the numbers of prefix are 1 to n.
func (d *driver) gapless(prefix string, numbers []itsm.Number) {
	seqs := make([]uint64, 0, len(numbers))
	for _, n := range numbers {
		if n.Prefix != prefix {
			d.fail("number %s does not have prefix %s", n, prefix)
		}
		seqs = append(seqs, n.Seq)
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != uint64(i+1) {
			d.fail("%s numbers %v have a gap", prefix, seqs)
			return
		}
	}
}

// randomProgram returns random command bytes that start by registering
// two incidents and recording a problem.
func randomProgram(r *rand.Rand) []byte {
	n := 3 + r.IntN(maxCommands-3)
	b := make([]byte, n*commandSize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, program(command{op: byte(opRegister)}, command{op: byte(opRegister)}, command{op: byte(opRecord), target: 1, arg: 2}))
	return b
}

var (
	runs     = flag.Int("problems.n", 0, "sequences of TestRandomSequences on memstore per seed (0: the default)")
	seedFlag = flag.Uint64("problems.seed", 0, "the one seed of TestRandomSequences on memstore (0: the fixed and a new one)")
)

const fixedSeed = 0x5eed16

// TestRandomSequences runs random command sequences and checks every
// invariant after every command: on memstore 300 of a fixed seed and 300
// of a new one (50 each under the race detector or -short), on SQLite and
// PostgreSQL ten. On memstore it also checks that the fixed seed's
// sequences reach every command, both succeeding and refused, and every
// event type.
func TestRandomSequences(t *testing.T) {
	plan := seqtest.Plan{Fixed: fixedSeed, Memstore: 300, Quick: 50, Others: 10, N: *runs, Seed: *seedFlag}
	plan.Run(t, backends(), seqtest.Machine{
		Package: "./problem", Test: "TestRandomSequences", Flags: "problems",
		Program: randomProgram,
		Run: func(t *testing.T, store itsm.Store, program []byte) seqtest.Sequence {
			d := newDriver(t, newWorld(t, store))
			d.run(program)
			s := seqtest.Sequence{Counts: d.stats, Events: d.schemas.Seen}
			if len(d.issues) > 0 {
				s.Broken = d.report()
			}
			return s
		},
		Op:           func(o int) string { return op(o).String() },
		NeverRefused: func(o int) bool { return op(o) == opRegister },
		EventTypes:   eventTypes(),
	})
}

// FuzzCommands decodes the fuzzer's bytes into a command sequence, runs it
// on a fresh memstore and checks every invariant after every command, as
// TestRandomSequences does with random bytes. testdata/fuzz/FuzzCommands
// holds the seed scripts below.
func FuzzCommands(f *testing.F) {
	f.Fuzz(func(t *testing.T, program []byte) {
		d := newDriver(t, newWorld(t, backends()["memstore"](t)))
		d.run(program)
		if len(d.issues) > 0 {
			t.Fatalf("a command broke an invariant:\n%s", d.report())
		}
	})
}

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzCommands from the seed scripts")

// desk is an actor byte that names the desk's agent, whatever the
// natural actor.
const desk byte = 12

func cmd(o op, actor, target, arg byte) command { return command{byte(o), actor, target, arg} }

// seedScripts are sequences that tell a story each, committed as the fuzz
// target's corpus.
var seedScripts = []struct {
	name   string
	script []command
	check  func(d *driver) error
}{
	{"whole-lifecycle", []command{
		cmd(opRegister, 0, 0, 1), cmd(opRegister, 0, 0, 1), cmd(opRecord, 0, 1, 2),
		cmd(opLink, 0, 0, 2), cmd(opLink, 0, 0, 3), cmd(opDelegate, 0, 0, 0), cmd(opAccept, 0, 0, 1),
		cmd(opInvestigate, 0, 0, 1), cmd(opRecordWorkaround, 0, 1, 1), cmd(opIdentify, 0, 0, 2),
		cmd(opCommunicate, 0, 0, 1), cmd(opStartFix, 0, 0, 1), cmd(opResolve, 0, 0, 1),
		cmd(opResolveIncident, 0, 0, 2), cmd(opResolveIncident, 0, 0, 3), cmd(opClose, 0, 0, 1),
	}, func(d *driver) error { return d.ended(problem.StateClosed) }},
	{"cancel-unlinks", []command{
		cmd(opRegister, 0, 0, 1), cmd(opRecord, 0, 3, 2), cmd(opCancel, 0, 0, 1),
	}, func(d *driver) error { return d.ended(problem.StateCancelled) }},
	{"candidate-accepted", []command{
		cmd(opRegister, 0, 0, 1), cmd(opRegister, 0, 0, 1), cmd(opAcceptCandidate, 0, 1, 2), cmd(opDismissCandidate, 0, 0, 1),
	}, func(d *driver) error { return d.ended(problem.StateNew) }},
	{"kedb", []command{
		cmd(opRecordWorkaround, 0, 0, 1), cmd(opRecordKnownError, 0, 0, 2), cmd(opRecordWorkaround, 0, 1, 1),
		cmd(opAttach, 0, 0, 1), cmd(opDetach, 0, 0, 0), cmd(opReviseKnownError, 0, 0, 1), cmd(opPublish, 0, 0, 1),
		cmd(opRetireWorkaround, 0, 0, 1), cmd(opRetireKnownError, desk, 0, 1),
	}, func(d *driver) error {
		if len(d.knownErrors) != 1 || len(d.workarounds) != 2 {
			return fmt.Errorf("%d known errors, %d workarounds", len(d.knownErrors), len(d.workarounds))
		}
		return nil
	}},
}

// ended checks that the last problem made is in state s.
func (d *driver) ended(s itsm.State) error {
	if len(d.problems) == 0 {
		return fmt.Errorf("no problem was recorded")
	}
	p, err := d.w.svc.Get(d.w.ctx, d.w.deskAgent, d.problems[len(d.problems)-1])
	if err != nil {
		return err
	}
	if p.State != s {
		return fmt.Errorf("%s is %s, not %s", p.Number, p.State, s)
	}
	return nil
}

// TestFuzzSeeds runs each seed script, checks that it tells its story and
// that testdata/fuzz/FuzzCommands holds it as committed.
func TestFuzzSeeds(t *testing.T) {
	for _, s := range seedScripts {
		t.Run(s.name, func(t *testing.T) {
			prog := program(s.script...)
			d := newDriver(t, newWorld(t, backends()["memstore"](t)))
			d.run(prog)
			if len(d.issues) > 0 {
				t.Fatalf("a command broke an invariant:\n%s", d.report())
			}
			if err := s.check(d); err != nil {
				t.Errorf("the script does not tell its story: %v\n%s", err, d.report())
			}
			seqtest.Seed(t, "FuzzCommands", s.name, prog, *updateSeeds)
		})
	}
}
