package impact

import (
	"slices"
	"sync"

	"github.com/spoc-itsm/spoc/itsm"
)

// Graph is a failure-propagation graph: nodes named by itsm.ID and
// directed edges along which a failure travels. The zero Graph is not
// ready for use; New makes one.
//
// A Graph is safe for concurrent use: any number of Analyse calls run in
// parallel, and a change (SetNode, AddEdge, ...) waits for the analyses
// running and holds back new ones until it is made, which takes
// microseconds (milliseconds, rarely, when it compacts the graph's
// memory after many removals).
//
// A graph keeps its memory as large as it has been: a removed node's
// place is given to the next node added. The zero ID is no node: every
// method ignores it.
type Graph struct {
	mu sync.RWMutex

	// Nodes are numbered densely from 0 so that an analysis keeps its
	// state in slices rather than maps. index finds a node's number; a
	// removed node's number goes to free and is given to the next new
	// node, so the numbers stay as dense as the graph has ever been large
	// and nothing is ever renumbered (decision 160).
	index map[itsm.ID]int32
	ids   []itsm.ID // by number; zero for a free number
	nodes []Node    // by number
	free  []int32

	// out is where a node's outgoing edges are: one arc per target in
	// arcs, and at the same place in counts how many edges of each effect
	// the arc stands for. in is where the distinct sources of a node's
	// incoming edges (a group's inputs) are in sources. pairs finds the
	// arc of a (from, to) pair and the source's place among the target's,
	// so that adding or removing an edge costs the same at a hub with
	// thousands of edges as anywhere else.
	out     []span
	arcs    arena[arc]
	counts  arena[multiplicity]
	in      []span
	sources arena[int32]
	pairs   map[uint64]place
	edges   int // with multiplicity: Len's edges

	scratch sync.Pool // of *scratch
}

// arc is every edge from one node to one target, as the analysis reads
// it: in four bytes, so that a node's arcs share cache lines, the
// target's number, the effect that counts, and whether the target is a
// group, which spares reading the target's Node for the others.
type arc uint32

const (
	arcWeaken arc = 1 << 31 // only weaken edges: a full one would count
	arcGroup  arc = 1 << 30 // the target is a redundancy group
	arcTo     arc = arcGroup - 1

	// maxNodes is the most nodes a graph numbers (arcTo's bits).
	maxNodes = int(arcTo) + 1
)

func (a arc) to() int32 { return int32(a & arcTo) }

// effect is the effect that counts: a full edge passes on at least what a
// weaken one does, so a weaken edge beside it changes nothing.
func (a arc) effect() Effect {
	if a&arcWeaken != 0 {
		return Weaken
	}
	return Full
}

// multiplicity is how many edges of each effect an arc stands for
// (parallel edges are kept, decision 164).
type multiplicity [2]int32

// arc packs the arc to t standing for the edges n.
func (g *Graph) arc(t int32, n multiplicity) arc {
	a := arc(t)
	if n[Full] == 0 {
		a |= arcWeaken
	}
	if g.nodes[t].group() {
		a |= arcGroup
	}
	return a
}

// place is where a (from, to) pair is: its arc among from's and from
// among to's sources.
type place struct{ out, in int32 }

func pair(from, to int32) uint64 { return uint64(uint32(from))<<32 | uint64(uint32(to)) }

// New returns an empty graph.
func New() *Graph {
	return &Graph{index: map[itsm.ID]int32{}, pairs: map[uint64]place{}}
}

// SetNode adds the node id or changes what it is. A Node with a negative
// Min or Percent reads them as 0, a Percent above 100 as 100; with both
// set, the group requires the larger of the two counts (decision 163).
func (g *Graph) SetNode(id itsm.ID, n Node) {
	if id.IsZero() {
		return
	}
	n.Min, n.Percent = max(n.Min, 0), min(max(n.Percent, 0), 100)
	g.mu.Lock()
	defer g.mu.Unlock()
	i := g.node(id)
	was := g.nodes[i].group()
	g.nodes[i] = n
	if was != n.group() {
		for _, from := range g.sources.list(g.in[i]) {
			g.arcs.list(g.out[from])[g.pairs[pair(from, i)].out] ^= arcGroup
		}
	}
}

