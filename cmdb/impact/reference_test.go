package impact

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/internal/seqtest"
	"github.com/spoc-itsm/spoc/itsm"
)

// model is the brute-force reference: the same graph kept as plainly as
// possible, analysed by applying every rule to every node until nothing
// changes.
type model struct {
	nodes map[itsm.ID]Node              // as given to SetNode, not normalised
	edges map[[2]itsm.ID]map[Effect]int // multiplicity by effect
}

func newModel() *model {
	return &model{nodes: map[itsm.ID]Node{}, edges: map[[2]itsm.ID]map[Effect]int{}}
}

func (m *model) setNode(id itsm.ID, n Node) {
	if id != (itsm.ID{}) {
		m.nodes[id] = n
	}
}

func (m *model) addEdge(from, to itsm.ID, e Effect) {
	if from == (itsm.ID{}) || to == (itsm.ID{}) || (e != Full && e != Weaken) {
		return
	}
	for _, id := range []itsm.ID{from, to} {
		if _, ok := m.nodes[id]; !ok {
			m.nodes[id] = Node{}
		}
	}
	k := [2]itsm.ID{from, to}
	if m.edges[k] == nil {
		m.edges[k] = map[Effect]int{}
	}
	m.edges[k][e]++
}

func (m *model) removeEdge(from, to itsm.ID, e Effect) {
	k := [2]itsm.ID{from, to}
	if m.edges[k][e] > 0 {
		m.edges[k][e]--
		if m.edges[k][e] == 0 {
			delete(m.edges[k], e)
		}
		if len(m.edges[k]) == 0 {
			delete(m.edges, k)
		}
	}
}

func (m *model) removeNode(id itsm.ID) {
	delete(m.nodes, id)
	for k := range m.edges {
		if k[0] == id || k[1] == id {
			delete(m.edges, k)
		}
	}
}

func (m *model) len() (nodes, edges int) {
	for _, byEffect := range m.edges {
		for _, n := range byEffect {
			edges += n
		}
	}
	return len(m.nodes), edges
}

// floors are the failures as Analyse documents it reads them.
func floors(failures []Failure) map[itsm.ID]Health {
	f := map[itsm.ID]Health{}
	for _, x := range failures {
		h := x.Health
		if h > Down {
			h = Down
		}
		if h != Up && x.Node != (itsm.ID{}) && h > f[x.Node] {
			f[x.Node] = h
		}
	}
	return f
}

// arrival is the worst health a source of health h gives its target
// through the edges byEffect.
func arrival(byEffect map[Effect]int, h Health) Health {
	worst := Up
	for e, n := range byEffect {
		if n == 0 {
			continue
		}
		a := h
		if e == Weaken && a == Down {
			a = Degraded
		}
		worst = max(worst, a)
	}
	return worst
}

// required reads a group's Node as SetNode documents: out-of-range values
// clamped, the larger of two counts when both are set; Percent rounded up.
func required(n Node, inputs int) (int, bool) {
	minimum := n.Min
	if minimum < 0 {
		minimum = 0
	}
	pct := n.Percent
	if pct < 0 {
		pct = 0
	}
	if pct > 100 {
		pct = 100
	}
	if minimum == 0 && pct == 0 {
		return 0, false
	}
	byPct := int(math.Ceil(float64(pct) * float64(inputs) / 100))
	return min(max(minimum, byPct), inputs), true
}

// verdict is the reference's answer: every node's health as its
// dependents see it (what its edges pass on), and the groups at risk:
// passing Up with an input that arrives worse.
type verdict struct {
	passes map[itsm.ID]Health // not Up only
	atRisk map[itsm.ID]bool
}

// reported is the health the Result must give id: Degraded for a group
// at risk, else what it passes on.
func (v verdict) reported(id itsm.ID) Health {
	if v.atRisk[id] {
		return Degraded
	}
	return v.passes[id]
}

