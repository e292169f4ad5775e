package cmdb_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// This file drives the change commands with sequences decoded from bytes
// (four a command: op, actor, target, argument) over the estate's items:
// changes created, edited, approved, started, completed and cancelled by
// every actor of the world, items retired under them, and time passing.
// After every command it checks the invariants (see check), the state
// machine against a model of it among them. TestRandomChangeSequences
// feeds it random bytes and FuzzChanges the fuzzer's.

type chOp uint8

const (
	chCreate chOp = iota
	chEdit
	chApprove
	chStart
	chComplete
	chCancel
	chRetire
	chWait
	numChOps
)

var chOpNames = [numChOps]string{"create", "edit", "approve", "start", "complete", "cancel", "retire item", "wait"}

func (o chOp) String() string { return chOpNames[o%numChOps] }

const (
	chCommandSize = 4
	chMaxCommands = 40
	// chNatural is how many actor bytes (of 16) take the command's
	// natural actor; the others name any actor of the world.
	chNatural = 11
)

type chCommand struct{ op, actor, target, arg byte }

func chProgram(cs ...chCommand) []byte {
	var b []byte
	for _, c := range cs {
		b = append(b, c.op, c.actor, c.target, c.arg)
	}
	return b
}

func chCmd(o chOp, actor, target, arg byte) chCommand { return chCommand{byte(o), actor, target, arg} }

type chDriver struct {
	w       *world
	e       *estate
	items   []*cmdb.Item
	stats   seqtest.Counts
	issues  []string
	log     []string
	schemas *schematest.Log
	last    int64
	changes []itsm.ID
	// state is the model of each change's state; approved whether it has
	// ever been approved since it was last a draft.
	state map[itsm.ID]cmdb.ChangeState
}

func newChDriver(t testing.TB, w *world) *chDriver {
	e := w.estate()
	d := &chDriver{w: w, e: e, items: []*cmdb.Item{e.a, e.b, e.cl, e.eko, e.lon, e.ekoSvc, e.m, e.mail, e.mailSvc},
		stats: seqtest.NewCounts(int(numChOps)), schemas: newChangeSchemaChecker(t), state: map[itsm.ID]cmdb.ChangeState{}}
	d.stats.Sequences = 1
	return d
}

func (d *chDriver) fail(format string, args ...any) {
	d.issues = append(d.issues, fmt.Sprintf(format, args...))
}

func (d *chDriver) report() string { return strings.Join(append(d.log, d.issues...), "\n") }

func (d *chDriver) run(program []byte) {
	for i := 0; i+chCommandSize <= len(program) && i < chMaxCommands*chCommandSize && len(d.issues) == 0; i += chCommandSize {
		d.step(chCommand{program[i], program[i+1], program[i+2], program[i+3]})
	}
}

func (d *chDriver) pick(b byte) itsm.ID {
	if len(d.changes) == 0 || b == 0xff {
		return itsm.NewID()
	}
	return d.changes[int(b)%len(d.changes)]
}

// actor is the command's actor: naturally the desk's agent or, for a
// change a supplier carries out, sometimes the supplier's; else any.
func (d *chDriver) actor(c chCommand, o chOp, target itsm.ID) itsm.Actor {
	w := d.w
	all := []itsm.Actor{w.deskAgent, w.telAgent, w.hostAgent, w.cityAgent, w.desk2Agent, w.deskUser, w.bareAgent, w.loneAgent}
	if int(c.actor%16) >= chNatural {
		return all[int(c.actor)%len(all)]
	}
	if o == chCreate {
		return all[int(c.actor)%3]
	}
	if ch, err := w.svc.GetChange(w.ctx, w.deskAgent, target); err == nil && c.actor%2 == 1 {
		switch ch.Supplier {
		case telcoID:
			return w.telAgent
		case hostID:
			return w.hostAgent
		}
	}
	return w.deskAgent
}

// local formats t on Stockholm's wall clocks, without offset.
func local(t time.Time) string { return t.In(stockholmZone).Format("2006-01-02T15:04") }

var stockholmZone, _ = time.LoadLocation("Europe/Stockholm")

