package impact

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/spoc-itsm/spoc/itsm"
)

// scratch is one analysis's state, by node number. Between analyses every
// slice is zero, so that an analysis clears only the nodes it touched, not
// the graph.
type scratch struct {
	// Each node's state in two slices, so that passing on one node or
	// raising one touches one cache line of each, not one per field.
	mark  []mark
	why   []why
	notUp []int32 // a group's inputs that arrive worse than Up
	down  []int32 // a group's inputs that arrive Down

	touched     []int32 // nodes not Up or at risk, in the order they stopped being Up
	raisedAgain bool    // a node was raised twice: depth may be wrong
	queue       []int32 // nodes whose health rose, to pass on
	stack       []int32
	order, tmp  []entry
	buckets     []int32
	counts      [digits][1 << digitBits]int32
}

// mark is a node's health so far (what its edges pass on), the health
// its edges have passed on so far, and whether it is a group at risk:
// Up as its dependents see it, with an input that is not.
type mark struct {
	health, sent Health
	atRisk       bool
}

// touched reports whether the analysis has reached the node: it is not
// Up, or at risk.
func (m mark) touched() bool { return m.health != Up || m.atRisk }

// why explains a node's health: the node that raised it last (-1 for its
// own failure) and 1 + the length of its path, which then becomes its
// place in the result.
type why struct{ via, depth int32 }

// entry is an affected node on its way to its place in the result.
type entry struct {
	hi, lo uint64 // its ID, big-endian: the ID's order
	bucket uint32 // rank<<30 | path length: worst first, then shorter
	node   int32  // its number; -1 for a failed node the graph lacks
}

func (e *entry) id() itsm.ID {
	var id itsm.ID
	binary.BigEndian.PutUint64(id[:8], e.hi)
	binary.BigEndian.PutUint64(id[8:], e.lo)
	return id
}

// Ranks of an affected node in the result: down, degraded, and at risk
// (a group that lost redundancy but affects nothing), the least bad.
const (
	rankDown uint32 = iota
	rankDegraded
	rankAtRisk
	ranks
)

func rank(m mark) uint32 {
	switch m.health {
	case Down:
		return rankDown
	case Up: // at risk
		return rankAtRisk
	}
	return rankDegraded
}

func newEntry(id *itsm.ID, rank uint32, length int32, node int32) entry {
	return entry{
		hi:     binary.BigEndian.Uint64(id[:8]),
		lo:     binary.BigEndian.Uint64(id[8:]),
		bucket: rank<<30 | uint32(length),
		node:   node,
	}
}

func (g *Graph) getScratch() *scratch {
	s, _ := g.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if n := len(g.ids); len(s.mark) < n {
		// Grown graph: fresh zeroed slices, with room to grow more.
		c := n + n/4
		s.mark, s.why = make([]mark, c), make([]why, c)
		s.notUp, s.down = make([]int32, c), make([]int32, c)
	}
	return s
}

// raise makes v's health h, explained by via, and queues v to pass it on.
// The length of v's path is its via's and one, which stays true unless a
// node on the way is raised again, with another via.
//
// A group at risk explains nothing (it passes Up on), so raising one
// changes no other node's path.
func (s *scratch) raise(v int32, h Health, via int32) {
	switch m := s.mark[v]; {
	case !m.touched():
		s.touched = append(s.touched, v)
	case m.health != Up:
		s.raisedAgain = true
	}
	s.mark[v].health = h
	s.explain(v, via)
	s.queue = append(s.queue, v)
}

// explain makes via the explanation of v's health.
func (s *scratch) explain(v, via int32) {
	w := why{via: via, depth: 1}
	if via >= 0 {
		w.depth = s.why[via].depth + 1
	}
	s.why[v] = w
}

// risk marks group v at risk, its first input not Up being via; it
// passes nothing on, so it is not queued.
func (s *scratch) risk(v, via int32) {
	s.touched = append(s.touched, v)
	s.mark[v].atRisk = true
	s.explain(v, via)
}

// Analyse returns the health of every node when the nodes of failures
// have failed as they say: the least fixpoint of the rules of Node, in
// which a node is only as bad as a chain of edges from a failure makes
// it (cycles allowed). A failed node the graph lacks is affected as
// failed and affects nothing; if a node fails twice, the worse failure
// counts (decision 161).
//
// It costs the nodes it affects and their edges, not the graph's size.
func (g *Graph) Analyse(failures []Failure) Result {
	g.mu.RLock()
	defer g.mu.RUnlock()
	s := g.getScratch()

	var unknown map[itsm.ID]Health
	for _, f := range failures {
		h := min(f.Health, Down)
		if h == Up || f.Node.IsZero() {
			continue
		}
		v, ok := g.index[f.Node]
		if !ok {
			if unknown == nil {
				unknown = map[itsm.ID]Health{}
			}
			unknown[f.Node] = max(unknown[f.Node], h)
		} else if h > s.mark[v].health {
			s.raise(v, h, -1)
		}
	}
	g.propagate(s)
	r := s.result(g, unknown)
	g.scratch.Put(s) // not deferred: after a panic, s is not clean
	return r
}

