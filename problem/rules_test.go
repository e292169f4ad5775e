package problem_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

// Who may record a problem, and what a recording must say; every refusal
// writes nothing.
func TestRecordRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	good := problem.Recording{Summary: "Relay drops mail", Priority: 2}
	rec := func(a itsm.Actor, r problem.Recording) func() error {
		return func() error { _, err := w.svc.Record(w.ctx, a, r); return err }
	}
	with := func(f func(*problem.Recording)) problem.Recording { r := good; f(&r); return r }
	w.refuse(itsm.CodeForbidden, rec(w.cityUser, with(func(r *problem.Recording) { r.Desk = deskID })))
	w.refuse(itsm.CodeForbidden, rec(w.deskUser, good))
	w.refuse(itsm.CodeForbidden, rec(w.deskAgent, with(func(r *problem.Recording) { r.Desk = desk2ID })))
	w.refuse(itsm.CodeInvalid, rec(w.telAgent, good))
	w.refuse(itsm.CodeInvalid, rec(w.telAgent, with(func(r *problem.Recording) { r.Desk = mailcoID })))
	w.refuse(itsm.CodeInvalid, rec(w.telAgent, with(func(r *problem.Recording) { r.Desk = itsm.NewID() })))
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Summary = "  " })))
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Summary = "two\nlines" })))
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Priority = 0 })))
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Priority = problem.MaxPriority + 1 })))
	ci := itsm.NewID()
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.CIs = []itsm.ID{ci, ci} })))
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Incidents = []itsm.ID{{}} })))
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Key = "a key" })))
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Description = strings.Repeat("x", problem.MaxText+1) })))
	// A group must be the recording organisation's.
	w.refuse(itsm.CodeInvalid, rec(w.deskAgent, with(func(r *problem.Recording) { r.Group = w.telNet })))
	// An incident that does not exist, or is linked already, fails the
	// whole recording.
	w.refuse(itsm.CodeNotFound, rec(w.deskAgent, with(func(r *problem.Recording) { r.Incidents = []itsm.ID{itsm.NewID()} })))
	inc := w.incident("No mail")
	w.record("First", inc.ID)
	w.refuse(itsm.CodeConflict, rec(w.deskAgent, with(func(r *problem.Recording) { r.Incidents = []itsm.ID{inc.ID} })))
	// Without write access, nothing.
	w.perms.Revoke(telcoID, itsm.DomainProblem, itsm.AccessWrite)
	w.refuse(itsm.CodeForbidden, rec(w.telAgent, with(func(r *problem.Recording) { r.Desk = deskID })))
	w.perms.Grant(telcoID, itsm.DomainProblem, itsm.AccessWrite)

	// A supplier's problem is held by the supplier as if delegated and
	// accepted.
	p, err := w.svc.Record(w.ctx, w.telAgent, with(func(r *problem.Recording) { r.Desk, r.Group = deskID, w.telNet }))
	w.ok(err)
	if p.Holder != telcoID || p.Group != w.telNet || p.RecordedBy != telcoID || p.Desk != deskID ||
		len(p.Assignments) != 1 || p.Assignments[0].Accepted.IsZero() || p.State != problem.StateNew {
		t.Fatalf("recorded by a supplier: %+v", p)
	}
	w.replayed(p)
}

// A recording with a key is idempotent: the retry gets the first
// problem and writes nothing; other content under the key is refused.
func TestRecordKey(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			r := problem.Recording{Summary: "Relay drops mail", Priority: 2, Key: "alert-42"}
			p, err := w.svc.Record(w.ctx, w.deskAgent, r)
			w.ok(err)
			before := w.seq()
			again, err := w.svc.Record(w.ctx, w.deskAgent, r)
			w.ok(err)
			if again.ID != p.ID || w.seq() != before {
				t.Fatalf("retry made %s and events %d to %d", again.Number, before, w.seq())
			}
			r.Summary = "Something else"
			w.refuse(itsm.CodeInvalid, func() error {
				_, err := w.svc.Record(w.ctx, w.deskAgent, r)
				if !errors.Is(err, itsm.ErrKeyReused) {
					t.Errorf("reused key: %v, want ErrKeyReused", err)
				}
				return err
			})
		})
	}
}