// analyse iterates over all nodes, applying the rules to the healths so
// far, from all Up, until a pass changes nothing: for monotone rules this
// reaches the least fixpoint. The groups at risk are read off it after.
func (m *model) analyse(failures []Failure) verdict {
	floor := floors(failures)
	health := maps.Clone(floor)
	inputs := map[itsm.ID][]itsm.ID{}
	for k := range m.edges {
		inputs[k[1]] = append(inputs[k[1]], k[0])
	}
	for changed := true; changed; {
		changed = false
		for id, n := range m.nodes {
			var h Health
			if req, group := required(n, len(inputs[id])); group {
				// Count the inputs that work as the issue says: at least
				// req of them Up, or else at least req not Down.
				var up, notDown int
				for _, from := range inputs[id] {
					a := arrival(m.edges[[2]itsm.ID{from, id}], health[from])
					if a == Up {
						up++
					}
					if a != Down {
						notDown++
					}
				}
				switch {
				case up >= req:
					h = Up
				case notDown >= req:
					h = Degraded
				default:
					h = Down
				}
			} else {
				for _, from := range inputs[id] {
					h = max(h, arrival(m.edges[[2]itsm.ID{from, id}], health[from]))
				}
			}
			h = max(h, floor[id])
			if h < health[id] {
				panic(fmt.Sprintf("the reference lowered %v from %v to %v: the rules are not monotone", id, health[id], h))
			}
			if h != health[id] {
				health[id], changed = h, true
			}
		}
	}
	atRisk := map[itsm.ID]bool{}
	for id, n := range m.nodes {
		if _, group := required(n, 0); !group || health[id] != Up {
			continue
		}
		for _, from := range inputs[id] {
			if arrival(m.edges[[2]itsm.ID{from, id}], health[from]) != Up {
				atRisk[id] = true
			}
		}
	}
	for id, h := range health {
		if h == Up {
			delete(health, id)
		}
	}
	return verdict{passes: health, atRisk: atRisk}
}

// rankOf orders affected nodes as Result.Affected does: down, degraded,
// at risk.
func rankOf(a Affected) int {
	switch {
	case a.Health == Down:
		return 0
	case a.AtRisk:
		return 2
	}
	return 1
}

// verify checks res against the reference for failures and returns what
// is wrong, "" when nothing is. name names an ID in messages.
func (m *model) verify(failures []Failure, res Result, name func(itsm.ID) string) string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	v := m.analyse(failures)
	floor := floors(failures)
	got := res.Affected()
	if want := len(v.passes) + len(v.atRisk); len(got) != want || res.Len() != want {
		fail("%d affected (Len %d), want %d", len(got), res.Len(), want)
	}
	seen := map[itsm.ID]bool{}
	for i, a := range got {
		if seen[a.Node] {
			fail("%s affected twice", name(a.Node))
		}
		seen[a.Node] = true
		if a.Health != v.reported(a.Node) || a.AtRisk != v.atRisk[a.Node] {
			fail("%s is %v (at risk %t), want %v (%t)", name(a.Node), a.Health, a.AtRisk, v.reported(a.Node), v.atRisk[a.Node])
		}
		if h := res.Health(a.Node); h != a.Health {
			fail("Health(%s) = %v, Affected says %v", name(a.Node), h, a.Health)
		}
		if w := res.ViaAt(i); w < -1 || w >= len(got) || (w < 0) != a.Via.IsZero() || w >= 0 && got[w].Node != a.Via {
			fail("ViaAt(%d) = %d, Via is %s", i, w, name(a.Via))
		}
		path := res.Path(a.Node)
		if i > 0 {
			prev := got[i-1]
			c := cmp.Or(cmp.Compare(rankOf(prev), rankOf(a)), cmp.Compare(len(res.Path(prev.Node)), len(path)),
				bytes.Compare(prev.Node[:], a.Node[:]))
			if c >= 0 {
				fail("Affected: %s (%v, path of %d) before %s (%v, path of %d)", name(prev.Node), prev.Health,
					len(res.Path(prev.Node)), name(a.Node), a.Health, len(path))
			}
		}
		if msg := m.verifyPath(a, path, floor, res, v); msg != "" {
			fail("path to %s %s: %s", name(a.Node), names(path, name), msg)
		}
	}
	for id, h := range v.passes {
		if !seen[id] {
			fail("%s missing from Affected, want %v", name(id), h)
		}
	}
	for id := range v.atRisk {
		if !seen[id] {
			fail("%s missing from Affected, want it at risk", name(id))
		}
	}
	for id := range m.nodes {
		if v.reported(id) == Up && (res.Health(id) != Up || res.Path(id) != nil) {
			fail("%s: Health %v, Path %v, want Up and none", name(id), res.Health(id), res.Path(id))
		}
	}
	return strings.Join(bad, "\n")
}

