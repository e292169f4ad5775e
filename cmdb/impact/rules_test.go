package impact

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

// build makes a graph from edges written "a>b" (Full) or "a~b" (Weaken),
// with the groups given, and the reference model of the same.
func build(t *testing.T, groups map[string]Node, edges ...string) (*Graph, *model) {
	t.Helper()
	g, m := New(), newModel()
	for name, n := range groups {
		g.SetNode(testID(name), n)
		m.setNode(testID(name), n)
	}
	for _, e := range edges {
		from, to, ok := strings.Cut(e, ">")
		eff := Full
		if !ok {
			from, to, ok = strings.Cut(e, "~")
			eff = Weaken
		}
		if !ok {
			t.Fatalf("edge %q is neither a>b nor a~b", e)
		}
		g.AddEdge(testID(from), testID(to), eff)
		m.addEdge(testID(from), testID(to), eff)
	}
	return g, m
}

// failures reads "a:down b:degraded".
func failures(t *testing.T, s string) []Failure {
	t.Helper()
	var f []Failure
	for _, w := range strings.Fields(s) {
		name, health, _ := strings.Cut(w, ":")
		h, err := ParseHealth(health)
		if err != nil {
			t.Fatal(err)
		}
		f = append(f, Failure{Node: testID(name), Health: h})
	}
	return f
}

// healths reads the result as "a:down b:degraded g:at-risk", in
// Affected's order; at-risk is a group Degraded and AtRisk.
func healths(r Result) string {
	var s []string
	for _, a := range r.Affected() {
		h := a.Health.String()
		if a.AtRisk {
			h = "at-risk"
			if a.Health != Degraded {
				h = "at-risk-but-" + a.Health.String()
			}
		}
		s = append(s, testName(a.Node)+":"+h)
	}
	return strings.Join(s, " ")
}

func path(r Result, name string) string {
	var s []string
	for _, id := range r.Path(testID(name)) {
		s = append(s, testName(id))
	}
	return strings.Join(s, " ")
}

