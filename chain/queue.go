package chain

import (
	"encoding/base64"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// Index names of the work queues that every kind of held ticket writes with
// its record (QueueIndex), so that a page of a queue is one prefix query
// over one index, in the order of what is due first, and never a filter.
// Each kind of ticket keeps its own records, so a queue is read per kind.
const (
	// IndexQueue holds "group due" while a group holds the open ticket:
	// "held by my group".
	IndexQueue = "queue"
	// IndexQueueUnassigned holds "group due" while a group holds the open
	// ticket and no member is assigned: "unassigned in my group".
	IndexQueueUnassigned = "queue_unassigned"
	// IndexQueueAssignee holds "organisation person due" while a person
	// holds the open ticket, the person encoded as QueuePerson does:
	// "assigned to me".
	IndexQueueAssignee = "queue_assignee"
)

// QueueNotDue is the due part of a queue value when no clock of the holder
// runs: it sorts after every itsm.IndexTime value, which begins with a
// digit, so that tickets that breach nothing come last.
const QueueNotDue = "none"

// QueueIndex returns the queue index values of a ticket held as c, open or
// not, whose holder's first running clock is due at due (zero if none runs).
// A ticket that is not open is in no queue: work on it is over, or waits
// for no agent of the holder. The longest value, of a person of
// itsm.MaxLabel bytes, is 36 + 1 + 400 + 1 + 30 = 468 bytes, within
// itsm.MaxValueSize.
func QueueIndex(c Custody, open bool, due time.Time) map[string][]string {
	if !open || c.Holder.IsZero() {
		return nil
	}
	d := QueueNotDue
	if !due.IsZero() {
		d = itsm.IndexTime(due)
	}
	idx := make(map[string][]string, 2)
	if !c.Group.IsZero() {
		idx[IndexQueue] = []string{c.Group.String() + " " + d}
		if c.Assignee == "" {
			idx[IndexQueueUnassigned] = []string{c.Group.String() + " " + d}
		}
	}
	if c.Assignee != "" {
		idx[IndexQueueAssignee] = []string{c.Holder.String() + " " + QueuePerson(c.Assignee) + " " + d}
	}
	return idx
}

// HolderDue returns when the first running clock of whoever holds a ticket
// held as c is due, the organisation's or its group's, or zero when none
// runs: the due part of the ticket's queue values, so that every kind of
// ticket sorts its queues by the same clocks.
func HolderDue(c Custody, clocks []Clock) time.Time {
	var due time.Time
	for _, k := range clocks {
		if k.Status != sla.StatusRunning || k.Due.IsZero() || (k.Provider != c.Holder && (c.Group.IsZero() || k.Provider != c.Group)) {
			continue
		}
		if due.IsZero() || k.Due.Before(due) {
			due = k.Due
		}
	}
	return due
}

// QueuePerson is how a person appears in IndexQueueAssignee values: base64
// (URL alphabet, unpadded), since a person's identity is a label that may
// hold spaces, which would otherwise make one person's prefix another's.
func QueuePerson(person string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(person))
}

// Queue names one work queue of an organisation. Exactly one of Group and
// Assignee is set.
type Queue struct {
	// Group, if set, is the queue of the tickets that group holds; with
	// Unassigned, of those of them no member is assigned.
	Group      itsm.ID
	Unassigned bool
	// Assignee, if set, is the queue of the tickets assigned to that
	// person of the organisation.
	Assignee string
}

// QueueQuery returns the store query of one page of q, of tickets of kind
// held by organisation org, in the order of what is due first, then by
// ticket ID. A group must be org's: another organisation's group, whether it
// exists or not, is reported as not found, so that queues cannot probe for
// others' groups (SD-13). An inactive group keeps its queue, since it may
// still hold tickets.
func QueueQuery(tx itsm.ReadTx, kind string, org itsm.ID, q Queue, limit int, after itsm.Cursor) (itsm.Query, error) {
	if _, err := itsm.ValidateLimit(limit); err != nil {
		return itsm.Query{}, err
	}
	sq := itsm.Query{Kind: kind, Match: itsm.MatchPrefix, Limit: limit, After: after}
	switch {
	case q.Group.IsZero() == (q.Assignee == ""):
		return itsm.Query{}, itsm.Errorf(itsm.CodeInvalid, "queue: name either a group or an assignee")
	case q.Assignee != "" && q.Unassigned:
		return itsm.Query{}, itsm.Errorf(itsm.CodeInvalid, "queue: an assignee's queue holds assigned tickets only")
	case q.Assignee != "":
		sq.Index, sq.Value = IndexQueueAssignee, org.String()+" "+QueuePerson(q.Assignee)+" "
		return sq, nil
	}
	g, err := load(tx, q.Group)
	if itsm.IsCode(err, itsm.CodeNotFound) || err == nil && g.Organisation != org {
		return itsm.Query{}, itsm.Errorf(itsm.CodeNotFound, "queue: organisation %s has no group %s", org, q.Group)
	}
	if err != nil {
		return itsm.Query{}, err
	}
	sq.Index, sq.Value = IndexQueue, q.Group.String()+" "
	if q.Unassigned {
		sq.Index = IndexQueueUnassigned
	}
	return sq, nil
}

// QueueDue returns the due time of a queue value, zero for QueueNotDue: the
// last field, after the group or the organisation and person.
func QueueDue(value string) (time.Time, error) {
	i := len(value) - 1
	for i >= 0 && value[i] != ' ' {
		i--
	}
	d := value[i+1:]
	if d == QueueNotDue {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, d)
	if err != nil {
		return time.Time{}, itsm.Wrap(itsm.CodeInternal, err, "queue index value %q", value)
	}
	return t, nil
}