// verifyPath checks that path is a real chain of edges from a failure
// that explains a's health step by step: each step's source passes on
// (v says what) enough to raise its target to the health res gives it.
func (m *model) verifyPath(a Affected, path []itsm.ID, floor map[itsm.ID]Health, res Result, v verdict) string {
	if len(path) == 0 || path[len(path)-1] != a.Node {
		return "does not end at the node"
	}
	if len(path) == 1 && a.Via != (itsm.ID{}) || len(path) > 1 && a.Via != path[len(path)-2] {
		return fmt.Sprintf("Via is %v", a.Via)
	}
	if h := res.Health(path[0]); floor[path[0]] != h {
		return fmt.Sprintf("starts at a node that is %v without failing so", h)
	}
	on := map[itsm.ID]bool{path[0]: true}
	for i := 1; i < len(path); i++ {
		from, to := path[i-1], path[i]
		if on[to] {
			return "goes round"
		}
		on[to] = true
		byEffect := m.edges[[2]itsm.ID{from, to}]
		if len(byEffect) == 0 {
			return fmt.Sprintf("step %d is no edge", i)
		}
		if v.atRisk[from] {
			return fmt.Sprintf("step %d: a group at risk passes nothing on", i)
		}
		h, arrives := res.Health(to), arrival(byEffect, res.Health(from))
		if floor[to] >= h {
			return fmt.Sprintf("step %d: the node's own failure explains its health", i)
		}
		if _, group := required(m.nodes[to], 0); group {
			if arrives == Up || h == Down && arrives != Down {
				return fmt.Sprintf("step %d: the group is %v, its input arrives %v", i, h, arrives)
			}
		} else if arrives != h {
			return fmt.Sprintf("step %d: %v arrives, the node is %v", i, arrives, h)
		}
	}
	return ""
}

func names(ids []itsm.ID, name func(itsm.ID) string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = name(id)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// consistent checks the graph's own bookkeeping against the reference:
// numbers, arcs, places of pairs, counts.
func consistent(g *Graph, m *model) string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if mn, me := m.len(); len(g.index) != mn || g.edges != me {
		return fmt.Sprintf("%d nodes %d edges, want %d and %d", len(g.index), g.edges, mn, me)
	}
	for id, n := range m.nodes {
		i, ok := g.index[id]
		if !ok || g.ids[i] != id {
			return fmt.Sprintf("node %v lost", id)
		}
		if req, group := required(n, 1000); group != g.nodes[i].group() || group && req != g.nodes[i].required(1000) {
			return fmt.Sprintf("node %v is %+v, set as %+v", id, g.nodes[i], n)
		}
	}
	if len(g.arcs.data) != len(g.counts.data) || g.arcs.garbage != g.counts.garbage {
		return fmt.Sprintf("arcs %d (%d garbage), counts %d (%d)", len(g.arcs.data), g.arcs.garbage, len(g.counts.data), g.counts.garbage)
	}
	if msg := reserved(g.out, len(g.arcs.data), g.arcs.garbage); msg != "" {
		return "arcs: " + msg
	}
	if msg := reserved(g.in, len(g.sources.data), g.sources.garbage); msg != "" {
		return "sources: " + msg
	}
	arcs := 0
	for i, out := range g.out {
		counts := g.counts.list(out)
		for j, a := range g.arcs.list(out) {
			arcs++
			k := [2]itsm.ID{g.ids[i], g.ids[a.to()]}
			if n := counts[j]; n[Full] != int32(m.edges[k][Full]) || n[Weaken] != int32(m.edges[k][Weaken]) {
				return fmt.Sprintf("arc %v has %v, want %v", k, n, m.edges[k])
			}
			if a != g.arc(a.to(), counts[j]) {
				return fmt.Sprintf("arc %v is %x, want %x", k, a, g.arc(a.to(), counts[j]))
			}
			p, ok := g.pairs[pair(int32(i), a.to())]
			if !ok || p.out != int32(j) || g.sources.list(g.in[a.to()])[p.in] != int32(i) {
				return fmt.Sprintf("arc %v misplaced: %+v", k, p)
			}
		}
	}
	ins := 0
	for _, in := range g.in {
		ins += int(in.len)
	}
	if arcs != len(m.edges) || ins != arcs || len(g.pairs) != arcs {
		return fmt.Sprintf("%d arcs, %d sources, %d pairs; want %d", arcs, ins, len(g.pairs), len(m.edges))
	}
	if len(g.index)+len(g.free) != len(g.ids) {
		return fmt.Sprintf("%d nodes and %d free numbers of %d", len(g.index), len(g.free), len(g.ids))
	}
	return ""
}

