package impact

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/spoc-itsm/spoc/itsm"
)

// scratch is one analysis's state, by node number. Between analyses every
// slice is zero (via excepted: it is read only where health is not Up),
// so that an analysis clears only the nodes it touched, not the graph.
type scratch struct {
	health []Health // the node's health so far
	sent   []Health // the health its edges have passed on so far
	via    []int32  // the node that raised it last; -1 for its own failure
	notUp  []int32  // a group's inputs that arrive worse than Up
	down   []int32  // a group's inputs that arrive Down
	depth  []int32  // 1 + the length of its path; then its place in the result

	touched     []int32 // nodes not Up, in the order they stopped being Up
	raisedAgain bool    // a node was raised twice: depth may be wrong
	queue       []int32 // nodes whose health rose, to pass on
	stack       []int32
	order, tmp  []entry
	buckets     []int32
}

// entry is an affected node on its way to its place in the result.
type entry struct {
	hi     uint64 // the first 8 bytes of its ID, big-endian
	bucket uint32 // (Down-health)<<30 | path length: worst first, then shorter
	node   int32  // its number; len(g.ids)+k for the k-th failed node the graph lacks
}

func (g *Graph) getScratch() *scratch {
	s, _ := g.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if n := len(g.ids); len(s.health) < n {
		// Grown graph: fresh zeroed slices, with room to grow more.
		c := n + n/4
		s.health, s.sent = make([]Health, c), make([]Health, c)
		s.via, s.notUp, s.down, s.depth = make([]int32, c), make([]int32, c), make([]int32, c), make([]int32, c)
	}
	return s
}

// raise makes v's health h, explained by via, and queues v to pass it on.
// The length of v's path is its via's and one, which stays true unless a
// node on the way is raised again, with another via.
func (s *scratch) raise(v int32, h Health, via int32) {
	if s.health[v] == Up {
		s.touched = append(s.touched, v)
	} else {
		s.raisedAgain = true
	}
	s.health[v], s.via[v] = h, via
	s.depth[v] = 1
	if via >= 0 {
		s.depth[v] = s.depth[via] + 1
	}
	s.queue = append(s.queue, v)
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
		} else if h > s.health[v] {
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
// instead of looking at all of them again.
func (g *Graph) propagate(s *scratch) {
	for q := 0; q < len(s.queue); q++ {
		v := s.queue[q]
		now, before := s.health[v], s.sent[v]
		if now == before {
			continue // queued twice; passed on at its latest health already
		}
		s.sent[v] = now
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
				h = groupHealth(n, int(g.in[t].len), s.notUp[t], s.down[t])
			}
			if h > s.health[t] {
				s.raise(t, h, v)
			}
		}
	}
}

// groupHealth is the health of group n with inputs inputs, of which notUp
// arrive worse than Up and down arrive Down.
func groupHealth(n Node, inputs int, notUp, down int32) Health {
	switch {
	case notUp == 0:
		return Up
	case inputs-int(down) >= n.required(inputs):
		return Degraded
	}
	return Down
}

// lengths sets every node's path length again, for when a node was raised
// twice: each node's is one more than its via's, which the stack finds
// walking up to the nearest node whose length is known.
func (s *scratch) lengths() {
	for _, v := range s.touched {
		s.depth[v] = 0
	}
	for _, v := range s.touched {
		st := s.stack[:0]
		u := v
		for s.depth[u] == 0 {
			st = append(st, u)
			if s.via[u] < 0 {
				break
			}
			u = s.via[u]
			if len(st) > len(s.touched) {
				panic("impact: the explanations form a cycle")
			}
		}
		d := s.depth[u] // 0 when u is a failure on the stack
		for j := len(st) - 1; j >= 0; j-- {
			d++
			s.depth[st[j]] = d
		}
		s.stack = st
	}
}

