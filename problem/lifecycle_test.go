package problem_test

import (
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
)

// A problem goes its whole way on every backend: recorded by the desk with
// two incidents waiting for it, delegated to Telco, accepted, investigated,
// identified as a known error with a workaround, fixed under a change,
// resolved with its incidents offered, the incidents resolved through
// their holder, and closed; it is the fold of its events after each step.
func TestLifecycle(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			a, b := w.incident("No mail since nine"), w.incident("Mail bounces")
			p := w.record("Mail relay drops messages", a.ID, b.ID)
			if p.State != problem.StateNew || p.Holder != deskID || p.Group != w.deskLine || p.Linked != 2 || p.Number.Prefix != problem.PrefixProblem {
				t.Fatalf("recorded: %+v", p)
			}
			for _, id := range []itsm.ID{a.ID, b.ID} {
				inc, err := w.inc.Get(w.ctx, w.deskAgent, id)
				w.ok(err)
				if inc.Problem != p.ID || inc.State != incident.StateWaitingProblem {
					t.Fatalf("incident %s: problem %s state %s", inc.Number, inc.Problem, inc.State)
				}
			}
			w.replayed(p)
			p, err := w.svc.Delegate(w.ctx, w.deskAgent, p.ID, telcoID, w.telNet, "please investigate")
			w.ok(err)
			if p.State != problem.StateDelegated || p.Holder != telcoID {
				t.Fatalf("delegated: %s held by %s", p.State, p.Holder)
			}
			p, err = w.svc.Accept(w.ctx, w.telAgent, p.ID)
			w.ok(err)
			if p.State != problem.StateNew {
				t.Fatalf("accepted: %s, want new again", p.State)
			}
			p, err = w.svc.Investigate(w.ctx, w.telAgent, p.ID)
			w.ok(err)
			p, err = w.svc.Note(w.ctx, w.telAgent, p.ID, "The relay logs TLS errors.")
			w.ok(err)
			wa := w.workaround(w.telAgent, "Send through the backup relay")
			p, k, err := w.svc.Identify(w.ctx, w.telAgent, p.ID, draft("Relay certificate expired", wa.ID))
			w.ok(err)
			if p.State != problem.StateKnownError || p.KnownError != k.ID || k.Problem != p.ID || k.RecordedBy != telcoID ||
				k.Desk != deskID || len(k.Workarounds) != 1 || k.Fix.Status != problem.FixNone {
				t.Fatalf("identified: %+v\n%+v", p, k)
			}
			p, told, err := w.svc.CommunicateWorkaround(w.ctx, w.deskAgent, p.ID, wa.ID, "Use the backup relay until we fix it.")
			w.ok(err)
			if len(told) != 2 {
				t.Fatalf("told %d incidents, want 2", len(told))
			}
			p, err = w.svc.StartFix(w.ctx, w.telAgent, p.ID, "CHG0000042", "renewing the certificate")
			w.ok(err)
			k, err = w.svc.KnownError(w.ctx, w.deskAgent, k.ID)
			w.ok(err)
			if p.State != problem.StateFixInProgress || k.Fix.Status != problem.FixInProgress || k.Fix.Change != "CHG0000042" || len(p.Changes) != 1 {
				t.Fatalf("fix started: %s %v; known error fix %+v", p.State, p.Changes, k.Fix)
			}
			p, offers, err := w.svc.Resolve(w.ctx, w.telAgent, p.ID, "Certificate renewed.")
			w.ok(err)
			if p.State != problem.StateResolved || len(offers) != 0 {
				// Telco never held the incidents: it sees none of them.
				t.Fatalf("resolved by Telco: %s, %d offers", p.State, len(offers))
			}
			// The desk sees the offers, and resolves each through itself,
			// their holder.
			inc, err := w.svc.Incidents(w.ctx, w.deskAgent, p.ID)
			w.ok(err)
			if len(inc) != 2 {
				t.Fatalf("%d incidents linked, want 2", len(inc))
			}
			for _, i := range inc {
				r, err := w.svc.ResolveIncident(w.ctx, w.deskAgent, p.ID, i.ID, wa.ID, "The backup relay works.")
				w.ok(err)
				if r.State != incident.StateResolved || r.Outcome == nil || r.Outcome.Workaround != wa.ID {
					t.Fatalf("incident %s: %s %+v", r.Number, r.State, r.Outcome)
				}
			}
			got, err := w.svc.Workaround(w.ctx, w.telAgent, wa.ID)
			w.ok(err)
			if got.Resolved != 2 {
				t.Fatalf("workaround resolved %d incidents, want 2", got.Resolved)
			}
			p, err = w.svc.Close(w.ctx, w.deskAgent, p.ID, "done")
			w.ok(err)
			if p.State != problem.StateClosed || p.Closed.IsZero() || p.Resolved.IsZero() {
				t.Fatalf("closed: %+v", p)
			}
			w.replayed(p)
			if err := p.Timeline.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
