package problem

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// Payload is the data of one problem event: what happened and who did it.
// Every change to a problem is one Payload applied to it, so the problem
// can be rebuilt from its events (Replay).
type Payload interface {
	Type() string
	Actor() itsm.Actor
	apply(p *Problem, at time.Time)
}

// KnownErrorPayload is the data of one known error event
// (ReplayKnownError).
type KnownErrorPayload interface {
	Type() string
	Actor() itsm.Actor
	apply(k *KnownError, at time.Time)
}

// WorkaroundPayload is the data of one workaround event
// (ReplayWorkaround).
type WorkaroundPayload interface {
	Type() string
	Actor() itsm.Actor
	apply(w *Workaround, at time.Time)
}

// DismissalPayload is the data of the one event of a stored dismissal.
type DismissalPayload interface {
	Type() string
	Actor() itsm.Actor
	dismissal() *Dismissed
}

// By is the actor of an event, embedded in every payload.
type By = itsm.By

// Recorded: the desk or a supplier recorded the problem (PM-1), held by
// the recording organisation: a supplier that records one holds it as if
// the desk had delegated it and the supplier accepted.
type Recorded struct {
	By
	Number      itsm.Number   `json:"number"`
	Desk        itsm.ID       `json:"desk"`
	RecordedBy  itsm.ID       `json:"recorded_by"`
	Group       itsm.ID       `json:"group,omitzero"`
	Summary     string        `json:"summary"`
	Description string        `json:"description,omitempty"`
	Service     string        `json:"service,omitempty"`
	Category    string        `json:"category,omitempty"`
	Priority    itsm.Priority `json:"priority"`
	CIs         []itsm.ID     `json:"cis,omitempty"`
	Candidate   string        `json:"candidate,omitempty"`
	Key         string        `json:"key,omitempty"`
}

// Delegated: the desk handed the investigation to a supplier and
// optionally one of its groups.
type Delegated struct {
	By
	Organisation itsm.ID `json:"organisation"`
	Group        itsm.ID `json:"group,omitzero"`
	Note         string  `json:"note,omitempty"`
	PingPong     bool    `json:"ping_pong,omitempty"`
}

// Accepted: the supplier holding the problem took it on.
type Accepted struct{ By }

// Rejected: the supplier sent the problem back to the desk with a reason.
type Rejected struct {
	By
	Reason string `json:"reason"`
}

// Recalled: the desk took the problem back from the supplier.
type Recalled struct {
	By
	Reason string `json:"reason"`
}