// result turns the analysis into its Result and clears s for the next.
func (s *scratch) result(g *Graph, unknown map[itsm.ID]Health) Result {
	if s.raisedAgain {
		s.lengths()
	}

	numbered := int32(len(g.ids))
	var lacking []itsm.ID
	order := s.order[:0]
	for _, v := range s.touched {
		order = append(order, entry{
			hi:     binary.BigEndian.Uint64(g.ids[v][:8]),
			bucket: uint32(Down-s.health[v])<<30 | uint32(s.depth[v]),
			node:   v,
		})
	}
	for id, h := range unknown {
		order = append(order, entry{
			hi:     binary.BigEndian.Uint64(id[:8]),
			bucket: uint32(Down-h)<<30 | 1,
			node:   numbered + int32(len(lacking)),
		})
		lacking = append(lacking, id)
	}
	id := func(node int32) *itsm.ID {
		if node < numbered {
			return &g.ids[node]
		}
		return &lacking[node-numbered]
	}
	sorted := s.sort(order, id)

	r := &result{affected: make([]Affected, len(sorted)), via: make([]int32, len(sorted))}
	for p, e := range sorted {
		r.affected[p] = Affected{Node: *id(e.node), Health: Down - Health(e.bucket>>30)}
		if e.node < numbered {
			s.depth[e.node] = int32(p) // from now on its place
		}
	}
	for p, e := range sorted {
		r.via[p] = -1
		if e.node < numbered && s.via[e.node] >= 0 {
			w := s.depth[s.via[e.node]]
			r.via[p], r.affected[p].Via = w, r.affected[w].Node
		}
	}

	for _, v := range s.touched {
		s.health[v], s.sent[v], s.notUp[v], s.down[v], s.depth[v] = Up, Up, 0, 0, 0
	}
	s.touched, s.queue, s.order, s.raisedAgain = s.touched[:0], s.queue[:0], order[:0], false
	return Result{r}
}

// sort puts the entries in Affected's order: by bucket, then by ID. Large
// results are sorted by radix (byte by byte of the ID's first half, then
// by bucket, each pass stable), which costs a few passes over them where
// a comparison sort's cost grows with n log n; IDs that share their first
// half, rare, are then put in order by the second.
func (s *scratch) sort(order []entry, id func(int32) *itsm.ID) []entry {
	lo := func(e entry) uint64 { return binary.BigEndian.Uint64(id(e.node)[8:]) }
	if len(order) < 256 {
		slices.SortFunc(order, func(a, b entry) int {
			return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.hi, b.hi), cmp.Compare(lo(a), lo(b)))
		})
		return order
	}
	if cap(s.tmp) < len(order) {
		s.tmp = make([]entry, cap(order))
	}
	src, dst := order, s.tmp[:len(order)]
	var count [256]int32
	for shift := 0; shift < 64; shift += 8 {
		count = [256]int32{}
		for _, e := range src {
			count[byte(e.hi>>shift)]++
		}
		if count[byte(src[0].hi>>shift)] == int32(len(src)) {
			continue // a byte they all share (version 7 IDs made the same day)
		}
		var sum int32
		for b, c := range count {
			count[b] = sum
			sum += c
		}
		for _, e := range src {
			b := byte(e.hi >> shift)
			dst[count[b]] = e
			count[b]++
		}
		src, dst = dst, src
	}

	// By bucket: the buckets are the two healths times the path lengths.
	longest := uint32(0)
	for _, e := range src {
		longest = max(longest, e.bucket&(1<<30-1))
	}
	bucket := func(e entry) uint32 { return e.bucket>>30*(longest+1) + e.bucket&(1<<30-1) }
	n := 3 * (longest + 1)
	if uint32(cap(s.buckets)) < n {
		s.buckets = make([]int32, n)
	}
	at := s.buckets[:n]
	clear(at)
	for _, e := range src {
		at[bucket(e)]++
	}
	var sum int32
	for b, c := range at {
		at[b] = sum
		sum += c
	}
	for _, e := range src {
		b := bucket(e)
		dst[at[b]] = e
		at[b]++
	}

	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j].bucket == dst[j-1].bucket && dst[j].hi == dst[j-1].hi && lo(dst[j]) < lo(dst[j-1]); j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst // in the buffer of order or of tmp, which both stay s's
}

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
