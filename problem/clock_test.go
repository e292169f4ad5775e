package problem_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/sla"
)

// agreements are the desk's SLA on problems, Telco's UC on those it
// investigates, and an SLA on incidents that must measure no problem.
func agreements(t testing.TB) []*sla.Agreement {
	cal, err := sla.NewCalendar(sla.CalendarSpec{Name: "always", Location: time.UTC, Week: sla.AlwaysOpen()})
	if err != nil {
		t.Fatal(err)
	}
	stops := []itsm.State{problem.StateResolved, problem.StateClosed, problem.StateCancelled}
	resolution := func(within time.Duration, stop []itsm.State) []sla.Target {
		var ts []sla.Target
		for p := itsm.Priority(1); p <= problem.MaxPriority; p++ {
			ts = append(ts, sla.Target{Metric: sla.MetricResolution, Priority: p, Within: within, Calendar: cal, Stop: stop})
		}
		return ts
	}
	return []*sla.Agreement{
		{Name: "Problems", Kind: sla.KindSLA, Scope: sla.ScopeProblems, Provider: deskID, Consumer: cityID, Objective: 0.9,
			Targets: resolution(20*24*time.Hour, stops)},
		{Name: "Telco problems", Kind: sla.KindUC, Scope: sla.ScopeProblems, Provider: telcoID, Consumer: deskID, Objective: 0.9,
			Targets: resolution(10*24*time.Hour, stops)},
		{Name: "Incidents", Kind: sla.KindSLA, Provider: deskID, Consumer: cityID, Objective: 0.9,
			Targets: resolution(8*time.Hour, []itsm.State{incident.StateResolved})},
	}
}

// Agreements scoped to problems measure problems along the chain, as
// incidents' measure incidents, and no incident; the queue of the group
// holding a problem is due first by its holder's clock.
func TestClocksAndQueues(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	as := agreements(t)
	w.ok(w.svc.SetAgreements(as))
	w.ok(w.inc.SetAgreements(as))
	early := w.record("Early")
	w.clock.Advance(time.Hour)
	late := w.record("Late")
	p, err := w.svc.Delegate(w.ctx, w.deskAgent, late.ID, telcoID, w.telNet, "")
	w.ok(err)
	clocks, err := w.svc.Clocks(p, w.clock.Now())
	w.ok(err)
	providers := map[itsm.ID]bool{}
	for _, c := range clocks {
		providers[c.Provider] = true
	}
	if len(clocks) != 2 || !providers[deskID] || !providers[telcoID] {
		t.Fatalf("clocks of a delegated problem: %+v", clocks)
	}
	inc := w.incident("No mail")
	ic, err := w.inc.Clocks(inc, w.clock.Now())
	w.ok(err)
	if len(ic) != 1 || ic[0].Target != 8*time.Hour {
		t.Fatalf("the incident's clocks: %+v", ic)
	}
	// Telco's queue holds the late problem, due by its UC.
	p, err = w.svc.Accept(w.ctx, w.telAgent, late.ID)
	w.ok(err)
	page, err := w.svc.List(w.ctx, w.telAgent, problem.Filter{Queue: &chain.Queue{Group: w.telNet}})
	w.ok(err)
	if len(page.Problems) != 1 || page.Problems[0].ID != late.ID {
		t.Fatalf("Telco's queue: %d problems", len(page.Problems))
	}
	// The desk's first line holds the early one; its queue is the desk's
	// own.
	page, err = w.svc.List(w.ctx, w.deskAgent, problem.Filter{Queue: &chain.Queue{Group: w.deskLine}})
	w.ok(err)
	if len(page.Problems) != 1 || page.Problems[0].ID != early.ID {
		t.Fatalf("the desk's queue: %d problems", len(page.Problems))
	}
	_, err = w.svc.List(w.ctx, w.deskAgent, problem.Filter{Queue: &chain.Queue{Group: w.telNet}})
	w.code(err, itsm.CodeNotFound)
	// Resolved, the problem leaves the queue and its clocks stop.
	_, _, err = w.svc.Resolve(w.ctx, w.telAgent, p.ID, "") // a note is required
	w.code(err, itsm.CodeInvalid)
	_, err = w.svc.Investigate(w.ctx, w.telAgent, late.ID)
	w.ok(err)
	p, _, err = w.svc.Resolve(w.ctx, w.telAgent, late.ID, "fixed")
	w.ok(err)
	page, err = w.svc.List(w.ctx, w.telAgent, problem.Filter{Queue: &chain.Queue{Group: w.telNet}})
	w.ok(err)
	if len(page.Problems) != 0 {
		t.Fatalf("a resolved problem is still queued")
	}
	clocks, err = w.svc.Clocks(p, w.clock.Now())
	w.ok(err)
	for _, c := range clocks {
		if c.Status == sla.StatusRunning {
			t.Fatalf("a clock of a resolved problem runs: %+v", c)
		}
	}
	// An agreement of another scope is not kept.
	w.ok(w.svc.SetAgreements(as[2:]))
	clocks, err = w.svc.Clocks(p, w.clock.Now())
	w.ok(err)
	if len(clocks) != 0 {
		t.Fatalf("an agreement for incidents measures a problem: %+v", clocks)
	}
}
