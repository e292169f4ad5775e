package cmdb

import (
	"cmp"
	"context"
	"slices"

	"github.com/spoc-itsm/spoc/cmdb/impact"
	"github.com/spoc-itsm/spoc/itsm"
)

// Down is an item that failed, given to Impact.
type Down struct {
	Item itsm.ID `json:"item"`
	// Health is "down" or "degraded"; "" means down.
	Health string `json:"health,omitempty"`
}

// Affected is an item an impact analysis finds hurt, and why.
type Affected struct {
	Item     itsm.ID     `json:"item"`
	Number   itsm.Number `json:"number"`
	Class    string      `json:"class"`
	Name     string      `json:"name"`
	Supplier itsm.ID     `json:"supplier,omitzero"`
	// Health is "down" or "degraded".
	Health string `json:"health"`
	// AtRisk marks a redundancy group that lost members but holds its
	// quorum: Health is "degraded" and nothing depending on it is hurt
	// through it; the next member to fail may take it down.
	AtRisk bool `json:"at_risk,omitempty"`
	// Path is the chain of items that explains Health: from an item given
	// as down to this one (itself alone for an item given).
	Path []itsm.ID `json:"path"`
}

// Impact is the answer of an impact analysis (CM-2).
type Impact struct {
	// Services are the business services hurt: the worst first, then
	// the shortest explanations, then by ID.
	Services []Affected `json:"services"`
	// Items are the other items hurt or at risk, those given included,
	// in the same order (down, degraded, at risk): the first
	// MaxImpactItems of them.
	Items []Affected `json:"items"`
	// ItemsTotal is how many other items are hurt or at risk, those
	// Items leaves out included.
	ItemsTotal int `json:"items_total"`
	// Consumers are the units using the services hurt, their users summed
	// over those services: an upper bound, as one person may use two.
	Consumers []Consumer `json:"consumers"`
	// Users is the sum of the consumers' users.
	Users int `json:"users"`
}

// Limits of an impact analysis.
const (
	// MaxDown is the most items one impact analysis starts from.
	MaxDown = 1000
	// MaxImpactItems is the most items other than services an answer
	// lists: a core switch's failure can hurt thousands, of which a
	// desk reads the worst and nearest, and the answer stays small
	// enough to send.
	MaxImpactItems = 1000
)

// Impact answers which business services, which other items, and which
// units and how many users are hurt when the items down fail, and why
// (the path from a failure to each), in desk's CMDB (CM-2): to whoever
// reads the desk's items. Failures travel along relations as their types
// say (Propagation and Effect). A redundancy group whose members work
// as its Redundancy requires hurts nothing that depends on it; it is
// listed degraded and AtRisk when a member failed all the same. The analysis runs on the impact
// graph, which follows the log: it answers after every command of this
// Service (and its IfVersion copies) is in it, and with other processes'
// writes within Config.Poll (Sync waits for them). Items given must be of
// the desk and not retired.
func (s *Service) Impact(ctx context.Context, actor itsm.Actor, desk itsm.ID, down []Down) (*Impact, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	switch {
	case !s.reads(org, desk):
		return nil, itsm.Errorf(itsm.CodeForbidden, "impact: %s %s does not work with desk %s", org.Role, org.ID, desk)
	case len(down) == 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "impact: no item is down")
	case len(down) > MaxDown:
		return nil, itsm.Errorf(itsm.CodeInvalid, "impact: %d items down, more than %d", len(down), MaxDown)
	}
	failures := make([]impact.Failure, len(down))
	for i, d := range down {
		h := impact.Down
		if d.Health != "" {
			if h, err = impact.ParseHealth(d.Health); err != nil || h == impact.Up {
				return nil, itsm.Errorf(itsm.CodeInvalid, "impact: health %q of item %s is not down or degraded", d.Health, d.Item)
			}
		}
		failures[i] = impact.Failure{Node: d.Item, Health: h}
	}
	// This process's commands are in the graph before it answers.
	if err := s.follower.Fresh(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, d := range down {
		n := s.nodes[d.Item]
		switch {
		case n == nil || n.desk != desk:
			return nil, itsm.Errorf(itsm.CodeInvalid, "impact: item %s is not in the CMDB of desk %s", d.Item, desk)
		case !n.live():
			return nil, itsm.Errorf(itsm.CodeInvalid, "impact: item %s is retired", n.number)
		}
	}
	return s.analyse(desk, failures), nil
}

