// Package impact answers which nodes of a configuration are hurt when
// some of them fail, and why (CM-2). It is the failure-propagation graph
// the cmdb package keeps of its items and relations, in memory, and knows
// nothing of items: nodes are itsm.IDs, and a relation is an edge along
// which a failure travels, in the direction the relation's type says.
//
// # Health and effects
//
// A node is Up, Degraded or Down, in that order, so the worse of two
// healths is their max. An edge from -> to has an Effect: along a Full
// edge the target takes the source's health (a server down takes down
// the application running on it); along a Weaken edge a Down source
// arrives as Degraded (an application loses an optional integration, a
// server one of its two network connections). A plain node is as bad as
// the worst health that arrives along its incoming edges. Neither effect
// stops a degradation: what depends on a degraded node, however
// indirectly, is degraded.
//
// # Redundancy groups
//
// A node with Node.Min or Node.Percent set is a redundancy group: a
// cluster whose members have edges into it, a pair of internet links.
// Its inputs are the distinct nodes with an edge into it; of them,
// required (Min, at most all of them, or Percent of the inputs rounded
// up: 50 % of 3 is 2) must work for what depends on the group to be
// unaffected. What the group passes on is Up while at least required
// inputs are Up, Degraded while at least required are not Down (the
// quorum holds only with degraded members), and Down when fewer are: a
// group that holds its quorum stops a failure. The group itself is
// reported Degraded and AtRisk when it passes Up while an input is not
// Up: it has lost redundancy, and the desk should know before the next
// member fails. A cluster of four with Min 2 is at risk with one or two
// members down, Down with three, and Degraded when two are down and a
// third is degraded.
//
// # Analysis
//
// Analyse takes the failures (nodes and how badly they failed) and
// returns the least fixpoint of these rules: a failed node is at least as
// bad as its failure, and beyond that only as bad as a chain of edges
// from a failure makes it. Cycles are allowed (two servers connected to
// each other): a cycle passes on a failure that enters it but cannot
// make one up. The analysis passes each change of health on along the
// edges from the failures, breadth-first, and counts each group's inputs
// as they worsen, so it costs what the failure reaches, not the graph's
// size; docs/PERFORMANCE.md has the numbers for 100,000 nodes.
//
// # Explanation
//
// Every affected node comes with the predecessor that made it as bad as
// it is (Affected.Via, zero for a node whose own failure explains it),
// and Result.Path follows those back to a failure: a real chain of edges,
// each raising the next node to its health (a group: one of the inputs
// that tipped it; a group at risk: its first input to fail). A group at
// risk explains nothing further, since it passes no failure on.
// Result.Affected lists the worst first (down, degraded, at risk), then
// the shortest explanations first, then by ID.
//
// # Concurrency
//
// A Graph takes changes (SetNode, AddEdge, RemoveEdge, RemoveNode) while
// any number of goroutines analyse it; each analysis sees the graph
// between two changes. A Result is a value of its own, unaffected by
// later changes.
package impact