// The chain's rules, applied to problems: each refusal writes nothing.
func TestChainRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	p := w.record("Relay drops mail")
	id := p.ID
	cmd := func(f func() (*problem.Problem, error)) func() error {
		return func() error { _, err := f(); return err }
	}
	// Only the desk delegates, to a supplier's group, not to the holder.
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Delegate(w.ctx, w.telAgent, id, telcoID, w.telNet, "") }))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) { return w.svc.Delegate(w.ctx, w.deskAgent, id, cityID, itsm.ID{}, "") }))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) {
		return w.svc.Delegate(w.ctx, w.deskAgent, id, itsm.ID{}, itsm.ID{}, "")
	}))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) {
		return w.svc.Delegate(w.ctx, w.deskAgent, id, telcoID, w.mailOps, "")
	}))
	// Accept: the supplier holding a delegated problem only.
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Accept(w.ctx, w.deskAgent, id) }))
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Accept(w.ctx, w.telAgent, id) }))
	// Recall: the desk holds it.
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Recall(w.ctx, w.deskAgent, id, "why") }))
	// Investigate, identify, fix and resolve are the holder's, in their
	// states.
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Investigate(w.ctx, w.telAgent, id) }))
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) {
		p, _, err := w.svc.Identify(w.ctx, w.deskAgent, id, draft("x"))
		return p, err
	}))
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.StartFix(w.ctx, w.deskAgent, id, "CHG1", "") }))
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) {
		p, _, err := w.svc.Resolve(w.ctx, w.deskAgent, id, "done")
		return p, err
	}))
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Close(w.ctx, w.deskAgent, id, "") }))

	_, err := w.svc.Delegate(w.ctx, w.deskAgent, id, telcoID, w.telNet, "please")
	w.ok(err)
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Delegate(w.ctx, w.deskAgent, id, telcoID, w.telNet, "") }))
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Accept(w.ctx, w.mailAgent, id) }))
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Reject(w.ctx, w.deskAgent, id, "no") }))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) { return w.svc.Reject(w.ctx, w.telAgent, id, " ") }))
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Recall(w.ctx, w.telAgent, id, "no") }))
	// The desk no longer holds it: it may not assign it or investigate.
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Assign(w.ctx, w.deskAgent, id, w.deskSecond, "", "") }))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) { return w.svc.Assign(w.ctx, w.telAgent, id, itsm.ID{}, " ", "") }))
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Investigate(w.ctx, w.deskAgent, id) }))
	// Notes: the desk and the holder, not another supplier.
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Note(w.ctx, w.mailAgent, id, "hi") }))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) { return w.svc.Note(w.ctx, w.telAgent, id, "") }))
	_, err = w.svc.Note(w.ctx, w.deskAgent, id, "The desk's note.")
	w.ok(err)
	_, err = w.svc.Accept(w.ctx, w.telAgent, id)
	w.ok(err)
	p, err = w.svc.Assign(w.ctx, w.telAgent, id, itsm.ID{}, "tove", "mine")
	w.ok(err)
	if p.Assignee != "tove" || p.Group != w.telNet {
		t.Fatalf("assigned: %+v", p.Custody)
	}
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Assign(w.ctx, w.telAgent, id, itsm.ID{}, "tove", "") }))
	_, err = w.svc.Investigate(w.ctx, w.telAgent, id)
	w.ok(err)
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Investigate(w.ctx, w.telAgent, id) }))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) { return w.svc.StartFix(w.ctx, w.telAgent, id, "", "") }))
	// The desk recalls it in investigation; it stays in investigation.
	p, err = w.svc.Recall(w.ctx, w.deskAgent, id, "we do it")
	w.ok(err)
	if p.State != problem.StateInvestigation || p.Holder != deskID {
		t.Fatalf("recalled: %s held by %s", p.State, p.Holder)
	}
	// A delegation in investigation returns to investigation on a
	// rejection, and ping-pong counts when the desk sends it back.
	_, err = w.svc.Delegate(w.ctx, w.deskAgent, id, mailcoID, w.mailOps, "")
	w.ok(err)
	p, err = w.svc.Reject(w.ctx, w.mailAgent, id, "not ours")
	w.ok(err)
	if p.State != problem.StateInvestigation || p.Holder != deskID {
		t.Fatalf("rejected: %s held by %s", p.State, p.Holder)
	}
	p, err = w.svc.Delegate(w.ctx, w.deskAgent, id, mailcoID, w.mailOps, "")
	w.ok(err)
	if p.PingPong != 1 || p.Reassignments != 2 {
		t.Fatalf("ping-pong %d, reassignments %d", p.PingPong, p.Reassignments)
	}
	_, err = w.svc.Recall(w.ctx, w.deskAgent, id, "back")
	w.ok(err)
	// Supplier never holding, customer, other desk: closing and
	// cancelling are the desk's.
	_, _, err = w.svc.Resolve(w.ctx, w.deskAgent, id, "fixed by itself")
	w.ok(err)
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Close(w.ctx, w.telAgent, id, "") }))
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Cancel(w.ctx, w.deskAgent, id, "dup") }))
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) {
		return w.svc.Delegate(w.ctx, w.deskAgent, id, telcoID, itsm.ID{}, "")
	}))
	w.refuse(itsm.CodeNotFound, cmd(func() (*problem.Problem, error) { return w.svc.Close(w.ctx, w.desk2Agent, id, "") }))
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Close(w.ctx, w.cityUser, id, "") }))
	_, err = w.svc.Close(w.ctx, w.deskAgent, id, "")
	w.ok(err)
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Note(w.ctx, w.deskAgent, id, "late") }))
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) { return w.svc.Cancel(w.ctx, w.deskAgent, id, "late") }))
	w.replayed(p)

	// A stale version is refused.
	q := w.record("Another")
	w.refuse(itsm.CodeConflict, cmd(func() (*problem.Problem, error) {
		return w.svc.IfVersion(q.Version+1).Note(w.ctx, w.deskAgent, q.ID, "x")
	}))
	_, err = w.svc.IfVersion(q.Version).Note(w.ctx, w.deskAgent, q.ID, "x")
	w.ok(err)
	// Cancel: the desk's, not a supplier's.
	w.refuse(itsm.CodeForbidden, cmd(func() (*problem.Problem, error) { return w.svc.Cancel(w.ctx, w.telAgent, q.ID, "no") }))
	w.refuse(itsm.CodeInvalid, cmd(func() (*problem.Problem, error) { return w.svc.Cancel(w.ctx, w.deskAgent, q.ID, "") }))
}

