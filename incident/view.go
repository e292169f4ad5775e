package incident

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// View is what one organisation may see of one incident. It is the one rule
// behind every way an incident is read: Get, GetByNumber, List, Due and the
// incident a command returns show View.Incident, and a reader of the event
// log (the reference server's feed and webhooks) shows View.Event, so that
// no channel shows what another hides.
//
// The support chain, which is the desk that owns the incident and every
// supplier that holds or held it, sees all of it: work notes are internal
// to the chain, not to their author's organisation, so that a supplier the
// incident is re-routed to, or returns to, reads what the others found
// (SD-5, SD-7), as the desk does. The customer sees the incident, its
// timeline, assignments and resolution, and the communications (what the
// user said and was told, SD-6), but not what the chain writes for itself:
// work notes (and so the notes and reasons the commands record as work
// notes, a supplier's rejection reason among them), status updates to the
// desk (SD-8: the desk tells the user), notifications to the chain's
// escalation contacts, and the suppliers' own references. Any other
// organisation sees nothing (SD-10, SD-13).
type View int

// The views, from seeing nothing to seeing everything.
const (
	// ViewNone: the incident does not exist for the organisation.
	ViewNone View = iota
	// ViewCustomer: the organisation whose user reported the incident.
	ViewCustomer
	// ViewChain: the owning desk, or a supplier that holds or held it.
	ViewChain
)

// String returns "none", "customer" or "chain".
func (v View) String() string {
	switch v {
	case ViewCustomer:
		return "customer"
	case ViewChain:
		return "chain"
	}
	return "none"
}

// ViewOf returns what org may see of inc: the owning desk and a supplier that
// holds or held it see it as the support chain, the customer whose user
// reported it as the customer, and any other organisation not at all.
func ViewOf(inc *Incident, org itsm.Organisation) View {
	switch org.Role {
	case itsm.OrgDesk, itsm.OrgSupplier:
		if inc.Held(org.ID) {
			return ViewChain
		}
	case itsm.OrgCustomer:
		if inc.Customer == org.ID {
			return ViewCustomer
		}
	}
	return ViewNone
}

// Shows reports whether the view shows journal entries of the kind.
func (v View) Shows(k EntryKind) bool {
	switch v {
	case ViewChain:
		return true
	case ViewCustomer:
		return k == EntryCommunication
	}
	return false
}

// Incident returns inc as the view shows it, or nil for ViewNone. inc itself
// is never changed: the customer gets a copy without the journal entries it
// may not read, the rejection and recall reasons of the assignments and the suppliers'
// references; the chain gets inc.
func (v View) Incident(inc *Incident) *Incident {
	switch v {
	case ViewChain:
		return inc
	case ViewCustomer:
		c := inc.Clone()
		c.Journal = slices.DeleteFunc(c.Journal, func(e Entry) bool { return !v.Shows(e.Kind) })
		for i := range c.Assignments {
			c.Assignments[i].Rejected, c.Assignments[i].Recalled = "", ""
		}
		c.References = nil
		return c
	}
	return nil
}

// Payload returns p as the view shows it, and false when the view shows
// nothing of it. The payloads the view shows, applied in order, build the
// incident the view shows (Incident), but for Changed, the time of the last
// change of any kind: what the customer sees changes the incident as the
// payload does, only without the texts it may not read.
func (v View) Payload(p Payload) (Payload, bool) {
	switch v {
	case ViewChain:
		return p, true
	case ViewCustomer:
		return p.forCustomer()
	}
	return nil, false
}

// Event returns ev, an incident event, as the view shows it, and false when
// the view shows nothing of it. The chain gets ev as it is; the customer an
// event with the same envelope whose data is the payload as Payload shows
// it.
func (v View) Event(ev itsm.Event) (itsm.Event, bool, error) {
	switch v {
	case ViewChain:
		return ev, true, nil
	case ViewNone:
		return itsm.Event{}, false, nil
	}
	p, err := Decode(ev)
	if err != nil {
		return itsm.Event{}, false, err
	}
	p, ok := v.Payload(p)
	if !ok {
		return itsm.Event{}, false, nil
	}
	data, err := json.Marshal(p)
	if err != nil {
		return itsm.Event{}, false, itsm.Wrap(itsm.CodeInternal, err, "encode %s", p.Type())
	}
	ev.Data = data
	return ev, true, nil
}

