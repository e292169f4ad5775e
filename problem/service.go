package problem

import (
	"context"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// Config is what a Service needs. Store, Directory and Permissions are
// required; Incidents is required to link incidents.
type Config struct {
	Store       itsm.Store
	Directory   chain.Organisations
	Permissions *itsm.Permissions
	// Incidents is the incident service over the same store: linking,
	// communicating a workaround and resolving linked incidents change
	// incidents in the problem command's own transaction.
	Incidents *incident.Service
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
}

// Service runs problems, known errors and workarounds over a store. It is
// safe for concurrent use.
type Service struct {
	cfg    Config
	clock  itsm.Clock
	expect int64
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) { panic("not built") }

// IfVersion returns a copy of s whose commands change a problem, known
// error or workaround only if its version is still v (HTTP's If-Match).
func (s *Service) IfVersion(v int64) *Service { panic("not built") }

// Recording is a problem as the desk or a supplier records it.
type Recording struct {
	// Desk is the desk whose delivery it belongs to; a desk's agent leaves
	// it empty (their own desk), a supplier's agent names it.
	Desk        itsm.ID
	Summary     string
	Description string
	Service     string
	Category    string
	Priority    itsm.Priority
	// Group is the recording organisation's group that holds it first.
	Group itsm.ID
	CIs   []itsm.ID
	// Incidents are linked at once, as Link does (Wait applies to each).
	Incidents []itsm.ID
	Wait      bool
	// Key makes recording idempotent, as incident registration's key.
	Key string
}

// Record records a problem (PM-1), held by the recording organisation.
func (s *Service) Record(ctx context.Context, actor itsm.Actor, r Recording) (*Problem, error) {
	panic("not built")
}

// Delegate hands the investigation to a supplier (the desk only, by the
// chain's rules).
func (s *Service) Delegate(ctx context.Context, actor itsm.Actor, id itsm.ID, to itsm.ID, group itsm.ID, note string) (*Problem, error) {
	panic("not built")
}

// Accept: the supplier holding a delegated problem takes it on.
func (s *Service) Accept(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Problem, error) {
	panic("not built")
}

// Reject: the supplier sends the problem back to the desk with a reason.
func (s *Service) Reject(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Problem, error) {
	panic("not built")
}

// Recall: the desk takes the problem back from a supplier, with a reason.
func (s *Service) Recall(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Problem, error) {
	panic("not built")
}

// Assign assigns the problem inside the organisation holding it.
func (s *Service) Assign(ctx context.Context, actor itsm.Actor, id itsm.ID, group itsm.ID, assignee, note string) (*Problem, error) {
	panic("not built")
}

// Investigate: the holder starts the root cause analysis of a new problem.
func (s *Service) Investigate(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Problem, error) {
	panic("not built")
}

// Note adds a work note to the investigation.
func (s *Service) Note(ctx context.Context, actor itsm.Actor, id itsm.ID, text string) (*Problem, error) {
	panic("not built")
}

// Relations are the configuration items and changes a problem relates to.
type Relations struct {
	CIs     []itsm.ID
	Changes []string
}

// Relate replaces the configuration items and changes of a problem.
func (s *Service) Relate(ctx context.Context, actor itsm.Actor, id itsm.ID, r Relations) (*Problem, error) {
	panic("not built")
}

// KnownErrorDraft is a known error as it is recorded or revised.
type KnownErrorDraft struct {
	// Desk as in Recording; ignored when identified from a problem (the
	// problem's desk).
	Desk       itsm.ID
	Title      string
	Symptom    string
	RootCause  string
	ErrorCodes []string
	Services   []string
	CIs        []itsm.ID
	// Workarounds to attach at once.
	Workarounds []itsm.ID
	Fix         Fix
}

// Identify records the root cause the holder found as a known error linked
// to the problem, which becomes a known error (PM-2).
func (s *Service) Identify(ctx context.Context, actor itsm.Actor, id itsm.ID, d KnownErrorDraft) (*Problem, *KnownError, error) {
	panic("not built")
}

// StartFix: the holder starts the permanent fix, under a change.
func (s *Service) StartFix(ctx context.Context, actor itsm.Actor, id itsm.ID, change, note string) (*Problem, error) {
	panic("not built")
}

// Resolve: the holder reports the root cause removed. The linked incidents
// still open are returned as offers: each is resolved only by its own
// holder through ResolveIncident, never silently.
func (s *Service) Resolve(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Problem, []*incident.Incident, error) {
	panic("not built")
}

// Close: the desk closes a resolved problem.
func (s *Service) Close(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Problem, error) {
	panic("not built")
}

// Cancel: the desk cancels an open problem with a reason; its incidents
// are unlinked (and resumed if they waited for it).
func (s *Service) Cancel(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Problem, error) {
	panic("not built")
}

// Link links an incident to an open problem (IM-3), in one transaction
// with the incident's change; with wait, an open incident not already
// waiting waits for the problem (its clocks pause only where an
// agreement lists waiting_problem among its pause states).
func (s *Service) Link(ctx context.Context, actor itsm.Actor, id, inc itsm.ID, wait bool) (*Problem, error) {
	panic("not built")
}

// Unlink removes the link; an incident waiting for the problem resumes.
func (s *Service) Unlink(ctx context.Context, actor itsm.Actor, id, inc itsm.ID) (*Problem, error) {
	panic("not built")
}

// CommunicateWorkaround tells the users of every linked open incident the
// workaround, as a communication entry on each incident, and records on
// the problem which incidents were told.
func (s *Service) CommunicateWorkaround(ctx context.Context, actor itsm.Actor, id, workaround itsm.ID, text string) (*Problem, []*incident.Incident, error) {
	panic("not built")
}

// ResolveIncident resolves one incident linked to the problem, through the
// incident's own holder: the desk resolves what it holds, a supplier
// reports back what it holds; the resolution names the workaround used,
// if any.
func (s *Service) ResolveIncident(ctx context.Context, actor itsm.Actor, id, inc itsm.ID, workaround itsm.ID, text string) (*incident.Incident, error) {
	panic("not built")
}

// Get returns a problem the actor may read.
func (s *Service) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Problem, error) {
	panic("not built")
}