// Who reads what (decision 97): the desk its own, suppliers and the
// customer with read access those of the desks they work with, the
// customer without the chain's work; another desk nothing.
func TestReadRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	p := w.record("Relay drops mail")
	_, err := w.svc.Note(w.ctx, w.deskAgent, p.ID, "internal")
	w.ok(err)
	for _, a := range []itsm.Actor{w.deskAgent, w.telAgent, w.mailAgent, w.cityUser} {
		got, err := w.svc.Get(w.ctx, a, p.ID)
		w.ok(err)
		if (len(got.Journal) == 0) != (a.Organisation == cityID) {
			t.Errorf("%s reads %d notes", a.Person, len(got.Journal))
		}
		page, err := w.svc.List(w.ctx, a, problem.Filter{})
		w.ok(err)
		if len(page.Problems) != 1 {
			t.Errorf("%s lists %d problems", a.Person, len(page.Problems))
		}
	}
	_, err = w.svc.Events(w.ctx, w.telAgent, p.ID)
	w.ok(err)
	_, err = w.svc.Events(w.ctx, w.cityUser, p.ID)
	w.code(err, itsm.CodeForbidden)
	_, err = w.svc.Get(w.ctx, w.desk2Agent, p.ID)
	w.code(err, itsm.CodeNotFound)
	_, err = w.svc.GetByNumber(w.ctx, w.desk2Agent, p.Number)
	w.code(err, itsm.CodeNotFound)
	page, err := w.svc.List(w.ctx, w.desk2Agent, problem.Filter{})
	w.ok(err)
	if len(page.Problems) != 0 {
		t.Errorf("another desk lists %d problems", len(page.Problems))
	}
	got, err := w.svc.GetByNumber(w.ctx, w.deskAgent, p.Number)
	w.ok(err)
	if got.ID != p.ID {
		t.Fatalf("by number: %s", got.Number)
	}
	// Without read access, nothing; a supplier the desk does not work
	// with finds nothing.
	w.perms.Revoke(mailcoID, itsm.DomainProblem, itsm.AccessRead)
	_, err = w.svc.Get(w.ctx, w.mailAgent, p.ID)
	w.code(err, itsm.CodeForbidden)
	w.perms.Grant(mailcoID, itsm.DomainProblem, itsm.AccessRead)
	only, err := problem.New(problem.Config{Store: w.store, Directory: w.dir, Permissions: w.perms, Incidents: w.inc,
		WorksWith: func(desk, org itsm.ID) bool { return org == telcoID }})
	w.ok(err)
	_, err = only.Get(w.ctx, w.mailAgent, p.ID)
	w.code(err, itsm.CodeNotFound)
	_, err = only.Get(w.ctx, w.telAgent, p.ID)
	w.ok(err)
	_, err = only.Record(w.ctx, w.mailAgent, problem.Recording{Desk: deskID, Summary: "x", Priority: 3})
	w.code(err, itsm.CodeForbidden)
	// Filters: by state, by holder, and the group's queue.
	for _, f := range []problem.Filter{{State: problem.StateNew}, {Holder: deskID}, {Queue: queueOf(w.deskLine)}} {
		page, err := w.svc.List(w.ctx, w.deskAgent, f)
		w.ok(err)
		if len(page.Problems) != 1 {
			t.Errorf("filter %+v: %d problems", f, len(page.Problems))
		}
	}
	page, err = w.svc.List(w.ctx, w.deskAgent, problem.Filter{State: problem.StateClosed})
	w.ok(err)
	if len(page.Problems) != 0 {
		t.Errorf("closed: %d problems", len(page.Problems))
	}
}