// chWindow is a window decided by a byte: most often one starting up to
// two days from now (or a few hours ago), an hour to eight long; now and
// then one across a change of daylight saving time, with a time that
// does not exist or that happens twice, or an end before its start.
func (d *chDriver) chWindow(b byte) cmdb.LocalWindow {
	switch b % 17 {
	case 0:
		return cmdb.LocalWindow{Start: "2027-03-28T02:30", End: "2027-03-28T04:00"}
	case 1:
		return cmdb.LocalWindow{Start: "2027-10-31T02:30", End: "2027-10-31T04:00"}
	case 2:
		return cmdb.LocalWindow{Start: "2027-10-31T01:30", End: "2027-10-31T02:30+01:00"}
	case 3:
		return cmdb.LocalWindow{Start: "2027-10-31T04:00", End: "2027-10-31T01:00"}
	}
	now := d.w.clock.Now().Truncate(time.Hour)
	start := now.Add(time.Duration(int(b%64)-6) * time.Hour)
	return cmdb.LocalWindow{Start: local(start), End: local(start.Add(time.Duration(1+b/64*2) * time.Hour))}
}

// chEffects are the effects a byte picks from, one of them invalid.
var chEffects = []cmdb.ChangeEffect{cmdb.ChangeEffectOutage, cmdb.ChangeEffectDegraded, cmdb.ChangeEffectNone, cmdb.ChangeEffectOutage, "down"}