// GetByNumber returns a problem by its master number.
func (s *Service) GetByNumber(ctx context.Context, actor itsm.Actor, n itsm.Number) (*Problem, error) {
	panic("not built")
}

// Incidents returns the incidents linked to a problem.
func (s *Service) Incidents(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]*incident.Incident, error) {
	panic("not built")
}

// Filter selects problems, known errors or workarounds for List.
type Filter struct {
	State  itsm.State
	Holder itsm.ID
	Limit  int
	After  itsm.Cursor
}

// Page is one page of problems.
type Page struct {
	Problems []*Problem
	Next     itsm.Cursor
}

// List returns problems the actor may read, a page at a time.
func (s *Service) List(ctx context.Context, actor itsm.Actor, f Filter) (Page, error) {
	panic("not built")
}

// Events returns a problem's history.
func (s *Service) Events(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]itsm.Event, error) {
	panic("not built")
}

// RecordKnownError records a known error without a problem (PM-2).
func (s *Service) RecordKnownError(ctx context.Context, actor itsm.Actor, d KnownErrorDraft) (*KnownError, error) {
	panic("not built")
}

// ReviseKnownError replaces a known error's texts, codes, services, CIs and
// fix.
func (s *Service) ReviseKnownError(ctx context.Context, actor itsm.Actor, id itsm.ID, d KnownErrorDraft) (*KnownError, error) {
	panic("not built")
}

// AttachWorkaround makes a workaround serve a known error.
func (s *Service) AttachWorkaround(ctx context.Context, actor itsm.Actor, knownError, workaround itsm.ID) (*KnownError, error) {
	panic("not built")
}

