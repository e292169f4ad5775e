package incident_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// The whole lifecycle through a supplier, with its clocks, and the stored
// incident equal to a replay of its events.
func TestLifecycleThroughASupplier(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	if inc.Number.String() != "INC0000001" || inc.State != incident.StateRegistered || inc.Priority != 3 {
		t.Fatalf("registered %s in %s at %s", inc.Number, inc.State, inc.Priority)
	}
	w.clock.Advance(10 * time.Minute)
	inc = w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	if inc.Holder != w.network.ID || inc.Group != w.g("lan") || inc.State != incident.StateDelegated {
		t.Fatalf("delegated to %s/%s in %s", inc.Holder, inc.Group, inc.State)
	}
	w.clock.Advance(20 * time.Minute)
	inc = w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	w.clock.Advance(time.Hour)
	inc = w.must(w.svc.Update(w.ctx, w.netAgent, inc.ID, "replacing the access point"))
	w.clock.Advance(time.Hour)
	inc = w.must(w.svc.ReportBack(w.ctx, w.netAgent, inc.ID, incident.Resolution{Code: "hardware", Text: "access point replaced"}))
	// Resolving what the supplier already resolved is refused for the
	// state, not for who holds it.
	_, err := w.svc.Resolve(w.ctx, w.agent, inc.ID, incident.Resolution{Code: "hardware", Text: "again"})
	if err == nil || !strings.Contains(err.Error(), "state resolved") || strings.Contains(err.Error(), "holds it") {
		t.Errorf("resolve after report-back: %v, want a refusal for the state", err)
	}
	w.clock.Advance(15 * time.Minute)
	inc = w.must(w.svc.Close(w.ctx, w.agent, inc.ID, "Your wifi works again."))
	if inc.State != incident.StateClosed || inc.Outcome == nil || inc.Outcome.FirstContact {
		t.Fatalf("closed: %+v", inc)
	}

	end := w.clock.Now()
	slaRes := w.clockOf(inc, "city SLA", sla.MetricResolution, end)
	if slaRes.Elapsed != 2*time.Hour+30*time.Minute || slaRes.Status != sla.StatusStopped {
		t.Errorf("SLA resolution %s %s, want 2h30m stopped", slaRes.Elapsed, slaRes.Status)
	}
	ucRes := w.clockOf(inc, "network UC", sla.MetricResolution, end)
	if ucRes.Elapsed != 2*time.Hour+20*time.Minute || ucRes.Status != sla.StatusStopped {
		t.Errorf("UC resolution %s %s, want 2h20m stopped", ucRes.Elapsed, ucRes.Status)
	}
	ucResp := w.clockOf(inc, "network UC", sla.MetricResponse, end)
	if ucResp.Elapsed != 20*time.Minute {
		t.Errorf("UC response %s, want 20m", ucResp.Elapsed)
	}

	got, err := w.svc.Get(w.ctx, w.agent, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	events := w.events(inc.ID)
	if len(events) != 6 {
		t.Errorf("%d events, want 6", len(events))
	}
	replayed, err := incident.Replay(events)
	if err != nil {
		t.Fatal(err)
	}
	replayed.Version = got.Version
	if d := cmp.Diff(got, replayed); d != "" {
		t.Errorf("stored and replayed differ (-stored +replayed):\n%s", d)
	}
	if d := cmp.Diff(inc, got); d != "" {
		t.Errorf("returned and stored differ (-returned +stored):\n%s", d)
	}
}

func TestDueFindsWhatBreachesWithinTheHour(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	// The network UC wants an update every 2h: within the hour after 1h30.
	w.clock.Advance(90 * time.Minute)
	now := w.clock.Now()
	page, err := w.svc.Due(w.ctx, w.agent, incident.DueQuery{From: now, To: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, c := range page.Clocks {
		found = append(found, string(c.Kind)+" "+string(c.Metric)+" "+c.Due.Sub(t0).String())
	}
	want := []string{"UC update 2h0m0s"}
	if d := cmp.Diff(want, found); d != "" {
		t.Errorf("due within the hour (-want +got):\n%s", d)
	}
	w.clock.Advance(time.Hour)
	page, err = w.svc.Due(w.ctx, w.netAgent, incident.DueQuery{Provider: w.network.ID, To: w.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Clocks) != 1 || page.Clocks[0].Metric != sla.MetricUpdate || page.Clocks[0].Incident.ID != inc.ID {
		t.Errorf("breached now for the network supplier: %+v", page.Clocks)
	}
	_ = itsm.Priority(0)
}

func TestIfVersion(t *testing.T) {
	w := newWorld(t)
	inc := w.register("school wifi down")
	read := inc.Version
	w.must(w.svc.IfVersion(read).Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{}))
	// The network read the incident before the desk's comment.
	seen := w.must(w.svc.Get(w.ctx, w.netAgent, inc.ID))
	w.must(w.svc.Comment(w.ctx, w.agent, inc.ID, incident.EntryWorkNote, "the switch in the basement"))
	before := len(w.events(inc.ID))
	_, err := w.svc.IfVersion(seen.Version).Accept(w.ctx, w.netAgent, inc.ID)
	if !errors.Is(err, itsm.ErrStale) || !itsm.IsCode(err, itsm.CodeConflict) {
		t.Fatalf("accept at a stale version: %v, want a conflict wrapping ErrStale", err)
	}
	if got := w.must(w.svc.Get(w.ctx, w.agent, inc.ID)); got.State != incident.StateDelegated || len(w.events(inc.ID)) != before {
		t.Errorf("a refused accept changed the incident: %s, %d events (was %d)", got.State, len(w.events(inc.ID)), before)
	}
	cur := w.must(w.svc.Get(w.ctx, w.netAgent, inc.ID))
	if got := w.must(w.svc.IfVersion(cur.Version).Accept(w.ctx, w.netAgent, inc.ID)); got.Version != cur.Version+1 {
		t.Errorf("accept at the current version made version %d, want %d", got.Version, cur.Version+1)
	}
	// The view does not change the service it came from.
	w.must(w.svc.Update(w.ctx, w.netAgent, inc.ID, "on site"))
	other := w.register("printer jammed")
	if err := w.svc.IfVersion(1).Coordinate(w.ctx, w.agent, inc.ID, other.ID); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("coordinate with a version: %v, want invalid", err)
	}
}

func TestRegisterWithKeyIsIdempotent(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			reg := incident.Registration{Customer: w.city.ID, Caller: incident.Caller{Person: "ulla"},
				Channel: incident.ChannelMonitoring, Summary: "core switch down", Impact: itsm.ImpactHigh,
				Urgency: itsm.UrgencyHigh, Key: "alert-7f3a"}
			first := w.must(w.svc.Register(w.ctx, w.agent, reg))
			again := w.must(w.svc.Register(w.ctx, w.agent, reg))
			if again.ID != first.ID || again.Number != first.Number || again.Key != "alert-7f3a" {
				t.Fatalf("the retry made %s (%s), the first %s (%s)", again.Number, again.ID, first.Number, first.ID)
			}
			// Eight clients racing with one new key make one incident.
			reg.Key = "alert-race"
			var wg sync.WaitGroup
			got := make([]*incident.Incident, 8)
			errs := make([]error, 8)
			for i := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[i], errs[i] = w.svc.Register(w.ctx, w.agent, reg)
				}()
			}
			wg.Wait()
			for i := range got {
				if errs[i] != nil || got[i].ID != got[0].ID {
					t.Fatalf("racer %d: %v, %v", i, errs[i], got[i])
				}
			}
			// Another key, or none, registers anew; numbers stay gapless.
			other := w.must(w.svc.Register(w.ctx, w.agent, incident.Registration{Caller: incident.Caller{Person: "ulla"},
				Channel: incident.ChannelPhone, Summary: "printer", Impact: itsm.ImpactLow, Urgency: itsm.UrgencyLow}))
			if other.Number.Seq != 3 {
				t.Errorf("the third incident has number %s", other.Number)
			}
			page, err := w.svc.List(w.ctx, w.agent, incident.Filter{})
			if err != nil || len(page.Incidents) != 3 {
				t.Errorf("%d incidents stored (%v), want 3", len(page.Incidents), err)
			}
			for _, k := range []string{strings.Repeat("k", incident.MaxKey+1), "has space", "tab\tkey", "ÅÄÖ"} {
				reg.Key = k
				if _, err := w.svc.Register(w.ctx, w.agent, reg); !itsm.IsCode(err, itsm.CodeInvalid) {
					t.Errorf("key %q: %v, want invalid", k, err)
				}
			}
		})
	}
}