// chItems is one to three items of the estate decided by a byte.
func (d *chDriver) chItems(b byte) []itsm.ID {
	out := []itsm.ID{d.items[int(b)%len(d.items)].ID}
	for i := 1; i <= int(b/64)%3; i++ {
		id := d.items[(int(b)+i*4)%len(d.items)].ID
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func chTexts(b byte) cmdb.Texts {
	t := cmdb.Texts{SV: []string{"Tjänsten är stängd.", "Störningar kan förekomma.", " "}[b%3]}
	if b%2 == 0 {
		t.EN = "The service is closed."
	}
	return t
}

var chSuppliers = []itsm.ID{{}, telcoID, hostID, loneID}

// step runs one command and checks the invariants after it.
func (d *chDriver) step(c chCommand) {
	w := d.w
	o := chOp(c.op % byte(numChOps))
	target := d.pick(c.target)
	a := d.actor(c, o, target)
	before := w.allFootprint()
	was, _ := w.svc.GetChange(w.ctx, w.deskAgent, target)
	var err error
	var ch *cmdb.Change
	switch o {
	case chCreate:
		n := cmdb.NewChange{ChangeEdit: cmdb.ChangeEdit{Title: "Ändring", Window: d.chWindow(c.arg), Items: d.chItems(c.target),
			Effect: chEffects[int(c.arg)%len(chEffects)], Texts: chTexts(c.arg / 3)}}
		if a.Organisation != deskID {
			n.Desk = deskID
		}
		if c.target%7 == 0 {
			n.Kind, n.Incident = cmdb.ChangeUnplanned, itsm.NewID()
		}
		if ch, err = w.svc.CreateChange(w.ctx, a, n); err == nil {
			d.changes = append(d.changes, ch.ID)
			d.state[ch.ID] = cmdb.ChangeStateDraft
		}
	case chEdit:
		e := cmdb.ChangeEdit{Title: "Ändring", Window: window("2027-01-01T10:00", "2027-01-01T11:00"), Items: d.chItems(c.arg), Effect: cmdb.ChangeEffectNone, Texts: chTexts(0)}
		if was != nil {
			e = cmdb.ChangeEdit{Title: was.Title, Supplier: was.Supplier, Window: was.Window.Local(), Items: was.Items, Effect: was.Effect, Texts: was.Texts}
		}
		switch c.arg % 7 {
		case 0:
			e.Title += "!"
		case 1:
			e.Supplier = chSuppliers[int(c.arg/7)%len(chSuppliers)]
		case 2:
			e.Window = d.chWindow(c.arg / 7)
		case 3:
			e.Items = d.chItems(c.arg / 7)
		case 4:
			e.Effect = chEffects[int(c.arg/7)%len(chEffects)]
		case 5:
			e.Texts = chTexts(c.arg / 7)
		}
		ch, err = w.svc.EditChange(w.ctx, a, target, e)
	case chApprove:
		at := time.Time{}
		if c.arg%5 == 4 {
			at = w.clock.Now().Add(time.Hour) // in the future: refused
		}
		ch, err = w.svc.ApproveChange(w.ctx, a, target, []string{"Olle", "Greta", ""}[c.arg%3], at)
	case chStart:
		ch, err = w.svc.StartChange(w.ctx, a, target)
	case chComplete:
		ch, err = w.svc.CompleteChange(w.ctx, a, target, []string{"", "Klart.", "Återställt."}[c.arg%3])
	case chCancel:
		ch, err = w.svc.CancelChange(w.ctx, a, target, []string{"Inställt.", "Flyttas.", ""}[c.arg%3])
	case chRetire:
		_, err = w.svc.SetState(w.ctx, w.deskAgent, d.items[int(c.target)%len(d.items)].ID, cmdb.StateRetired, "")
	case chWait:
		w.clock.Advance(time.Duration(1+c.arg%48) * time.Hour)
	}
	d.stats.Commands++
	line := fmt.Sprintf("%s by %s on %s: ", o, a.Person, target)
	if err != nil {
		d.stats.Refused[o]++
		line += err.Error()
	} else {
		d.stats.OK[o]++
		line += "ok"
	}
	d.log = append(d.log, line)
	if err := w.svc.Sync(w.ctx); err != nil {
		d.fail("sync: %v", err)
		return
	}
	d.model(o, c, a, was, ch, err)
	d.check(o, before, err)
}

// model checks a command against the state machine: a command that
// succeeded made the move the machine allows from the state before, and
// a lifecycle command of the desk's agent with valid arguments that the
// machine allows was not refused.
func (d *chDriver) model(o chOp, c chCommand, a itsm.Actor, was, ch *cmdb.Change, err error) {
	if was == nil || o == chCreate || o == chRetire || o == chWait {
		return
	}
	from := d.state[was.ID]
	if from != was.State {
		d.fail("%s was %s; the model says %s", was.Number, was.State, from)
		return
	}
	now := d.w.clock.Now()
	var to cmdb.ChangeState
	legal := true
	validArg := true
	switch o {
	case chEdit:
		legal, to = !from.Final(), from
		if err == nil && ch != nil && from == cmdb.ChangeStateApproved && userFacingChanged(was, ch) {
			to = cmdb.ChangeStateDraft
		}
		validArg = false // the edit's own checks are the rules tests'
	case chApprove:
		legal, to = from == cmdb.ChangeStateDraft && was.Window.End.After(now), cmdb.ChangeStateApproved
		validArg = c.arg%3 != 2 && c.arg%5 != 4
	case chStart:
		legal, to = from == cmdb.ChangeStateApproved, cmdb.ChangeStateInProgress
	case chComplete:
		legal, to = from == cmdb.ChangeStateInProgress, cmdb.ChangeStateCompleted
	case chCancel:
		legal, to = from == cmdb.ChangeStateDraft || from == cmdb.ChangeStateApproved, cmdb.ChangeStateCancelled
		validArg = c.arg%3 != 2
	}
	switch {
	case err == nil && !legal:
		d.fail("%s of %s succeeded from %s", o, was.Number, from)
	case err == nil:
		d.state[was.ID] = to
	case legal && validArg && a.Person == d.w.deskAgent.Person:
		d.fail("%s of %s by the desk's agent was refused from %s: %v", o, was.Number, from, err)
	}
}

// userFacingChanged reports whether what users are told differs between
// a and b.
func userFacingChanged(a, b *cmdb.Change) bool {
	return !a.Window.Start.Equal(b.Window.Start) || !a.Window.End.Equal(b.Window.End) || a.Window.Zone != b.Window.Zone ||
		!slices.Equal(a.Items, b.Items) || a.Effect != b.Effect || a.Texts != b.Texts
}

// check checks the invariants after a command: a refusal wrote nothing
// and says why with a code; every change is the fold of its events and
// in the state the model says, with the approval its history gives it;
// every window, item list and text is as the rules make them; the
// numbers have no gap; the forward schedule lists exactly the changes
// that overlap it, cancelled ones aside, in order, with symmetric
// collisions; the outages are exactly those users are told of, on or
// coming; every event matches its schema.
func (d *chDriver) check(o chOp, before string, err error) {
	w := d.w
	if err != nil {
		if c := itsm.ErrorCode(err); c == itsm.CodeInternal || c == "" {
			d.fail("%s failed without a code of the rules: %v", o, err)
		}
		if after := w.allFootprint(); after != before {
			d.fail("refused %s wrote", o)
		}
	}
	var all []*cmdb.Change
	err = w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var numbers []uint64
		err := itsm.Scan(w.ctx, tx, itsm.Query{Kind: cmdb.KindChange, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
			var ch cmdb.Change
			if err := json.Unmarshal(h.Record.Body, &ch); err != nil {
				return err
			}
			ch.Version = h.Record.Version
			all = append(all, &ch)
			numbers = append(numbers, ch.Number.Seq)
			es, err := itsm.AllEventsOf(tx, cmdb.KindChange, ch.ID)
			if err != nil {
				return err
			}
			got, err := cmdb.ReplayChange(es)
			if err != nil {
				d.fail("replay of %s: %v", ch.Number, err)
				return nil
			}
			got.Version = ch.Version
			if df := diff(got, &ch); df != "" {
				d.fail("replay of %s differs from its record: %s", ch.Number, df)
			}
			d.checkChange(&ch, es)
			return nil
		})
		slices.Sort(numbers)
		for i, n := range numbers {
			if n != uint64(i+1) {
				d.fail("change numbers %v have a gap", numbers)
				break
			}
		}
		return err
	})
	if err != nil {
		d.fail("reading the store: %v", err)
		return
	}
	d.checkSchedule(all)
	d.checkOutages(all)
	d.last = d.schemas.Check(w.t, w.ctx, w.store, d.last)
}

