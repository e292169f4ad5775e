package incident

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/spoc-itsm/spoc/itsm"
)

// Kind is the record and event kind of incidents in an itsm.Store.
const Kind = "incident"

// Payload is the data of one incident event: what happened, and who did it.
// Every change to an incident is one Payload applied to it, so the incident
// can always be rebuilt from its events (Replay).
type Payload interface {
	// Type is the event type, such as "incident.delegated".
	Type() string
	// Actor is who caused the change.
	Actor() itsm.Actor
	apply(inc *Incident, at time.Time)
	// forCustomer is the payload as ViewCustomer shows it (view.go).
	forCustomer() (Payload, bool)
}

// By is the actor of an event, embedded in every payload.
type By = itsm.By

// Registered: the desk registered the incident (SD-2, SD-4).
type Registered struct {
	By
	Number      itsm.Number   `json:"number"`
	Desk        itsm.ID       `json:"desk"`
	Customer    itsm.ID       `json:"customer,omitzero"`
	Caller      Caller        `json:"caller"`
	Channel     Channel       `json:"channel"`
	Service     string        `json:"service,omitempty"`
	Category    string        `json:"category,omitempty"`
	Subcategory string        `json:"subcategory,omitempty"`
	Summary     string        `json:"summary"`
	Description string        `json:"description,omitempty"`
	Impact      itsm.Impact   `json:"impact"`
	Urgency     itsm.Urgency  `json:"urgency"`
	Priority    itsm.Priority `json:"priority"`
	CIs         []itsm.ID     `json:"cis,omitempty"`
	// Key is the client's idempotency key, if any (Registration.Key).
	Key string `json:"key,omitempty"`
	// Group is the desk's group that holds the incident from the start, if
	// the registration named one.
	Group itsm.ID `json:"group,omitzero"`
}

// Started: the desk started work on a registered incident.
type Started struct{ By }

// Delegated: the desk handed the incident to a supplier, and optionally one
// of its groups, with everything the user said (SD-5).
type Delegated struct {
	By
	Organisation itsm.ID `json:"organisation"`
	Group        itsm.ID `json:"group,omitzero"`
	Note         string  `json:"note,omitempty"`
	// PingPong reports that the organisation held the incident before (SD-7).
	PingPong bool     `json:"ping_pong,omitempty"`
	Handover Handover `json:"handover"`
}

// Handover is what a supplier receives on delegation, so that the user never
// has to repeat anything (SD-5).
type Handover struct {
	Number         itsm.Number   `json:"number"`
	Caller         Caller        `json:"caller"`
	Channel        Channel       `json:"channel"`
	Service        string        `json:"service,omitempty"`
	Category       string        `json:"category,omitempty"`
	Subcategory    string        `json:"subcategory,omitempty"`
	Summary        string        `json:"summary"`
	Description    string        `json:"description,omitempty"`
	Priority       itsm.Priority `json:"priority"`
	CIs            []itsm.ID     `json:"cis,omitempty"`
	Communications []Entry       `json:"communications,omitempty"`
	// Rejections are the reasons earlier groups gave for sending it back.
	Rejections []string `json:"rejections,omitempty"`
}

// Accepted: the supplier group took the delegated incident on.
type Accepted struct{ By }

// Rejected: the supplier group sent the incident back to the desk, which
// re-routes it (SD-7).
type Rejected struct {
	By
	Reason string `json:"reason"`
}

