package incident_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/sla"
)

// wadb is a workaround database for tests: the workarounds it knows, each
// with what its check answers (nil for one that may be used).
type wadb map[itsm.ID]error

func (d wadb) CheckWorkaround(_ itsm.ReadTx, id itsm.ID) error {
	err, ok := d[id]
	if !ok {
		return itsm.Errorf(itsm.CodeNotFound, "workaround %s not found", id)
	}
	return err
}

// inTx runs fn, one of the commands that change an incident in a caller's
// transaction, in a write transaction of its own, as package problem's
// commands do; an error rolls the transaction back.
func (w *world) inTx(fn func(tx itsm.WriteTx) (*incident.Incident, error)) (*incident.Incident, error) {
	return writeIn(w.ctx, w.store, fn)
}

// writeIn runs fn in a write transaction of st and returns what it
// returned.
func writeIn(ctx context.Context, st itsm.Store, fn func(tx itsm.WriteTx) (*incident.Incident, error)) (*incident.Incident, error) {
	var out *incident.Incident
	err := st.Write(ctx, func(tx itsm.WriteTx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// problemWorld is a world with a workaround database (one workaround in
// use, one retired) whose city SLA pauses while the incident waits for a
// problem, and whose network UC does not: the agreements, not the link,
// decide what pauses.
func problemWorld(t testing.TB, st itsm.Store) (w *world, wa, retiredWA itsm.ID) {
	wa, retiredWA = fixedID(0x61), fixedID(0x62)
	tune := func(c *incident.Config) {
		c.Workarounds = wadb{wa: nil, retiredWA: itsm.Errorf(itsm.CodeConflict, "workaround %s is retired", retiredWA)}
		as := slices.Clone(c.Agreements)
		for i, a := range as {
			if a.Name != "city SLA" {
				continue
			}
			c := *a
			c.Targets = slices.Clone(a.Targets)
			for j := range c.Targets {
				c.Targets[j].Pause = []itsm.State{incident.StateWaitingUser, incident.StateWaitingProblem}
			}
			as[i] = &c
		}
		c.Agreements = as
	}
	return newWorldOn(t, st, tune), wa, retiredWA
}

// refused checks that err has code and that the command wrote nothing.
func (w *world) refused(t *testing.T, id itsm.ID, code itsm.Code, run func() (*incident.Incident, error)) error {
	t.Helper()
	before := ruleSnap(t, w, id)
	_, err := run()
	reqCode(t, err, code)
	if after := ruleSnap(t, w, id); after != before {
		t.Errorf("refused (%v), but wrote: %+v, was %+v", err, after, before)
	}
	return err
}

// replayed checks that the incident stored equals the replay of its events.
func (w *world) replayed(t *testing.T, id itsm.ID) *incident.Incident {
	t.Helper()
	stored, err := w.svc.Get(w.ctx, w.agent, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := incident.Replay(w.events(id))
	if err != nil {
		t.Fatal(err)
	}
	r.Version = stored.Version
	if d := cmp.Diff(stored, r); d != "" {
		t.Errorf("stored and replayed %s differ (-stored +replayed):\n%s", stored.Number, d)
	}
	return stored
}

// eventTypes returns the types of the incident's events from the n-th on.
func (w *world) eventTypes(id itsm.ID, from int) []string {
	var out []string
	for _, e := range w.events(id)[from:] {
		out = append(out, e.Type)
	}
	return out
}

// read runs fn in a read transaction.
func (w *world) read(t *testing.T, fn func(tx itsm.ReadTx) error) {
	t.Helper()
	if err := w.store.Read(w.ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// Linking, waiting, telling a workaround, unlinking and resolving through
// the problem, on every backend: the SLA clock pauses where the agreement
// says, each incident is resolved by its own holder, the workaround's count
// follows the outcomes, and every incident replays to what is stored.
func TestProblemLinkOnBackends(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w, wa, _ := problemWorld(t, open(t))
			problem := itsm.NewID()
			link := func(id itsm.ID, wait bool) (*incident.Incident, error) {
				return w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
					return w.svc.LinkProblem(w.ctx, tx, w.agent, id, problem, wait)
				})
			}
			resolveFor := func(a itsm.Actor, id itsm.ID, p itsm.ID) func() (*incident.Incident, error) {
				return func() (*incident.Incident, error) {
					return w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
						return w.svc.ResolveForProblem(w.ctx, tx, a, id, p, wa, "Restarting the access point restores it.")
					})
				}
			}

			// a at the network supplier, b back at the desk after the
			// network sent it back, c registered.
			a := w.register("school wifi down")
			w.must(w.svc.Delegate(w.ctx, w.agent, a.ID, incident.Delegation{}))
			w.must(w.svc.Accept(w.ctx, w.netAgent, a.ID))
			b := w.register("wifi down in building B")
			w.must(w.svc.Delegate(w.ctx, w.agent, b.ID, incident.Delegation{}))
			w.must(w.svc.Reject(w.ctx, w.netAgent, b.ID, "the building's own access point"))
			c := w.register("wifi slow in the library")

			w.clock.Advance(time.Hour)
			n := len(w.events(a.ID))
			a = w.must(link(a.ID, true))
			if a.State != incident.StateWaitingProblem || a.Problem != problem || a.Holder != w.network.ID {
				t.Fatalf("linked with wait: %s, problem %s, held by %s", a.State, a.Problem, a.Holder)
			}
			if got, want := w.eventTypes(a.ID, n), []string{"incident.problem_linked", "incident.waiting"}; !slices.Equal(got, want) {
				t.Errorf("link appended %v, want %v", got, want)
			}
			b = w.must(link(b.ID, false))
			if b.State != incident.StateInProgress || b.Problem != problem {
				t.Errorf("linked without wait: %s, problem %s", b.State, b.Problem)
			}
			c = w.must(link(c.ID, true))
			if c.State != incident.StateWaitingProblem {
				t.Errorf("a registered incident linked with wait is %s", c.State)
			}

			// The city SLA lists waiting_problem among its pause states,
			// the network UC does not.
			linked := w.clock.Now()
			w.clock.Advance(2 * time.Hour)
			now := w.clock.Now()
			if sla, was := w.clockOf(a, "city SLA", sla.MetricResolution, now), w.clockOf(a, "city SLA", sla.MetricResolution, linked); !sla.Paused() || sla.Elapsed != was.Elapsed {
				t.Errorf("city SLA while waiting for the problem: %s, %s elapsed (was %s)", sla.Status, sla.Elapsed, was.Elapsed)
			}
			if uc, was := w.clockOf(a, "network UC", sla.MetricResolution, now), w.clockOf(a, "network UC", sla.MetricResolution, linked); uc.Paused() || uc.Elapsed != was.Elapsed+2*time.Hour {
				t.Errorf("network UC while waiting for the problem: %s, %s elapsed (was %s)", uc.Status, uc.Elapsed, was.Elapsed)
			}

			var got []itsm.ID
			w.read(t, func(tx itsm.ReadTx) error {
				incs, err := w.svc.LinkedTo(tx, problem)
				for _, inc := range incs {
					got = append(got, inc.ID)
				}
				return err
			})
			if want := []itsm.ID{a.ID, b.ID, c.ID}; !slices.Equal(got, want) {
				t.Errorf("LinkedTo lists %v, want %v in number order", got, want)
			}

			// Unlinking resumes what waited for the problem, and the SLA
			// runs again.
			n = len(w.events(c.ID))
			c = w.must(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
				return w.svc.UnlinkProblem(w.ctx, tx, w.agent, c.ID, problem)
			}))
			if c.State != incident.StateInProgress || !c.Problem.IsZero() {
				t.Errorf("unlinked: %s, problem %s", c.State, c.Problem)
			}
			if got, want := w.eventTypes(c.ID, n), []string{"incident.problem_unlinked", "incident.resumed"}; !slices.Equal(got, want) {
				t.Errorf("unlink appended %v, want %v", got, want)
			}
			unlinked := w.clock.Now()
			w.clock.Advance(time.Hour)
			if m, was := w.clockOf(c, "city SLA", sla.MetricResolution, w.clock.Now()), w.clockOf(c, "city SLA", sla.MetricResolution, unlinked); m.Paused() || m.Elapsed != was.Elapsed+time.Hour {
				t.Errorf("city SLA after unlinking: %s, %s elapsed (was %s)", m.Status, m.Elapsed, was.Elapsed)
			}

			// The desk tells the user the workaround: a communication the
			// customer reads.
			a = w.must(w.inTx(func(tx itsm.WriteTx) (*incident.Incident, error) {
				return w.svc.TellWorkaround(w.ctx, tx, w.agent, a.ID, problem, wa, "Use the wired network meanwhile.")
			}))
			if cs := a.Communications(); cs[len(cs)-1].Text != "Use the wired network meanwhile." || cs[len(cs)-1].Organisation != w.desk.ID {
				t.Errorf("the last communication is %+v", cs[len(cs)-1])
			}
			asUser := w.must(w.svc.Get(w.ctx, w.user, a.ID))
			if cs := asUser.Communications(); cs[len(cs)-1].Text != "Use the wired network meanwhile." {
				t.Errorf("the user reads %+v last", cs[len(cs)-1])
			}

			// Each through its own holder.
			w.refused(t, a.ID, itsm.CodeConflict, resolveFor(w.agent, a.ID, problem))      // the network holds it
			w.refused(t, b.ID, itsm.CodeNotFound, resolveFor(w.workAgent, b.ID, problem))  // never held it
			w.refused(t, b.ID, itsm.CodeForbidden, resolveFor(w.netAgent, b.ID, problem))  // held it, holds it no more
			w.refused(t, c.ID, itsm.CodeConflict, resolveFor(w.agent, c.ID, problem))      // unlinked
			w.refused(t, b.ID, itsm.CodeConflict, resolveFor(w.agent, b.ID, itsm.NewID())) // another problem
			a = w.must(resolveFor(w.netAgent, a.ID, problem)())
			if a.State != incident.StateResolved || a.Outcome.By != w.network.ID || a.Outcome.Workaround != wa || a.Outcome.Code != incident.CodeWorkaround {
				t.Errorf("reported back: %s, outcome %+v", a.State, a.Outcome)
			}
			b = w.must(resolveFor(w.agent, b.ID, problem)())
			if b.State != incident.StateResolved || b.Outcome.By != w.desk.ID || b.Outcome.Workaround != wa || b.Outcome.FirstContact {
				t.Errorf("resolved: %s, outcome %+v", b.State, b.Outcome)
			}
			count := func() int {
				var n int
				w.read(t, func(tx itsm.ReadTx) (err error) {
					n, err = w.svc.ResolvedBy(tx, wa)
					return err
				})
				return n
			}
			if n := count(); n != 2 {
				t.Errorf("the workaround resolved %d incidents, want 2", n)
			}
			// A reopened incident has no outcome, so it no longer counts.
			w.must(w.svc.Reopen(w.ctx, w.agent, b.ID, "down again"))
			if n := count(); n != 1 {
				t.Errorf("after reopening, the workaround resolved %d incidents, want 1", n)
			}
			for _, id := range []itsm.ID{a.ID, b.ID, c.ID} {
				w.replayed(t, id)
			}
		})
	}
}

