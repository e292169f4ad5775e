// Package seqtest holds what the random command-sequence tests of the
// domain packages (incident, request, problem, knowledge) share beyond
// their own commands: whether the race detector is on, which makes them
// run fewer sequences, how many of which seeds run on each backend
// (Plan), running them and reporting a broken invariant with how to
// reproduce it (Plan.Run with a package's Machine), what they reached and
// whether that covers every operation (Counts), and the committed seed
// files of their fuzz targets, each a seed script of the package encoded
// as the fuzzer's corpus file.
package seqtest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

// Race reports whether the test binary has the race detector, from its
// build settings, so that no build-tagged file is needed.
func Race() bool {
	bi, ok := debug.ReadBuildInfo()
	return ok && slices.ContainsFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "-race" && s.Value == "true" })
}

// Seed checks that testdata/fuzz/<target>/<name> is program encoded as a
// corpus file of the fuzz target ("go test fuzz v1" and the bytes); with
// update it first writes it, as -update-fuzz-seeds asks.
func Seed(t testing.TB, target, name string, program []byte, update bool) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	file := filepath.Join(dir, name)
	want := Corpus(program)
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update-fuzz-seeds to write it)", err)
	}
	if string(got) != want {
		t.Errorf("%s is not the encoded script (run with -update-fuzz-seeds):\n%s\nwant\n%s", file, got, want)
	}
}

// Corpus is program as a corpus file of a fuzz target taking one []byte,
// which a failing sequence's report quotes so that it can be added to the
// corpus.
func Corpus(program []byte) string { return fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", program) }

// Plan says how many random sequences of which seeds a test runs on each
// backend: on memstore Memstore of Fixed and as many of a new seed (Quick
// under the race detector or -short), unless the test's flags N and Seed
// ask otherwise; on the slower backends, whose commits cost, Others of
// Fixed alone. Fixed makes part of every run the same, so that what it
// covers can be checked without flaking.
type Plan struct {
	Fixed                   uint64
	Memstore, Quick, Others int
	N                       int    // the flag of sequences a seed on memstore; 0: the plan's
	Seed                    uint64 // the flag of the one seed on memstore; 0: Fixed and a new one
}

// For returns how many sequences of each seed to run on backend.
func (p Plan) For(backend string) (n int, seeds []uint64) {
	if backend != "memstore" {
		return p.Others, []uint64{p.Fixed}
	}
	n, seeds = p.Memstore, []uint64{p.Fixed, rand.Uint64()}
	if Race() || testing.Short() {
		n = p.Quick
	}
	if p.N > 0 {
		n = p.N
	}
	if p.Seed != 0 {
		seeds = []uint64{p.Seed}
	}
	return n, seeds
}

// Counts is what random sequences reached: how many ran, how many
// commands they gave, and how often each operation succeeded and was
// refused, by its number.
type Counts struct {
	Sequences, Commands int
	OK, Refused         []int
}

// NewCounts returns counts of ops operations.
func NewCounts(ops int) Counts { return Counts{OK: make([]int, ops), Refused: make([]int, ops)} }

// Add adds o's counts to c's.
func (c *Counts) Add(o *Counts) {
	c.Sequences += o.Sequences
	c.Commands += o.Commands
	if c.OK == nil {
		c.OK, c.Refused = make([]int, len(o.OK)), make([]int, len(o.Refused))
	}
	for i := range o.OK {
		c.OK[i] += o.OK[i]
		c.Refused[i] += o.Refused[i]
	}
}

// Totals returns the commands that succeeded and those refused.
func (c *Counts) Totals() (ok, refused int) {
	for i := range c.OK {
		ok += c.OK[i]
		refused += c.Refused[i]
	}
	return ok, refused
}

// Uncovered reports as an error of t each operation the sequences never
// made succeed, or never saw refused unless neverRefused says it cannot
// be: the invariants hold vacuously of what the sequences do not reach.
// name names an operation by its number.
func (c *Counts) Uncovered(t testing.TB, name func(op int) string, neverRefused func(op int) bool) {
	t.Helper()
	for o := range c.OK {
		if c.OK[o] == 0 || c.Refused[o] == 0 && !neverRefused(o) {
			t.Errorf("%s succeeded %d times and was refused %d times: the sequences do not cover it", name(o), c.OK[o], c.Refused[o])
		}
	}
}

// Sequence is what one random command sequence did, as a package's
// driver reports it to Plan.Run.
type Sequence struct {
	// Counts are the commands it gave, succeeded and refused.
	Counts Counts
	// Events are the event types it wrote.
	Events map[string]bool
	// Broken reports the invariants it broke; empty when it broke none.
	Broken string
}

// Machine is a package's random command sequences: how to make a program,
// run it on a fresh store, and name what it should cover.
type Machine struct {
	// Package and Test name the test for the line that reproduces a
	// failure ("./problem", "TestRandomSequences"); Flags is the prefix of
	// its -Flags.seed and -Flags.n flags ("problems").
	Package, Test, Flags string
	// Program makes a random program from r.
	Program func(r *rand.Rand) []byte
	// Run runs program on store and reports what it did.
	Run func(t *testing.T, store itsm.Store, program []byte) Sequence
	// Op names an operation by its number; NeverRefused says which can
	// never be refused, so that coverage does not ask for it.
	Op           func(op int) string
	NeverRefused func(op int) bool
	// EventTypes are the types a full plan must write.
	EventTypes []string
}

// Run runs p's sequences of m on each backend, in a subtest named after
// it, and stops at the first that breaks an invariant, saying how to
// reproduce it and the program as a fuzz corpus file. On memstore at the
// full plan it also checks that the fixed seed's sequences reach every
// operation, succeeding and refused, and that they all write every event
// type: the invariants hold vacuously of what they do not reach.
func (p Plan) Run(t *testing.T, backends map[string]func(t testing.TB) itsm.Store, m Machine) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			n, seeds := p.For(name)
			var total, fixed Counts
			seen := map[string]bool{}
			for _, seed := range seeds {
				var st Counts
				for i := range n {
					prog := m.Program(rand.New(rand.NewPCG(seed, uint64(i))))
					s := m.Run(t, open(t), prog)
					st.Add(&s.Counts)
					for typ := range s.Events {
						seen[typ] = true
					}
					if s.Broken != "" {
						t.Fatalf("sequence %d of seed %d broke an invariant:\n%s\nreproduce with\n  go test %s -run '^%s$/^memstore$' -%s.seed=%d -%s.n=%d\nor add it to testdata/fuzz/FuzzCommands as\n%s",
							i, seed, s.Broken, m.Package, m.Test, m.Flags, seed, m.Flags, i+1, Corpus(prog))
					}
				}
				total.Add(&st)
				if seed == p.Fixed {
					fixed = st
				}
			}
			ok, refused := total.Totals()
			t.Logf("%d sequences, %d commands (%d succeeded, %d refused), seeds %x", total.Sequences, total.Commands, ok, refused, seeds)
			if name != "memstore" || n < p.Memstore {
				return
			}
			fixed.Uncovered(t, m.Op, m.NeverRefused)
			for _, typ := range m.EventTypes {
				if !seen[typ] {
					t.Errorf("no %s event was written", typ)
				}
			}
		})
	}
}