// View returns what the actor's organisation may see of incident id, for a
// reader of the event log that shows each event as View.Event does. Like
// Get, it needs read access, and an incident the organisation may not see is
// reported as not found.
func (s *Service) View(ctx context.Context, actor itsm.Actor, id itsm.ID) (View, error) {
	_, v, err := s.get(ctx, actor, id)
	return v, err
}

// ViewAt returns what the actor's organisation saw of incident id at the
// instant at: as View, except that a supplier sees nothing of the incident
// before it was first delegated to it, although it reads the whole history
// once it holds it. A reader that may decide an event's visibility more
// than once, such as a webhook sending again after a restart, decides by
// the event's time and so gets the same answer every time: by View, an
// event skipped before the supplier held the incident would be sent after
// a later one once it does, out of the log's order.
func (s *Service) ViewAt(ctx context.Context, actor itsm.Actor, id itsm.ID, at time.Time) (View, error) {
	inc, v, err := s.get(ctx, actor, id)
	if err != nil || v != ViewChain || actor.Organisation == inc.Desk {
		return v, err
	}
	for _, a := range inc.Assignments {
		if a.Organisation == actor.Organisation && !a.Delegated.After(at) {
			return v, nil
		}
	}
	return ViewNone, nil
}

// What the customer sees of each payload: forCustomer returns the payload
// without what is internal to the support chain, and false when nothing of
// it is the customer's. Each payload type must decide, so that a new one
// cannot show the customer a new text by default.

func (p Registered) forCustomer() (Payload, bool) { return p, true }
func (p Started) forCustomer() (Payload, bool)    { return p, true }

func (p Delegated) forCustomer() (Payload, bool) {
	p.Note, p.Handover.Rejections = "", nil
	return p, true
}

func (p Accepted) forCustomer() (Payload, bool) { return p, true }

// The state and holder change, so the customer sees that the supplier sent
// the incident back, but not why.
func (p Rejected) forCustomer() (Payload, bool) {
	p.Reason = ""
	return p, true
}

// Who holds the incident is the customer's to see, down to the person, as
// the holder always was (SD-9); the note is the chain's.
func (p Assigned) forCustomer() (Payload, bool) {
	p.Note = ""
	return p, true
}

// The holder changes, so the customer sees that the desk took the incident
// back, but not why, as with a rejection.
func (p Recalled) forCustomer() (Payload, bool) {
	p.Reason = ""
	return p, true
}

// The update clock restarts, so the customer sees that the holder reported,
// but not what: the desk tells the user (SD-6).
func (p Updated) forCustomer() (Payload, bool) {
	p.Text = ""
	return p, true
}

func (p Commented) forCustomer() (Payload, bool) { return p, p.Kind == EntryCommunication }

func (p Waiting) forCustomer() (Payload, bool) {
	p.Note = ""
	return p, true
}

func (p Resumed) forCustomer() (Payload, bool) {
	p.Note = ""
	return p, true
}

// The resolution is what the desk owes the user word of (SD-4), so the
// customer sees it whole.
func (p Resolved) forCustomer() (Payload, bool) { return p, true }
func (p Closed) forCustomer() (Payload, bool)   { return p, true }

func (p Reopened) forCustomer() (Payload, bool) {
	p.Reason = ""
	return p, true
}

func (p Cancelled) forCustomer() (Payload, bool) {
	p.Reason = ""
	return p, true
}

func (p Reprioritised) forCustomer() (Payload, bool) {
	p.Reason = ""
	return p, true
}

func (p Recategorised) forCustomer() (Payload, bool) { return p, true }
func (p Referenced) forCustomer() (Payload, bool)    { return nil, false }
func (p Related) forCustomer() (Payload, bool)       { return p, true }
func (p Coordinated) forCustomer() (Payload, bool)   { return p, true }

// The problem link is the customer's to see, as Related's problem always
// was; the workaround the desk told is a communication (SD-6).
func (p ProblemLinked) forCustomer() (Payload, bool)          { return p, true }
func (p ProblemUnlinked) forCustomer() (Payload, bool)        { return p, true }
func (p WorkaroundCommunicated) forCustomer() (Payload, bool) { return p, true }

func (p MajorDeclared) forCustomer() (Payload, bool) {
	p.Reason = ""
	return p, true
}

func (p MajorStoodDown) forCustomer() (Payload, bool) {
	p.Reason = ""
	return p, true
}

// Who the chain paged, and at which address, is the chain's.
func (p Notified) forCustomer() (Payload, bool) { return nil, false }