// Assigned: an agent of the organisation holding the incident assigned it
// inside that organisation: to another of its groups, to a member of the
// group, or both. Group and Assignee are who holds it now; an agent who
// takes the incident is its own assignee.
type Assigned struct {
	By
	Group    itsm.ID `json:"group,omitzero"`
	Assignee string  `json:"assignee,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// Recalled: the desk took the incident back from the supplier holding it,
// with a reason. It is the desk's decision, not the supplier's rejection.
type Recalled struct {
	By
	Reason string `json:"reason"`
}

// Updated: the holder reported its status to the desk (SD-8).
type Updated struct {
	By
	Text string `json:"text"`
}

// Commented: someone wrote to the journal: a communication with the user or
// a work note.
type Commented struct {
	By
	Kind EntryKind `json:"kind"`
	Text string    `json:"text"`
}

// Waiting: the holder waits for the user, a vendor, a change or a problem.
type Waiting struct {
	By
	Reason WaitReason `json:"reason"`
	Note   string     `json:"note,omitempty"`
}

// Resumed: the wait is over and work goes on.
type Resumed struct {
	By
	Note string `json:"note,omitempty"`
}

// Resolved: the desk resolved the incident itself, or a supplier reported
// back its resolution (SD-4).
type Resolved struct {
	By
	Code         string `json:"code"`
	Text         string `json:"text"`
	FirstContact bool   `json:"first_contact,omitempty"`
	// Workaround is the workaround of the workaround database that
	// resolved the incident, if one did (PM-2).
	Workaround itsm.ID `json:"workaround,omitzero"`
}

// Closed: the desk informed the user and closed the incident (SD-4).
type Closed struct {
	By
	// Message is what the user was told.
	Message string `json:"message"`
}

// Reopened: the desk reopened a resolved incident, or a closed one within
// the desk's reopen window after its closure.
type Reopened struct {
	By
	Reason string `json:"reason"`
}

// Cancelled: the desk cancelled the incident.
type Cancelled struct {
	By
	Reason string `json:"reason"`
}

// Reprioritised: the desk changed impact or urgency; every clock is measured
// again from the history at the new priority.
type Reprioritised struct {
	By
	Impact   itsm.Impact   `json:"impact"`
	Urgency  itsm.Urgency  `json:"urgency"`
	Priority itsm.Priority `json:"priority"`
	Reason   string        `json:"reason"`
}

// Recategorised: the desk changed the service or category.
type Recategorised struct {
	By
	Service     string `json:"service,omitempty"`
	Category    string `json:"category,omitempty"`
	Subcategory string `json:"subcategory,omitempty"`
}

// Referenced: a supplier recorded its own reference for the incident (SD-5).
type Referenced struct {
	By
	Reference string `json:"reference"`
}

// Related: the desk set the configuration items (IM-6) and the problem
// (IM-3) the incident relates to.
type Related struct {
	By
	CIs     []itsm.ID `json:"cis,omitempty"`
	Problem itsm.ID   `json:"problem,omitzero"`
}

// ProblemLinked: the desk linked the incident to a problem (IM-3, PM-1),
// in the problem's command, which records its own side in the same
// transaction. From now on only ProblemLinked and ProblemUnlinked change
// the link; Related carries the problem for the history written before.
type ProblemLinked struct {
	By
	Problem itsm.ID `json:"problem"`
}

// ProblemUnlinked: the desk removed the link between the incident and its
// problem.
type ProblemUnlinked struct {
	By
	Problem itsm.ID `json:"problem"`
}

// WorkaroundCommunicated: the desk told the user a workaround of the
// incident's problem (SD-6, PM-2), a communication entry of the journal.
type WorkaroundCommunicated struct {
	By
	Problem    itsm.ID `json:"problem"`
	Workaround itsm.ID `json:"workaround"`
	Text       string  `json:"text"`
}

// Coordinated: the desk made Child a child of Parent, so that incidents with
// one cause are followed up together (IM-3). The event is appended to both.
type Coordinated struct {
	By
	Parent itsm.ID `json:"parent"`
	Child  itsm.ID `json:"child"`
}

// MajorDeclared: the desk declared a major incident, led by the
// major-incident manager on duty (IM-4).
type MajorDeclared struct {
	By
	Reason  string `json:"reason"`
	Manager string `json:"manager,omitempty"`
}

// MajorStoodDown: the desk ended major-incident handling.
type MajorStoodDown struct {
	By
	Reason string `json:"reason"`
}

// Notified: a message was sent to someone outside the ticket: an escalation
// role of a P1 or P2 incident, or a contact of a major incident (IM-4, IM-5).
type Notified struct {
	By
	Recipient string    `json:"recipient"`
	Role      itsm.Role `json:"role,omitempty"`
	Channel   string    `json:"channel"`
	Address   string    `json:"address"`
	Subject   string    `json:"subject"`
	// Error is set when the Notifier failed to deliver the message.
	Error string `json:"error,omitempty"`
}

// Type returns "incident.registered".
func (Registered) Type() string { return "incident.registered" }

// Type returns "incident.started".
func (Started) Type() string { return "incident.started" }

// Type returns "incident.delegated".
func (Delegated) Type() string { return "incident.delegated" }

// Type returns "incident.accepted".
func (Accepted) Type() string { return "incident.accepted" }

// Type returns "incident.rejected".
func (Rejected) Type() string { return "incident.rejected" }

// Type returns "incident.assigned".
func (Assigned) Type() string { return "incident.assigned" }

// Type returns "incident.recalled".
func (Recalled) Type() string { return "incident.recalled" }

// Type returns "incident.updated".
func (Updated) Type() string { return "incident.updated" }

// Type returns "incident.commented".
func (Commented) Type() string { return "incident.commented" }

// Type returns "incident.waiting".
func (Waiting) Type() string { return "incident.waiting" }

// Type returns "incident.resumed".
func (Resumed) Type() string { return "incident.resumed" }

// Type returns "incident.resolved".
func (Resolved) Type() string { return "incident.resolved" }

// Type returns "incident.closed".
func (Closed) Type() string { return "incident.closed" }

// Type returns "incident.reopened".
func (Reopened) Type() string { return "incident.reopened" }

// Type returns "incident.cancelled".
func (Cancelled) Type() string { return "incident.cancelled" }

// Type returns "incident.reprioritised".
func (Reprioritised) Type() string { return "incident.reprioritised" }

// Type returns "incident.recategorised".
func (Recategorised) Type() string { return "incident.recategorised" }

// Type returns "incident.referenced".
func (Referenced) Type() string { return "incident.referenced" }

// Type returns "incident.related".
func (Related) Type() string { return "incident.related" }

// Type returns "incident.problem_linked".
func (ProblemLinked) Type() string { return "incident.problem_linked" }

// Type returns "incident.problem_unlinked".
func (ProblemUnlinked) Type() string { return "incident.problem_unlinked" }

// Type returns "incident.workaround_communicated".
func (WorkaroundCommunicated) Type() string { return "incident.workaround_communicated" }

// Type returns "incident.coordinated".
func (Coordinated) Type() string { return "incident.coordinated" }

// Type returns "incident.major_declared".
func (MajorDeclared) Type() string { return "incident.major_declared" }

// Type returns "incident.major_stood_down".
func (MajorStoodDown) Type() string { return "incident.major_stood_down" }

// Type returns "incident.notified".
func (Notified) Type() string { return "incident.notified" }

// codec turns incident payloads into events and back.
var codec = itsm.NewCodec[Payload](Kind, "an incident",
	Registered{}, Started{}, Delegated{}, Accepted{}, Rejected{},
	Assigned{}, Recalled{}, Updated{}, Commented{}, Waiting{}, Resumed{}, Resolved{}, Closed{}, Reopened{},
	Cancelled{}, Reprioritised{}, Recategorised{}, Referenced{}, Related{},
	Coordinated{}, MajorDeclared{}, MajorStoodDown{}, Notified{},
	ProblemLinked{}, ProblemUnlinked{}, WorkaroundCommunicated{})

// Payloads returns one of each payload type, for schemas and
// documentation.
func Payloads() []Payload { return codec.Payloads() }

// Decode returns the payload of an incident event.
func Decode(e itsm.Event) (Payload, error) { return codec.Decode(e) }

// Replay rebuilds an incident from its events, in log order. The first must
// be incident.registered, and only the first; all must have the same
// subject.
func Replay(events []itsm.Event) (*Incident, error) {
	inc := new(Incident)
	return itsm.Replay(codec, events, Registered{}.Type(), inc, &inc.ID, Payload.apply)
}

// event wraps a payload applied to inc at at as an itsm.Event.
func event(inc *Incident, p Payload, at time.Time) (itsm.Event, error) {
	return codec.Encode(inc.ID, p, at)
}

// move records a change of state, or of holder or group already applied to
// the custody, or a status update, as a new timeline interval.
func (inc *Incident) move(at time.Time, state itsm.State, update bool) {
	inc.State = state
	inc.Timeline = append(inc.Timeline, itsm.Interval{
		Start: at, State: state, Holder: inc.Holder, Group: inc.Group, Priority: inc.Priority, Update: update,
	})
}

func (inc *Incident) note(at time.Time, by itsm.Actor, kind EntryKind, text string) {
	if text == "" {
		return
	}
	inc.Journal = append(inc.Journal, Entry{Time: at, Kind: kind, Author: by.Person, Organisation: by.Organisation, Text: text})
}

// desk is the desk as the holder it returns to: the organisation alone,
// whose agents assign it again within the desk.
func (inc *Incident) desk() chain.Holder { return chain.Holder{Organisation: inc.Desk} }

func (p Registered) apply(inc *Incident, at time.Time) {
	inc.Number, inc.Desk, inc.Customer = p.Number, p.Desk, p.Customer
	inc.Caller, inc.Channel, inc.Service = p.Caller, p.Channel, p.Service
	inc.Category, inc.Subcategory = p.Category, p.Subcategory
	inc.Summary, inc.Description = p.Summary, p.Description
	inc.Impact, inc.Urgency, inc.Priority = p.Impact, p.Urgency, p.Priority
	inc.CIs = slices.Clone(p.CIs)
	inc.Key = p.Key
	inc.Registered, inc.Changed = at, at
	inc.note(at, p.By.By, EntryCommunication, p.Description)
	inc.Custody.Registered(chain.Holder{Organisation: p.Desk, Group: p.Group})
	inc.move(at, StateRegistered, false)
}

func (p Started) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.move(at, StateInProgress, false)
}

func (p Delegated) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Custody.Delegated(chain.Holder{Organisation: p.Organisation, Group: p.Group}, at, p.PingPong)
	inc.note(at, p.By.By, EntryWorkNote, p.Note)
	inc.move(at, StateDelegated, false)
}

func (p Accepted) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Custody.Accepted(at)
	inc.move(at, StateInProgress, false)
}

func (p Rejected) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Custody.Rejected(inc.desk(), at, p.Reason)
	inc.note(at, p.By.By, EntryWorkNote, p.Reason)
	inc.move(at, StateInProgress, false)
}

func (p Assigned) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	regrouped := p.Group != inc.Group
	inc.Custody.Assigned(chain.Holder{Organisation: inc.Holder, Group: p.Group, Assignee: p.Assignee})
	inc.note(at, p.By.By, EntryWorkNote, p.Note)
	// A new assignee alone starts no interval: no clock runs per person.
	if regrouped {
		inc.move(at, inc.State, false)
	}
}

func (p Recalled) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Custody.Recalled(inc.desk(), at, p.Reason)
	inc.note(at, p.By.By, EntryWorkNote, p.Reason)
	inc.move(at, StateInProgress, false)
}

func (p Updated) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.note(at, p.By.By, EntryStatusUpdate, p.Text)
	inc.move(at, inc.State, true)
}

func (p Commented) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.note(at, p.By.By, p.Kind, p.Text)
}

func (p Waiting) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.note(at, p.By.By, EntryWorkNote, p.Note)
	inc.move(at, p.Reason.State(), false)
}

func (p Resumed) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.note(at, p.By.By, EntryWorkNote, p.Note)
	inc.move(at, StateInProgress, false)
}

func (p Resolved) apply(inc *Incident, at time.Time) {
	inc.Changed, inc.Resolved = at, at
	inc.Outcome = &Outcome{Time: at, By: p.By.By.Organisation, Code: p.Code, Text: p.Text, FirstContact: p.FirstContact,
		Workaround: p.Workaround}
	// The resolver keeps the incident until the desk closes it, so that a
	// supplier's clock stops at its report-back rather than going idle.
	inc.Custody.Ended(at)
	inc.move(at, StateResolved, false)
}

func (p Closed) apply(inc *Incident, at time.Time) {
	inc.Changed, inc.Closed = at, at
	inc.note(at, p.By.By, EntryCommunication, p.Message)
	// The resolver stays the holder, so that its clocks end stopped, not
	// idle; the desk owns the incident regardless (Incident.Desk).
	inc.move(at, StateClosed, false)
}

func (p Reopened) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Reopened++
	inc.Outcome, inc.Resolved, inc.Closed = nil, time.Time{}, time.Time{}
	inc.note(at, p.By.By, EntryWorkNote, p.Reason)
	inc.Custody.Returned(inc.desk(), at)
	inc.move(at, StateInProgress, false)
}

func (p Cancelled) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Custody.Returned(inc.desk(), at)
	inc.note(at, p.By.By, EntryWorkNote, p.Reason)
	inc.move(at, StateCancelled, false)
}

func (p Reprioritised) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Impact, inc.Urgency, inc.Priority = p.Impact, p.Urgency, p.Priority
	inc.note(at, p.By.By, EntryWorkNote, p.Reason)
	inc.move(at, inc.State, false)
}

func (p Recategorised) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Service, inc.Category, inc.Subcategory = p.Service, p.Category, p.Subcategory
}

func (p Referenced) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	org := p.By.By.Organisation
	for i := range inc.References {
		if inc.References[i].Organisation == org {
			inc.References[i].Reference = p.Reference
			return
		}
	}
	inc.References = append(inc.References, Reference{Organisation: org, Reference: p.Reference})
}

func (p Related) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.CIs, inc.Problem = slices.Clone(p.CIs), p.Problem
}

func (p ProblemLinked) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Problem = p.Problem
}

func (p ProblemUnlinked) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Problem = itsm.ID{}
}

func (p WorkaroundCommunicated) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.note(at, p.By.By, EntryCommunication, p.Text)
}

func (p Coordinated) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	if inc.ID == p.Child {
		inc.Parent = p.Parent
		return
	}
	if !slices.Contains(inc.Children, p.Child) {
		inc.Children = append(inc.Children, p.Child)
	}
}

func (p MajorDeclared) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Major, inc.MajorManager = true, p.Manager
	inc.note(at, p.By.By, EntryWorkNote, p.Reason)
}

func (p MajorStoodDown) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	inc.Major, inc.MajorManager = false, ""
	inc.note(at, p.By.By, EntryWorkNote, p.Reason)
}

func (p Notified) apply(inc *Incident, at time.Time) {
	inc.Changed = at
	text := p.Subject + " -> " + p.Recipient + " (" + p.Channel + " " + p.Address + ")"
	if p.Error != "" {
		text += ": not delivered: " + p.Error
	}
	inc.note(at, p.By.By, EntryNotification, text)
}
