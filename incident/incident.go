package incident

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/spoc-itsm/spoc/itsm"
)

// The states of an incident. They are itsm.States, so the timeline that sla
// measures uses them as they are and an agreement pauses or stops on them by
// name. Who holds the incident is separate from its state: in progress at the
// desk and in progress at a supplier are the same state with another holder.
const (
	// StateRegistered: the desk has registered the incident and not yet
	// started on it; the customer's response clock runs.
	StateRegistered itsm.State = "registered"
	// StateInProgress: the holder (the desk or a supplier that accepted it)
	// works on it.
	StateInProgress itsm.State = "in_progress"
	// StateDelegated: the desk has handed it to a supplier group that has not
	// yet accepted or rejected it.
	StateDelegated itsm.State = "delegated"
	// StateWaitingUser, StateWaitingVendor, StateWaitingChange and
	// StateWaitingProblem: the holder waits for the user, for its own vendor,
	// for a change to be implemented or for a problem to be solved. Each
	// agreement decides which of them pause its clocks.
	StateWaitingUser    itsm.State = "waiting_user"
	StateWaitingVendor  itsm.State = "waiting_vendor"
	StateWaitingChange  itsm.State = "waiting_change"
	StateWaitingProblem itsm.State = "waiting_problem"
	// StateResolved: the desk resolved it, or a supplier reported back a
	// resolution; the desk has still to inform the user and close it.
	StateResolved itsm.State = "resolved"
	// StateClosed: the desk closed it after informing the user; only
	// reopening changes it, within the desk's reopen window after the
	// closure.
	StateClosed itsm.State = "closed"
	// StateCancelled: the desk cancelled it (a duplicate, or not an
	// incident); nothing changes it any more.
	StateCancelled itsm.State = "cancelled"
)

// States lists every state, in lifecycle order.
func States() []itsm.State {
	return []itsm.State{StateRegistered, StateInProgress, StateDelegated,
		StateWaitingUser, StateWaitingVendor, StateWaitingChange, StateWaitingProblem,
		StateResolved, StateClosed, StateCancelled}
}

// WaitReason is what a waiting incident waits for.
type WaitReason string

// The reasons to wait.
const (
	WaitUser    WaitReason = "user"
	WaitVendor  WaitReason = "vendor"
	WaitChange  WaitReason = "change"
	WaitProblem WaitReason = "problem"
)

// State returns the waiting state of the reason, or "" for an unknown one.
func (r WaitReason) State() itsm.State {
	switch r {
	case WaitUser:
		return StateWaitingUser
	case WaitVendor:
		return StateWaitingVendor
	case WaitChange:
		return StateWaitingChange
	case WaitProblem:
		return StateWaitingProblem
	}
	return ""
}

// IsWaiting reports whether s is one of the waiting states.
func IsWaiting(s itsm.State) bool {
	switch s {
	case StateWaitingUser, StateWaitingVendor, StateWaitingChange, StateWaitingProblem:
		return true
	}
	return false
}

// IsOpen reports whether an incident in state s is still being worked on:
// not resolved, closed or cancelled.
func IsOpen(s itsm.State) bool {
	switch s {
	case StateRegistered, StateInProgress, StateDelegated:
		return true
	}
	return IsWaiting(s)
}

// Channel is how the user reached the desk (SD-1).
type Channel string

// The channels.
const (
	ChannelPhone      Channel = "phone"
	ChannelEmail      Channel = "email"
	ChannelPortal     Channel = "portal"
	ChannelChat       Channel = "chat"
	ChannelWalkIn     Channel = "walk_in"
	ChannelMonitoring Channel = "monitoring"
)

// Valid reports whether c is one of the Channel constants.
func (c Channel) Valid() bool {
	switch c {
	case ChannelPhone, ChannelEmail, ChannelPortal, ChannelChat, ChannelWalkIn, ChannelMonitoring:
		return true
	}
	return false
}

// EntryKind says who may read a journal entry and why it was written.
type EntryKind string

// The kinds of journal entry.
const (
	// EntryCommunication is visible to the user: what the user said, and
	// what the desk (or, where it had to, a supplier) told the user (SD-6).
	EntryCommunication EntryKind = "communication"
	// EntryWorkNote is internal to the support chain.
	EntryWorkNote EntryKind = "work_note"
	// EntryStatusUpdate is a holder's status report to the desk; it restarts
	// the holder's update clock (SD-8).
	EntryStatusUpdate EntryKind = "status_update"
	// EntryNotification is a message sent to people outside the ticket,
	// such as the escalation roles of a major incident (IM-4, IM-5).
	EntryNotification EntryKind = "notification"
)

// Entry is one line of the journal: who wrote what, when, for whom.
type Entry struct {
	Time time.Time `json:"time"`
	Kind EntryKind `json:"kind"`
	// Author is the person who wrote it and Organisation whom they acted
	// for, so every line is traceable through the chain (SD-9).
	Author       string  `json:"author"`
	Organisation itsm.ID `json:"organisation"`
	Text         string  `json:"text"`
}