// TestRules checks each rule on a small graph: the healths and their
// order, the paths asked for, and the reference's verdict (paths real
// and explaining).
func TestRules(t *testing.T) {
	for _, c := range []struct {
		name   string
		groups map[string]Node
		edges  []string
		fail   string
		want   string            // Affected, in order
		paths  map[string]string // node: its path
	}{
		{name: "nothing failed", edges: []string{"a>b"}, want: ""},
		{name: "full edges pass down on",
			edges: []string{"a>b", "b>c", "x>a"}, fail: "a:down",
			want: "a:down b:down c:down", paths: map[string]string{"a": "a", "c": "a b c", "x": ""}},
		{name: "full edges pass degraded on",
			edges: []string{"a>b", "b>c"}, fail: "a:degraded", want: "a:degraded b:degraded c:degraded"},
		{name: "weaken turns down into degraded, and the next full edge passes degraded",
			edges: []string{"a~b", "b>c"}, fail: "a:down", want: "a:down b:degraded c:degraded",
			paths: map[string]string{"c": "a b c"}},
		{name: "weaken passes degraded as degraded",
			edges: []string{"a~b"}, fail: "a:degraded", want: "a:degraded b:degraded"},
		{name: "a plain node is as bad as its worst input",
			edges: []string{"a~c", "b>c"}, fail: "a:down b:degraded",
			want: "a:down b:degraded c:degraded"},
		{name: "the worst input explains: down through the full edge",
			edges: []string{"a~c", "b>c"}, fail: "a:down b:down",
			want: "a:down b:down c:down", paths: map[string]string{"c": "b c"}},
		{name: "a full edge beside a weaken one counts",
			edges: []string{"a~b", "a>b"}, fail: "a:down", want: "a:down b:down"},
		{name: "parallel edges of one effect change nothing",
			edges: []string{"a~b", "a~b"}, fail: "a:down", want: "a:down b:degraded"},

		{name: "Min 2 of 4: one member down puts the group at risk and passes nothing on",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "m4>g", "g>app"}, fail: "m1:down",
			want: "m1:down g:at-risk", paths: map[string]string{"g": "m1 g", "app": ""}},
		{name: "Min 2 of 4: two down still hold the quorum",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "m4>g", "g>app"}, fail: "m1:down m2:down",
			want: "m1:down m2:down g:at-risk", paths: map[string]string{"g": "m1 g"}},
		{name: "Min 2 of 4: three down is down",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "m4>g", "g>app"}, fail: "m1:down m2:down m3:down",
			want: "m1:down m2:down m3:down g:down app:down"},
		{name: "Min 2 of 4: a degraded member puts the group at risk",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "m4>g", "g>app"}, fail: "m3:degraded",
			want: "m3:degraded g:at-risk"},
		{name: "a quorum held only with degraded members passes degraded on",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "g>app"}, fail: "m1:down m2:degraded",
			want:  "m1:down m2:degraded g:degraded app:degraded",
			paths: map[string]string{"g": "m2 g", "app": "m2 g app"}},
		{name: "degraded members count towards the quorum",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "m3>g"}, fail: "m1:down m2:degraded m3:degraded",
			want: "m1:down m2:degraded m3:degraded g:degraded"},
		{name: "degraded members are not enough when too few",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "g>app"}, fail: "m1:down m2:down m3:degraded",
			want: "m1:down m2:down g:down app:down m3:degraded", paths: map[string]string{"app": "m2 g app"}},
		{name: "a group that lost its quorum passes down on; the path goes through the member that tipped it",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1>g", "m2>g", "g>app", "app~svc"}, fail: "m1:down m2:down",
			want:  "m1:down m2:down g:down app:down svc:degraded",
			paths: map[string]string{"g": "m2 g", "svc": "m2 g app svc"}},
		{name: "order: down, degraded, then at risk",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1>g", "m2>g", "a>b"}, fail: "m1:down a:degraded",
			want: "m1:down a:degraded b:degraded g:at-risk"},
		{name: "a group at risk and its own failure: the failure counts",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1>g", "m2>g", "g>app"}, fail: "m1:down g:degraded",
			want: "m1:down g:degraded app:degraded", paths: map[string]string{"g": "g", "app": "g app"}},
		{name: "a member down along a weaken edge arrives degraded and counts",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1~g", "m2~g"}, fail: "m1:down m2:down",
			want: "m1:down m2:down g:degraded"},
		{name: "a member down along a weaken edge of a group that holds: at risk",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1~g", "m2>g"}, fail: "m1:down",
			want: "m1:down g:at-risk"},
		{name: "a member is one input however many edges",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m1>g", "m1~g", "m2>g"}, fail: "m1:down",
			want: "m1:down g:down"},
		{name: "Percent 50 of 4 requires 2",
			groups: map[string]Node{"g": {Percent: 50}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "m4>g"}, fail: "m1:down m2:down",
			want: "m1:down m2:down g:at-risk"},
		{name: "Percent 51 of 4 rounds up to 3",
			groups: map[string]Node{"g": {Percent: 51}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "m4>g"}, fail: "m1:down m2:down",
			want: "m1:down m2:down g:down"},
		{name: "Percent 50 of 3 rounds up to 2: one down is at risk",
			groups: map[string]Node{"g": {Percent: 50}},
			edges:  []string{"m1>g", "m2>g", "m3>g"}, fail: "m1:down",
			want: "m1:down g:at-risk"},
		{name: "Percent 50 of 3 rounds up to 2: two down is down",
			groups: map[string]Node{"g": {Percent: 50}},
			edges:  []string{"m1>g", "m2>g", "m3>g"}, fail: "m1:down m2:down",
			want: "m1:down m2:down g:down"},
		{name: "Percent 1 of 3 requires 1",
			groups: map[string]Node{"g": {Percent: 1}},
			edges:  []string{"m1>g", "m2>g", "m3>g"}, fail: "m1:down m2:down",
			want: "m1:down m2:down g:at-risk"},
		{name: "Percent 100 is every input",
			groups: map[string]Node{"g": {Percent: 100}},
			edges:  []string{"m1>g", "m2>g", "m3>g"}, fail: "m1:down",
			want: "m1:down g:down"},
		{name: "Percent above 100 reads as 100",
			groups: map[string]Node{"g": {Percent: 250}},
			edges:  []string{"m1>g", "m2>g"}, fail: "m2:down",
			want: "m2:down g:down"},
		{name: "Min and Percent both set: the larger",
			groups: map[string]Node{"g": {Min: 1, Percent: 75}},
			edges:  []string{"m1>g", "m2>g", "m3>g", "m4>g"}, fail: "m1:down m2:down",
			want: "m1:down m2:down g:down"},
		{name: "negative Min is no group",
			groups: map[string]Node{"g": {Min: -2}},
			edges:  []string{"m1>g", "m2>g"}, fail: "m1:down",
			want: "m1:down g:down"},
		{name: "Min above the inputs requires all of them",
			groups: map[string]Node{"g": {Min: 3}},
			edges:  []string{"m1>g", "m2>g"}, fail: "m1:degraded",
			want: "m1:degraded g:degraded"},
		{name: "Min above the inputs: one down is down",
			groups: map[string]Node{"g": {Min: 3}},
			edges:  []string{"m1>g", "m2>g"}, fail: "m1:down",
			want: "m1:down g:down"},
		{name: "a group without inputs stays up",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"g>app"}, fail: "x:down", want: "x:down"},

		{name: "a node's own failure is a floor over its group",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1>g", "m2>g"}, fail: "g:down",
			want: "g:down", paths: map[string]string{"g": "g"}},
		{name: "a node's own failure is a floor its inputs cannot lower",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1>g", "m2>g"}, fail: "g:down m1:degraded",
			want: "g:down m1:degraded", paths: map[string]string{"g": "g"}},
		{name: "inputs worse than a node's own failure explain it",
			edges: []string{"a>b"}, fail: "a:down b:degraded",
			want: "a:down b:down", paths: map[string]string{"b": "a b"}},
		{name: "a failure as bad as the input explains itself",
			edges: []string{"a>b"}, fail: "a:degraded b:degraded",
			want: "a:degraded b:degraded", paths: map[string]string{"b": "b"}},
		{name: "a node failing twice counts the worse",
			edges: []string{"a>b"}, fail: "a:degraded a:down a:up",
			want: "a:down b:down"},

		{name: "a cycle passes a failure round once",
			edges: []string{"a>b", "b>c", "c>a", "c>d"}, fail: "b:down",
			want: "b:down c:down a:down d:down", paths: map[string]string{"a": "b c a", "d": "b c d"}},
		{name: "a cycle makes no failure up",
			edges: []string{"a>b", "b>a"}, fail: "", want: ""},
		{name: "a self-loop changes nothing",
			edges: []string{"a>a", "a>b"}, fail: "a:degraded", want: "a:degraded b:degraded"},
		{name: "the least fixpoint: a group in a cycle with a member holds its quorum through that member",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1>g", "m2>g", "g>m2"}, fail: "m1:down",
			want: "m1:down g:at-risk", paths: map[string]string{"g": "m1 g", "m2": ""}},
		{name: "the least fixpoint: a group in a cycle with a degraded member passes degraded round once",
			groups: map[string]Node{"g": {Min: 1}},
			edges:  []string{"m1>g", "m2>g", "g>m2"}, fail: "m1:down m2:degraded",
			want: "m1:down m2:degraded g:degraded", paths: map[string]string{"g": "m2 g", "m2": "m2"}},
		{name: "the least fixpoint: a group whose quorum needs the member it feeds goes down with it",
			groups: map[string]Node{"g": {Min: 2}},
			edges:  []string{"m1>g", "m2>g", "g>m2"}, fail: "m1:down",
			want: "m1:down g:down m2:down", paths: map[string]string{"m2": "m1 g m2"}},
		{name: "a cycle of weaken and full edges settles at degraded",
			edges: []string{"a~b", "b>c", "c>a"}, fail: "a:down",
			want: "a:down b:degraded c:degraded"},

		{name: "order: worst, then shorter path, then ID",
			edges: []string{"a>c", "c>d", "b~e", "a>f"}, fail: "b:down a:degraded",
			want: "b:down a:degraded c:degraded e:degraded f:degraded d:degraded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, m := build(t, c.groups, c.edges...)
			f := failures(t, c.fail)
			r := g.Analyse(f)
			if got := healths(r); got != c.want {
				t.Errorf("affected %q, want %q", got, c.want)
			}
			for node, want := range c.paths {
				if got := path(r, node); got != want {
					t.Errorf("path to %s %q, want %q", node, got, want)
				}
			}
			if msg := m.verify(f, r, testName); msg != "" {
				t.Errorf("against the reference:\n%s", msg)
			}
		})
	}
}