// checkChange checks one change's record against the rules and the model.
func (d *chDriver) checkChange(ch *cmdb.Change, es []itsm.Event) {
	if st := d.state[ch.ID]; st != ch.State {
		d.fail("%s is %s; the model says %s", ch.Number, ch.State, st)
	}
	approved := false
	for _, e := range es {
		switch e.Type {
		case "cmdb.change.approved":
			approved = true
		case "cmdb.change.edited":
			p, _ := cmdb.DecodeChange(e)
			if p.(cmdb.ChangeEdited).Unapproved {
				approved = false
			}
		}
	}
	win := ch.Window
	loc, zerr := time.LoadLocation(win.Zone)
	switch {
	case (ch.Approval != nil) != approved:
		d.fail("%s has approval %+v; its history says approved %v", ch.Number, ch.Approval, approved)
	case ch.Approval == nil && (ch.State == cmdb.ChangeStateApproved || ch.State == cmdb.ChangeStateInProgress || ch.State == cmdb.ChangeStateCompleted):
		d.fail("%s is %s without approval", ch.Number, ch.State)
	case !win.End.After(win.Start) || win.End.Sub(win.Start) > cmdb.MaxWindow || zerr != nil || win.Start.Location() != time.UTC:
		d.fail("%s has window %+v", ch.Number, win)
	case loc != nil && win.Start.In(loc).Format(time.RFC3339) != win.Local().Start:
		d.fail("%s's local window %+v", ch.Number, win.Local())
	case !sortedUnique(ch.Items):
		d.fail("%s has items %v", ch.Number, ch.Items)
	case ch.Texts.SV == "" || !ch.Kind.Valid() || !ch.Effect.Valid() || (ch.Kind == cmdb.ChangeUnplanned) == ch.Incident.IsZero():
		d.fail("%s: texts %+v, kind %s, effect %s, incident %s", ch.Number, ch.Texts, ch.Kind, ch.Effect, ch.Incident)
	case ch.State == cmdb.ChangeStateCancelled && ch.Reason == "":
		d.fail("%s is cancelled without reason", ch.Number)
	}
}

// sortedUnique reports whether ids are some IDs in ID order, each once.
func sortedUnique(ids []itsm.ID) bool {
	for i := 1; i < len(ids); i++ {
		if strings.Compare(ids[i-1].String(), ids[i].String()) >= 0 {
			return false
		}
	}
	return len(ids) > 0
}

