package chain

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Assignment is one stretch of a ticket at a supplier: from the desk's
// delegation to the supplier's acceptance, and on until it ended. Group and
// Assignee are who in the supplier holds it, or held it last: a move between
// the supplier's groups changes them rather than starting a new assignment,
// since the organisation that answers for the ticket has not changed.
type Assignment struct {
	Organisation itsm.ID   `json:"organisation"`
	Group        itsm.ID   `json:"group,omitzero"`
	Assignee     string    `json:"assignee,omitempty"`
	Delegated    time.Time `json:"delegated"`
	Accepted     time.Time `json:"accepted,omitzero"`
	// Ended is when the supplier stopped holding the ticket: it rejected
	// it, reported back, or the desk took it back.
	Ended time.Time `json:"ended,omitzero"`
	// Rejected holds the supplier's reason when it sent the ticket back.
	Rejected string `json:"rejected,omitempty"`
	// Recalled holds the desk's reason when it took the ticket back: the
	// desk's decision, never the supplier's refusal.
	Recalled string `json:"recalled,omitempty"`
	// PingPong reports that the organisation had held the ticket before
	// this delegation and had not been recalled from it (SD-7).
	PingPong bool `json:"ping_pong,omitempty"`
}

// Custody is who holds a ticket and how it got there: the holding state that
// every kind of ticket along the chain carries (incidents now, request tasks
// and problem investigations next), so that the rules of the chain are
// written once. It is pure: its methods apply changes the ticket's own
// events record, in order, and answer questions; the register checks
// (CheckHolder) are the commands' business, inside their transactions.
//
// Holder, Group and Assignee are flat rather than a Holder value, so that a
// ticket embedding Custody keeps "holder" as the ID of the organisation
// holding it, the field every client filters on; Current returns them as a
// Holder.
type Custody struct {
	// Holder is the organisation that holds the ticket: the desk, or the
	// supplier it is delegated to.
	Holder itsm.ID `json:"holder"`
	// Group is the holder's group that holds it, if any, and Assignee the
	// member of that group it is assigned to, if any.
	Group    itsm.ID `json:"group,omitzero"`
	Assignee string  `json:"assignee,omitempty"`
	// Assignments are the delegations to suppliers, in order.
	Assignments []Assignment `json:"assignments,omitempty"`
	// Reassignments counts delegations after the first, whether the one
	// before ended by a rejection, a report-back or the desk's recall; and
	// PingPong those of them to an organisation that had held the ticket
	// before and was not recalled from it (SD-7). Both count movements
	// between organisations only.
	Reassignments int `json:"reassignments,omitempty"`
	PingPong      int `json:"ping_pong,omitempty"`
	// Moves counts the changes from one group to another inside the
	// organisation holding the ticket: the desk's first line to its second
	// line, one supplier team to another. They are a measure of their own,
	// not re-assignments between organisations.
	Moves int `json:"moves,omitempty"`
}

// Current returns who holds the ticket now.
func (c *Custody) Current() Holder {
	return Holder{Organisation: c.Holder, Group: c.Group, Assignee: c.Assignee}
}

// Assignment returns the assignment that holds the ticket now, or nil when
// no supplier does.
func (c *Custody) Assignment() *Assignment {
	if n := len(c.Assignments); n > 0 && c.Assignments[n-1].Ended.IsZero() {
		return &c.Assignments[n-1]
	}
	return nil
}

// Held reports whether the supplier org holds or once held the ticket. The
// desk that owns a ticket holds it throughout; the ticket says so itself.
func (c *Custody) Held(org itsm.ID) bool {
	return slices.ContainsFunc(c.Assignments, func(a Assignment) bool { return a.Organisation == org })
}

// PingPongTo reports whether a delegation to org now would be ping-pong
// (SD-7): org does not hold the ticket, held it before, and let it go by
// itself (rejected it or reported back). An organisation the desk recalled
// the ticket from did not bounce it, so a delegation back to it is not
// ping-pong.
func (c *Custody) PingPongTo(org itsm.ID) bool {
	return c.Holder != org && slices.ContainsFunc(c.Assignments, func(a Assignment) bool {
		return a.Organisation == org && a.Recalled == ""
	})
}

// Registered puts a new ticket in the hands of h, the desk that registered
// it (and, optionally, one of its groups and a member).
func (c *Custody) Registered(h Holder) {
	c.Holder, c.Group, c.Assignee = h.Organisation, h.Group, h.Assignee
}

// Delegated records the desk's delegation to h, a supplier (and optionally
// one of its groups), at at; pingPong is what PingPongTo said when the
// delegation was decided, as its event records it. A delegation while
// another supplier holds the ticket ends that supplier's assignment.
func (c *Custody) Delegated(h Holder, at time.Time, pingPong bool) {
	if len(c.Assignments) > 0 {
		c.Reassignments++
	}
	if pingPong {
		c.PingPong++
	}
	c.end(at)
	c.Assignments = append(c.Assignments, Assignment{Organisation: h.Organisation, Group: h.Group,
		Assignee: h.Assignee, Delegated: at, PingPong: pingPong})
	c.Holder, c.Group, c.Assignee = h.Organisation, h.Group, h.Assignee
}

// Accepted records that the supplier holding the ticket took it on.
func (c *Custody) Accepted(at time.Time) {
	if a := c.Assignment(); a != nil {
		a.Accepted = at
	}
}

// Rejected records that the supplier sent the ticket back with reason; desk
// holds it again.
func (c *Custody) Rejected(desk Holder, at time.Time, reason string) {
	if a := c.Assignment(); a != nil {
		a.Ended, a.Rejected = at, reason
	}
	c.Registered(desk)
}

// Recalled records that the desk took the ticket back from the supplier
// holding it, with reason. It is the desk's decision: not a rejection, and
// no reason for the next delegation back to that supplier to be ping-pong;
// the next delegation counts as a re-assignment as any delegation after the
// first does.
func (c *Custody) Recalled(desk Holder, at time.Time, reason string) {
	if a := c.Assignment(); a != nil {
		a.Ended, a.Recalled = at, reason
	}
	c.Registered(desk)
}

// Ended records that the supplier holding the ticket stopped holding it
// without sending it back, by reporting back its resolution: the supplier
// stays the holder, so that its clocks end stopped rather than idle, until
// the ticket moves on.
func (c *Custody) Ended(at time.Time) { c.end(at) }

// Returned puts the ticket back in the hands of desk, ending any
// assignment: the desk reopens or cancels it. When the desk holds it
// already, its group and assignee keep it: the desk's second line that
// resolved it reopens it.
func (c *Custody) Returned(desk Holder, at time.Time) {
	c.end(at)
	if c.Holder != desk.Organisation {
		c.Registered(desk)
	}
}

// Assigned records an assignment inside the organisation holding the
// ticket: to another of its groups, to a member, or both. A change of group
// from one group to another is a move; taking a ticket into a group when no
// group held it is not, nor is a change of assignee alone. h must name the
// holding organisation; the command checks that before its event exists.
func (c *Custody) Assigned(h Holder) {
	if h.Group != c.Group && !c.Group.IsZero() {
		c.Moves++
	}
	c.Group, c.Assignee = h.Group, h.Assignee
	if a := c.Assignment(); a != nil {
		a.Group, a.Assignee = h.Group, h.Assignee
	}
}

func (c *Custody) end(at time.Time) {
	if a := c.Assignment(); a != nil {
		a.Ended = at
	}
}

// Clone returns a deep copy of c.
func (c Custody) Clone() Custody {
	c.Assignments = slices.Clone(c.Assignments)
	return c
}