// TestUnknownFailedNode: a failed node the graph lacks is affected, as
// failed, and nothing else is.
func TestUnknownFailedNode(t *testing.T) {
	g, _ := build(t, nil, "a>b")
	r := g.Analyse(failures(t, "x:degraded a:down x:down"))
	if got := healths(r); got != "a:down x:down b:down" {
		t.Errorf("affected %q", got)
	}
	if p := path(r, "x"); p != "x" {
		t.Errorf("path to x %q", p)
	}
	if n, _ := g.Len(); n != 2 {
		t.Errorf("Analyse added nodes: %d", n)
	}
}

// TestIgnoredFailures: Up is no failure, the zero ID no node, a health
// above Down is Down.
func TestIgnoredFailures(t *testing.T) {
	g, _ := build(t, nil, "a>b")
	r := g.Analyse([]Failure{{Node: testID("a"), Health: Up}, {Node: itsm.ID{}, Health: Down}})
	if r.Len() != 0 || r.Affected() != nil && len(r.Affected()) != 0 {
		t.Errorf("affected %q", healths(r))
	}
	r = g.Analyse([]Failure{{Node: testID("a"), Health: Health(7)}})
	if got := healths(r); got != "a:down b:down" {
		t.Errorf("health 7: affected %q", got)
	}
}