// The KEDB's and the WADB's rules (decision 98), and the validation of
// their fields; each refusal writes nothing.
func TestKnownErrorAndWorkaroundRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	wa := w.workaround(w.telAgent, "Backup relay")
	k, err := w.svc.RecordKnownError(w.ctx, w.telAgent, draft("Relay certificate expired", wa.ID))
	w.ok(err)
	if k.Problem != (itsm.ID{}) || k.RecordedBy != telcoID || k.Number.Prefix != problem.PrefixKnownError {
		t.Fatalf("recorded: %+v", k)
	}
	ke := func(f func() (*problem.KnownError, error)) func() error {
		return func() error { _, err := f(); return err }
	}
	bad := func(f func(*problem.KnownErrorDraft)) problem.KnownErrorDraft { d := draft("x"); f(&d); return d }
	for _, d := range []problem.KnownErrorDraft{
		bad(func(d *problem.KnownErrorDraft) { d.Title = "" }),
		bad(func(d *problem.KnownErrorDraft) { d.Symptom = "" }),
		bad(func(d *problem.KnownErrorDraft) { d.RootCause = " " }),
		bad(func(d *problem.KnownErrorDraft) { d.ErrorCodes = []string{"E1", "E1"} }),
		bad(func(d *problem.KnownErrorDraft) { d.Services = []string{""} }),
		bad(func(d *problem.KnownErrorDraft) { d.Fix.Status = "soon" }),
		bad(func(d *problem.KnownErrorDraft) { d.CIs = []itsm.ID{{}} }),
		bad(func(d *problem.KnownErrorDraft) { d.ErrorCodes = make([]string, problem.MaxList+1) }),
	} {
		w.refuse(itsm.CodeInvalid, ke(func() (*problem.KnownError, error) { return w.svc.RecordKnownError(w.ctx, w.deskAgent, d) }))
	}
	w.refuse(itsm.CodeForbidden, ke(func() (*problem.KnownError, error) { return w.svc.RecordKnownError(w.ctx, w.cityUser, draft("x")) }))
	w.refuse(itsm.CodeNotFound, ke(func() (*problem.KnownError, error) {
		return w.svc.RecordKnownError(w.ctx, w.deskAgent, draft("x", itsm.NewID()))
	}))
	// Another desk's workaround is not found for this desk.
	other, err := w.svc.RecordWorkaround(w.ctx, w.desk2Agent, problem.WorkaroundDraft{Title: "Theirs", Steps: "s", Risk: problem.RiskLow,
		Applier: []problem.Applier{problem.ApplierDesk}})
	w.ok(err)
	w.refuse(itsm.CodeNotFound, ke(func() (*problem.KnownError, error) { return w.svc.AttachWorkaround(w.ctx, w.deskAgent, k.ID, other.ID) }))
	// The recorder and the desk change it; another supplier does not.
	w.refuse(itsm.CodeForbidden, ke(func() (*problem.KnownError, error) {
		return w.svc.ReviseKnownError(w.ctx, w.mailAgent, k.ID, draft("y"))
	}))
	w.refuse(itsm.CodeInvalid, ke(func() (*problem.KnownError, error) {
		return w.svc.ReviseKnownError(w.ctx, w.telAgent, k.ID, draft("y", wa.ID))
	}))
	k, err = w.svc.ReviseKnownError(w.ctx, w.telAgent, k.ID, bad(func(d *problem.KnownErrorDraft) { d.Fix.Status = problem.FixPlanned }))
	w.ok(err)
	if k.Fix.Status != problem.FixPlanned || k.Title != "x" || len(k.Workarounds) != 1 {
		t.Fatalf("revised: %+v", k)
	}
	w.refuse(itsm.CodeConflict, ke(func() (*problem.KnownError, error) { return w.svc.AttachWorkaround(w.ctx, w.deskAgent, k.ID, wa.ID) }))
	w.refuse(itsm.CodeForbidden, ke(func() (*problem.KnownError, error) { return w.svc.DetachWorkaround(w.ctx, w.mailAgent, k.ID, wa.ID) }))
	k, err = w.svc.DetachWorkaround(w.ctx, w.deskAgent, k.ID, wa.ID)
	w.ok(err)
	w.refuse(itsm.CodeConflict, ke(func() (*problem.KnownError, error) { return w.svc.DetachWorkaround(w.ctx, w.deskAgent, k.ID, wa.ID) }))
	// Only the desk publishes, once.
	w.refuse(itsm.CodeForbidden, ke(func() (*problem.KnownError, error) { return w.svc.PublishKnownError(w.ctx, w.telAgent, k.ID) }))
	_, err = w.svc.PublishKnownError(w.ctx, w.deskAgent, k.ID)
	w.ok(err)
	w.refuse(itsm.CodeConflict, ke(func() (*problem.KnownError, error) { return w.svc.PublishKnownError(w.ctx, w.deskAgent, k.ID) }))
	// Workarounds: the fields, who changes them, retired ones.
	wd := func(f func(*problem.WorkaroundDraft)) problem.WorkaroundDraft {
		d := problem.WorkaroundDraft{Title: "t", Steps: "s", Risk: problem.RiskHigh, Applier: []problem.Applier{problem.ApplierSupplier}}
		f(&d)
		return d
	}
	wr := func(f func() (*problem.Workaround, error)) func() error {
		return func() error { _, err := f(); return err }
	}
	for _, d := range []problem.WorkaroundDraft{
		wd(func(d *problem.WorkaroundDraft) { d.Title = "" }),
		wd(func(d *problem.WorkaroundDraft) { d.Steps = "" }),
		wd(func(d *problem.WorkaroundDraft) { d.Risk = "" }),
		wd(func(d *problem.WorkaroundDraft) { d.Applier = nil }),
		wd(func(d *problem.WorkaroundDraft) { d.Applier = []problem.Applier{"anyone"} }),
		wd(func(d *problem.WorkaroundDraft) {
			d.Applier = []problem.Applier{problem.ApplierUser, problem.ApplierUser}
		}),
	} {
		w.refuse(itsm.CodeInvalid, wr(func() (*problem.Workaround, error) { return w.svc.RecordWorkaround(w.ctx, w.deskAgent, d) }))
	}
	w.refuse(itsm.CodeForbidden, wr(func() (*problem.Workaround, error) {
		return w.svc.RecordWorkaround(w.ctx, w.cityUser, wd(func(*problem.WorkaroundDraft) {}))
	}))
	w.refuse(itsm.CodeForbidden, wr(func() (*problem.Workaround, error) {
		return w.svc.ReviseWorkaround(w.ctx, w.mailAgent, wa.ID, wd(func(*problem.WorkaroundDraft) {}))
	}))
	got, err := w.svc.ReviseWorkaround(w.ctx, w.deskAgent, wa.ID, wd(func(*problem.WorkaroundDraft) {}))
	w.ok(err)
	if got.Risk != problem.RiskHigh {
		t.Fatalf("revised: %+v", got)
	}
	_, err = w.svc.RetireWorkaround(w.ctx, w.telAgent, wa.ID, "superseded")
	w.ok(err)
	w.refuse(itsm.CodeConflict, wr(func() (*problem.Workaround, error) { return w.svc.RetireWorkaround(w.ctx, w.telAgent, wa.ID, "again") }))
	w.refuse(itsm.CodeConflict, ke(func() (*problem.KnownError, error) { return w.svc.AttachWorkaround(w.ctx, w.deskAgent, k.ID, wa.ID) }))
	w.refuse(itsm.CodeConflict, ke(func() (*problem.KnownError, error) {
		return w.svc.RecordKnownError(w.ctx, w.deskAgent, draft("z", wa.ID))
	}))
	w.code(w.store.Read(w.ctx, func(tx itsm.ReadTx) error { return w.svc.CheckWorkaround(tx, wa.ID) }), itsm.CodeConflict)
	w.code(w.store.Read(w.ctx, func(tx itsm.ReadTx) error { return w.svc.CheckWorkaround(tx, itsm.NewID()) }), itsm.CodeNotFound)
	// A retired known error changes no more.
	_, err = w.svc.RetireKnownError(w.ctx, w.deskAgent, k.ID, "fixed everywhere")
	w.ok(err)
	w.refuse(itsm.CodeConflict, ke(func() (*problem.KnownError, error) {
		return w.svc.ReviseKnownError(w.ctx, w.deskAgent, k.ID, draft("y"))
	}))
	w.refuse(itsm.CodeConflict, ke(func() (*problem.KnownError, error) { return w.svc.RetireKnownError(w.ctx, w.deskAgent, k.ID, "again") }))
	// Reading: the other desk finds neither.
	_, err = w.svc.KnownError(w.ctx, w.desk2Agent, k.ID)
	w.code(err, itsm.CodeNotFound)
	_, err = w.svc.Workaround(w.ctx, w.desk2Agent, wa.ID)
	w.code(err, itsm.CodeNotFound)
	page, err := w.svc.Workarounds(w.ctx, w.cityUser, 0, "")
	w.ok(err)
	if len(page.Workarounds) != 2 {
		// Without Config.WorksWith the city works with both desks.
		t.Errorf("the city reads %d workarounds, want both desks'", len(page.Workarounds))
	}
}

