package problem

import (
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// Kinds of the records the package keeps, and the prefixes of their
// master numbers.
const (
	Kind           = "problem"
	KindKnownError = "known_error"
	KindWorkaround = "workaround"
	KindDismissal  = "candidate_dismissal"

	PrefixProblem    = "PRB"
	PrefixKnownError = "KE"
	PrefixWorkaround = "WA"
)

// The states of a problem (PM-1). They are itsm.States, so that agreements
// scoped to problems measure them as they measure incidents. Who holds a
// problem is separate from its state, as for incidents.
const (
	// StateNew: recorded, not yet investigated.
	StateNew itsm.State = "new"
	// StateDelegated: the desk handed the investigation to a supplier that
	// has not yet accepted or rejected it.
	StateDelegated itsm.State = "delegated"
	// StateInvestigation: the holder looks for the root cause.
	StateInvestigation itsm.State = "investigation"
	// StateKnownError: the root cause is known and recorded as a known
	// error, usually with a workaround; no permanent fix is under way yet.
	StateKnownError itsm.State = "known_error"
	// StateFixInProgress: a permanent fix is being made, usually through
	// a change.
	StateFixInProgress itsm.State = "fix_in_progress"
	// StateResolved: the holder reports the root cause removed; the desk
	// has still to close it.
	StateResolved itsm.State = "resolved"
	// StateClosed: the desk closed it.
	StateClosed itsm.State = "closed"
	// StateCancelled: the desk cancelled it (a duplicate, or no problem).
	StateCancelled itsm.State = "cancelled"
)

// States lists every state of a problem, in lifecycle order.
func States() []itsm.State {
	return []itsm.State{StateNew, StateDelegated, StateInvestigation, StateKnownError,
		StateFixInProgress, StateResolved, StateClosed, StateCancelled}
}

// IsOpen reports whether a problem in state s is still being worked on.
func IsOpen(s itsm.State) bool {
	switch s {
	case StateNew, StateDelegated, StateInvestigation, StateKnownError, StateFixInProgress:
		return true
	}
	return false
}

// Problem is the unknown cause of one or more incidents (PM-1). It is held
// along the support chain as incidents are: by the desk or the supplier
// investigating it, one of its groups and perhaps a person. It is built
// only by applying its events in order (Replay), so the record and its
// history never disagree. The incidents linked to it are not in the
// record: an incident names its problem (incident.Incident.Problem), and
// Service.Incidents reads them.
type Problem struct {
	ID     itsm.ID     `json:"id"`
	Number itsm.Number `json:"number"`
	// Version is the store's version of the record; not part of the history.
	Version int64 `json:"-"`

	// Desk is the desk whose delivery the problem belongs to; it alone
	// closes or cancels it.
	Desk itsm.ID `json:"desk"`
	// RecordedBy is the organisation that recorded it: the desk or a
	// supplier.
	RecordedBy itsm.ID `json:"recorded_by"`
	// Key is the recording client's idempotency key, if it gave one
	// (Recording.Key).
	Key string `json:"key,omitempty"`

	Summary     string        `json:"summary"`
	Description string        `json:"description,omitempty"`
	Service     string        `json:"service,omitempty"`
	Category    string        `json:"category,omitempty"`
	Priority    itsm.Priority `json:"priority"`

	State itsm.State `json:"state"`
	// Custody is who holds the investigation and how it moved along the
	// chain, as for incidents.
	chain.Custody

	// RootCause is what the investigation found; KnownError the known
	// error recorded from it.
	RootCause  string  `json:"root_cause,omitempty"`
	KnownError itsm.ID `json:"known_error,omitzero"`
	// CIs are the configuration items involved; Changes the references of
	// the changes that fix it (there is no change register yet).
	CIs     []itsm.ID `json:"cis,omitempty"`
	Changes []string  `json:"changes,omitempty"`
	// Linked counts the incidents linked now; the incidents themselves
	// hold the link.
	Linked int `json:"linked"`
	// Candidate is the key of the candidate problem it was accepted from,
	// if any (PM-3).
	Candidate string `json:"candidate,omitempty"`

	Journal []Entry `json:"journal,omitempty"`

	Created  time.Time `json:"created"`
	Changed  time.Time `json:"changed"`
	Resolved time.Time `json:"resolved,omitzero"`
	Closed   time.Time `json:"closed,omitzero"`

	// Timeline is the history the problem's clocks measure: one interval
	// per change of state, holder or group, as an incident's.
	Timeline itsm.Timeline `json:"timeline"`
}

// Entry is one work note of a problem's investigation.
type Entry struct {
	Time         time.Time `json:"time"`
	Author       string    `json:"author"`
	Organisation itsm.ID   `json:"organisation"`
	Text         string    `json:"text"`
}

// FixStatus is how far the permanent fix of a known error has come.
type FixStatus string

// The statuses of a permanent fix.
const (
	FixNone       FixStatus = "none"
	FixPlanned    FixStatus = "planned"
	FixInProgress FixStatus = "in_progress"
	FixReleased   FixStatus = "released"
	FixRejected   FixStatus = "rejected" // no fix will be made; the workaround stays
)

// Fix is the permanent fix of a known error.
type Fix struct {
	Status      FixStatus `json:"status"`
	Description string    `json:"description,omitempty"`
	// Change is the reference of the change that carries the fix.
	Change string `json:"change,omitempty"`
}

// KnownError is a problem whose root cause is known, kept in the known
// error database (KEDB, PM-2). It is a record of its own: it may come from
// a problem or be recorded directly (a vendor's published defect, say).
type KnownError struct {
	ID      itsm.ID     `json:"id"`
	Number  itsm.Number `json:"number"`
	Version int64       `json:"-"`

	Desk       itsm.ID `json:"desk"`
	RecordedBy itsm.ID `json:"recorded_by"`
	// Problem is the problem it was identified from, if any.
	Problem itsm.ID `json:"problem,omitzero"`

	Title      string    `json:"title"`
	Symptom    string    `json:"symptom"`
	RootCause  string    `json:"root_cause"`
	ErrorCodes []string  `json:"error_codes,omitempty"`
	Services   []string  `json:"services,omitempty"`
	CIs        []itsm.ID `json:"cis,omitempty"`
	// Workarounds are the workarounds that get round it, in the order they
	// were attached; one workaround may serve several known errors.
	Workarounds []itsm.ID `json:"workarounds,omitempty"`
	Fix         Fix       `json:"fix"`
	// Published reports that it is published for users as a knowledge
	// article; the knowledge base follows the known_error.published
	// events and keeps the article.
	Published bool `json:"published,omitempty"`
	// Retired reports that it no longer occurs (the fix is everywhere).
	Retired bool `json:"retired,omitempty"`

	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
}

// Risk is how much harm applying a workaround can do.
type Risk string

// The risks of a workaround.
const (
	RiskLow    Risk = "low"
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

// Applier says who may apply a workaround.
type Applier string

// The appliers of a workaround.
const (
	// ApplierUser: the user may apply it themselves, given the steps.
	ApplierUser Applier = "user"
	// ApplierDesk: the desk's agents apply it.
	ApplierDesk Applier = "desk"
	// ApplierSupplier: only the supplier responsible for the service.
	ApplierSupplier Applier = "supplier"
)

// Workaround is a way round a known error that restores the service
// without removing the cause, kept in the workaround database (WADB,
// PM-2). It is reusable: several known errors may name it, and every
// incident it resolved names it (incident.Outcome.Workaround).
type Workaround struct {
	ID      itsm.ID     `json:"id"`
	Number  itsm.Number `json:"number"`
	Version int64       `json:"-"`

	Desk       itsm.ID `json:"desk"`
	RecordedBy itsm.ID `json:"recorded_by"`

	Title string `json:"title"`
	// Steps are what to do; Scope when it applies (services, sites, versions).
	Steps   string    `json:"steps"`
	Scope   string    `json:"scope,omitempty"`
	Risk    Risk      `json:"risk"`
	Applier []Applier `json:"applier"`
	Retired bool      `json:"retired,omitempty"`

	// Resolved is how many incidents the workaround resolved: read from
	// the incidents when the workaround is read, never stored.
	Resolved int `json:"resolved"`

	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
}