// Every refusal of the problem commands, each writing nothing, with the
// code that says why.
func TestProblemCommandRefusals(t *testing.T) {
	w, wa, retiredWA := problemWorld(t, newMemstore(t))
	problem, other := itsm.NewID(), itsm.NewID()
	tx := func(fn func(tx itsm.WriteTx) (*incident.Incident, error)) func() (*incident.Incident, error) {
		return func() (*incident.Incident, error) { return w.inTx(fn) }
	}
	link := func(a itsm.Actor, id, p itsm.ID) func() (*incident.Incident, error) {
		return tx(func(tx itsm.WriteTx) (*incident.Incident, error) { return w.svc.LinkProblem(w.ctx, tx, a, id, p, true) })
	}
	unlink := func(a itsm.Actor, id, p itsm.ID) func() (*incident.Incident, error) {
		return tx(func(tx itsm.WriteTx) (*incident.Incident, error) { return w.svc.UnlinkProblem(w.ctx, tx, a, id, p) })
	}
	tell := func(a itsm.Actor, id, p, wa itsm.ID) func() (*incident.Incident, error) {
		return tx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, a, id, p, wa, "Restart it.")
		})
	}
	resolveFor := func(a itsm.Actor, id, p, wa itsm.ID) func() (*incident.Incident, error) {
		return tx(func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.ResolveForProblem(w.ctx, tx, a, id, p, wa, "Restarted.")
		})
	}
	clerk := itsm.Actor{Organisation: w.desk.ID, Person: "kim.clerk"}

	inc := w.register("school wifi down")
	w.must(w.svc.Start(w.ctx, w.agent, inc.ID))
	unlinked := w.register("printer jam")
	w.must(w.svc.Start(w.ctx, w.agent, unlinked.ID))
	w.must(link(w.agent, inc.ID, problem)())
	closed := w.register("keyboard broken")
	w.must(link(w.agent, closed.ID, problem)())
	w.must(w.svc.Resolve(w.ctx, w.agent, closed.ID, incident.Resolution{Code: "hardware", Text: "new keyboard"}))
	w.must(w.svc.Close(w.ctx, w.agent, closed.ID, "A new keyboard."))

	for _, c := range []struct {
		name string
		id   itsm.ID
		code itsm.Code
		run  func() (*incident.Incident, error)
		says string
	}{
		{"link: the same problem again", inc.ID, itsm.CodeConflict, link(w.agent, inc.ID, problem), "already linked"},
		{"link: another problem", inc.ID, itsm.CodeConflict, link(w.agent, inc.ID, other), "unlink it there first"},
		{"link: closed", closed.ID, itsm.CodeConflict, link(w.agent, closed.ID, other), "state closed"},
		{"link: by a supplier", inc.ID, itsm.CodeNotFound, link(w.netAgent, inc.ID, other), ""},
		{"link: by a clerk", unlinked.ID, itsm.CodeForbidden, link(clerk, unlinked.ID, problem), "not an agent"},
		{"link: by the user", unlinked.ID, itsm.CodeForbidden, link(w.user, unlinked.ID, problem), "only the desk"},
		{"link: by another desk", unlinked.ID, itsm.CodeNotFound, link(w.other, unlinked.ID, problem), ""},
		{"link: an unknown incident", unlinked.ID, itsm.CodeNotFound, link(w.agent, itsm.NewID(), problem), ""},
		{"unlink: not linked", unlinked.ID, itsm.CodeConflict, unlink(w.agent, unlinked.ID, problem), "linked to problem none"},
		{"unlink: another problem", inc.ID, itsm.CodeConflict, unlink(w.agent, inc.ID, other), "not " + other.String()},
		{"unlink: closed", closed.ID, itsm.CodeConflict, unlink(w.agent, closed.ID, problem), "state closed"},
		{"unlink: by the user", inc.ID, itsm.CodeForbidden, unlink(w.user, inc.ID, problem), "only the desk"},
		{"tell: not linked", unlinked.ID, itsm.CodeConflict, tell(w.agent, unlinked.ID, problem, wa), "linked to problem none"},
		{"tell: closed", closed.ID, itsm.CodeConflict, tell(w.agent, closed.ID, problem, wa), "state closed"},
		{"tell: an unknown workaround", inc.ID, itsm.CodeNotFound, tell(w.agent, inc.ID, problem, itsm.NewID()), "workaround"},
		{"tell: a retired workaround", inc.ID, itsm.CodeConflict, tell(w.agent, inc.ID, problem, retiredWA), "retired"},
		{"tell: by the user", inc.ID, itsm.CodeForbidden, tell(w.user, inc.ID, problem, wa), "only the desk"},
		{"resolve for a problem: closed", closed.ID, itsm.CodeConflict, resolveFor(w.agent, closed.ID, problem, wa), "state closed"},
		{"resolve for a problem: a retired workaround", inc.ID, itsm.CodeConflict, resolveFor(w.agent, inc.ID, problem, retiredWA), "retired"},
		{"resolve for a problem: an unknown workaround", inc.ID, itsm.CodeNotFound, resolveFor(w.agent, inc.ID, problem, itsm.NewID()), "workaround"},
		{"resolve for a problem: by the user", inc.ID, itsm.CodeForbidden, resolveFor(w.user, inc.ID, problem, wa), "only the supplier"},
		{"resolve: an unknown workaround", inc.ID, itsm.CodeNotFound, func() (*incident.Incident, error) {
			return w.svc.Resolve(w.ctx, w.agent, inc.ID, incident.Resolution{Code: "advice", Text: "done", Workaround: itsm.NewID()})
		}, "workaround"},
		{"resolve: a retired workaround", inc.ID, itsm.CodeConflict, func() (*incident.Incident, error) {
			return w.svc.Resolve(w.ctx, w.agent, inc.ID, incident.Resolution{Code: "advice", Text: "done", Workaround: retiredWA})
		}, "retired"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := w.refused(t, c.id, c.code, c.run)
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("the message does not say %q: %v", c.says, err)
			}
		})
	}
}