// The KEDB is searched by service, CI, error code and unfixed.
func TestKnownErrorSearch(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	ci := itsm.NewID()
	a, err := w.svc.RecordKnownError(w.ctx, w.deskAgent, draft("A"))
	w.ok(err)
	d := draft("B")
	d.Services, d.ErrorCodes, d.CIs, d.Fix = []string{"print"}, []string{"E42"}, []itsm.ID{ci}, problem.Fix{Status: problem.FixReleased}
	b, err := w.svc.RecordKnownError(w.ctx, w.deskAgent, d)
	w.ok(err)
	for _, c := range []struct {
		f    problem.KnownErrorFilter
		want []itsm.ID
	}{
		{problem.KnownErrorFilter{}, []itsm.ID{a.ID, b.ID}},
		{problem.KnownErrorFilter{Service: "mail"}, []itsm.ID{a.ID}},
		{problem.KnownErrorFilter{CI: ci}, []itsm.ID{b.ID}},
		{problem.KnownErrorFilter{ErrorCode: "E42"}, []itsm.ID{b.ID}},
		{problem.KnownErrorFilter{Unfixed: true}, []itsm.ID{a.ID}},
		{problem.KnownErrorFilter{Service: "print", Unfixed: true}, nil},
	} {
		for _, actor := range []itsm.Actor{w.deskAgent, w.telAgent} {
			page, err := w.svc.KnownErrors(w.ctx, actor, c.f)
			w.ok(err)
			var got []itsm.ID
			for _, k := range page.KnownErrors {
				got = append(got, k.ID)
			}
			if len(got) != len(c.want) || (len(got) > 0 && !sameIDs(got, c.want)) {
				t.Errorf("%s, %+v: %v, want %v", actor.Person, c.f, got, c.want)
			}
		}
	}
}