func TestSetAgreements(t *testing.T) {
	w := newWorld(t)
	all := w.svc.Agreements()
	if len(all) == 0 {
		t.Fatal("the world has no agreements")
	}
	inc := w.register("school wifi down")
	view := w.svc.IfVersion(inc.Version)
	if err := w.svc.SetAgreements(nil); err != nil {
		t.Fatal(err)
	}
	if clocks, err := view.Clocks(inc, w.clock.Now()); err != nil || len(clocks) != 0 {
		t.Errorf("with no agreements the view measures %d clocks (%v)", len(clocks), err)
	}
	bad := *all[0]
	bad.Objective = 2
	if err := w.svc.SetAgreements([]*sla.Agreement{all[0], &bad}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("an invalid agreement: %v, want invalid", err)
	}
	if len(w.svc.Agreements()) != 0 {
		t.Error("a refused set changed the agreements")
	}
	if err := w.svc.SetAgreements(all[:1]); err != nil {
		t.Fatal(err)
	}
	clocks, err := view.Clocks(inc, w.clock.Now())
	if err != nil || len(clocks) == 0 {
		t.Fatalf("after setting %s: %d clocks (%v)", all[0].Name, len(clocks), err)
	}
	for _, c := range clocks {
		if c.Agreement != all[0].Name {
			t.Errorf("clock of %s, want only %s", c.Agreement, all[0].Name)
		}
	}
}
