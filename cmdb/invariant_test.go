package cmdb_test

import (
	"cmp"
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

// This file drives the Service with command sequences decoded from bytes
// (four a command: op, actor, target, argument): items of several classes
// created, edited, moved through their states, related and unrelated by
// every actor of the world, with inputs that are now valid and now not.
// After every command it checks the invariants (see check).
// TestRandomSequences feeds it random bytes and FuzzCommands the
// fuzzer's.

type op uint8

const (
	opCreate op = iota
	opEdit
	opState
	opRelate
	opUnrelate
	opImport // see import_invariant_test.go
	numOps
)

var opNames = [numOps]string{"create", "edit", "set state", "relate", "unrelate", "import"}

func (o op) String() string { return opNames[o%numOps] }

const (
	commandSize = 4
	maxCommands = 40
	// naturalActors is how many actor bytes (of 16) take the desk's
	// agent (or, for an item a supplier answers for, the supplier's);
	// the others name one of the world's actors.
	naturalActors = 10
)

type command struct{ op, actor, target, arg byte }

func program(cs ...command) []byte {
	var b []byte
	for _, c := range cs {
		b = append(b, c.op, c.actor, c.target, c.arg)
	}
	return b
}

// The values the sequences draw from: few, so that keys collide.
var (
	seqClasses = []string{"server", "cluster", "application", "business_service", "site", "network_device"}
	seqHosts   = []string{"app01", "app02", "db01", "web01", ""}
	seqTypes   = []string{"runs_on", "member_of", "depends_on", "located_at", "connected_to", "contains", "uses"}
	seqStates  = []cmdb.State{cmdb.StatePlanned, cmdb.StateProduction, cmdb.StateMaintenance, cmdb.StateRetired}
)

type driver struct {
	w       *world
	stats   seqtest.Counts
	issues  []string
	log     []string
	schemas *schematest.Log
	last    int64
	items   []itsm.ID
}

func newDriver(t testing.TB, w *world) *driver {
	return &driver{w: w, stats: seqtest.Counts{Sequences: 1, OK: make([]int, numOps), Refused: make([]int, numOps)},
		schemas: newSchemaChecker(t)}
}

func (d *driver) fail(format string, args ...any) {
	d.issues = append(d.issues, fmt.Sprintf(format, args...))
}

func (d *driver) report() string { return strings.Join(append(d.log, d.issues...), "\n") }

func (d *driver) run(program []byte) {
	for i := 0; i+commandSize <= len(program) && i < maxCommands*commandSize && len(d.issues) == 0; i += commandSize {
		d.step(command{program[i], program[i+1], program[i+2], program[i+3]})
	}
}

func (d *driver) pick(b byte) itsm.ID {
	if len(d.items) == 0 || b == 0xff {
		return itsm.NewID()
	}
	return d.items[int(b)%len(d.items)]
}

// actor is the command's actor: naturally the desk's agent, or the
// supplier's for an item a supplier answers for.
func (d *driver) actor(c command, target itsm.ID) itsm.Actor {
	w := d.w
	all := []itsm.Actor{w.deskAgent, w.telAgent, w.hostAgent, w.cityAgent, w.desk2Agent, w.deskUser}
	if int(c.actor%16) >= naturalActors {
		return all[int(c.actor)%len(all)]
	}
	if it, err := w.svc.Get(w.ctx, w.deskAgent, target); err == nil && it.Supplier == telcoID && c.actor%2 == 1 {
		return w.telAgent
	}
	if o := op(c.op % byte(numOps)); o == opCreate && c.actor%5 == 4 {
		return w.telAgent
	}
	return w.deskAgent
}

// relation is a relation of an item of class decided by the bytes: most
// often of a type the class may have, to an item of a class it allows.
func (d *driver) relation(class string, b1, b2 byte) cmdb.Relation {
	if b1%5 == 0 {
		return cmdb.Relation{Type: seqTypes[int(b1/5)%len(seqTypes)], To: d.pick(b2)}
	}
	c, _ := d.w.svc.Model().Class(class)
	if len(c.Relations) == 0 {
		return cmdb.Relation{Type: seqTypes[0], To: d.pick(b2)}
	}
	allowed := c.Relations[int(b1)%len(c.Relations)]
	var fit []itsm.ID
	for _, id := range d.items {
		if it, err := d.w.svc.Get(d.w.ctx, d.w.deskAgent, id); err == nil && (len(allowed.To) == 0 || slices.Contains(allowed.To, it.Class)) {
			fit = append(fit, id)
		}
	}
	if len(fit) == 0 {
		return cmdb.Relation{Type: allowed.Type, To: d.pick(b2)}
	}
	return cmdb.Relation{Type: allowed.Type, To: fit[int(b2)%len(fit)]}
}

// fields are an item's descriptive fields decided by the bytes, for its
// class: now valid, now not.
func fields(class string, target, arg byte) cmdb.ItemEdit {
	e := cmdb.ItemEdit{Name: fmt.Sprintf("%s %d", class, target%8), Attributes: map[string]string{}}
	switch class {
	case "server", "cluster", "network_device":
		e.Attributes["host_name"] = seqHosts[int(target)%len(seqHosts)]
	case "site":
		e.Attributes["site_code"] = []string{"SH1", "SH2", ""}[target%3]
	case "application":
		e.Attributes["code"] = []string{"EKO", "LON", ""}[target%3]
	}
	switch {
	case arg%7 == 0:
		e.Attributes["memory_gb"] = "mycket" // invalid, or not the class's
	case class == "server" && arg%7 == 1:
		e.Attributes["environment"] = "Production"
	case class == "server":
		e.Attributes["memory_gb"] = fmt.Sprintf("%d,5", arg)
	}
	switch {
	case class == "cluster" && arg%5 != 0:
		e.Redundancy = &cmdb.Redundancy{Min: int(arg%3) + 1}
	case class == "cluster":
	case arg%11 == 0:
		e.Redundancy = &cmdb.Redundancy{Percent: 50}
	}
	if class == "business_service" || arg%13 == 0 {
		e.Consumers = []cmdb.Consumer{{Unit: "Skola", Users: int(arg)}, {Unit: "Vård", Users: int(target)}}
	}
	if arg%6 == 5 {
		e.Supplier = telcoID
	}
	return e
}

func (d *driver) step(c command) {
	w := d.w
	o := op(c.op % byte(numOps))
	w.clock.Advance(time.Duration(c.arg%4) * time.Hour)
	target := d.pick(c.target)
	a := d.actor(c, target)
	before := w.footprint()
	var err error
	var made itsm.ID
	switch o {
	case opCreate:
		class := seqClasses[int(c.arg)%len(seqClasses)]
		n := cmdb.NewItem{Class: class, State: seqStates[int(c.arg/7)%3], ItemEdit: fields(class, c.target, c.arg)}
		if a.Organisation != deskID && a.Organisation != desk2ID {
			n.Desk = deskID
		}
		if c.arg%3 != 0 && len(d.items) > 0 {
			n.Relations = []cmdb.Relation{d.relation(class, c.target, c.arg)}
		}
		var it *cmdb.Item
		if it, err = w.svc.Create(w.ctx, a, n); err == nil {
			made, d.items = it.ID, append(d.items, it.ID)
		}
	case opEdit:
		class := "server"
		if it, err := w.svc.Get(w.ctx, w.deskAgent, target); err == nil {
			class = it.Class
		}
		_, err = w.svc.Edit(w.ctx, a, target, fields(class, c.target+c.arg, c.arg))
	case opState:
		_, err = w.svc.SetState(w.ctx, a, target, seqStates[int(c.arg)%len(seqStates)], "Planerat underhåll")
	case opRelate:
		class := "server"
		if it, err := w.svc.Get(w.ctx, w.deskAgent, target); err == nil {
			class = it.Class
		}
		_, err = w.svc.Relate(w.ctx, a, target, d.relation(class, c.arg, c.arg/7))
	case opUnrelate:
		r := cmdb.Relation{Type: seqTypes[int(c.arg)%len(seqTypes)], To: d.pick(c.arg / 7)}
		if it, err := w.svc.Get(w.ctx, w.deskAgent, target); err == nil && len(it.Relations) > 0 && c.arg%4 != 0 {
			r = it.Relations[int(c.arg)%len(it.Relations)]
		}
		_, err = w.svc.Unrelate(w.ctx, a, target, r)
	case opImport:
		made, err = d.importStep(c, a)
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
// and says why with a code of the rules; every item is the fold of its
// events; numbers have no gap; no two items of a desk that are not
// retired share a key's values; every relation is to another item of the
// desk; the graph holds the items that are not retired and exactly the
// edges their relations make, and answers every impact as a graph built
// again from the records does, each path a chain of its edges; every
// event matches its schema.
func (d *driver) check(o op, before string, err error) {
	w := d.w
	if err != nil {
		if c := itsm.ErrorCode(err); c == itsm.CodeInternal || c == "" {
			d.fail("%s failed without a code of the rules: %v", o, err)
		}
		if w.footprint() != before {
			d.fail("refused %s wrote", o)
		}
		return
	}
	items := map[itsm.ID]*cmdb.Item{}
	var order []itsm.ID
	err = w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		var numbers []uint64
		err := itsm.Scan(w.ctx, tx, itsm.Query{Kind: cmdb.KindItem, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
			var it cmdb.Item
			if err := json.Unmarshal(h.Record.Body, &it); err != nil {
				return err
			}
			items[it.ID], order = &it, append(order, it.ID)
			numbers = append(numbers, it.Number.Seq)
			es, err := itsm.AllEventsOf(tx, cmdb.KindItem, it.ID)
			if err != nil {
				return err
			}
			got, err := cmdb.Replay(es)
			if err != nil {
				d.fail("replay of %s: %v", it.Number, err)
				return nil
			}
			if diff := diff(got, &it); diff != "" {
				d.fail("replay of %s differs from its record: %s", it.Number, diff)
			}
			return nil
		})
		slices.Sort(numbers)
		for i, n := range numbers {
			if n != uint64(i+1) {
				d.fail("item numbers %v have a gap", numbers)
				break
			}
		}
		return err
	})
	if err != nil {
		d.fail("reading the store: %v", err)
		return
	}
	model := w.svc.Model()
	keys := map[string]itsm.Number{}
	live, edges := 0, 0
	edgeSet := map[[2]itsm.ID]bool{} // from, to
	for _, id := range order {
		it := items[id]
		class, _ := model.Class(it.Class)
		if it.State == cmdb.StateRetired {
			class.Keys = nil // a retired item lets go of its keys
		}
		for _, k := range class.Keys {
			var vs []string
			for _, a := range k {
				vs = append(vs, it.Attributes[a])
			}
			if slices.Contains(vs, "") {
				continue
			}
			key := fmt.Sprintf("%s %s %v=%q", it.Desk, it.Class, k, vs)
			if other, dup := keys[key]; dup {
				d.fail("%s and %s share key %s", other, it.Number, key)
			}
			keys[key] = it.Number
		}
		if it.State == cmdb.StateRetired {
			continue
		}
		live++
		for _, r := range it.Relations {
			to := items[r.To]
			if to == nil || to.Desk != it.Desk || to.ID == it.ID {
				d.fail("%s has relation %s to %s, not another item of its desk", it.Number, r.Type, r.To)
				continue
			}
			if to.State == cmdb.StateRetired {
				continue
			}
			switch t, _ := model.RelationType(r.Type); t.Propagation {
			case cmdb.ToSource:
				edges, edgeSet[[2]itsm.ID{to.ID, it.ID}] = edges+1, true
			case cmdb.ToTarget:
				edges, edgeSet[[2]itsm.ID{it.ID, to.ID}] = edges+1, true
			case cmdb.Both:
				edges, edgeSet[[2]itsm.ID{to.ID, it.ID}], edgeSet[[2]itsm.ID{it.ID, to.ID}] = edges+2, true, true
			}
		}
	}
	if err := w.svc.Sync(w.ctx); err != nil {
		d.fail("sync: %v", err)
		return
	}
	st := w.svc.GraphStatus()
	if st.Items != live || st.Edges != edges || st.Err != "" {
		d.fail("the graph holds %d items and %d edges (%s); the records make %d and %d", st.Items, st.Edges, st.Err, live, edges)
	}
	rebuilt := w.service()
	defer rebuilt.Close()
	for _, id := range order {
		it := items[id]
		if it.State == cmdb.StateRetired {
			continue
		}
		agent := w.deskAgent
		if it.Desk == desk2ID {
			agent = w.desk2Agent
		}
		for _, h := range []string{"down", "degraded"} {
			down := []cmdb.Down{{Item: id, Health: h}}
			got, err1 := w.svc.Impact(w.ctx, agent, it.Desk, down)
			want, err2 := rebuilt.Impact(w.ctx, agent, it.Desk, down)
			if err1 != nil || err2 != nil {
				d.fail("impact of %s: %v, %v", it.Number, err1, err2)
				continue
			}
			// Of several equally good explanations, the graph gives the
			// first it found, which depends on the order of its edges:
			// each path must be one, but need not be the rebuilt graph's.
			for _, a := range append(slices.Clone(got.Services), got.Items...) {
				if a.Path[0] != id || a.Path[len(a.Path)-1] != a.Item {
					d.fail("impact of %s: the path of %s is %v", it.Number, a.Number, a.Path)
				}
				for i := 1; i < len(a.Path); i++ {
					if !edgeSet[[2]itsm.ID{a.Path[i-1], a.Path[i]}] {
						d.fail("impact of %s: the path of %s is %v, whose step %d is no edge", it.Number, a.Number, a.Path, i)
					}
				}
			}
			if diff := diff(withoutPaths(got), withoutPaths(want)); diff != "" {
				d.fail("impact of %s %s differs from that of a graph built from the records: %s", it.Number, h, diff)
			}
			listed := func(a cmdb.Affected) bool { return a.Item == id && a.Health == h && len(a.Path) == 1 }
			if !slices.ContainsFunc(got.Items, listed) && !slices.ContainsFunc(got.Services, listed) {
				d.fail("impact of %s does not list it", it.Number)
			}
			if got.ItemsTotal != len(got.Items) {
				d.fail("impact of %s: %d items listed, %d counted", it.Number, len(got.Items), got.ItemsTotal)
			}
			users := 0
			for _, c := range got.Consumers {
				users += c.Users
			}
			if users != got.Users || !slices.IsSortedFunc(got.Consumers, func(a, b cmdb.Consumer) int { return cmp.Compare(b.Users, a.Users) }) {
				d.fail("impact of %s: consumers %+v do not sum to %d users", it.Number, got.Consumers, got.Users)
			}
		}
	}
	d.last = d.schemas.Check(w.t, w.ctx, w.store, d.last)
}

// withoutPaths is im without the paths of what it lists.
func withoutPaths(im *cmdb.Impact) *cmdb.Impact {
	c := *im
	c.Services, c.Items = slices.Clone(im.Services), slices.Clone(im.Items)
	for _, l := range [][]cmdb.Affected{c.Services, c.Items} {
		for i := range l {
			l[i].Path = nil
		}
	}
	return &c
}

// randomProgram returns random command bytes that start by creating a
// site, a cluster and a server.
func randomProgram(r *rand.Rand) []byte {
	n := 3 + r.IntN(maxCommands-3)
	b := make([]byte, n*commandSize)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, program(cmd(opCreate, 0, 0, 4), cmd(opCreate, 0, 1, 19), cmd(opCreate, 0, 0, 6)))
	return b
}

