package impact

import (
	"flag"
	"fmt"
	"testing"

	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzAnalyse from the seed scripts")

// Operations of a fuzz program: three bytes each, the operation and two
// arguments.
const (
	opSetNode = iota
	opAddEdge
	opAddWeaken
	opRemoveEdge
	opRemoveNode
	opFail
	opAnalyse
	ops
)

// fuzzNode names the node of an argument: 0 is the zero ID, the others
// ten nodes.
func fuzzNode(b byte) itsm.ID {
	if b%11 == 0 {
		return itsm.ID{}
	}
	return testID(fmt.Sprintf("n%d", b%11))
}

// fuzzGroup reads a Node from a byte: plain, Min, Percent or both, with
// values out of range too.
func fuzzGroup(b byte) Node {
	v := int(b >> 2)
	switch b & 3 {
	case 1:
		return Node{Min: v%6 - 1}
	case 2:
		return Node{Percent: v*2 - 6}
	case 3:
		return Node{Min: v % 3, Percent: v * 3 % 101}
	}
	return Node{}
}

// runProgram applies a program to a graph and the reference, analysing
// at each opAnalyse and at the end, and returns what went wrong.
func runProgram(prog []byte) string {
	g, m := New(), newModel()
	var fails []Failure
	analyse := func(step int) string {
		r := g.Analyse(fails)
		if msg := m.verify(fails, r, testName); msg != "" {
			return fmt.Sprintf("step %d, failures %v:\n%s", step, fails, msg)
		}
		if msg := consistent(g, m); msg != "" {
			return fmt.Sprintf("step %d: %s", step, msg)
		}
		fails = nil
		return ""
	}
	for i := 0; i+3 <= len(prog) && i < 3*300; i += 3 {
		op, a, b := prog[i]%ops, prog[i+1], prog[i+2]
		switch op {
		case opSetNode:
			g.SetNode(fuzzNode(a), fuzzGroup(b))
			m.setNode(fuzzNode(a), fuzzGroup(b))
		case opAddEdge, opAddWeaken:
			e := Effect(op - opAddEdge)
			g.AddEdge(fuzzNode(a), fuzzNode(b), e)
			m.addEdge(fuzzNode(a), fuzzNode(b), e)
		case opRemoveEdge:
			e := Effect(prog[i] / ops % 2)
			g.RemoveEdge(fuzzNode(a), fuzzNode(b), e)
			m.removeEdge(fuzzNode(a), fuzzNode(b), e)
		case opRemoveNode:
			g.RemoveNode(fuzzNode(a))
			m.removeNode(fuzzNode(a))
		case opFail:
			fails = append(fails, Failure{Node: fuzzNode(a), Health: Health(b % 4)})
		case opAnalyse:
			if msg := analyse(i / 3); msg != "" {
				return msg
			}
		}
	}
	return analyse(-1)
}

// FuzzAnalyse runs programs of changes and analyses on a graph of ten
// nodes and the brute-force reference, which must agree on every health,
// and on paths that are real chains of edges explaining them.
func FuzzAnalyse(f *testing.F) {
	for _, s := range seedScripts {
		f.Add(program(s.script...))
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		if msg := runProgram(prog); msg != "" {
			t.Fatal(msg)
		}
	})
}

// step is one operation of a seed script.
type step [3]byte

func program(steps ...step) []byte {
	var p []byte
	for _, s := range steps {
		p = append(p, s[:]...)
	}
	return p
}

func set(n byte, group byte) step { return step{opSetNode, n, group} }
func full(from, to byte) step     { return step{opAddEdge, from, to} }
func weaken(from, to byte) step   { return step{opAddWeaken, from, to} }
func fail(n byte, h Health) step  { return step{opFail, n, byte(h)} }
func unedge(from, to byte) step   { return step{opRemoveEdge, from, to} }
func unnode(n byte) step          { return step{opRemoveNode, n, 0} }
func analyse() step               { return step{opAnalyse, 0, 0} }
func minimum(m int) byte          { return byte((m+1)<<2 | 1) }
func percent(p int) byte          { return byte((p+6)/2<<2 | 2) } // p even
func both(v int) byte             { return byte(v<<2 | 3) }       // Min v%3, Percent v*3%101
func noGroup() byte               { return 0 }
func members(g byte, ms ...byte) []step {
	var s []step
	for _, m := range ms {
		s = append(s, full(m, g))
	}
	return s
}

var seedScripts = []struct {
	name   string
	script []step
}{
	{"cluster", append(append([]step{set(1, minimum(2))}, members(1, 2, 3, 4, 5)...),
		full(1, 6), weaken(6, 7),
		fail(2, Down), analyse(),
		fail(2, Down), fail(3, Down), fail(4, Degraded), analyse(),
		fail(2, Down), fail(3, Down), fail(4, Down), fail(5, Degraded))},
	{"percent", append(append([]step{set(1, percent(50))}, members(1, 2, 3, 4)...),
		fail(2, Down), fail(3, Down), analyse(),
		set(1, percent(100)), fail(4, Degraded), analyse(),
		set(1, noGroup()), fail(5, Down))},
	{"cycle", []step{full(1, 2), full(2, 3), weaken(3, 1), full(3, 4), full(4, 4),
		set(5, minimum(1)), full(4, 5), full(6, 5), full(5, 6),
		fail(1, Down), analyse(), fail(4, Degraded), fail(6, Down)}},
	{"quorum", append(append([]step{set(1, minimum(2))}, members(1, 2, 3, 4)...),
		full(1, 5), full(5, 6), full(1, 3), set(7, minimum(1)), full(6, 7), weaken(8, 7), full(7, 9),
		fail(2, Down), analyse(),
		fail(2, Down), fail(3, Degraded), analyse(),
		fail(2, Down), fail(4, Down), fail(8, Down), analyse(),
		fail(8, Down), fail(2, Degraded), fail(1, Degraded))},
	{"removal", []step{full(1, 2), full(1, 2), weaken(1, 2), full(2, 3), set(4, both(1)), full(3, 4), full(5, 4),
		unedge(1, 2), fail(1, Down), analyse(),
		unnode(2), full(7, 8), fail(1, Down), fail(7, Degraded), analyse(),
		unnode(9), step{opRemoveEdge + ops, 1, 2}, fail(9, Down), fail(0, Down), fail(3, Health(3))}},
}

// TestFuzzSeeds runs each seed script and checks that
// testdata/fuzz/FuzzAnalyse holds it as committed; -update-fuzz-seeds
// rewrites the files.
func TestFuzzSeeds(t *testing.T) {
	for _, s := range seedScripts {
		t.Run(s.name, func(t *testing.T) {
			prog := program(s.script...)
			if msg := runProgram(prog); msg != "" {
				t.Fatal(msg)
			}
			seqtest.Seed(t, "FuzzAnalyse", s.name, prog, *updateSeeds)
		})
	}
}