// RemoveNode removes the node id and every edge into and out of it. An
// unknown id is ignored.
func (g *Graph) RemoveNode(id itsm.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	i, ok := g.index[id]
	if !ok || id.IsZero() {
		return
	}
	counts := g.counts.list(g.out[i])
	for j, a := range g.arcs.list(g.out[i]) {
		k := pair(i, a.to())
		if a.to() != i {
			g.removeIn(a.to(), g.pairs[k].in)
		}
		delete(g.pairs, k)
		g.edges -= int(counts[j][Full] + counts[j][Weaken])
	}
	for _, from := range g.sources.list(g.in[i]) {
		if from == i {
			continue // the self-loop went with i's arcs
		}
		k := pair(from, i)
		p := g.pairs[k]
		n := g.counts.list(g.out[from])[p.out]
		g.edges -= int(n[Full] + n[Weaken])
		g.removeOut(from, p.out)
		delete(g.pairs, k)
	}
	out := g.out[i]
	g.arcs.release(&out)
	g.counts.release(&g.out[i])
	g.sources.release(&g.in[i])
	g.ids[i], g.nodes[i] = itsm.ID{}, Node{}
	delete(g.index, id)
	g.free = append(g.free, i)
	g.compact()
}

// AddEdge adds an edge along which a failure of from travels to to, with
// effect e; it adds from and to as plain nodes when they are missing.
// Edges are counted with multiplicity: adding one that exists adds
// another, which RemoveEdge must remove too before the edge is gone
// (decision 164). An effect other than Full and Weaken is ignored, as is
// the zero ID.
func (g *Graph) AddEdge(from, to itsm.ID, e Effect) {
	if from.IsZero() || to.IsZero() || e > Weaken {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	f, t := g.node(from), g.node(to)
	k := pair(f, t)
	if p, ok := g.pairs[k]; ok {
		n := &g.counts.list(g.out[f])[p.out]
		n[e]++
		g.arcs.list(g.out[f])[p.out] = g.arc(t, *n)
	} else {
		var n multiplicity
		n[e] = 1
		g.pairs[k] = place{out: int32(g.out[f].len), in: int32(g.in[t].len)}
		out := g.out[f]
		g.arcs.push(&out, g.arc(t, n))
		g.counts.push(&g.out[f], n) // the same moves as the arcs'
		g.sources.push(&g.in[t], f)
		g.compact()
	}
	g.edges++
}

// RemoveEdge removes one edge from -> to of effect e, if there is one.
// The nodes stay.
func (g *Graph) RemoveEdge(from, to itsm.ID, e Effect) {
	if e > Weaken {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.index[from]
	t, ok2 := g.index[to]
	if !ok || !ok2 {
		return
	}
	k := pair(f, t)
	p, ok := g.pairs[k]
	if !ok {
		return
	}
	n := &g.counts.list(g.out[f])[p.out]
	if n[e] == 0 {
		return
	}
	n[e]--
	g.edges--
	if n[Full]+n[Weaken] == 0 {
		g.removeOut(f, p.out)
		g.removeIn(t, p.in)
		delete(g.pairs, k)
	} else {
		g.arcs.list(g.out[f])[p.out] = g.arc(t, *n)
	}
}

// Len returns the number of nodes and of edges (with multiplicity).
func (g *Graph) Len() (nodes, edges int) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.index), g.edges
}

// node returns id's number, adding it as a plain node if it is missing.
func (g *Graph) node(id itsm.ID) int32 {
	if i, ok := g.index[id]; ok {
		return i
	}
	var i int32
	if n := len(g.free); n > 0 {
		i = g.free[n-1]
		g.free = g.free[:n-1]
		g.ids[i] = id
	} else {
		if len(g.ids) == maxNodes {
			panic("impact: more nodes than a graph can number")
		}
		i = int32(len(g.ids))
		g.ids = append(g.ids, id)
		g.nodes = append(g.nodes, Node{})
		g.out = append(g.out, span{})
		g.in = append(g.in, span{})
	}
	g.index[id] = i
	return i
}

// removeOut removes from's arc at at, moving its last arc into its place.
func (g *Graph) removeOut(from, at int32) {
	o, c := g.arcs.list(g.out[from]), g.counts.list(g.out[from])
	last := int32(len(o) - 1)
	if at != last {
		o[at], c[at] = o[last], c[last]
		k := pair(from, o[at].to())
		p := g.pairs[k]
		p.out = at
		g.pairs[k] = p
	}
	g.out[from].len--
}

// removeIn removes to's source at at, moving its last source into its
// place.
func (g *Graph) removeIn(to, at int32) {
	in := g.sources.list(g.in[to])
	last := int32(len(in) - 1)
	if at != last {
		in[at] = in[last]
		k := pair(in[at], to)
		p := g.pairs[k]
		p.in = at
		g.pairs[k] = p
	}
	g.in[to].len--
}

// compact compacts the arenas that are half garbage. It copies the whole
// graph's lists (a few milliseconds for 100,000 nodes) at most once per
// as many elements released as the arena then holds, so its cost spread
// over the changes is a copy or two of each.
func (g *Graph) compact() {
	if g.arcs.wasteful() {
		g.counts.compact(slices.Clone(g.out))
		g.arcs.compact(g.out)
	}
	if g.sources.wasteful() {
		g.sources.compact(g.in)
	}
}