// analyse runs failures through the graph and dresses the answer with
// what the projection knows of each item of desk; s.mu is held for
// reading. A planned change's impact is analysed by it too.
func (s *Service) analyse(desk itsm.ID, failures []impact.Failure) *Impact {
	res := s.graph.Analyse(failures)
	affected := res.Affected()
	// Every service is listed, and the first MaxImpactItems other items:
	// the worst and nearest, which is what a desk reads; the rest are
	// counted. Only what is listed gets a path, and the large map of
	// every node is asked only of what is listed: a failure travels
	// along relations, which stay in one desk, so what it reaches is the
	// desk's.
	listed := make([]*node, len(affected))
	out := &Impact{Consumers: []Consumer{}}
	services := 0
	for i, a := range affected {
		if n := s.services[a.Node]; n != nil {
			listed[i] = n
			services++
			continue
		}
		if out.ItemsTotal < MaxImpactItems {
			listed[i] = s.nodes[a.Node]
		}
		out.ItemsTotal++
	}
	paths := paths(res, listed)
	out.Services = make([]Affected, 0, services)
	out.Items = make([]Affected, 0, min(out.ItemsTotal, MaxImpactItems))
	var users map[string]int
	for i, a := range affected {
		n := listed[i]
		if n == nil || n.desk != desk {
			continue
		}
		x := Affected{Item: a.Node, Number: n.number, Class: n.class, Name: n.name, Supplier: n.supplier,
			Health: a.Health.String(), AtRisk: a.AtRisk, Path: paths.of(i)}
		if !n.service {
			out.Items = append(out.Items, x)
			continue
		}
		out.Services = append(out.Services, x)
		if users == nil && len(n.consumers) > 0 {
			users = map[string]int{}
		}
		for _, c := range n.consumers {
			if _, ok := users[c.Unit]; !ok {
				out.Consumers = append(out.Consumers, Consumer{Unit: c.Unit})
			}
			users[c.Unit] += c.Users
			out.Users += c.Users
		}
	}
	for i := range out.Consumers {
		out.Consumers[i].Users = users[out.Consumers[i].Unit]
	}
	slices.SortFunc(out.Consumers, func(a, b Consumer) int {
		return cmp.Or(cmp.Compare(b.Users, a.Users), cmp.Compare(a.Unit, b.Unit))
	})
	return out
}

// pathSet is the paths of an answer: path i is all[start[i]:][:depth[i]].
// It holds no pointer, so that a large answer costs the collector
// nothing to scan.
type pathSet struct {
	all          []itsm.ID
	start, depth []int32
}

func (p pathSet) of(i int) []itsm.ID {
	a := p.all[p.start[i]:]
	return a[:p.depth[i]:p.depth[i]]
}

// paths returns the path of each of res's affected nodes that listed
// holds, as impact.Result.Path would, following each node's predecessor
// by its place (Result.ViaAt): all in one array, and without the map of
// every node Result.Path builds on its first call.
func paths[T any](res impact.Result, listed []*T) pathSet {
	affected := res.Affected()
	n := len(affected)
	ints := make([]int32, 3*n)
	via, p := ints[:n], pathSet{start: ints[n : 2*n], depth: ints[2*n:]}
	for i := range affected {
		via[i] = int32(res.ViaAt(i))
	}
	total := int32(0)
	for i := range affected {
		if listed[i] == nil {
			continue
		}
		d := int32(1)
		for q := via[i]; q >= 0 && int(d) <= n; q = via[q] {
			d++
		}
		p.start[i], p.depth[i] = total, d
		total += d
	}
	p.all = make([]itsm.ID, total)
	for i := range affected {
		if listed[i] == nil {
			continue
		}
		path, q := p.of(i), int32(i)
		for j := len(path) - 1; j >= 0; j-- {
			path[j] = affected[q].Node
			q = via[q]
		}
	}
	return p
}