// TestZeroIDIsNoNode: the mutators ignore the zero ID.
func TestZeroIDIsNoNode(t *testing.T) {
	g := New()
	zero := itsm.ID{}
	g.SetNode(zero, Node{Min: 1})
	g.AddEdge(zero, testID("a"), Full)
	g.AddEdge(testID("a"), zero, Full)
	g.AddEdge(testID("a"), testID("b"), Effect(2))
	g.RemoveNode(zero)
	g.RemoveEdge(zero, testID("a"), Full)
	if n, e := g.Len(); n != 0 || e != 0 {
		t.Errorf("Len %d, %d", n, e)
	}
}

// TestZeroResult: a Result nobody analysed says every node is up.
func TestZeroResult(t *testing.T) {
	var r Result
	if r.Health(testID("a")) != Up || r.Path(testID("a")) != nil || r.Affected() != nil || r.Len() != 0 {
		t.Error("the zero Result affects something")
	}
}

// TestRemoval: removing nodes and edges takes their failures' ways away,
// edges count with multiplicity, and a removed node's number is reused
// without its old edges.
func TestRemoval(t *testing.T) {
	g, m := build(t, map[string]Node{"g": {Percent: 50}},
		"a>b", "b>c", "a~c", "a~c", "m1>g", "m2>g", "m3>g", "m4>g")
	check := func(fail, want string, nodes, edges int) {
		t.Helper()
		f := failures(t, fail)
		r := g.Analyse(f)
		if got := healths(r); got != want {
			t.Errorf("%s: affected %q, want %q", fail, got, want)
		}
		if msg := m.verify(f, r, testName); msg != "" {
			t.Errorf("%s: against the reference:\n%s", fail, msg)
		}
		if msg := consistent(g, m); msg != "" {
			t.Error(msg)
		}
		if n, e := g.Len(); n != nodes || e != edges {
			t.Errorf("Len %d, %d; want %d, %d", n, e, nodes, edges)
		}
	}
	check("a:down", "a:down b:down c:down", 8, 8)
	remove := func(from, to string, e Effect) {
		g.RemoveEdge(testID(from), testID(to), e)
		m.removeEdge(testID(from), testID(to), e)
	}
	remove("a", "c", Full) // there is none: nothing happens
	check("a:down", "a:down b:down c:down", 8, 8)
	g.RemoveNode(testID("b"))
	m.removeNode(testID("b"))
	check("a:down", "a:down c:degraded", 7, 6)
	remove("a", "c", Weaken)
	check("a:down", "a:down c:degraded", 7, 5)
	remove("a", "c", Weaken)
	check("a:down", "a:down", 7, 4)
	remove("a", "c", Weaken) // gone already
	check("a:down", "a:down", 7, 4)

	// Three inputs of four: 50 % is 2, so two down of three is down.
	check("m1:down m2:down", "m1:down m2:down g:at-risk", 7, 4)
	g.RemoveNode(testID("m4"))
	m.removeNode(testID("m4"))
	check("m1:down m2:down", "m1:down m2:down g:down", 6, 3)

	// New nodes take the free numbers and none of the old edges.
	g.AddEdge(testID("x"), testID("y"), Full)
	m.addEdge(testID("x"), testID("y"), Full)
	check("x:down", "x:down y:down", 8, 4)
	check("a:down", "a:down", 8, 4)
	g.RemoveNode(testID("unknown"))
	g.RemoveEdge(testID("a"), testID("unknown"), Full)
	check("a:down", "a:down", 8, 4)
	if len(g.ids) != 8 {
		t.Errorf("%d numbers for 8 nodes after 2 were removed and 2 added", len(g.ids))
	}
}