// randomGraph makes a random graph of up to 40 nodes with groups of
// either kind (some of their settings out of range), cycles, parallel
// edges of both effects and self-loops, then removes some edges and
// nodes; it applies every step to g and m.
func randomGraph(r *rand.Rand, g *Graph, m *model, pool []itsm.ID) {
	n := 1 + r.IntN(len(pool))
	nodes := pool[:n]
	for _, id := range nodes {
		var nd Node
		switch r.IntN(6) {
		case 0:
			nd.Min = r.IntN(5) - 1
		case 1:
			nd.Percent = r.IntN(120) - 5
		case 2:
			nd.Min, nd.Percent = r.IntN(4), r.IntN(101)
		}
		g.SetNode(id, nd)
		m.setNode(id, nd)
	}
	edges := r.IntN(3 * n)
	for range edges {
		from, to, e := nodes[r.IntN(n)], nodes[r.IntN(n)], Effect(r.IntN(2))
		g.AddEdge(from, to, e)
		m.addEdge(from, to, e)
	}
	for range r.IntN(n/2 + 1) {
		from, to, e := nodes[r.IntN(n)], nodes[r.IntN(n)], Effect(r.IntN(2))
		g.RemoveEdge(from, to, e)
		m.removeEdge(from, to, e)
	}
	for range r.IntN(3) {
		id := nodes[r.IntN(n)]
		g.RemoveNode(id)
		m.removeNode(id)
		if r.IntN(2) == 0 { // back, under a reused number
			from := nodes[r.IntN(n)]
			g.AddEdge(from, id, Weaken)
			m.addEdge(from, id, Weaken)
		}
	}
}

// randomFailures fails a few nodes, some of them unknown to the graph,
// some twice, with every health including Up and out-of-range ones.
func randomFailures(r *rand.Rand, pool []itsm.ID) []Failure {
	f := make([]Failure, 1+r.IntN(4))
	for i := range f {
		f[i] = Failure{Node: pool[r.IntN(len(pool))], Health: Health(r.IntN(9) / 2)}
	}
	return f
}

// testID makes readable IDs for tests: the name's bytes, so that IDs sort
// as their names do.
func testID(name string) itsm.ID {
	var id itsm.ID
	copy(id[:], name)
	return id
}

func testName(id itsm.ID) string { return strings.TrimRight(string(id[:]), "\x00") }

