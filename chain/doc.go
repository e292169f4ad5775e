// Package chain is the support chain: who holds a ticket and how it moves
// along the chain. It holds the holding model that incidents, and later
// request tasks and problem investigations, share: a ticket is held by an
// organisation (the desk or a supplier), by one of that organisation's
// groups, and optionally by one person of that group, its assignee.
//
// It provides the groups register, the Holder type with its check, and
// Custody, the holding state a ticket carries: who holds it, its
// assignments to suppliers, and the counters of re-assignments, ping-pong
// and moves between groups. Each organisation of the chain keeps its own
// groups (a desk's first and second line, a supplier's network and
// telephony teams), managed by that organisation's administrators. Tickets
// refer to groups by ID,
// so renaming a group changes no history, and a group that is no longer
// used is deactivated rather than deleted, since old tickets name it.
//
// Groups is store-backed like every register of spoc: each command is one
// write transaction that saves the group with an optimistic version check
// and appends one event saying what changed (group.created, group.renamed,
// ...), so that a group is the fold of its events (Replay) and the log is
// its audit trail.
//
// Who may do what: an organisation's administrators (itsm.RoleAdmin in the
// organisation) and whoever Config.Admin names change the organisation's
// groups; its own people read them, and so do a desk's agents and
// administrators the groups of every supplier, to which the desk delegates
// (SD-11). To anyone else another organisation's groups do not exist: they
// are not found, as incidents are (SD-13). Customers hold no tickets and so
// have no groups.
//
// The work queues of every kind of ticket ("held by my group", "unassigned
// in my group", "assigned to me", due first) are index values the ticket
// writes with its record (QueueIndex), read with one query a page
// (QueueQuery).
package chain