// Assigned: the organisation holding the problem assigned it to one of
// its groups or members.
type Assigned struct {
	By
	Group    itsm.ID `json:"group,omitzero"`
	Assignee string  `json:"assignee,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// InvestigationStarted: the holder began the root cause analysis.
type InvestigationStarted struct{ By }

// Noted: a work note of the investigation.
type Noted struct {
	By
	Text string `json:"text"`
}

// Related: the configuration items and changes the problem relates to
// are now these.
type Related struct {
	By
	CIs     []itsm.ID `json:"cis,omitempty"`
	Changes []string  `json:"changes,omitempty"`
}

// Identified: the holder found the root cause, recorded as the known
// error named.
type Identified struct {
	By
	KnownError       itsm.ID     `json:"known_error"`
	KnownErrorNumber itsm.Number `json:"known_error_number"`
	RootCause        string      `json:"root_cause"`
}

// FixStarted: the holder started the permanent fix under a change.
type FixStarted struct {
	By
	Change string `json:"change"`
	Note   string `json:"note,omitempty"`
}

// Resolved: the holder reports the root cause removed.
type Resolved struct {
	By
	Note string `json:"note"`
}

// Closed: the desk closed the resolved problem.
type Closed struct {
	By
	Note string `json:"note,omitempty"`
}

// Cancelled: the desk cancelled the open problem; its incidents were
// unlinked by the events before this one.
type Cancelled struct {
	By
	Reason string `json:"reason"`
}

// IncidentLinked: an incident was linked to the problem (IM-3); the
// incident holds the link, the problem counts it.
type IncidentLinked struct {
	By
	Incident itsm.ID     `json:"incident"`
	Number   itsm.Number `json:"number"`
}

// IncidentUnlinked: an incident's link to the problem was removed.
type IncidentUnlinked struct {
	By
	Incident itsm.ID     `json:"incident"`
	Number   itsm.Number `json:"number"`
}

// WorkaroundCommunicated: the workaround was told to the users of the
// linked open incidents listed.
type WorkaroundCommunicated struct {
	By
	Workaround       itsm.ID       `json:"workaround"`
	WorkaroundNumber itsm.Number   `json:"workaround_number"`
	Incidents        []itsm.Number `json:"incidents"`
}

// Type returns "problem.recorded".
func (Recorded) Type() string { return "problem.recorded" }

// Type returns "problem.delegated".
func (Delegated) Type() string { return "problem.delegated" }

// Type returns "problem.accepted".
func (Accepted) Type() string { return "problem.accepted" }

// Type returns "problem.rejected".
func (Rejected) Type() string { return "problem.rejected" }

// Type returns "problem.recalled".
func (Recalled) Type() string { return "problem.recalled" }

// Type returns "problem.assigned".
func (Assigned) Type() string { return "problem.assigned" }

// Type returns "problem.investigation_started".
func (InvestigationStarted) Type() string { return "problem.investigation_started" }

// Type returns "problem.noted".
func (Noted) Type() string { return "problem.noted" }

// Type returns "problem.related".
func (Related) Type() string { return "problem.related" }

// Type returns "problem.identified".
func (Identified) Type() string { return "problem.identified" }

// Type returns "problem.fix_started".
func (FixStarted) Type() string { return "problem.fix_started" }

// Type returns "problem.resolved".
func (Resolved) Type() string { return "problem.resolved" }

// Type returns "problem.closed".
func (Closed) Type() string { return "problem.closed" }

// Type returns "problem.cancelled".
func (Cancelled) Type() string { return "problem.cancelled" }

// Type returns "problem.incident_linked".
func (IncidentLinked) Type() string { return "problem.incident_linked" }

// Type returns "problem.incident_unlinked".
func (IncidentUnlinked) Type() string { return "problem.incident_unlinked" }

// Type returns "problem.workaround_communicated".
func (WorkaroundCommunicated) Type() string { return "problem.workaround_communicated" }

// desk is who holds a problem the desk holds without naming a group.
func (p *Problem) desk() chain.Holder { return chain.Holder{Organisation: p.Desk} }

// move puts the problem in state at at, and starts an interval of its
// timeline with who holds it now.
func (p *Problem) move(at time.Time, state itsm.State) {
	p.State, p.Changed = state, at
	p.Timeline = append(p.Timeline, itsm.Interval{Start: at, State: state, Holder: p.Holder, Group: p.Group, Priority: p.Priority})
}

// resumes is the state a delegated problem returns to when the supplier
// accepts or rejects it or the desk recalls it: the state it had before
// its delegation, which its timeline keeps.
func (p *Problem) resumes() itsm.State {
	for i := len(p.Timeline) - 1; i >= 0; i-- {
		if s := p.Timeline[i].State; s != StateDelegated {
			return s
		}
	}
	return StateNew
}

func (e Recorded) apply(p *Problem, at time.Time) {
	p.Number, p.Desk, p.RecordedBy, p.Key = e.Number, e.Desk, e.RecordedBy, e.Key
	p.Summary, p.Description, p.Service, p.Category = e.Summary, e.Description, e.Service, e.Category
	p.Priority, p.CIs, p.Candidate, p.Created = e.Priority, slices.Clone(e.CIs), e.Candidate, at
	if e.RecordedBy == e.Desk {
		p.Registered(chain.Holder{Organisation: e.Desk, Group: e.Group})
	} else {
		p.Registered(p.desk())
		p.Custody.Delegated(chain.Holder{Organisation: e.RecordedBy, Group: e.Group}, at, false)
		p.Custody.Accepted(at)
	}
	p.move(at, StateNew)
}

func (e Delegated) apply(p *Problem, at time.Time) {
	p.Custody.Delegated(chain.Holder{Organisation: e.Organisation, Group: e.Group}, at, e.PingPong)
	p.move(at, StateDelegated)
}

func (Accepted) apply(p *Problem, at time.Time) {
	p.Custody.Accepted(at)
	p.move(at, p.resumes())
}

func (e Rejected) apply(p *Problem, at time.Time) {
	p.Custody.Rejected(p.desk(), at, e.Reason)
	p.move(at, p.resumes())
}

func (e Recalled) apply(p *Problem, at time.Time) {
	p.Custody.Recalled(p.desk(), at, e.Reason)
	p.move(at, p.resumes())
}

func (e Assigned) apply(p *Problem, at time.Time) {
	p.Custody.Assigned(chain.Holder{Organisation: p.Holder, Group: e.Group, Assignee: e.Assignee})
	p.move(at, p.State)
}

func (InvestigationStarted) apply(p *Problem, at time.Time) { p.move(at, StateInvestigation) }

func (e Noted) apply(p *Problem, at time.Time) {
	p.Journal = append(p.Journal, Entry{Time: at, Author: e.By.By.Person, Organisation: e.By.By.Organisation, Text: e.Text})
	p.Changed = at
}

func (e Related) apply(p *Problem, at time.Time) {
	p.CIs, p.Changes, p.Changed = slices.Clone(e.CIs), slices.Clone(e.Changes), at
}

func (e Identified) apply(p *Problem, at time.Time) {
	p.RootCause, p.KnownError = e.RootCause, e.KnownError
	p.move(at, StateKnownError)
}

func (e FixStarted) apply(p *Problem, at time.Time) {
	if !slices.Contains(p.Changes, e.Change) {
		p.Changes = append(p.Changes, e.Change)
	}
	p.move(at, StateFixInProgress)
}

func (Resolved) apply(p *Problem, at time.Time) {
	// A supplier that resolves stays the holder, so that its clocks end
	// stopped, as an incident's report-back leaves them.
	p.Custody.Ended(at)
	p.Resolved = at
	p.move(at, StateResolved)
}

func (Closed) apply(p *Problem, at time.Time) {
	p.Closed = at
	p.move(at, StateClosed)
}

func (Cancelled) apply(p *Problem, at time.Time) {
	p.Custody.Returned(p.desk(), at)
	p.Closed = at
	p.move(at, StateCancelled)
}

func (IncidentLinked) apply(p *Problem, at time.Time)   { p.Linked, p.Changed = p.Linked+1, at }
func (IncidentUnlinked) apply(p *Problem, at time.Time) { p.Linked, p.Changed = p.Linked-1, at }

func (WorkaroundCommunicated) apply(p *Problem, at time.Time) { p.Changed = at }

// KnownErrorContent is what a known error says, as it is recorded and as
// each revision replaces it whole.
type KnownErrorContent struct {
	Title      string    `json:"title"`
	Symptom    string    `json:"symptom"`
	RootCause  string    `json:"root_cause"`
	ErrorCodes []string  `json:"error_codes,omitempty"`
	Services   []string  `json:"services,omitempty"`
	CIs        []itsm.ID `json:"cis,omitempty"`
	Fix        Fix       `json:"fix"`
}

// KnownErrorRecorded: a known error entered the KEDB (PM-2), identified
// from a problem or recorded directly.
type KnownErrorRecorded struct {
	By
	Number     itsm.Number `json:"number"`
	Desk       itsm.ID     `json:"desk"`
	RecordedBy itsm.ID     `json:"recorded_by"`
	Problem    itsm.ID     `json:"problem,omitzero"`
	KnownErrorContent
	Workarounds []itsm.ID `json:"workarounds,omitempty"`
}

// KnownErrorRevised: the known error's content is now this.
type KnownErrorRevised struct {
	By
	KnownErrorContent
}

// WorkaroundAttached: the workaround serves the known error now.
type WorkaroundAttached struct {
	By
	Workaround itsm.ID `json:"workaround"`
}

// WorkaroundDetached: the workaround no longer serves the known error.
type WorkaroundDetached struct {
	By
	Workaround itsm.ID `json:"workaround"`
}

// KnownErrorPublished: the known error is to be published for users as a
// knowledge article; the knowledge base follows this event.
type KnownErrorPublished struct{ By }

// KnownErrorRetired: the known error no longer occurs.
type KnownErrorRetired struct {
	By
	Reason string `json:"reason"`
}

// Type returns "known_error.recorded".
func (KnownErrorRecorded) Type() string { return "known_error.recorded" }

// Type returns "known_error.revised".
func (KnownErrorRevised) Type() string { return "known_error.revised" }

// Type returns "known_error.workaround_attached".
func (WorkaroundAttached) Type() string { return "known_error.workaround_attached" }

// Type returns "known_error.workaround_detached".
func (WorkaroundDetached) Type() string { return "known_error.workaround_detached" }

// Type returns "known_error.published".
func (KnownErrorPublished) Type() string { return "known_error.published" }

// Type returns "known_error.retired".
func (KnownErrorRetired) Type() string { return "known_error.retired" }

func (k *KnownError) set(c KnownErrorContent) {
	k.Title, k.Symptom, k.RootCause = c.Title, c.Symptom, c.RootCause
	k.ErrorCodes, k.Services, k.CIs = slices.Clone(c.ErrorCodes), slices.Clone(c.Services), slices.Clone(c.CIs)
	k.Fix = c.Fix
}

// content is what k says now, as a revision carries it.
func (k *KnownError) content() KnownErrorContent {
	return KnownErrorContent{Title: k.Title, Symptom: k.Symptom, RootCause: k.RootCause,
		ErrorCodes: slices.Clone(k.ErrorCodes), Services: slices.Clone(k.Services), CIs: slices.Clone(k.CIs), Fix: k.Fix}
}

func (e KnownErrorRecorded) apply(k *KnownError, at time.Time) {
	k.Number, k.Desk, k.RecordedBy, k.Problem = e.Number, e.Desk, e.RecordedBy, e.Problem
	k.set(e.KnownErrorContent)
	k.Workarounds, k.Created, k.Changed = slices.Clone(e.Workarounds), at, at
}

func (e KnownErrorRevised) apply(k *KnownError, at time.Time) {
	k.set(e.KnownErrorContent)
	k.Changed = at
}

func (e WorkaroundAttached) apply(k *KnownError, at time.Time) {
	k.Workarounds, k.Changed = append(k.Workarounds, e.Workaround), at
}

func (e WorkaroundDetached) apply(k *KnownError, at time.Time) {
	k.Workarounds = slices.DeleteFunc(k.Workarounds, func(id itsm.ID) bool { return id == e.Workaround })
	if len(k.Workarounds) == 0 {
		k.Workarounds = nil
	}
	k.Changed = at
}

func (KnownErrorPublished) apply(k *KnownError, at time.Time) { k.Published, k.Changed = true, at }
func (KnownErrorRetired) apply(k *KnownError, at time.Time)   { k.Retired, k.Changed = true, at }

// WorkaroundContent is what a workaround says, as it is recorded and as
// each revision replaces it whole.
type WorkaroundContent struct {
	Title   string    `json:"title"`
	Steps   string    `json:"steps"`
	Scope   string    `json:"scope,omitempty"`
	Risk    Risk      `json:"risk"`
	Applier []Applier `json:"applier"`
}

// WorkaroundRecorded: a workaround entered the WADB (PM-2).
type WorkaroundRecorded struct {
	By
	Number     itsm.Number `json:"number"`
	Desk       itsm.ID     `json:"desk"`
	RecordedBy itsm.ID     `json:"recorded_by"`
	WorkaroundContent
}

// WorkaroundRevised: the workaround's content is now this.
type WorkaroundRevised struct {
	By
	WorkaroundContent
}

// WorkaroundRetired: the workaround is no longer to be used.
type WorkaroundRetired struct {
	By
	Reason string `json:"reason"`
}

// Type returns "workaround.recorded".
func (WorkaroundRecorded) Type() string { return "workaround.recorded" }

// Type returns "workaround.revised".
func (WorkaroundRevised) Type() string { return "workaround.revised" }

// Type returns "workaround.retired".
func (WorkaroundRetired) Type() string { return "workaround.retired" }

func (w *Workaround) set(c WorkaroundContent) {
	w.Title, w.Steps, w.Scope, w.Risk, w.Applier = c.Title, c.Steps, c.Scope, c.Risk, slices.Clone(c.Applier)
}

func (e WorkaroundRecorded) apply(w *Workaround, at time.Time) {
	w.Number, w.Desk, w.RecordedBy = e.Number, e.Desk, e.RecordedBy
	w.set(e.WorkaroundContent)
	w.Created, w.Changed = at, at
}

func (e WorkaroundRevised) apply(w *Workaround, at time.Time) {
	w.set(e.WorkaroundContent)
	w.Changed = at
}

func (WorkaroundRetired) apply(w *Workaround, at time.Time) { w.Retired, w.Changed = true, at }

// Dismissed is a stored judgment of the desk on a candidate problem
// (PM-3): dismissed with a reason, or accepted as the problem named. Its
// incidents are not proposed again either way.
type Dismissed struct {
	By
	Desk itsm.ID `json:"desk"`
	// Problem is the problem the candidate was accepted as; zero for a
	// dismissal.
	Problem   itsm.ID             `json:"problem,omitzero"`
	Dismissal candidate.Dismissal `json:"dismissal"`
}

// CandidateAccepted: the desk accepted a candidate as a problem.
type CandidateAccepted struct{ Dismissed }

// CandidateDismissed: the desk dismissed a candidate as no problem.
type CandidateDismissed struct{ Dismissed }

// Type returns "candidate.accepted".
func (CandidateAccepted) Type() string { return "candidate.accepted" }

// Type returns "candidate.dismissed".
func (CandidateDismissed) Type() string { return "candidate.dismissed" }

func (e CandidateAccepted) dismissal() *Dismissed  { return &e.Dismissed }
func (e CandidateDismissed) dismissal() *Dismissed { return &e.Dismissed }

// The codecs of the package's events, one per kind of record.
var (
	problemCodec = itsm.NewCodec[Payload](Kind, "a problem",
		Recorded{}, Delegated{}, Accepted{}, Rejected{}, Recalled{}, Assigned{}, InvestigationStarted{},
		Noted{}, Related{}, Identified{}, FixStarted{}, Resolved{}, Closed{}, Cancelled{},
		IncidentLinked{}, IncidentUnlinked{}, WorkaroundCommunicated{})
	knownErrorCodec = itsm.NewCodec[KnownErrorPayload](KindKnownError, "a known error",
		KnownErrorRecorded{}, KnownErrorRevised{}, WorkaroundAttached{}, WorkaroundDetached{},
		KnownErrorPublished{}, KnownErrorRetired{})
	workaroundCodec = itsm.NewCodec[WorkaroundPayload](KindWorkaround, "a workaround",
		WorkaroundRecorded{}, WorkaroundRevised{}, WorkaroundRetired{})
	dismissalCodec = itsm.NewCodec[DismissalPayload](KindDismissal, "a candidate's dismissal",
		CandidateAccepted{}, CandidateDismissed{})
)

// Payloads returns one of each problem payload type, for schemas and
// documentation.
func Payloads() []Payload { return problemCodec.Payloads() }

// KnownErrorPayloads returns one of each known error payload type.
func KnownErrorPayloads() []KnownErrorPayload { return knownErrorCodec.Payloads() }

// WorkaroundPayloads returns one of each workaround payload type.
func WorkaroundPayloads() []WorkaroundPayload { return workaroundCodec.Payloads() }

// DismissalPayloads returns one of each dismissal payload type.
func DismissalPayloads() []DismissalPayload { return dismissalCodec.Payloads() }

// Decode returns the payload of a problem event.
func Decode(e itsm.Event) (Payload, error) { return problemCodec.Decode(e) }

// DecodeKnownError returns the payload of a known error event.
func DecodeKnownError(e itsm.Event) (KnownErrorPayload, error) { return knownErrorCodec.Decode(e) }

// DecodeWorkaround returns the payload of a workaround event.
func DecodeWorkaround(e itsm.Event) (WorkaroundPayload, error) { return workaroundCodec.Decode(e) }

// DecodeDismissal returns the payload of a dismissal event.
func DecodeDismissal(e itsm.Event) (DismissalPayload, error) { return dismissalCodec.Decode(e) }

// Replay rebuilds a problem from its events, in log order: everything but
// Version, which is the store's. The first must be problem.recorded, and
// only the first; all must have the same subject.
func Replay(events []itsm.Event) (*Problem, error) {
	p := new(Problem)
	return itsm.Replay(problemCodec, events, Recorded{}.Type(), p, &p.ID, inUTC(Payload.apply))
}

// ReplayKnownError rebuilds a known error from its events, as Replay a
// problem.
func ReplayKnownError(events []itsm.Event) (*KnownError, error) {
	k := new(KnownError)
	return itsm.Replay(knownErrorCodec, events, KnownErrorRecorded{}.Type(), k, &k.ID, inUTC(KnownErrorPayload.apply))
}

// ReplayWorkaround rebuilds a workaround from its events, as Replay a
// problem; Resolved, which is read from the incidents, stays zero.
func ReplayWorkaround(events []itsm.Event) (*Workaround, error) {
	w := new(Workaround)
	return itsm.Replay(workaroundCodec, events, WorkaroundRecorded{}.Type(), w, &w.ID, inUTC(WorkaroundPayload.apply))
}

// inUTC applies payloads at the instant in UTC, as commands do.
func inUTC[P, T any](apply func(P, T, time.Time)) func(P, T, time.Time) {
	return func(p P, v T, at time.Time) { apply(p, v, at.UTC()) }
}