func sameIDs(a, b []itsm.ID) bool {
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return len(a) == len(b)
}

// Links to incidents: the desk links, unlinks and communicates; a cancel
// unlinks and resumes the waiting incidents; an incident is resolved
// through its own holder.
func TestLinkRules(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			a, b := w.incident("No mail"), w.incident("Bounces")
			p := w.record("Relay")
			lk := func(a itsm.Actor, inc itsm.ID) func() error {
				return func() error { _, err := w.svc.Link(w.ctx, a, p.ID, inc, true); return err }
			}
			w.refuse(itsm.CodeForbidden, lk(w.telAgent, a.ID))
			w.refuse(itsm.CodeInvalid, lk(w.deskAgent, itsm.ID{}))
			w.refuse(itsm.CodeNotFound, lk(w.deskAgent, itsm.NewID()))
			p, err := w.svc.Link(w.ctx, w.deskAgent, p.ID, a.ID, true)
			w.ok(err)
			w.refuse(itsm.CodeConflict, lk(w.deskAgent, a.ID))
			p, err = w.svc.Link(w.ctx, w.deskAgent, p.ID, b.ID, false)
			w.ok(err)
			if p.Linked != 2 {
				t.Fatalf("linked %d", p.Linked)
			}
			// Telco holds b; the desk may not resolve it, Telco may.
			_, err = w.inc.Delegate(w.ctx, w.deskAgent, b.ID, incident.Delegation{Organisation: telcoID, Group: w.telNet})
			w.ok(err)
			_, err = w.inc.Accept(w.ctx, w.telAgent, b.ID)
			w.ok(err)
			wa := w.workaround(w.deskAgent, "Backup relay")
			rs := func(a itsm.Actor, inc itsm.ID) func() error {
				return func() error { _, err := w.svc.ResolveIncident(w.ctx, a, p.ID, inc, wa.ID, "worked"); return err }
			}
			w.refuse(itsm.CodeConflict, rs(w.deskAgent, b.ID))
			w.refuse(itsm.CodeNotFound, rs(w.mailAgent, b.ID))
			got, err := w.svc.ResolveIncident(w.ctx, w.telAgent, p.ID, b.ID, wa.ID, "worked")
			w.ok(err)
			if got.State != incident.StateResolved || got.Outcome.Workaround != wa.ID {
				t.Fatalf("reported back: %s %+v", got.State, got.Outcome)
			}
			// Communicating: the desk only, a workaround of its own that is
			// not retired; only open incidents are told.
			cw := func(a itsm.Actor, id itsm.ID) func() error {
				return func() error {
					_, _, err := w.svc.CommunicateWorkaround(w.ctx, a, p.ID, id, "Use the backup relay")
					return err
				}
			}
			w.refuse(itsm.CodeForbidden, cw(w.telAgent, wa.ID))
			w.refuse(itsm.CodeNotFound, cw(w.deskAgent, itsm.NewID()))
			p, told, err := w.svc.CommunicateWorkaround(w.ctx, w.deskAgent, p.ID, wa.ID, "Use the backup relay")
			w.ok(err)
			if len(told) != 1 || told[0].ID != a.ID {
				t.Fatalf("told %d", len(told))
			}
			// Unlink: the desk's; the waiting incident resumes.
			w.refuse(itsm.CodeForbidden, func() error { _, err := w.svc.Unlink(w.ctx, w.telAgent, p.ID, a.ID); return err })
			p, err = w.svc.Unlink(w.ctx, w.deskAgent, p.ID, a.ID)
			w.ok(err)
			ia, err := w.inc.Get(w.ctx, w.deskAgent, a.ID)
			w.ok(err)
			if p.Linked != 1 || ia.Problem != (itsm.ID{}) || ia.State == incident.StateWaitingProblem {
				t.Fatalf("unlinked: linked %d, incident %s %s", p.Linked, ia.Problem, ia.State)
			}
			w.refuse(itsm.CodeConflict, cw(w.deskAgent, wa.ID))
			// A cancel unlinks the linked incidents and resumes them.
			p, err = w.svc.Link(w.ctx, w.deskAgent, p.ID, a.ID, true)
			w.ok(err)
			p, err = w.svc.Cancel(w.ctx, w.deskAgent, p.ID, "duplicate")
			w.ok(err)
			ia, err = w.inc.Get(w.ctx, w.deskAgent, a.ID)
			w.ok(err)
			if p.Linked != 0 || ia.Problem != (itsm.ID{}) || ia.State == incident.StateWaitingProblem {
				t.Fatalf("cancelled: linked %d, incident %s %s", p.Linked, ia.Problem, ia.State)
			}
			w.refuse(itsm.CodeConflict, lk(w.deskAgent, a.ID))
			w.replayed(p)
		})
	}
}