// propagate passes each raised health on along the edges until nothing
// changes. A node's health only rises, and at most twice, so each edge is
// looked at no more than twice: a group counts its inputs as they arrive
// instead of looking at all of them again, and a group that holds its
// quorum stops the failure there.
func (g *Graph) propagate(s *scratch) {
	for q := 0; q < len(s.queue); q++ {
		v := s.queue[q]
		m := &s.mark[v]
		now, before := m.health, m.sent
		if now == before {
			continue // queued twice; passed on at its latest health already
		}
		m.sent = now
		for _, a := range g.arcs.list(g.out[v]) {
			e := a.effect()
			arrives, arrived := e.arrive(now), e.arrive(before)
			if arrives == arrived {
				continue
			}
			t := a.to()
			h := arrives
			if a&arcGroup != 0 {
				n := g.nodes[t]
				if arrived == Up {
					s.notUp[t]++
				}
				if arrives == Down {
					s.down[t]++
				}
				h = passes(n, int(g.in[t].len), s.notUp[t], s.down[t])
				if h == Up && !s.mark[t].touched() {
					s.risk(t, v)
					continue
				}
			}
			if h > s.mark[t].health {
				s.raise(t, h, v)
			}
		}
	}
}

// passes is the health group n passes on with inputs inputs, of which
// notUp arrive worse than Up and down arrive Down: Up while required
// inputs are Up, Degraded while required are at least Degraded.
func passes(n Node, inputs int, notUp, down int32) Health {
	switch req := n.required(inputs); {
	case inputs-int(notUp) >= req:
		return Up
	case inputs-int(down) >= req:
		return Degraded
	}
	return Down
}

// lengths sets every node's path length again, for when a node was raised
// twice: each node's is one more than its via's, which the stack finds
// walking up to the nearest node whose length is known.
func (s *scratch) lengths() {
	for _, v := range s.touched {
		s.why[v].depth = 0
	}
	for _, v := range s.touched {
		st := s.stack[:0]
		u := v
		for s.why[u].depth == 0 {
			st = append(st, u)
			if s.why[u].via < 0 {
				break
			}
			u = s.why[u].via
			if len(st) > len(s.touched) {
				panic("impact: the explanations form a cycle")
			}
		}
		d := s.why[u].depth // 0 when u is a failure on the stack
		for j := len(st) - 1; j >= 0; j-- {
			d++
			s.why[st[j]].depth = d
		}
		s.stack = st
	}
}

// result turns the analysis into its Result and clears s for the next.
func (s *scratch) result(g *Graph, unknown map[itsm.ID]Health) Result {
	if s.raisedAgain {
		s.lengths()
	}

	order := s.order[:0]
	for _, v := range s.touched {
		order = append(order, newEntry(&g.ids[v], rank(s.mark[v]), s.why[v].depth, v))
	}
	for id, h := range unknown {
		order = append(order, newEntry(&id, rank(mark{health: h}), 1, -1))
	}
	sorted := s.sort(order)

	r := &result{affected: make([]Affected, len(sorted)), via: make([]int32, len(sorted))}
	for p := range sorted {
		e := &sorted[p]
		a := Affected{Node: e.id(), Health: Degraded}
		switch e.bucket >> 30 {
		case rankDown:
			a.Health = Down
		case rankAtRisk:
			a.AtRisk = true
		}
		r.affected[p] = a
		if e.node >= 0 {
			s.why[e.node].depth = int32(p) // from now on its place
		}
	}
	for p, e := range sorted {
		r.via[p] = -1
		if e.node >= 0 && s.why[e.node].via >= 0 {
			w := s.why[s.why[e.node].via].depth
			r.via[p], r.affected[p].Via = w, r.affected[w].Node
		}
	}

	for _, v := range s.touched {
		s.mark[v], s.why[v], s.notUp[v], s.down[v] = mark{}, why{}, 0, 0
	}
	s.touched, s.queue, s.order, s.raisedAgain = s.touched[:0], s.queue[:0], order[:0], false
	return Result{r}
}

