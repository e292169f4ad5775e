package knowledge_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/schematest"
	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
)

// This file drives the Service with command sequences decoded from bytes
// (four a command: op, actor, target, argument): articles created,
// translated, edited, reviewed, published, retired, confirmed and handed
// over by every actor of the world, marked and used, incidents registered,
// known errors published, revised and retired in package problem. After
// every command it checks the invariants (see check).
// TestRandomSequences feeds it random bytes and FuzzCommands the
// fuzzer's.

// op is one kind of step.
type op uint8

const (
	opCreate op = iota
	opTranslate
	opEdit
	opSubmit
	opSendBack
	opPublish
	opRetire
	opConfirm
	opHandOver
	opMark
	opUse
	opRegister
	opKnownError
	numOps
)

var opNames = [numOps]string{"create", "translate", "edit", "submit", "send back", "publish", "retire", "confirm review",
	"hand over", "mark", "record use", "register incident", "known error"}

func (o op) String() string { return opNames[o%numOps] }

// commandSize is the bytes of one command; maxCommands bounds a sequence.
const (
	commandSize = 4
	maxCommands = 40
)

// naturalActors is how many actor bytes (of 16) take the actor a command
// naturally has; the others name one of the world's actors.
const naturalActors = 10

type command struct{ op, actor, target, arg byte }

func program(cs ...command) []byte {
	var b []byte
	for _, c := range cs {
		b = append(b, c.op, c.actor, c.target, c.arg)
	}
	return b
}

// titles all hold "datorn", so that one search finds every article.
var titles = []string{"Datorn startar inte", "Datorn är långsam", "Ny datorn på kontoret", "Datorn och skrivaren"}

// driver runs one command sequence against a fresh world.
type driver struct {
	w       *world
	t       testing.TB
	stats   seqtest.Counts
	issues  []string
	log     []string
	schemas *schematest.Log
	last    int64
	// articles, incidents and knownErrors are what the sequence made.
	articles, incidents, knownErrors []itsm.ID
	// published is each version as first read, by article and number.
	published map[itsm.ID][]string
}

func newDriver(t testing.TB, w *world) *driver {
	return &driver{w: w, t: t, stats: seqtest.Counts{Sequences: 1, OK: make([]int, numOps), Refused: make([]int, numOps)},
		schemas: newSchemaChecker(t), published: map[itsm.ID][]string{}}
}

func (d *driver) fail(format string, args ...any) {
	d.issues = append(d.issues, fmt.Sprintf(format, args...))
}

func (d *driver) report() string { return strings.Join(append(d.log, d.issues...), "\n") }

// run decodes and runs a program, stopping at the first broken invariant.
func (d *driver) run(program []byte) {
	for i := 0; i+commandSize <= len(program) && i < maxCommands*commandSize && len(d.issues) == 0; i += commandSize {
		d.step(command{program[i], program[i+1], program[i+2], program[i+3]})
	}
}

func pick(ids []itsm.ID, b byte) itsm.ID {
	if len(ids) == 0 || b == 0xff {
		return itsm.NewID() // one that does not exist
	}
	return ids[int(b)%len(ids)]
}

// agentOf is an agent of org.
func (d *driver) agentOf(org itsm.ID) itsm.Actor {
	switch org {
	case telcoID:
		return d.w.telAgent
	case cityID:
		return d.w.cityAgent
	}
	return d.w.deskAgent
}

// actor is the command's actor: natural is the owner's or the desk's
// agent for the editors' commands, a reader for marks.
func (d *driver) actor(c command, o op, target itsm.ID) itsm.Actor {
	w := d.w
	if int(c.actor%16) >= naturalActors {
		return whos[int(c.actor)%len(whos)].actor(w)
	}
	switch o {
	case opCreate:
		return []itsm.Actor{w.deskAgent, w.telAgent, w.cityAgent}[c.target%3]
	case opTranslate:
		return []itsm.Actor{w.deskAgent, w.telAgent}[c.arg%2]
	case opMark:
		return []itsm.Actor{w.cityUser, w.townUser, w.telAgent, w.deskUser}[c.arg%4]
	case opEdit, opSubmit, opRetire, opConfirm, opHandOver, opPublish:
		if a, err := w.svc.Get(w.ctx, w.deskAgent, target); err == nil && c.arg%2 == 1 {
			return d.agentOf(a.Owner)
		}
	}
	return w.deskAgent
}

// text is s but empty for a few arguments, which is invalid where a text
// is required.
func text(arg byte, s string) string {
	if arg%11 == 0 {
		return ""
	}
	return s
}

