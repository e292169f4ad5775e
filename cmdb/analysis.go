package cmdb

import (
	"cmp"
	"context"
	"slices"
	"sync"

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
	// Path is the chain of items that explains Health: from an item given
	// as down to this one (itself alone for an item given).
	Path []itsm.ID `json:"path"`
}

// Impact is the answer of an impact analysis (CM-2).
type Impact struct {
	// Services are the business services hurt: the worst first, then
	// the shortest explanations, then by ID.
	Services []Affected `json:"services"`
	// Items are the other items hurt, those given included, in the same
	// order.
	Items []Affected `json:"items"`
	// Consumers are the units using the services hurt, their users summed
	// over those services: an upper bound, as one person may use two.
	Consumers []Consumer `json:"consumers"`
	// Users is the sum of the consumers' users.
	Users int `json:"users"`
}

// MaxDown is the most items one impact analysis starts from.
const MaxDown = 1000

// Impact answers which business services, which other items, and which
// units and how many users are hurt when the items down fail, and why
// (the path from a failure to each), in desk's CMDB (CM-2): to whoever
// reads the desk's items. Failures travel along relations as their types
// say (Propagation and Effect), and a redundancy group stays up while
// enough of its members are (Redundancy). The analysis runs on the impact
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
	affected := s.graph.Analyse(failures).Affected()
	paths := paths(affected)
	out := &Impact{Services: []Affected{}, Items: make([]Affected, 0, len(affected)), Consumers: []Consumer{}}
	users := map[string]int{}
	for i, a := range affected {
		n := s.nodes[a.Node]
		if n == nil || n.desk != desk {
			continue // a node the log has not brought yet
		}
		x := Affected{Item: a.Node, Number: n.number, Class: n.class, Name: n.name, Supplier: n.supplier,
			Health: a.Health.String(), Path: paths[i]}
		if c := s.classes[n.class]; c == nil || !c.Service {
			out.Items = append(out.Items, x)
			continue
		}
		out.Services = append(out.Services, x)
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

// places are the maps paths uses, kept for the next analysis: an impact
// answers in well under a millisecond, and a map per answer would be a
// good part of it.
var places = sync.Pool{New: func() any { return map[itsm.ID]int32{} }}

// paths returns the path of each of affected, in its order, as
// impact.Result.Path would, from their Via: all in one array, and
// without the map of every node Result.Path builds on its first call.
func paths(affected []impact.Affected) [][]itsm.ID {
	place := places.Get().(map[itsm.ID]int32)
	defer func() {
		clear(place)
		places.Put(place)
	}()
	for i, a := range affected {
		place[a.Node] = int32(i)
	}
	via := make([]int32, 2*len(affected))
	depth, via := via[len(affected):], via[:len(affected)]
	total := 0
	for i, a := range affected {
		via[i] = -1
		if p, ok := place[a.Via]; ok && !a.Via.IsZero() {
			via[i] = p
		}
	}
	for i := range affected {
		n := int32(1)
		for q := via[i]; q >= 0 && int(n) <= len(affected); q = via[q] {
			n++
		}
		depth[i] = n
		total += int(n)
	}
	all := make([]itsm.ID, total)
	out := make([][]itsm.ID, len(affected))
	for i := range affected {
		p := all[:depth[i]:depth[i]]
		all = all[depth[i]:]
		q := int32(i)
		for j := len(p) - 1; j >= 0; j-- {
			p[j] = affected[q].Node
			q = via[q]
		}
		out[i] = p
	}
	return out
}
