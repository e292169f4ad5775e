package cmdb

import (
	"context"
	"slices"
	"sync"

	"github.com/spoc-itsm/spoc/cmdb/impact"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/follow"
)

// shared is what a Service and the copies IfVersion makes share: the
// impact graph, a projection of the event log, what impact analysis shows
// of each item, and the follower that keeps them current.
type shared struct {
	follower *follow.Follower
	graph    *impact.Graph
	// types and classes are the model's, by name, for the projection's
	// many lookups.
	types   map[string]RelationType
	classes map[string]*Class

	mu    sync.RWMutex // guards nodes
	nodes map[itsm.ID]*node
}

// node is what the projection keeps of an item: what an impact shows of
// it and the relations its edges come from.
type node struct {
	desk       itsm.ID
	number     itsm.Number
	class      string
	name       string
	supplier   itsm.ID
	state      State
	consumers  []Consumer
	redundancy *Redundancy
	relations  []Relation
}

func nodeOf(it *Item) *node {
	return &node{desk: it.Desk, number: it.Number, class: it.Class, name: it.Name, supplier: it.Supplier,
		state: it.State, consumers: it.Consumers, redundancy: it.Redundancy, relations: it.Relations}
}

// graphItem is the part of an item record the graph keeps.
type graphItem struct {
	Desk       itsm.ID     `json:"desk"`
	Number     itsm.Number `json:"number"`
	Class      string      `json:"class"`
	Name       string      `json:"name"`
	State      State       `json:"state"`
	Supplier   itsm.ID     `json:"supplier"`
	Consumers  []Consumer  `json:"consumers"`
	Redundancy *Redundancy `json:"redundancy"`
	Relations  []Relation  `json:"relations"`
}

// live reports whether n is in the graph: it exists and is not retired.
func (n *node) live() bool { return n != nil && n.state != StateRetired }

// start builds the graph from the item records and starts following the
// log.
func start(ctx context.Context, s *Service) error {
	sh := &shared{graph: impact.New(), types: map[string]RelationType{}, classes: map[string]*Class{}, nodes: map[itsm.ID]*node{}}
	for _, t := range s.cfg.Model.RelationTypes {
		sh.types[t.Name] = t
	}
	for i := range s.cfg.Model.Classes {
		sh.classes[s.cfg.Model.Classes[i].Name] = &s.cfg.Model.Classes[i]
	}
	s.shared = sh
	f, err := follow.Start(ctx, follow.Config{Store: s.cfg.Store, Poll: s.cfg.Poll, Build: s.build, Apply: s.apply})
	if err != nil {
		return err
	}
	sh.follower = f
	return nil
}