var (
	runs     = flag.Int("cmdb.n", 0, "sequences of TestRandomSequences on memstore per seed (0: the default)")
	seedFlag = flag.Uint64("cmdb.seed", 0, "the one seed of TestRandomSequences on memstore (0: the fixed and a new one)")
)

const fixedSeed = 0xc3db18

// TestRandomSequences runs random command sequences and checks every
// invariant after every command: on memstore 100 of a fixed seed and 100
// of a new one (20 each under the race detector or -short), on SQLite and
// PostgreSQL ten. On memstore it also checks that the fixed seed's
// sequences reach every command, both succeeding and refused, and every
// event type.
func TestRandomSequences(t *testing.T) {
	plan := seqtest.Plan{Fixed: fixedSeed, Memstore: 100, Quick: 20, Others: 10, N: *runs, Seed: *seedFlag}
	plan.Run(t, backends(), seqtest.Machine{
		Package: "./cmdb", Test: "TestRandomSequences", Flags: "cmdb",
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
		NeverRefused: func(int) bool { return false },
		EventTypes:   itemEventTypes(),
	})
}

// itemEventTypes are the types of the item events, which the sequences
// write; imports and changes have sequences of their own.
func itemEventTypes() []string {
	var out []string
	for _, p := range cmdb.Payloads() {
		out = append(out, p.Type())
	}
	return out
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
	{"cluster-member-retired", []command{
		cmd(opCreate, 0, 1, 19),  // cluster app02, min 2
		cmd(opCreate, 0, 0, 6),   // server app01
		cmd(opRelate, 0, 1, 1),   // server member_of cluster
		cmd(opState, 0, 1, 3),    // server retired
		cmd(opUnrelate, 0, 1, 0), // refused: it is retired
	}, func(d *driver) error {
		it, err := d.w.svc.Get(d.w.ctx, d.w.deskAgent, d.items[1])
		if err != nil || it.State != cmdb.StateRetired || len(it.Relations) != 1 || d.stats.Refused[opUnrelate] != 1 {
			return fmt.Errorf("the server %+v, %v", it, err)
		}
		return nil
	}},
	{"key-collision", []command{
		cmd(opCreate, 0, 0, 6), cmd(opCreate, 0, 0, 6), cmd(opCreate, 0, 1, 6),
	}, func(d *driver) error {
		if len(d.items) != 2 || d.stats.Refused[opCreate] != 1 {
			return fmt.Errorf("%d items, %d refused, want two and one", len(d.items), d.stats.Refused[opCreate])
		}
		return nil
	}},
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