// TestAgainstReference compares Analyse with the brute-force reference on
// many random graphs, failures and the paths that explain them.
func TestAgainstReference(t *testing.T) {
	graphs := 3000
	if testing.Short() || seqtest.Race() {
		graphs = 300
	}
	pool := make([]itsm.ID, 40)
	for i := range pool {
		pool[i] = testID(fmt.Sprintf("n%02d", i))
	}
	seed := rand.Uint64()
	var affected, groupsHit int
	for i := range graphs {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		g, m := New(), newModel()
		// The first half bring unknown nodes to fail: fewer than the pool.
		randomGraph(r, g, m, pool[:len(pool)-r.IntN(2)*5])
		if msg := consistent(g, m); msg != "" {
			t.Fatalf("graph %d of seed %d: %s", i, seed, msg)
		}
		for range 5 {
			failures := randomFailures(r, pool)
			res := g.Analyse(failures)
			if msg := m.verify(failures, res, testName); msg != "" {
				t.Fatalf("graph %d of seed %d, failures %v:\n%s", i, seed, failures, msg)
			}
			affected += res.Len()
			for _, a := range res.Affected() {
				if _, group := required(m.nodes[a.Node], 0); group && a.Via != (itsm.ID{}) {
					groupsHit++
				}
			}
		}
	}
	if groupsHit == 0 || affected == 0 {
		t.Errorf("the random graphs never affected a group (%d) or anything (%d)", groupsHit, affected)
	}
	t.Logf("%d graphs of seed %d: %d affected nodes, %d groups affected through inputs", graphs, seed, affected, groupsHit)
}

// TestLargeResults compares Analyse with the reference where the results
// are large enough to be sorted by radix: IDs that share bytes (as
// version 7 IDs made the same day do), that share their first half, and
// that are random, on random graphs of a few thousand nodes.
func TestLargeResults(t *testing.T) {
	sizes := []int{500, 3000}
	if testing.Short() || seqtest.Race() {
		sizes = []int{500, 800}
	}
	seed := rand.Uint64()
	for _, kind := range []string{"shared prefix", "shared half", "random"} {
		for _, n := range sizes {
			r := rand.New(rand.NewPCG(seed, uint64(n)))
			pool := make([]itsm.ID, n)
			for i := range pool {
				for j := range pool[i] {
					pool[i][j] = byte(r.Uint32())
				}
				switch kind {
				case "shared prefix":
					copy(pool[i][:5], "\x01\x9b\x77\x00\x10")
				case "shared half":
					copy(pool[i][:8], "\x01\x9b\x77\x00\x10\x20\x30\x40")
					pool[i][8] = byte(i % 3) // ties on the first half, some on more
				}
			}
			name := func(id itsm.ID) string { return fmt.Sprintf("%x", id[:]) }
			g, m := New(), newModel()
			for i, id := range pool {
				if i%10 == 0 {
					nd := Node{Min: 1 + r.IntN(3)}
					g.SetNode(id, nd)
					m.setNode(id, nd)
				}
				for range 2 {
					// Mostly forward (a layered world), sometimes back (cycles).
					to := pool[min(n-1, i+1+r.IntN(20))]
					if r.IntN(10) == 0 {
						to = pool[r.IntN(n)]
					}
					e := Effect(r.IntN(2))
					g.AddEdge(id, to, e)
					m.addEdge(id, to, e)
				}
			}
			// Several analyses, so that the scratch's buffers are reused.
			for k := range 3 {
				failures := []Failure{{Node: pool[k], Health: Down}, {Node: pool[n/3+k], Health: Degraded}, {Node: testID("lacking"), Health: Down}}
				res := g.Analyse(failures)
				if k == 0 && res.Len() < 256 {
					t.Errorf("%s, %d nodes: only %d affected, too few to sort by radix", kind, n, res.Len())
				}
				if msg := m.verify(failures, res, name); msg != "" {
					t.Fatalf("%s, %d nodes, seed %d, analysis %d:\n%s", kind, n, seed, k, msg)
				}
			}
		}
	}
}

// reserved checks that the spans reserve disjoint room within an arena of
// size elements, which with the garbage accounts for all of it.
func reserved(spans []span, size, garbage int) string {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b span) int { return cmp.Compare(a.off, b.off) })
	room, end := 0, uint32(0)
	for _, s := range sorted {
		if s.len > s.cap {
			return fmt.Sprintf("span %+v holds more than its room", s)
		}
		if s.cap == 0 {
			continue
		}
		if s.off < end {
			return fmt.Sprintf("span %+v overlaps the one before", s)
		}
		end = s.off + s.cap
		room += int(s.cap)
	}
	if int(end) > size || room+garbage != size {
		return fmt.Sprintf("spans reserve %d up to %d, %d garbage, of %d", room, end, garbage, size)
	}
	return ""
}