// Candidates are the desk's: accepted as a problem with their incidents
// linked, or dismissed with a reason; either way not proposed again.
func TestCandidateRules(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	var incs []*incident.Incident
	for range 3 {
		incs = append(incs, w.incident("Mail is slow"))
	}
	c := candidate.Candidate{Key: candidate.Key{Service: "mail", Category: "outage", Token: "slow"},
		Incidents: []itsm.ID{incs[0].ID, incs[1].ID}, Count: 2}
	acc := func(a itsm.Actor) func() error {
		return func() error { _, err := w.svc.AcceptCandidate(w.ctx, a, c, problem.Recording{Priority: 3}); return err }
	}
	w.refuse(itsm.CodeForbidden, acc(w.telAgent))
	w.refuse(itsm.CodeForbidden, acc(w.deskUser))
	w.refuse(itsm.CodeInvalid, func() error { _, err := w.svc.AcceptCandidate(w.ctx, w.deskAgent, c, problem.Recording{}); return err })
	p, err := w.svc.AcceptCandidate(w.ctx, w.deskAgent, c, problem.Recording{Priority: 3, Wait: true})
	w.ok(err)
	if p.Service != "mail" || p.Category != "outage" || p.Candidate != c.Key.String() || p.Linked != 2 || p.Summary != c.Key.String() {
		t.Fatalf("accepted: %+v", p)
	}
	d := candidate.Candidate{Key: candidate.Key{Service: "mail", Category: "outage"}, Incidents: []itsm.ID{incs[2].ID}, Count: 1}
	dis := func(a itsm.Actor, reason string) func() error {
		return func() error { _, err := w.svc.DismissCandidate(w.ctx, a, d, reason); return err }
	}
	w.refuse(itsm.CodeForbidden, dis(w.telAgent, "no"))
	w.refuse(itsm.CodeInvalid, dis(w.deskAgent, ""))
	w.refuse(itsm.CodeInvalid, func() error {
		_, err := w.svc.DismissCandidate(w.ctx, w.deskAgent, candidate.Candidate{Key: d.Key}, "none")
		return err
	})
	_, err = w.svc.DismissCandidate(w.ctx, w.deskAgent, d, "a known slow day")
	w.ok(err)
	ds, err := w.svc.Dismissals(w.ctx, w.deskAgent)
	w.ok(err)
	if len(ds) != 2 || len(ds[0].Incidents) != 2 || ds[1].Reason != "a known slow day" {
		t.Fatalf("dismissals: %+v", ds)
	}
	_, err = w.svc.Dismissals(w.ctx, w.telAgent)
	w.code(err, itsm.CodeForbidden)
	ds, err = w.svc.Dismissals(w.ctx, w.desk2Agent)
	w.ok(err)
	if len(ds) != 0 {
		t.Fatalf("the other desk has %d dismissals", len(ds))
	}
	_, err = w.svc.Candidates(w.ctx, w.telAgent, nil, candidate.Config{})
	w.code(err, itsm.CodeForbidden)
}

