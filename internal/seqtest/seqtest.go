// Package seqtest holds what the random command-sequence tests of the
// domain packages (incident, request, problem) share beyond their own
// commands: whether the race detector is on, which makes them run fewer
// sequences, how many of which seeds run on each backend (Plan), what
// they reached and whether that covers every operation (Counts), and the
// committed seed files of their fuzz targets, each a seed script of the
// package encoded as the fuzzer's corpus file.
package seqtest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"
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