// checkSchedule checks the schedule of a wide period against the records.
func (d *chDriver) checkSchedule(all []*cmdb.Change) {
	w := d.w
	from := w.clock.Now().Add(-20 * 24 * time.Hour)
	to := from.Add(cmdb.MaxPeriod)
	fs, err := w.svc.Schedule(w.ctx, w.cityAgent, deskID, from, to)
	if err != nil {
		d.fail("schedule: %v", err)
		return
	}
	var want []*cmdb.Change
	for _, ch := range all {
		if ch.State != cmdb.ChangeStateCancelled && ch.Window.Overlaps(from, to) {
			want = append(want, ch)
		}
	}
	slices.SortFunc(want, func(a, b *cmdb.Change) int {
		if c := a.Window.Start.Compare(b.Window.Start); c != 0 {
			return c
		}
		return int(a.Number.Seq) - int(b.Number.Seq)
	})
	var got []*cmdb.Change
	collides := map[[2]itsm.ID]bool{}
	for _, wk := range fs.Weeks {
		for _, sc := range wk.Changes {
			got = append(got, sc.Change)
			if y, n := sc.Change.Window.Start.In(stockholmZone).ISOWeek(); y != wk.Year || n != wk.Week {
				d.fail("schedule lists %s in week %d-%d; it starts in %d-%d", sc.Change.Number, wk.Year, wk.Week, y, n)
			}
			for _, c := range sc.Collisions {
				collides[[2]itsm.ID{sc.Change.ID, c.Change}] = true
			}
		}
	}
	if g, wn := numbers(got), numbers(want); !slices.Equal(g, wn) {
		d.fail("schedule lists %v; the records say %v", g, wn)
	}
	for k := range collides {
		if !collides[[2]itsm.ID{k[1], k[0]}] {
			d.fail("schedule: %s collides with %s, but not the other way", k[0], k[1])
		}
	}
}