// Caller is the person who reported the incident.
type Caller struct {
	// Person is a stable identity, such as a user name from single sign-on.
	Person string `json:"person"`
	// Name and Contact (a phone number or e-mail address) are what the desk
	// and suppliers need to reach the user.
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
}

// Reference is a supplier's own ticket number for the incident (SD-5).
type Reference struct {
	Organisation itsm.ID `json:"organisation"`
	Reference    string  `json:"reference"`
}

// Outcome is how the incident was resolved.
type Outcome struct {
	Time time.Time `json:"time"`
	// By is the organisation that resolved it: the desk at first contact,
	// or the supplier that reported back.
	By   itsm.ID `json:"by"`
	Code string  `json:"code"`
	Text string  `json:"text"`
	// FirstContact reports that the desk resolved it without delegating
	// (SD-3).
	FirstContact bool `json:"first_contact,omitempty"`
	// Workaround is the workaround that resolved it, if one did (PM-2);
	// the workaround's count of incidents it resolved counts it
	// (Service.ResolvedBy) until the incident is reopened.
	Workaround itsm.ID `json:"workaround,omitzero"`
}

// Incident is an unplanned interruption or degradation of a service, owned by
// the desk from registration to closure. It is built only by applying its
// events in order (see Replay), so the stored incident and its history never
// disagree.
type Incident struct {
	ID     itsm.ID     `json:"id"`
	Number itsm.Number `json:"number"`
	// Version is the store's version of the record; it is not part of the
	// history.
	Version int64 `json:"-"`

	// Desk is the desk organisation that owns the incident (SD-4, SD-10);
	// Customer, if set, is the organisation whose user reported it.
	Desk     itsm.ID `json:"desk"`
	Customer itsm.ID `json:"customer,omitzero"`
	// Key is the registering client's idempotency key, if it gave one: a
	// second registration with it and the same content at the same desk
	// returns this incident (Registration.Key).
	Key string `json:"key,omitempty"`

	Caller      Caller  `json:"caller"`
	Channel     Channel `json:"channel"`
	Service     string  `json:"service,omitempty"`
	Category    string  `json:"category,omitempty"`
	Subcategory string  `json:"subcategory,omitempty"`
	Summary     string  `json:"summary"`
	Description string  `json:"description,omitempty"`

	Impact   itsm.Impact   `json:"impact"`
	Urgency  itsm.Urgency  `json:"urgency"`
	Priority itsm.Priority `json:"priority"`

	// CIs are the configuration items involved (IM-6); Problem the problem
	// it is linked to; Parent and Children link incidents with the same
	// cause, coordinated through the parent (IM-3).
	CIs      []itsm.ID `json:"cis,omitempty"`
	Problem  itsm.ID   `json:"problem,omitzero"`
	Parent   itsm.ID   `json:"parent,omitzero"`
	Children []itsm.ID `json:"children,omitempty"`

	State itsm.State `json:"state"`
	// Custody is who holds the incident (holder, group, assignee) and how
	// it moved along the chain: its assignments to suppliers, the
	// re-assignments and ping-pong between organisations (SD-7), and the
	// moves between groups inside one.
	chain.Custody

	Journal    []Entry     `json:"journal,omitempty"`
	References []Reference `json:"references,omitempty"`

	Outcome  *Outcome `json:"outcome,omitempty"`
	Reopened int      `json:"reopened,omitempty"`

	Major        bool   `json:"major,omitempty"`
	MajorManager string `json:"major_manager,omitempty"`

	Registered time.Time `json:"registered"`
	Changed    time.Time `json:"changed"`
	Resolved   time.Time `json:"resolved,omitzero"`
	Closed     time.Time `json:"closed,omitzero"`

	// Timeline is the history that sla measures: one interval per change of
	// state, holder, group or priority, and one per status update. A change
	// of assignee alone starts none (itsm.Interval).
	Timeline itsm.Timeline `json:"timeline"`
}

// Held reports whether org holds or once held the incident: the desk that
// owns it, or a supplier it was delegated to. A supplier sees only the
// incidents it held (SD-13).
func (inc *Incident) Held(org itsm.ID) bool {
	return org == inc.Desk || inc.Custody.Held(org)
}

// Reference returns org's own reference for the incident, or "".
func (inc *Incident) Reference(org itsm.ID) string {
	for _, r := range inc.References {
		if r.Organisation == org {
			return r.Reference
		}
	}
	return ""
}

// Communications returns the journal entries the user can see, in order.
func (inc *Incident) Communications() []Entry {
	var out []Entry
	for _, e := range inc.Journal {
		if e.Kind == EntryCommunication {
			out = append(out, e)
		}
	}
	return out
}

// Clone returns a deep copy, so that a command can change it without
// touching a value the caller still holds.
func (inc *Incident) Clone() *Incident {
	c := *inc
	c.CIs = slices.Clone(inc.CIs)
	c.Children = slices.Clone(inc.Children)
	c.Journal = slices.Clone(inc.Journal)
	c.References = slices.Clone(inc.References)
	c.Custody = inc.Custody.Clone()
	c.Timeline = slices.Clone(inc.Timeline)
	if inc.Outcome != nil {
		o := *inc.Outcome
		c.Outcome = &o
	}
	return &c
}
