package incident_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// Work after a resolution and before closure is a reopening however long
// the desk took to close, since the user still waits for it; the window
// is for closed incidents, counted from the closure, when the user was
// told, and a desk may have its own.
func TestReopenWindow(t *testing.T) {
	const day = 24 * time.Hour
	w := newWorld(t, func(c *incident.Config) { c.ReopenWindow = 3 * day })
	resolve := func(svc *incident.Service, id itsm.ID) {
		t.Helper()
		w.must(svc.Resolve(w.ctx, w.agent, id, incident.Resolution{Code: "advice", Text: "Restarted it."}))
	}
	closeIt := func(svc *incident.Service, id itsm.ID) {
		t.Helper()
		w.must(svc.Close(w.ctx, w.agent, id, "It works again."))
	}
	reopen := func(svc *incident.Service, id itsm.ID) error {
		t.Helper()
		_, err := svc.Reopen(w.ctx, w.agent, id, "The user says it is down again.")
		return err
	}

	inc := w.register("printer jams")
	w.must(w.svc.Start(w.ctx, w.agent, inc.ID))
	resolve(w.svc, inc.ID)
	w.clock.Advance(10 * day)
	if err := reopen(w.svc, inc.ID); err != nil {
		t.Fatalf("resolved ten days ago, not closed: %v", err)
	}
	// Closed long after its resolution: the window starts at the closure.
	resolve(w.svc, inc.ID)
	w.clock.Advance(10 * day)
	closeIt(w.svc, inc.ID)
	w.clock.Advance(3 * day)
	if err := reopen(w.svc, inc.ID); err != nil {
		t.Fatalf("closed three days ago, resolved thirteen days ago, with a window of three: %v", err)
	}
	resolve(w.svc, inc.ID)
	closeIt(w.svc, inc.ID)
	w.clock.Advance(3*day + time.Second)
	err := reopen(w.svc, inc.ID)
	if !itsm.IsCode(err, itsm.CodeConflict) || !strings.Contains(err.Error(), "closed at") || !strings.Contains(err.Error(), "72h0m0s") {
		t.Fatalf("closed longer than the window ago: %v, want a conflict naming the closure and the window", err)
	}

	// A desk of its own: no reopening once closed, or a longer window.
	for window, want := range map[time.Duration]bool{0: false, 10 * day: true} {
		cfg := w.cfg
		cfg.ReopenWindows = map[itsm.ID]time.Duration{w.desk.ID: window}
		svc, err := incident.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		inc := w.register("wifi slow")
		w.must(svc.Start(w.ctx, w.agent, inc.ID))
		resolve(svc, inc.ID)
		w.clock.Advance(30 * day)
		if err := reopen(svc, inc.ID); err != nil {
			t.Fatalf("window %s: resolved, not closed: %v", window, err)
		}
		resolve(svc, inc.ID)
		closeIt(svc, inc.ID)
		w.clock.Advance(5 * day)
		if err := reopen(svc, inc.ID); (err == nil) != want {
			t.Errorf("the desk's window %s, closed five days ago: %v", window, err)
		}
	}

	for name, ws := range map[string]map[itsm.ID]time.Duration{
		"a negative window": {w.desk.ID: -time.Hour},
		"no desk":           {{}: time.Hour},
	} {
		cfg := w.cfg
		cfg.ReopenWindows = ws
		if _, err := incident.New(cfg); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
