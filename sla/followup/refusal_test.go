package followup_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Every command refuses the wrong actor, state and input with an *itsm.Error
// of the right code whose message names the actor and, where the actor may
// see the follow-up, its state; a refused command writes nothing and, when it
// is refused before computing, does not compute.
func TestRefusals(t *testing.T) {
	drafted := func(w *world) itsm.ID { return w.draft(w.city.ID, w.nov).ID }
	rejected := func(w *world) itsm.ID {
		k := drafted(w)
		w.must(w.svc.Reject(w.ctx, w.approver, k, "", "wrong"))
		return k
	}
	approved := func(w *world) itsm.ID {
		k := drafted(w)
		w.must(w.svc.Approve(w.ctx, w.approver, k, "", ""))
		return k
	}
	none := func(w *world) itsm.ID { return itsm.NewID() }
	draft := func(actor func(w *world) itsm.Actor, customer func(w *world) itsm.ID, period func(w *world) report.Period) func(w *world, _ itsm.ID) error {
		return func(w *world, _ itsm.ID) error {
			_, err := w.svc.Draft(w.ctx, actor(w), customer(w), period(w))
			return err
		}
	}
	agent := func(w *world) itsm.Actor { return w.agent }
	city := func(w *world) itsm.ID { return w.city.ID }
	nov := func(w *world) report.Period { return w.nov }
	approve := func(actor func(w *world) itsm.Actor, comment string) func(w *world, k itsm.ID) error {
		return func(w *world, k itsm.ID) error {
			_, err := w.svc.Approve(w.ctx, actor(w), k, "", comment)
			return err
		}
	}
	reject := func(actor func(w *world) itsm.Actor, comment string) func(w *world, k itsm.ID) error {
		return func(w *world, k itsm.ID) error {
			_, err := w.svc.Reject(w.ctx, actor(w), k, "", comment)
			return err
		}
	}
	correct := func(actor func(w *world) itsm.Actor, reason string) func(w *world, k itsm.ID) error {
		return func(w *world, k itsm.ID) error {
			_, err := w.svc.Correct(w.ctx, actor(w), k, reason)
			return err
		}
	}
	approver := func(w *world) itsm.Actor { return w.approver }
	cases := []struct {
		name    string
		setup   func(w *world) itsm.ID
		run     func(w *world, k itsm.ID) error
		code    itsm.Code
		parts   []string
		compute bool // Compute runs before the refusal
	}{
		// Draft: the actor.
		{"draft by a supplier", none, draft(func(w *world) itsm.Actor { return w.netAgent }, city, nov),
			itsm.CodeForbidden, []string{`"nils"`, "supplier", "only the agents of a desk"}, false},
		{"draft by a desk person who is no agent", none, draft(func(w *world) itsm.Actor { return w.clerk }, city, nov),
			itsm.CodeForbidden, []string{`"dirk"`, "desk", "only the agents of a desk"}, false},
		{"draft by the customer", none, draft(approver, city, nov),
			itsm.CodeForbidden, []string{`"carl"`, "customer"}, false},
		{"draft by a desk without report access", none, draft(func(w *world) itsm.Actor { return w.weakAgent }, city, nov),
			itsm.CodeForbidden, []string{`"walt"`, "report access to service_level"}, false},
		{"draft for an unknown organisation", none, draft(func(w *world) itsm.Actor {
			return itsm.Actor{Organisation: itsm.NewID(), Person: "eve", Roles: []itsm.Role{itsm.RoleAgent}}
		}, city, nov), itsm.CodeForbidden, []string{`"eve"`, "unknown organisation"}, false},
		{"draft by an actor with no person", none, draft(func(w *world) itsm.Actor { return itsm.Actor{Organisation: w.desk.ID} }, city, nov),
			itsm.CodeInvalid, []string{"person is empty"}, false},
		{"draft by a desk that provides the customer no SLA", drafted, draft(func(w *world) itsm.Actor { return w.agent2 }, city, nov),
			itsm.CodeForbidden, []string{`"olga"`, "provides the customer no SLA"}, false},
		// Draft: the input.
		{"draft for no customer", none, draft(agent, func(*world) itsm.ID { return itsm.ID{} }, nov),
			itsm.CodeInvalid, []string{"customer is zero"}, false},
		{"draft for an unknown customer", none, draft(agent, func(*world) itsm.ID { return itsm.NewID() }, nov),
			itsm.CodeInvalid, []string{"customer", "unknown"}, false},
		{"draft for a supplier as customer", none, draft(agent, func(w *world) itsm.ID { return w.net.ID }, nov),
			itsm.CodeInvalid, []string{"is a supplier, not a customer"}, false},
		{"draft of no period", none, draft(agent, city, func(*world) report.Period { return report.Period{} }),
			itsm.CodeInvalid, []string{"from and to must be set"}, false},
		{"draft of a quarter", none, draft(agent, city, func(w *world) report.Period {
			return report.Period{From: w.oct.From.AddDate(0, -1, 0), To: w.nov.To}
		}), itsm.CodeInvalid, []string{"not one calendar month"}, false},
		{"draft of a month from the 15th", none, draft(agent, city, func(w *world) report.Period {
			return report.Period{From: w.nov.From.AddDate(0, 0, 14), To: w.nov.To.AddDate(0, 0, 14)}
		}), itsm.CodeInvalid, []string{"not one calendar month"}, false},
		{"draft of the running month", none, draft(agent, city, func(*world) report.Period {
			return report.Month(2026, time.December, stockholm)
		}), itsm.CodeInvalid, []string{"2026-12", "after now"}, false},
		{"redraft of the month in another zone", drafted, draft(agent, city, func(*world) report.Period {
			return report.Month(2026, time.November, time.UTC)
		}), itsm.CodeInvalid, []string{`"dana"`, "state drafted", "it covers"}, false},
		// Draft: the state.
		{"draft of an approved month", approved, draft(agent, city, nov),
			itsm.CodeConflict, []string{`"dana"`, "state approved", "approved reports are frozen; use Correct"}, false},

		// Approve and Reject: a digest of no draft (nobody redrafted).
		{"approve of a stale digest", drafted, func(w *world, k itsm.ID) error {
			_, err := w.svc.Approve(w.ctx, w.approver, k, Digest64("0"), "as read")
			return err
		}, itsm.CodeConflict, []string{`"carl"`, "state drafted", "does not match this draft", "nor any earlier draft"}, false},
		{"reject of a stale digest", drafted, func(w *world, k itsm.ID) error {
			_, err := w.svc.Reject(w.ctx, w.approver, k, Digest64("1"), "as read")
			return err
		}, itsm.CodeConflict, []string{`"carl"`, "state drafted", "does not match this draft", "nor any earlier draft"}, false},

		// Approve and Reject: the actor.
		{"approve by the desk", drafted, approve(agent, ""),
			itsm.CodeForbidden, []string{`"dana"`, "state drafted", "only the customer"}, false},
		{"approve by a customer user without the approver role", drafted, approve(func(w *world) itsm.Actor { return w.cityUser }, ""),
			itsm.CodeForbidden, []string{`"ulla"`, "state drafted", "not an approver"}, false},
		{"approve by another customer's approver", drafted, approve(func(w *world) itsm.Actor { return w.townApprover }, ""),
			itsm.CodeNotFound, []string{"not found"}, false},
		{"approve by a supplier", drafted, approve(func(w *world) itsm.Actor { return w.netAgent }, ""),
			itsm.CodeForbidden, []string{`"nils"`, "sees no follow-ups"}, false},
		{"reject by the desk", drafted, reject(agent, "no"),
			itsm.CodeForbidden, []string{`"dana"`, "state drafted"}, false},
		{"reject by another customer's approver", drafted, reject(func(w *world) itsm.Actor { return w.townApprover }, "no"),
			itsm.CodeNotFound, nil, false},
		// Approve and Reject: the state and the input.
		{"approve a rejected version", rejected, approve(approver, ""),
			itsm.CodeConflict, []string{`"carl"`, "state rejected", "only a drafted version"}, false},
		{"approve an approved version", approved, approve(approver, ""),
			itsm.CodeConflict, []string{`"carl"`, "state approved"}, false},
		{"reject an approved version", approved, reject(approver, "too late"),
			itsm.CodeConflict, []string{`"carl"`, "state approved"}, false},
		{"reject a rejected version", rejected, reject(approver, "again"),
			itsm.CodeConflict, []string{"state rejected"}, false},
		{"reject without comment", drafted, reject(approver, " \n\t "),
			itsm.CodeInvalid, []string{"rejection comment is empty"}, false},
		{"approve with a comment that is not UTF-8", drafted, approve(approver, "ok\xff"),
			itsm.CodeInvalid, []string{"not valid UTF-8"}, false},
		{"reject with a comment that reads backwards", drafted, reject(approver, "figures \u202edevorppa ton"),
			itsm.CodeInvalid, []string{"contains U+202E, a bidirectional formatting character"}, false},
		{"approve with a comment with a C1 control", drafted, approve(approver, "ok\u0085fine"),
			itsm.CodeInvalid, []string{"contains U+0085, a control character"}, false},
		{"reject with an overlong comment", drafted, reject(approver, strings.Repeat("x", followup.MaxText+1)),
			itsm.CodeInvalid, []string{"more than"}, false},
		{"approve an unknown key", none, approve(approver, ""), itsm.CodeNotFound, []string{"not found"}, false},
		{"reject an unknown key", none, reject(approver, "no"), itsm.CodeNotFound, nil, false},

		// Correct.
		{"correct a drafted version", drafted, correct(agent, "fix"),
			itsm.CodeConflict, []string{`"dana"`, "state drafted", "only an approved version"}, false},
		{"correct a rejected version", rejected, correct(agent, "fix"),
			itsm.CodeConflict, []string{`"dana"`, "state rejected"}, false},
		{"correct without reason", approved, correct(agent, "   "),
			itsm.CodeInvalid, []string{"correction reason is empty"}, false},
		{"correct by the customer", approved, correct(approver, "fix"),
			itsm.CodeForbidden, []string{`"carl"`, "state approved"}, false},
		{"correct by a desk person who is no agent", approved, correct(func(w *world) itsm.Actor { return w.clerk }, "fix"),
			itsm.CodeForbidden, []string{`"dirk"`, "state approved"}, false},
		{"correct by another desk", approved, correct(func(w *world) itsm.Actor { return w.agent2 }, "fix"),
			itsm.CodeNotFound, nil, false},
		{"correct by a supplier", approved, correct(func(w *world) itsm.Actor { return w.netAgent }, "fix"),
			itsm.CodeForbidden, []string{`"nils"`}, false},
		{"correct an unknown key", none, correct(agent, "fix"), itsm.CodeNotFound, nil, false},

		// Compute failing or misbehaving: nothing is written.
		{"compute fails", drafted, func(w *world, _ itsm.ID) error {
			w.calc.err = itsm.Errorf(itsm.CodeUnavailable, "ticket source down")
			_, err := w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)
			return err
		}, itsm.CodeUnavailable, []string{"compute the 2026-11 report", "ticket source down"}, true},
		{"compute fails without a code", approved, func(w *world, k itsm.ID) error {
			w.calc.err = errors.New("disk full")
			_, err := w.svc.Correct(w.ctx, w.agent, k, "fix")
			return err
		}, itsm.CodeInternal, []string{"disk full"}, true},
		{"compute returns another period", none, func(w *world, _ itsm.ID) error {
			w.calc.wrongPeriod = true
			_, err := w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)
			return err
		}, itsm.CodeInternal, []string{"the report covers"}, true},
		{"compute returns nothing", none, func(w *world, _ itsm.ID) error {
			w.calc.none = true
			_, err := w.svc.Draft(w.ctx, w.agent, w.city.ID, w.nov)
			return err
		}, itsm.CodeInternal, []string{"no report and no error"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			key := tc.setup(w)
			before, calls := w.log(), w.calc.count()
			var stored *followup.FollowUp
			if f, err := w.svc.Get(w.ctx, w.agent, key); err == nil {
				stored = f
			}
			err := tc.run(w, key)
			wantErr(t, err, tc.code, tc.parts...)
			var ie *itsm.Error
			if !errors.As(err, &ie) {
				t.Errorf("%T is not an *itsm.Error", err)
			}
			if after := w.log(); len(after) != len(before) {
				t.Errorf("a refused command appended %d events", len(after)-len(before))
			}
			if stored != nil {
				again, err := w.svc.Get(w.ctx, w.agent, key)
				if err != nil || again.Revision != stored.Revision {
					t.Errorf("a refused command changed the follow-up: revision %d, then %v %v", stored.Revision, again, err)
				}
			}
			if computed := w.calc.count() > calls; computed != tc.compute {
				t.Errorf("computed %t, want %t", computed, tc.compute)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	w := newWorld(t)
	good := followup.Config{Store: w.store, Directory: directory{}, Permissions: itsm.NewPermissions(),
		Provides: w.slas.provides, Compute: w.calc.compute()}
	for name, change := range map[string]func(c *followup.Config){
		"store":       func(c *followup.Config) { c.Store = nil },
		"directory":   func(c *followup.Config) { c.Directory = nil },
		"permissions": func(c *followup.Config) { c.Permissions = nil },
		"provides":    func(c *followup.Config) { c.Provides = nil },
		"compute":     func(c *followup.Config) { c.Compute = nil },
	} {
		c := good
		change(&c)
		if _, err := followup.New(c); !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: %v", name, err)
		}
	}
	if _, err := followup.New(good); err != nil {
		t.Errorf("good config: %v", err)
	}
}

// Digest64 is a well-formed digest that is no report's.
func Digest64(c string) string { return strings.Repeat(c, 64) }