// The caller's transaction is the unit: a failure after an incident
// command rolls it back, and a command that runs in it sees what the
// transaction wrote before.
func TestProblemCommandsCommitWithTheCaller(t *testing.T) {
	w, wa, _ := problemWorld(t, newMemstore(t))
	problem := itsm.NewID()
	a, b := w.register("school wifi down"), w.register("wifi down in building B")
	before := ruleSnap(t, w, a.ID)
	failed := errors.New("the problem's own write failed")
	err := w.store.Write(w.ctx, func(tx itsm.WriteTx) error {
		if _, err := w.svc.LinkProblem(w.ctx, tx, w.agent, a.ID, problem, true); err != nil {
			return err
		}
		if _, err := w.svc.LinkProblem(w.ctx, tx, w.agent, b.ID, problem, true); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("write: %v", err)
	}
	if after := ruleSnap(t, w, a.ID); after != before {
		t.Errorf("the rolled-back link wrote: %+v, was %+v", after, before)
	}
	w.read(t, func(tx itsm.ReadTx) error {
		incs, err := w.svc.LinkedTo(tx, problem)
		if len(incs) != 0 {
			t.Errorf("LinkedTo lists %d incidents after the rollback", len(incs))
		}
		return err
	})

	// Link, tell and resolve in one transaction, as a problem resolved
	// with its workaround would: each step sees the one before.
	err = w.store.Write(w.ctx, func(tx itsm.WriteTx) error {
		if _, err := w.svc.LinkProblem(w.ctx, tx, w.agent, a.ID, problem, false); err != nil {
			return err
		}
		if _, err := w.svc.TellWorkaround(w.ctx, tx, w.agent, a.ID, problem, wa, "Restart the access point."); err != nil {
			return err
		}
		if _, err := w.svc.ResolveForProblem(w.ctx, tx, w.agent, a.ID, problem, wa, "Restarted."); err != nil {
			return err
		}
		linked, err := w.svc.LinkedTo(tx, problem)
		if err != nil {
			return err
		}
		n, err := w.svc.ResolvedBy(tx, wa)
		if len(linked) != 1 || linked[0].State != incident.StateResolved || n != 1 {
			t.Errorf("inside the transaction: %d linked, resolved by the workaround %d", len(linked), n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.eventTypes(a.ID, 1), []string{"incident.problem_linked", "incident.workaround_communicated", "incident.resolved"}; !slices.Equal(got, want) {
		t.Errorf("the transaction appended %v, want %v", got, want)
	}
	w.replayed(t, a.ID)
}

// None of the problem commands notifies, even on a P1 major incident whose
// every change could: the Notifier gets nothing and no incident.notified
// event is written, since these commands cannot deliver after a commit
// they do not see (one that would fails with CodeInternal instead).
func TestProblemCommandsNeverNotify(t *testing.T) {
	w, wa, _ := problemWorld(t, newMemstore(t))
	problem := itsm.NewID()
	r := reqRegistration(w, "every school off line")
	r.Impact, r.Urgency = itsm.ImpactHigh, itsm.UrgencyHigh
	inc := w.must(w.svc.Register(w.ctx, w.agent, r))
	w.must(w.svc.Start(w.ctx, w.agent, inc.ID))
	w.must(w.svc.DeclareMajor(w.ctx, w.agent, inc.ID, "every school"))
	sent, n := len(w.sent.messages()), len(w.events(inc.ID))
	if sent == 0 {
		t.Fatal("the P1 major incident notified nobody: the test proves nothing")
	}
	for _, step := range []func(tx itsm.WriteTx) (*incident.Incident, error){
		func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.LinkProblem(w.ctx, tx, w.agent, inc.ID, problem, true)
		},
		func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.TellWorkaround(w.ctx, tx, w.agent, inc.ID, problem, wa, "Use the mobile network.")
		},
		func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.UnlinkProblem(w.ctx, tx, w.agent, inc.ID, problem)
		},
		func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.LinkProblem(w.ctx, tx, w.agent, inc.ID, problem, false)
		},
		func(tx itsm.WriteTx) (*incident.Incident, error) {
			return w.svc.ResolveForProblem(w.ctx, tx, w.agent, inc.ID, problem, wa, "Worked around.")
		},
	} {
		w.clock.Advance(time.Minute)
		w.must(w.inTx(step))
	}
	if got := len(w.sent.messages()); got != sent {
		t.Errorf("the problem commands sent %d messages", got-sent)
	}
	if got := w.eventTypes(inc.ID, n); slices.Contains(got, "incident.notified") || len(got) != 7 {
		t.Errorf("the problem commands appended %v", got)
	}
}

// newMemstore returns a memstore closed when the test ends.
func newMemstore(t testing.TB) itsm.Store {
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	return st
}