// checkOutages checks the outages of the coming week against the
// records.
func (d *chDriver) checkOutages(all []*cmdb.Change) {
	w := d.w
	now, horizon := w.clock.Now(), 7*24*time.Hour
	os, err := w.svc.Outages(w.ctx, person(cityID, "ulla"), deskID, now, horizon)
	if err != nil {
		d.fail("outages: %v", err)
		return
	}
	var want, got []string
	for _, ch := range all {
		informs := (ch.State == cmdb.ChangeStateApproved || ch.State == cmdb.ChangeStateInProgress) && ch.Effect != cmdb.ChangeEffectNone
		current := ch.State == cmdb.ChangeStateInProgress || ch.Window.Holds(now)
		coming := ch.Window.Start.After(now) && !ch.Window.Start.After(now.Add(horizon))
		if informs && (current || coming) {
			want = append(want, fmt.Sprintf("%s %v", ch.Number, current))
		}
	}
	for i, o := range os {
		got = append(got, fmt.Sprintf("%s %v", o.Number, o.Current))
		if i > 0 && o.Window.Start.Before(os[i-1].Window.Start) {
			d.fail("outages out of order: %s before %s", os[i-1].Number, o.Number)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		d.fail("outages %v; the records say %v", got, want)
	}
}

// randomChProgram returns random command bytes that start by creating
// three changes.
func randomChProgram(r *rand.Rand) []byte {
	n := 3 + r.IntN(chMaxCommands-3)
	b := make([]byte, n*chCommandSize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, chProgram(chCmd(chCreate, 0, 0, 10), chCmd(chCreate, 0, 1, 21), chCmd(chCreate, 1, 6, 30)))
	return b
}

var (
	chRuns     = flag.Int("changes.n", 0, "sequences of TestRandomChangeSequences on memstore per seed (0: the default)")
	chSeedFlag = flag.Uint64("changes.seed", 0, "the one seed of TestRandomChangeSequences on memstore (0: the fixed and a new one)")
)

const chFixedSeed = 0xc4a46e

// TestRandomChangeSequences runs random change command sequences and
// checks every invariant after every command: on memstore 100 of a fixed
// seed and 100 of a new one (20 each under the race detector or -short),
// on SQLite and PostgreSQL ten. On memstore it also checks that the fixed
// seed's sequences reach every command, succeeding and refused, and every
// change event type.
func TestRandomChangeSequences(t *testing.T) {
	plan := seqtest.Plan{Fixed: chFixedSeed, Memstore: 100, Quick: 20, Others: 10, N: *chRuns, Seed: *chSeedFlag}
	plan.Run(t, backends(), seqtest.Machine{
		Package: "./cmdb", Test: "TestRandomChangeSequences", Flags: "changes",
		Program: randomChProgram,
		Run: func(t *testing.T, store itsm.Store, program []byte) seqtest.Sequence {
			d := newChDriver(t, newWorld(t, store))
			d.run(program)
			s := seqtest.Sequence{Counts: d.stats, Events: d.schemas.Seen}
			if len(d.issues) > 0 {
				s.Broken = d.report()
			}
			return s
		},
		Op:           func(o int) string { return chOp(o).String() },
		NeverRefused: func(o int) bool { return chOp(o) == chWait },
		EventTypes:   changeEventTypes(),
	})
}

// FuzzChanges decodes the fuzzer's bytes into a change command sequence,
// runs it on a fresh memstore and checks every invariant after every
// command, as TestRandomChangeSequences does with random bytes.
// testdata/fuzz/FuzzChanges holds the seed scripts below.
func FuzzChanges(f *testing.F) {
	f.Fuzz(func(t *testing.T, program []byte) {
		d := newChDriver(t, newWorld(t, backends()["memstore"](t)))
		d.run(program)
		if len(d.issues) > 0 {
			t.Fatalf("a command broke an invariant:\n%s", d.report())
		}
	})
}

var updateChangeSeeds = flag.Bool("update-change-seeds", false, "rewrite testdata/fuzz/FuzzChanges from the seed scripts")

// chSeedScripts are sequences that tell a story each, committed as the
// fuzz target's corpus.
var chSeedScripts = []struct {
	name   string
	script []chCommand
	check  func(d *chDriver) error
}{
	{"whole-lifecycle", []chCommand{
		chCmd(chCreate, 0, 0, 10), chCmd(chEdit, 0, 0, 0), chCmd(chApprove, 0, 0, 0), chCmd(chEdit, 0, 0, 5),
		chCmd(chApprove, 0, 0, 1), chCmd(chStart, 0, 0, 0), chCmd(chWait, 0, 0, 10), chCmd(chComplete, 0, 0, 1),
	}, func(d *chDriver) error { return d.ended(0, cmdb.ChangeStateCompleted) }},
	{"cancelled-after-approval", []chCommand{
		chCmd(chCreate, 1, 1, 21), chCmd(chApprove, 1, 0, 0), chCmd(chStart, 0, 0, 0), chCmd(chCancel, 0, 0, 0),
	}, func(d *chDriver) error {
		if d.stats.Refused[chCancel] != 1 {
			return fmt.Errorf("the cancel of a change in progress was not refused")
		}
		return d.ended(0, cmdb.ChangeStateInProgress)
	}},
	{"daylight-saving", []chCommand{
		chCmd(chCreate, 0, 0, 0), chCmd(chCreate, 0, 0, 1), chCmd(chCreate, 0, 0, 2), chCmd(chCreate, 0, 0, 3),
	}, func(d *chDriver) error {
		if len(d.changes) != 1 || d.stats.Refused[chCreate] != 3 {
			return fmt.Errorf("%d changes, want the one with its offset", len(d.changes))
		}
		return nil
	}},
	{"window-passes", []chCommand{
		chCmd(chCreate, 0, 0, 10), chCmd(chWait, 0, 0, 47), chCmd(chApprove, 0, 0, 0), chCmd(chCancel, 0, 0, 0),
	}, func(d *chDriver) error {
		if d.stats.Refused[chApprove] != 1 {
			return fmt.Errorf("a draft whose window passed was approved")
		}
		return d.ended(0, cmdb.ChangeStateCancelled)
	}},
}

// ended checks that change i of those made is in state s.
func (d *chDriver) ended(i int, s cmdb.ChangeState) error {
	if len(d.changes) <= i {
		return fmt.Errorf("%d changes were created", len(d.changes))
	}
	ch, err := d.w.svc.GetChange(d.w.ctx, d.w.deskAgent, d.changes[i])
	if err != nil {
		return err
	}
	if ch.State != s {
		return fmt.Errorf("%s is %s, not %s", ch.Number, ch.State, s)
	}
	return nil
}

// TestChangeFuzzSeeds runs each seed script, checks that it tells its
// story and that testdata/fuzz/FuzzChanges holds it as committed.
func TestChangeFuzzSeeds(t *testing.T) {
	for _, s := range chSeedScripts {
		t.Run(s.name, func(t *testing.T) {
			prog := chProgram(s.script...)
			d := newChDriver(t, newWorld(t, backends()["memstore"](t)))
			d.run(prog)
			if len(d.issues) > 0 {
				t.Fatalf("a command broke an invariant:\n%s", d.report())
			}
			if err := s.check(d); err != nil {
				t.Errorf("the script does not tell its story: %v\n%s", err, d.report())
			}
			seqtest.Seed(t, "FuzzChanges", s.name, prog, *updateChangeSeeds)
		})
	}
}