// DetachWorkaround removes a workaround from a known error.
func (s *Service) DetachWorkaround(ctx context.Context, actor itsm.Actor, knownError, workaround itsm.ID) (*KnownError, error) {
	panic("not built")
}

// PublishKnownError marks a known error for publishing to users as a
// knowledge article; the knowledge base follows the event.
func (s *Service) PublishKnownError(ctx context.Context, actor itsm.Actor, id itsm.ID) (*KnownError, error) {
	panic("not built")
}

// RetireKnownError records that a known error no longer occurs.
func (s *Service) RetireKnownError(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*KnownError, error) {
	panic("not built")
}

// KnownError returns a known error the actor may read.
func (s *Service) KnownError(ctx context.Context, actor itsm.Actor, id itsm.ID) (*KnownError, error) {
	panic("not built")
}

// KnownErrorPage is one page of known errors.
type KnownErrorPage struct {
	KnownErrors []*KnownError
	Next        itsm.Cursor
}

// KnownErrorFilter selects known errors: by service, CI, error code, or
// those without a released fix.
type KnownErrorFilter struct {
	Service   string
	CI        itsm.ID
	ErrorCode string
	Unfixed   bool
	Limit     int
	After     itsm.Cursor
}

// KnownErrors returns known errors the actor may read, a page at a time.
func (s *Service) KnownErrors(ctx context.Context, actor itsm.Actor, f KnownErrorFilter) (KnownErrorPage, error) {
	panic("not built")
}

// WorkaroundDraft is a workaround as it is recorded or revised.
type WorkaroundDraft struct {
	Desk    itsm.ID
	Title   string
	Steps   string
	Scope   string
	Risk    Risk
	Applier []Applier
}

// RecordWorkaround records a workaround in the WADB (PM-2).
func (s *Service) RecordWorkaround(ctx context.Context, actor itsm.Actor, d WorkaroundDraft) (*Workaround, error) {
	panic("not built")
}

// ReviseWorkaround replaces a workaround's texts, risk and appliers.
func (s *Service) ReviseWorkaround(ctx context.Context, actor itsm.Actor, id itsm.ID, d WorkaroundDraft) (*Workaround, error) {
	panic("not built")
}

// RetireWorkaround records that a workaround is no longer to be used.
func (s *Service) RetireWorkaround(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Workaround, error) {
	panic("not built")
}

// Workaround returns a workaround the actor may read, with the number of
// incidents it resolved.
func (s *Service) Workaround(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Workaround, error) {
	panic("not built")
}

// WorkaroundPage is one page of workarounds.
type WorkaroundPage struct {
	Workarounds []*Workaround
	Next        itsm.Cursor
}

// Workarounds returns workarounds the actor may read, a page at a time.
func (s *Service) Workarounds(ctx context.Context, actor itsm.Actor, limit int, after itsm.Cursor) (WorkaroundPage, error) {
	panic("not built")
}

// Candidates runs the detector (PM-3) over the incidents src yields, with
// the dismissals stored so far, for the actor's desk.
func (s *Service) Candidates(ctx context.Context, actor itsm.Actor, src candidate.Source, cfg candidate.Config) ([]candidate.Candidate, error) {
	panic("not built")
}

// AcceptCandidate records a problem from a candidate with its incidents
// linked, in one command, and records that they are not proposed again.
func (s *Service) AcceptCandidate(ctx context.Context, actor itsm.Actor, c candidate.Candidate, r Recording) (*Problem, error) {
	panic("not built")
}

// DismissCandidate stores the desk's judgment that a candidate is no
// problem, with a reason; its incidents are not proposed again.
func (s *Service) DismissCandidate(ctx context.Context, actor itsm.Actor, c candidate.Candidate, reason string) (candidate.Dismissal, error) {
	panic("not built")
}

// Dismissals returns the dismissals stored for the actor's desk.
func (s *Service) Dismissals(ctx context.Context, actor itsm.Actor) ([]candidate.Dismissal, error) {
	panic("not built")
}