// Candidates runs the detector with the desk's stored dismissals: a
// dismissed spike is not proposed again.
func TestCandidatesLeaveDismissed(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	until := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var incs []candidate.Incident
	add := func(at time.Time, summary string) {
		incs = append(incs, candidate.Incident{ID: itsm.NewID(), Number: fmt.Sprint("INC", len(incs)), Registered: at,
			Service: "mail", Category: "outage", Summary: summary})
	}
	for week := range 12 {
		add(until.Add(-time.Duration(13-week)*7*24*time.Hour), "mailbox full")
	}
	for i := range 8 {
		add(until.Add(-time.Duration(i+1)*time.Hour), "relay timeout")
	}
	src := func(yield func(candidate.Incident, error) bool) {
		for _, in := range incs {
			if !yield(in, nil) {
				return
			}
		}
	}
	cfg := candidate.Config{Until: until}
	found, err := w.svc.Candidates(w.ctx, w.deskAgent, src, cfg)
	w.ok(err)
	if len(found) == 0 {
		t.Fatal("the spike is not proposed")
	}
	for _, c := range found {
		_, err := w.svc.DismissCandidate(w.ctx, w.deskAgent, c, "the relay was being moved")
		w.ok(err)
	}
	found, err = w.svc.Candidates(w.ctx, w.deskAgent, src, cfg)
	w.ok(err)
	if len(found) != 0 {
		t.Fatalf("dismissed candidates are proposed again: %+v", found)
	}
}

// A candidate accepted after some of its incidents were closed, or linked
// to another problem, links the others; the closed and linked ones stay
// as evidence in the acceptance and are not proposed again. An incident the
// desk names itself must link, or nothing is written.
func TestAcceptCandidateLinksWhatItCan(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			var incs []*incident.Incident
			for range 4 {
				incs = append(incs, w.incident("Printer queue stuck"))
			}
			closed := incs[0]
			_, err := w.inc.Resolve(w.ctx, w.deskAgent, closed.ID, incident.Resolution{Code: "restart", Text: "Restarted the spooler."})
			w.ok(err)
			_, err = w.inc.Close(w.ctx, w.deskAgent, closed.ID, "Printing works again.")
			w.ok(err)
			other := w.record("Spooler crashes", incs[1].ID)
			c := candidate.Candidate{Key: candidate.Key{Service: "print", Category: "fault", Token: "queue"},
				Incidents: []itsm.ID{closed.ID, incs[1].ID, incs[2].ID}, Count: 3}

			// Naming the closed incident itself is refused, and writes nothing.
			w.refuse(itsm.CodeConflict, func() error {
				_, err := w.svc.AcceptCandidate(w.ctx, w.deskAgent, c, problem.Recording{Priority: 3, Incidents: []itsm.ID{closed.ID}})
				return err
			})
			p, err := w.svc.AcceptCandidate(w.ctx, w.deskAgent, c, problem.Recording{Priority: 3, Incidents: []itsm.ID{incs[3].ID}})
			w.ok(err)
			if p.Linked != 2 {
				t.Fatalf("linked %d incidents, want 2 (the open candidate incident and the one named)", p.Linked)
			}
			linked, err := w.svc.Incidents(w.ctx, w.deskAgent, p.ID)
			w.ok(err)
			var got []itsm.ID
			for _, in := range linked {
				got = append(got, in.ID)
			}
			if want := []itsm.ID{incs[2].ID, incs[3].ID}; !slices.Equal(got, want) {
				t.Fatalf("linked %v, want %v", got, want)
			}
			if in, err := w.inc.Get(w.ctx, w.deskAgent, incs[1].ID); err != nil || in.Problem != other.ID {
				t.Fatalf("the incident of the other problem: %v, %v", in, err)
			}
			ds, err := w.svc.Dismissals(w.ctx, w.deskAgent)
			w.ok(err)
			if len(ds) != 1 || !slices.Equal(ds[0].Incidents, c.Incidents) {
				t.Fatalf("the acceptance keeps %+v", ds)
			}
			w.replayed(p)
		})
	}
}