// articleContent is content decided by the bytes.
func articleContent(target, arg byte) knowledge.Content {
	c := knowledge.Content{Title: text(arg, titles[int(target)%len(titles)]), Body: "Starta om **datorn** och vänta.",
		Keywords: []string{"dator"}, Audience: []knowledge.Audience{knowledge.AudiencePublic, knowledge.AudienceUsers, knowledge.AudienceChain}[arg%3]}
	if c.Audience == knowledge.AudienceUsers && target%2 == 0 {
		c.Customers = []itsm.ID{cityID}
	}
	return c
}

// step runs one command and checks the invariants after it.
func (d *driver) step(c command) {
	w := d.w
	o := op(c.op % byte(numOps))
	w.clock.Advance(time.Duration(c.arg%4) * 61 * 24 * time.Hour)
	var target itsm.ID
	switch o {
	case opCreate, opRegister, opKnownError:
	case opUse:
		target = pick(d.articles, c.target)
	default:
		target = pick(d.articles, c.target)
	}
	a := d.actor(c, o, target)
	ctx, s := w.ctx, w.svc
	before := w.footprint()
	var err error
	var made itsm.ID
	switch o {
	case opCreate:
		dr := knowledge.Draft{Kind: []knowledge.ArticleKind{knowledge.KindFAQ, knowledge.KindGuide, "howto"}[c.arg%7%3],
			Language: knowledge.Swedish, Content: articleContent(c.target, c.arg)}
		if a.Organisation != deskID && a.Organisation != desk2ID {
			dr.Desk = deskID
		}
		var art *knowledge.Article
		if art, err = s.Create(ctx, a, dr); err == nil {
			made, d.articles = art.ID, append(d.articles, art.ID)
		}
	case opTranslate:
		lang := []knowledge.Language{knowledge.Bokmal, knowledge.Nynorsk, knowledge.English, knowledge.Swedish}[c.arg%4]
		var art *knowledge.Article
		if art, err = s.Translate(ctx, a, target, lang, articleContent(c.target+1, c.arg)); err == nil {
			made, d.articles = art.ID, append(d.articles, art.ID)
		}
	case opEdit:
		_, err = s.Edit(ctx, a, target, articleContent(c.target+c.arg, c.arg))
	case opSubmit:
		_, err = s.Submit(ctx, a, target)
	case opSendBack:
		_, err = s.SendBack(ctx, a, target, text(c.arg, "Skriv om stycket."))
	case opPublish:
		_, err = s.Publish(ctx, a, target, knowledge.Publishing{Note: text(c.arg, "Nytt stycke.")})
	case opRetire:
		_, err = s.Retire(ctx, a, target, text(c.arg, "Inaktuell."))
	case opConfirm:
		_, err = s.ConfirmReview(ctx, a, target, time.Time{})
	case opHandOver:
		_, err = s.HandOver(ctx, a, target, []string{"greta", "hans", ""}[c.arg%3])
	case opMark:
		_, err = s.Mark(ctx, a, target, c.arg%3 != 0)
	case opUse:
		_, err = s.RecordUse(ctx, a, target, pick(d.incidents, c.arg))
	case opRegister:
		var inc *incident.Incident
		inc, err = w.inc.Register(ctx, w.deskAgent, incident.Registration{Customer: cityID,
			Caller: incident.Caller{Person: "ulla", Name: "Ulla"}, Channel: incident.ChannelPhone, Service: "e-post",
			Category: "konto", Summary: "Glömt lösenord", Impact: itsm.ImpactMedium, Urgency: itsm.UrgencyMedium})
		if err == nil {
			made, d.incidents = inc.ID, append(d.incidents, inc.ID)
		}
	case opKnownError:
		err = d.knownError(c)
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
	if err := w.svc.Sync(ctx); err != nil {
		d.fail("sync: %v", err)
		return
	}
	d.check(o, before, err)
}

// knownError records and publishes a known error, revises one or retires
// one, by the argument, in package problem; the knowledge base follows.
func (d *driver) knownError(c command) error {
	w := d.w
	dr := problem.KnownErrorDraft{Title: "Datorn låser sig", Symptom: "Skärmen fryser.", RootCause: "Drivrutinen.",
		Fix: problem.Fix{Status: []problem.FixStatus{problem.FixPlanned, problem.FixInProgress, problem.FixReleased}[c.target%3]}}
	switch c.arg % 3 {
	case 0:
		k, err := w.prb.RecordKnownError(w.ctx, w.deskAgent, dr)
		if err != nil {
			return err
		}
		d.knownErrors = append(d.knownErrors, k.ID)
		_, err = w.prb.PublishKnownError(w.ctx, w.deskAgent, k.ID)
		return err
	case 1:
		dr.Symptom = "Skärmen fryser efter en stund."
		_, err := w.prb.ReviseKnownError(w.ctx, w.deskAgent, pick(d.knownErrors, c.target), dr)
		return err
	}
	_, err := w.prb.RetireKnownError(w.ctx, w.deskAgent, pick(d.knownErrors, c.target), "Rättat.")
	return err
}

// seesContent is the audience rule of docs/knowledge.md: whether o reads
// content c of an article of the desk.
func seesContent(o who, c *knowledge.Content) bool {
	switch c.Audience {
	case knowledge.AudiencePublic:
		return true
	case knowledge.AudienceChain:
		return o.org == deskID || o.role == itsm.OrgSupplier
	case knowledge.AudienceUsers:
		if o.role == itsm.OrgCustomer {
			return len(c.Customers) == 0 || slices.Contains(c.Customers, o.org)
		}
		return o.org == deskID || o.role == itsm.OrgSupplier
	}
	return false
}

var markTag = regexp.MustCompile(`</?mark>`)

// check checks the invariants after a command: a refusal wrote nothing
// and says why with a code; every article and its stats are the fold of
// their events; each reader sees in Get, List and Search exactly the
// published versions whose audience holds it, never a draft; every
// published version stays as it was published; the master numbers have no
// gap; the index holds exactly the published articles, with their current
// title and retirement; stats count the marks and uses stored; every
// event matches its schema.
func (d *driver) check(o op, before string, err error) {
	w := d.w
	if err != nil {
		if c := itsm.ErrorCode(err); c == itsm.CodeInternal || c == "" {
			d.fail("%s failed without a code of the rules: %v", o, err)
		}
		if after := w.footprint(); after != before {
			d.fail("refused %s wrote", o)
		}
		return
	}
	arts := map[itsm.ID]*knowledge.Article{}
	var order []itsm.ID
	marks := map[itsm.ID][2]int{}
	uses := map[itsm.ID]int{}
	err = w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		history := map[itsm.ID][]itsm.Event{}
		stats := map[itsm.ID][]itsm.Event{}
		for after := int64(0); ; {
			es, err := tx.Events(after, itsm.MaxLimit)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				break
			}
			for _, e := range es {
				switch e.Kind {
				case knowledge.Kind:
					history[e.Subject] = append(history[e.Subject], e)
				case knowledge.KindStats:
					stats[e.Subject] = append(stats[e.Subject], e)
				}
			}
			after = es[len(es)-1].Seq
		}
		var numbers []uint64
		err := itsm.Scan(w.ctx, tx, itsm.Query{Kind: knowledge.Kind, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
			var a knowledge.Article
			if err := json.Unmarshal(h.Record.Body, &a); err != nil {
				return err
			}
			arts[a.ID], order = &a, append(order, a.ID)
			numbers = append(numbers, a.Number.Seq)
			got, err := knowledge.Replay(history[a.ID])
			if err != nil {
				d.fail("replay of %s: %v", a.Number, err)
				return nil
			}
			if diff := diff(got, &a); diff != "" {
				d.fail("replay of %s differs from its record: %s", a.Number, diff)
			}
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(numbers)
		for i, n := range numbers {
			if n != uint64(i+1) {
				d.fail("article numbers %v have a gap", numbers)
				break
			}
		}
		for _, kind := range []string{knowledge.KindMark, knowledge.KindUse} {
			err := itsm.Scan(w.ctx, tx, itsm.Query{Kind: kind, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
				var r struct {
					Article itsm.ID        `json:"article"`
					Mark    knowledge.Mark `json:"mark"`
				}
				if err := json.Unmarshal(h.Record.Body, &r); err != nil {
					return err
				}
				if kind == knowledge.KindUse {
					uses[r.Article]++
					return nil
				}
				m := marks[r.Article]
				if r.Mark == knowledge.MarkHelpful {
					m[0]++
				} else {
					m[1]++
				}
				marks[r.Article] = m
				return nil
			})
			if err != nil {
				return err
			}
		}
		for id, es := range stats {
			st, err := knowledge.ReplayStats(es)
			if err != nil {
				d.fail("replay of the stats of %s: %v", id, err)
				continue
			}
			if st.Helpful != marks[id][0] || st.Unhelpful != marks[id][1] || st.Uses != uses[id] {
				d.fail("stats of %s replay as %+v; marks %v and %d uses are stored", id, st, marks[id], uses[id])
			}
		}
		return nil
	})
	if err != nil {
		d.fail("reading the store: %v", err)
		return
	}
	// What each reader sees.
	skipSearch, searched := o == opRegister, map[itsm.ID]bool{}
	for _, o := range whos {
		actor := o.actor(w)
		readable := map[itsm.ID]bool{}
		for _, id := range order {
			a := arts[id]
			editor := o.agent && (o.org == a.Owner || o.org == a.Desk)
			reads := o.read && (editor || a.Published != nil && seesContent(o, &a.Published.Content))
			readable[id] = reads
			got, err := w.svc.Get(w.ctx, actor, id)
			if reads != (err == nil) {
				d.fail("the %s reads %s (%s): %v, want %v", o.name, a.Number, a.State, err, reads)
				continue
			}
			if err != nil || editor {
				if err == nil && got.Stats.Helpful != marks[id][0] || err == nil && got.Stats.Uses != uses[id] {
					d.fail("%s shows stats %+v; marks %v and %d uses are stored", a.Number, got.Stats, marks[id], uses[id])
				}
				continue
			}
			if got.State == knowledge.StateDraft || got.State == knowledge.StateReview || diff(got.Draft, got.Published.Content) != "" ||
				got.Published.Number != a.Current || got.OwnerPerson != "" || got.SentBack != "" {
				d.fail("the %s reads %s as %s, draft %+v, version %d", o.name, a.Number, got.State, got.Draft, got.Published.Number)
			}
		}
		if !o.read {
			continue
		}
		page, err := w.svc.List(w.ctx, actor, knowledge.Filter{Limit: 100})
		if err != nil {
			d.fail("the %s lists: %v", o.name, err)
			continue
		}
		for _, a := range page.Articles {
			if !readable[a.ID] {
				d.fail("the %s lists %s, which it may not read", o.name, a.Number)
			}
			editor := o.agent && (o.org == a.Owner || o.org == a.Desk)
			if !editor && (a.State == knowledge.StateDraft || a.State == knowledge.StateReview) {
				d.fail("the %s lists %s as %s", o.name, a.Number, a.State)
			}
		}
		// Search sees organisations, not persons: one search an
		// organisation, and none after what cannot change the index.
		if skipSearch || searched[o.org] {
			continue
		}
		searched[o.org] = true
		r, err := w.svc.Search(w.ctx, actor, knowledge.Query{Text: "datorn", Limit: knowledge.MaxLimit})
		if err != nil {
			d.fail("the %s searches: %v", o.name, err)
			continue
		}
		found := map[itsm.ID]bool{}
		for _, h := range r.Hits {
			found[h.ID] = true
			a := arts[h.ID]
			if a == nil || a.Published == nil || !seesContent(o, &a.Published.Content) {
				d.fail("the %s finds %s, outside its audience or unpublished", o.name, h.Number)
				continue
			}
			if title := markTag.ReplaceAllString(h.Title, ""); title != htmlEscape(a.Published.Title) || h.Retired != (a.State == knowledge.StateRetired) {
				d.fail("the %s finds %s titled %q, retired %v; the record says %q, %s", o.name, h.Number, title, h.Retired, a.Published.Title, a.State)
			}
		}
		for _, id := range order {
			a := arts[id]
			if a.Published != nil && seesContent(o, &a.Published.Content) && !found[id] {
				d.fail("the %s does not find %s %q (%s)", o.name, a.Number, a.Published.Title, a.State)
			}
		}
	}
	live := 0
	for _, a := range arts {
		if a.Published != nil {
			live++
		}
	}
	if st := w.svc.IndexStatus(); st.Documents != live || st.Err != "" {
		d.fail("the index holds %d articles (%s); %d are published", st.Documents, st.Err, live)
	}
	// Every published version stays as it was.
	for _, id := range order {
		a := arts[id]
		for n := 1; n <= a.Current; n++ {
			v, err := w.svc.Version(w.ctx, w.deskAgent, id, n)
			if err != nil {
				d.fail("version %d of %s: %v", n, a.Number, err)
				continue
			}
			b, _ := json.Marshal(v)
			if n > len(d.published[id]) {
				d.published[id] = append(d.published[id], string(b))
			} else if d.published[id][n-1] != string(b) {
				d.fail("version %d of %s changed:\n%s\n%s", n, a.Number, d.published[id][n-1], b)
			}
		}
	}
	d.last = d.schemas.Check(w.t, w.ctx, w.store, d.last)
	// The searches above may have counted gaps: written now, so that the
	// next command's footprint does not move under it.
	if err := w.svc.Sync(w.ctx); err != nil {
		d.fail("sync: %v", err)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// randomProgram returns random command bytes that start by registering
// an incident and creating two articles.
func randomProgram(r *rand.Rand) []byte {
	n := 3 + r.IntN(maxCommands-3)
	b := make([]byte, n*commandSize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, program(command{op: byte(opRegister)}, command{op: byte(opCreate), arg: 1}, command{op: byte(opCreate), target: 1, arg: 2}))
	return b
}

var (
	runs     = flag.Int("knowledge.n", 0, "sequences of TestRandomSequences on memstore per seed (0: the default)")
	seedFlag = flag.Uint64("knowledge.seed", 0, "the one seed of TestRandomSequences on memstore (0: the fixed and a new one)")
)

const fixedSeed = 0x5eed17

// TestRandomSequences runs random command sequences and checks every
// invariant after every command: on memstore 100 of a fixed seed and 100
// of a new one (20 each under the race detector or -short), on SQLite and
// PostgreSQL ten. On memstore it also checks that the fixed seed's
// sequences reach every command, both succeeding and refused, and every
// event type.
func TestRandomSequences(t *testing.T) {
	plan := seqtest.Plan{Fixed: fixedSeed, Memstore: 100, Quick: 20, Others: 10, N: *runs, Seed: *seedFlag}
	plan.Run(t, backends(), seqtest.Machine{
		Package: "./knowledge", Test: "TestRandomSequences", Flags: "knowledge",
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

func cmd(o op, actor, target, arg byte) command { return command{byte(o), actor, target, arg} }

// seedScripts are sequences that tell a story each, committed as the fuzz
// target's corpus.
var seedScripts = []struct {
	name   string
	script []command
	check  func(d *driver) error
}{
	{"whole-lifecycle", []command{
		cmd(opCreate, 0, 1, 1), cmd(opSubmit, 0, 0, 1), cmd(opSendBack, 0, 0, 1), cmd(opSubmit, 0, 0, 1),
		cmd(opPublish, 0, 0, 2), cmd(opMark, 0, 0, 1), cmd(opRegister, 0, 0, 0), cmd(opUse, 0, 0, 0),
		cmd(opEdit, 0, 0, 1), cmd(opSubmit, 0, 0, 1), cmd(opPublish, 0, 0, 2), cmd(opConfirm, 0, 0, 0),
		cmd(opHandOver, 0, 0, 1), cmd(opRetire, 0, 0, 1),
	}, func(d *driver) error { return d.ended(knowledge.StateRetired, 2) }},
	{"translated", []command{
		cmd(opCreate, 0, 0, 1), cmd(opTranslate, 0, 0, 0), cmd(opTranslate, 0, 0, 4), cmd(opSubmit, 0, 1, 1), cmd(opPublish, 0, 1, 2),
	}, func(d *driver) error {
		if len(d.articles) != 2 {
			return fmt.Errorf("%d articles, want the original and one translation", len(d.articles))
		}
		return d.endedAt(1, knowledge.StatePublished, 1)
	}},
	{"supplier-chain", []command{
		cmd(opCreate, 0, 1, 8), cmd(opSubmit, 0, 0, 1), cmd(opPublish, 0, 0, 1), cmd(opMark, 0, 0, 1), cmd(opMark, 0, 0, 2),
	}, func(d *driver) error { return d.ended(knowledge.StatePublished, 1) }},
	{"known-error", []command{
		cmd(opKnownError, 0, 0, 0), cmd(opKnownError, 0, 1, 1), cmd(opKnownError, 0, 0, 2),
	}, func(d *driver) error {
		page, err := d.w.svc.List(d.w.ctx, d.w.deskAgent, knowledge.Filter{Kind: knowledge.KindKnownError})
		if err != nil || len(page.Articles) != 1 || page.Articles[0].State != knowledge.StateRetired || page.Articles[0].Current != 2 {
			return fmt.Errorf("known-error articles %+v, %v", page.Articles, err)
		}
		return nil
	}},
}

// ended checks that the first article made is in state s at version n.
func (d *driver) ended(s knowledge.State, n int) error { return d.endedAt(0, s, n) }

// endedAt checks that article i of those made is in state s at version n.
func (d *driver) endedAt(i int, s knowledge.State, n int) error {
	if len(d.articles) <= i {
		return fmt.Errorf("%d articles were created", len(d.articles))
	}
	a, err := d.w.svc.Get(d.w.ctx, d.w.deskAgent, d.articles[i])
	if err != nil {
		return err
	}
	if a.State != s || a.Current != n {
		return fmt.Errorf("%s is %s at version %d, not %s at %d", a.Number, a.State, a.Current, s, n)
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