// TestSetNodeChangesAGroup: a node may become a group and stop being one.
func TestSetNodeChangesAGroup(t *testing.T) {
	g, _ := build(t, nil, "m1>g", "m2>g")
	want := []string{"m1:down g:down", "m1:down g:at-risk", "m1:down g:down"}
	for i, n := range []Node{{}, {Min: 1}, {}} {
		g.SetNode(testID("g"), n)
		if got := healths(g.Analyse(failures(t, "m1:down"))); got != want[i] {
			t.Errorf("as %+v: %q, want %q", n, got, want[i])
		}
	}
}

// TestAffected: each node with its health and the predecessor that
// explains it, zero for its own failure.
func TestAffected(t *testing.T) {
	g, _ := build(t, nil, "a>b")
	r := g.Analyse(failures(t, "a:down"))
	if !slices.Equal(r.Affected(), []Affected{{Node: testID("a"), Health: Down}, {Node: testID("b"), Health: Down, Via: testID("a")}}) {
		t.Errorf("Affected %v", r.Affected())
	}
}

// TestResultOutlivesChanges: a Result answers as of its analysis.
func TestResultOutlivesChanges(t *testing.T) {
	g, _ := build(t, nil, "a>b")
	r := g.Analyse(failures(t, "a:down"))
	g.RemoveNode(testID("b"))
	g.AddEdge(testID("a"), testID("c"), Full)
	if got := healths(r); got != "a:down b:down" || path(r, "b") != "a b" {
		t.Errorf("after changes: %q, path %q", got, path(r, "b"))
	}
}

func TestHealthNames(t *testing.T) {
	for _, h := range []Health{Up, Degraded, Down} {
		if got, err := ParseHealth(h.String()); err != nil || got != h {
			t.Errorf("ParseHealth(%q) = %v, %v", h.String(), got, err)
		}
	}
	for _, s := range []string{"", "Down", "broken", strings.Repeat("x", 500)} {
		_, err := ParseHealth(s)
		var e *itsm.Error
		if !errors.As(err, &e) || e.Code != itsm.CodeInvalid || len(err.Error()) > 200 {
			t.Errorf("ParseHealth(%.20q): %v", s, err)
		}
	}
	if Health(9).String() != "Health(9)" || Full.String() != "full" || Weaken.String() != "weaken" || Effect(4).String() != "Effect(4)" {
		t.Error("String of an unnamed value")
	}
}

// TestCompaction: lists that grow and nodes removed leave garbage in the
// arenas, which are compacted when half of them is garbage, keeping
// every list and answer as it was.
func TestCompaction(t *testing.T) {
	g, m := New(), newModel()
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]itsm.ID, 1500)
	for i := range ids {
		ids[i] = testID(fmt.Sprintf("c%04d", i))
	}
	compactions := 0
	for round := range 4 {
		for range 3000 {
			from, to, e := ids[r.IntN(len(ids))], ids[r.IntN(len(ids))], Effect(r.IntN(2))
			g.AddEdge(from, to, e)
			m.addEdge(from, to, e)
		}
		before := len(g.arcs.data) + len(g.sources.data)
		for range 700 {
			id := ids[r.IntN(len(ids))]
			g.RemoveNode(id)
			m.removeNode(id)
		}
		if len(g.arcs.data)+len(g.sources.data) < before {
			compactions++
		}
		if msg := consistent(g, m); msg != "" {
			t.Fatalf("round %d: %s", round, msg)
		}
		f := []Failure{{Node: ids[round], Health: Down}}
		if msg := m.verify(f, g.Analyse(f), testName); msg != "" {
			t.Fatalf("round %d: %s", round, msg)
		}
	}
	if compactions == 0 {
		t.Error("the arenas were never compacted")
	}
	t.Logf("%d rounds of 4 compacted", compactions)
	if g.arcs.wasteful() || g.sources.wasteful() {
		t.Errorf("half garbage left: arcs %d of %d, sources %d of %d",
			g.arcs.garbage, len(g.arcs.data), g.sources.garbage, len(g.sources.data))
	}
}
