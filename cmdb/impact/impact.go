package impact

import (
	"strconv"

	"github.com/spoc-itsm/spoc/itsm"
)

// Health is how well a node works. The values are ordered from best to
// worst, so the worse of two healths is their max.
type Health uint8

const (
	// Up: the node works as it should.
	Up Health = iota
	// Degraded: the node works, with less capacity, speed or redundancy.
	Degraded
	// Down: the node does not work.
	Down
)

// String returns "up", "degraded" or "down", the names ParseHealth reads.
func (h Health) String() string {
	switch h {
	case Up:
		return "up"
	case Degraded:
		return "degraded"
	case Down:
		return "down"
	}
	return "Health(" + strconv.Itoa(int(h)) + ")"
}

// ParseHealth reads the name String gives a health. Anything else is an
// *itsm.Error with itsm.CodeInvalid that quotes it.
func ParseHealth(s string) (Health, error) {
	switch s {
	case "up":
		return Up, nil
	case "degraded":
		return Degraded, nil
	case "down":
		return Down, nil
	}
	return Up, itsm.Errorf(itsm.CodeInvalid, "impact: health %.64q is not up, degraded or down", s)
}

// Effect is what a failure does when it travels along one edge.
type Effect uint8

const (
	// Full: the target takes the source's health, so a source that is down
	// takes the target down (a server and the application running on it).
	Full Effect = iota
	// Weaken: the target is at worst degraded, whatever the source's
	// health (an application and an optional integration it uses).
	Weaken
)

// String returns "full" or "weaken".
func (e Effect) String() string {
	switch e {
	case Full:
		return "full"
	case Weaken:
		return "weaken"
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// arrive is the health that a source of health h gives the target of an
// edge of effect e.
func (e Effect) arrive(h Health) Health {
	if e == Weaken && h > Degraded {
		return Degraded
	}
	return h
}

// Node describes one node of the graph. The zero Node is a plain node:
// it is as bad as the worst health that arrives along its incoming edges.
//
// A node with Min > 0 or Percent > 0 is a redundancy group (a cluster, two
// internet links). Its inputs are the distinct nodes with an edge into it,
// each with the worst health that arrives along its edges into the group.
// Of them, required = Min, or ceil(Percent × inputs / 100) with Percent in
// 1..100, must work for the group's dependents to be unaffected; a group
// with fewer inputs than Min requires all of them (decision 163). What
// the group passes on along its edges is Down when fewer than required
// inputs are not Down; Degraded when fewer than required are Up (the
// quorum holds only with degraded inputs); Up otherwise, however many
// inputs failed: a group that holds its quorum passes no failure on
// (decision 195). A group that passes Up while an input is not Up is
// itself reported Degraded and at risk (Affected.AtRisk): it has lost
// redundancy, its dependents nothing. SetNode says how it reads Min and
// Percent out of range or both set.
type Node struct {
	// Min is how many inputs must work; 0 when Percent says.
	Min int
	// Percent is the share of inputs, in percent rounded up to a whole
	// input, that must work; 0 when Min says.
	Percent int
}

// group reports whether n is a redundancy group.
func (n Node) group() bool { return n.Min > 0 || n.Percent > 0 }

// required is how many of a group's inputs must work; n is as
// SetNode keeps it (Min and Percent in range).
//
// Capping Min at the inputs keeps a group from going Down when no input
// is: with Min 3 and two inputs, one degraded input would otherwise take
// the group down, and its Down would be explained by nothing that is
// down (a cycle through it could then explain itself).
func (n Node) required(inputs int) int {
	r := n.Min
	if n.Percent > 0 {
		r = max(r, (n.Percent*inputs+99)/100)
	}
	return min(r, inputs)
}

// Failure is a node's own failure, given to Analyse: the node is at least
// this bad, whatever its inputs.
type Failure struct {
	// Node is the failed node.
	Node itsm.ID
	// Health is Degraded or Down; Up is no failure and is ignored, and
	// values above Down count as Down.
	Health Health
}

// Affected is one node that is not Up in a Result.
type Affected struct {
	// Node is the affected node.
	Node itsm.ID
	// Health is Degraded or Down.
	Health Health
	// Via is the predecessor whose failure explains Health: the last
	// step of Result.Path. It is zero when the node's own failure does.
	Via itsm.ID
	// AtRisk reports a redundancy group that is Degraded only because it
	// lost redundancy: an input is not Up, but enough are to hold its
	// quorum, so it passes no failure on and nothing is affected through
	// it. Via is then the input that first failed.
	AtRisk bool
}