// build fills the graph from the item records in tx: every item first,
// so that each relation finds its target's node, then the edges.
func (s *Service) build(ctx context.Context, tx itsm.ReadTx) error {
	nodes := map[itsm.ID]*node{}
	err := itsm.Scan(ctx, tx, itsm.Query{Kind: KindItem, Limit: itsm.MaxLimit}, func(h itsm.Hit) error {
		// Only what a node keeps is decoded: an item's attributes and
		// times are most of its record.
		it, err := itsm.DecodeRecord[graphItem](h.Record, "item")
		if err == nil {
			nodes[h.Record.ID] = &node{desk: it.Desk, number: it.Number, class: it.Class, name: it.Name, supplier: it.Supplier,
				state: it.State, consumers: it.Consumers, redundancy: it.Redundancy, relations: it.Relations}
		}
		return err
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes = nodes
	for id, n := range nodes {
		if n.live() {
			s.graph.SetNode(id, s.groupOf(n))
		}
	}
	for id, n := range nodes {
		if n.live() {
			for _, r := range n.relations {
				s.edges(id, r, true)
			}
		}
	}
	return nil
}

// apply applies a page of events: each item an event is about is read
// again and put in the graph whole. Every read comes first, so that a
// failed read leaves the graph as it was and the page can be applied
// again; then the items' nodes, so that a relation to an item made in the
// same page finds it; then the edges of the relations each item gained
// and lost.
func (s *Service) apply(ctx context.Context, tx itsm.ReadTx, es []itsm.Event) error {
	var ids []itsm.ID
	seen := map[itsm.ID]bool{}
	for _, e := range es {
		if e.Kind == KindItem && !seen[e.Subject] {
			seen[e.Subject] = true
			ids = append(ids, e.Subject)
		}
	}
	items := make([]*Item, len(ids))
	for i, id := range ids {
		it, err := loadItem(tx, id)
		if err != nil {
			return err
		}
		items[i] = it
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	was := make([][]Relation, len(items))
	for i, it := range items {
		old := s.nodes[it.ID]
		n := nodeOf(it)
		s.nodes[it.ID] = n
		if old != nil {
			was[i] = old.relations
		}
		switch {
		case n.live():
			s.graph.SetNode(it.ID, s.groupOf(n))
		case old.live():
			s.graph.RemoveNode(it.ID) // and every edge of it: retired is final
		}
	}
	for i, it := range items {
		if !s.nodes[it.ID].live() {
			continue
		}
		for _, r := range was[i] {
			if !slices.Contains(it.Relations, r) {
				s.edges(it.ID, r, false)
			}
		}
		for _, r := range it.Relations {
			if !slices.Contains(was[i], r) {
				s.edges(it.ID, r, true)
			}
		}
	}
	return nil
}

// groupOf is the graph's node of n: a redundancy group for an item of a
// Group class.
func (s *Service) groupOf(n *node) impact.Node {
	if c := s.classes[n.class]; c == nil || !c.Group || n.redundancy == nil {
		return impact.Node{}
	}
	return impact.Node{Min: n.redundancy.Min, Percent: n.redundancy.Percent}
}

// edges adds (or removes) the edges relation r of the item from makes,
// when its target is in the graph: along the direction its type
// propagates a failure, with its effect. Several relations that make the
// same edge add it as often, so that removing one leaves the others'.
func (s *Service) edges(from itsm.ID, r Relation, add bool) {
	if !s.nodes[r.To].live() {
		return
	}
	t, ok := s.types[r.Type]
	if !ok {
		return
	}
	e := impact.Full
	if t.Effect == EffectWeaken {
		e = impact.Weaken
	}
	edge := s.graph.AddEdge
	if !add {
		edge = s.graph.RemoveEdge
	}
	switch t.Propagation {
	case ToSource:
		edge(r.To, from, e)
	case ToTarget:
		edge(from, r.To, e)
	case Both:
		edge(r.To, from, e)
		edge(from, r.To, e)
	}
}

// GraphStatus says how far the impact graph has followed the event log,
// and how big it is.
type GraphStatus struct {
	follow.Status
	// Items is how many items the graph holds: those not retired.
	Items int `json:"items"`
	// Edges is how many edges a failure travels along: one for each
	// relation between items in the graph whose type propagates one way,
	// two for each that propagates both ways.
	Edges int `json:"edges"`
}

// GraphStatus returns how far the impact graph has followed the log.
func (s *Service) GraphStatus() GraphStatus {
	nodes, edges := s.graph.Len()
	return GraphStatus{Status: s.follower.Status(), Items: nodes, Edges: edges}
}

// Sync waits until the impact graph has applied every event the log held
// when Sync was called, other processes' writes included. A command of
// this Service nudges the graph at once, so that an impact analysis sees
// it within milliseconds without Sync.
func (s *Service) Sync(ctx context.Context) error { return s.follower.Sync(ctx) }

// Close stops following the log. A closed Service's graph no longer
// changes; its commands still write.
func (s *Service) Close() error { return s.follower.Close() }

// nudge asks the graph to catch up now.
func (s *Service) nudge() {
	if s.follower != nil {
		s.follower.Nudge()
	}
}