// sort puts the entries in Affected's order: by bucket, then by ID. Large
// results are sorted by radix (11 bits of the ID's first half at a time,
// then by bucket, each pass stable, the counts of all passes taken in one
// read), which costs a few passes over them where a comparison sort's
// cost grows with n log n; IDs that share their first half, rare, are
// then put in order by the second.
func (s *scratch) sort(order []entry) []entry {
	if len(order) < 256 {
		slices.SortFunc(order, func(a, b entry) int {
			return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.hi, b.hi), cmp.Compare(a.lo, b.lo))
		})
		return order
	}
	if cap(s.tmp) < len(order) {
		s.tmp = make([]entry, cap(order))
	}
	src, dst := order, s.tmp[:len(order)]
	count := &s.counts
	*count = [digits][1 << digitBits]int32{}
	for i := range src {
		for d := range digits {
			count[d][src[i].hi>>(d*digitBits)&digitMask]++
		}
	}
	for d := range digits {
		shift := d * digitBits
		if count[d][src[0].hi>>shift&digitMask] == int32(len(src)) {
			continue // bits they all share (version 7 IDs made the same day)
		}
		var sum int32
		for b, c := range count[d] {
			count[d][b] = sum
			sum += c
		}
		for i := range src {
			b := src[i].hi >> shift & digitMask
			dst[count[d][b]] = src[i]
			count[d][b]++
		}
		src, dst = dst, src
	}

	// By bucket: the buckets are the ranks times the path lengths.
	longest := uint32(0)
	for i := range src {
		longest = max(longest, src[i].bucket&(1<<30-1))
	}
	bucket := func(e *entry) uint32 { return e.bucket>>30*(longest+1) + e.bucket&(1<<30-1) }
	n := ranks * (longest + 1)
	if uint32(cap(s.buckets)) < n {
		s.buckets = make([]int32, n)
	}
	at := s.buckets[:n]
	clear(at)
	for i := range src {
		at[bucket(&src[i])]++
	}
	var sum int32
	for b, c := range at {
		at[b] = sum
		sum += c
	}
	for i := range src {
		b := bucket(&src[i])
		dst[at[b]] = src[i]
		at[b]++
	}

	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j].bucket == dst[j-1].bucket && dst[j].hi == dst[j-1].hi && dst[j].lo < dst[j-1].lo; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst // in the buffer of order or of tmp, which both stay s's
}

// The radix sort's digits: 11 bits each, so that six passes cover the
// 64 bits of an ID's first half and the counts of all six (48 KiB) stay
// in the fastest cache.
const (
	digitBits = 11
	digits    = (64 + digitBits - 1) / digitBits
	digitMask = 1<<digitBits - 1
)

// Result is the answer of one Analyse: every node that is not Up, and
// why. It holds no reference to the graph, which may change after it. A
// Result is safe for concurrent use; the zero Result says every node is
// Up.
type Result struct{ r *result }

type result struct {
	affected []Affected // in their order
	via      []int32    // the place of each one's Via; -1 for none

	once  sync.Once
	place map[itsm.ID]int32 // built on the first Health or Path
}

// Affected returns every node that is not Up, failed ones included: the
// worst first, then the shorter Path first, then by ID (its bytes, which
// orders version 7 IDs by creation).
//
// Every call returns the same slice, which the caller must not modify:
// the answer to a data centre's failure is megabytes, which a copy per
// call would double.
func (r Result) Affected() []Affected {
	if r.r == nil {
		return nil
	}
	return r.r.affected
}

// ViaAt returns the place in Affected of the Via of Affected()[i], i in
// [0, Len()): -1 when its own failure explains it. A caller building many paths follows
// these places instead of looking each Via up by ID.
func (r Result) ViaAt(i int) int {
	return int(r.r.via[i])
}

// Len returns how many nodes are not Up.
func (r Result) Len() int {
	if r.r == nil {
		return 0
	}
	return len(r.r.affected)
}

// Health returns the health of the node id: Up for a node that is not
// affected, whether or not the graph has it.
func (r Result) Health(id itsm.ID) Health {
	if p, ok := r.find(id); ok {
		return r.r.affected[p].Health
	}
	return Up
}

// Path returns the chain that explains the health of the node id: a
// failed node whose own failure explains its health, then each node
// whose health the previous one's raised along an edge, ending with id.
// A node's own failure is a path of one; an Up node has none (nil).
//
// When several predecessors explain a health (an application on two
// failed servers), the path follows the one that first raised the node
// to it. The analysis goes breadth-first from the failures, so paths are
// short, but the one given need not be the shortest there is.
func (r Result) Path(id itsm.ID) []itsm.ID {
	p, ok := r.find(id)
	if !ok {
		return nil
	}
	n := 1
	for q := r.r.via[p]; q >= 0; q = r.r.via[q] {
		n++
	}
	path := make([]itsm.ID, n)
	for q := p; q >= 0; q = r.r.via[q] {
		n--
		path[n] = r.r.affected[q].Node
	}
	return path
}

func (r Result) find(id itsm.ID) (int32, bool) {
	if r.r == nil {
		return 0, false
	}
	r.r.once.Do(func() {
		r.r.place = make(map[itsm.ID]int32, len(r.r.affected))
		for p, a := range r.r.affected {
			r.r.place[a.Node] = int32(p)
		}
	})
	p, ok := r.r.place[id]
	return p, ok
}
