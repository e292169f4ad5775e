package catalogue_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// fixture has an offered item of type A, an item of type B not yet agreed
// to, and an offered item of type C at Telco and Nordnät.
type fixture struct {
	w       *world
	a, b, c *catalogue.Item
}

func setup(t *testing.T) fixture {
	w := newWorld(t)
	return fixture{w: w, a: w.offered(passwordReset()), b: w.define(account()), c: w.offered(phone())}
}

// with returns d changed by f.
func with(d catalogue.Definition, f func(d *catalogue.Definition)) catalogue.Definition {
	f(&d)
	return d
}

func form(s string) func(d *catalogue.Definition) {
	return func(d *catalogue.Definition) { d.Form = json.RawMessage(s) }
}

type rule struct {
	name string
	prep func(f fixture) // writes before the command, if anything
	run  func(f fixture) (*catalogue.Item, error)
	code itsm.Code // "" when allowed
	want string    // in the error message
}

// runRules runs each case on a fresh fixture. A refusal writes nothing:
// neither a record nor an event.
func runRules(t *testing.T, cases []rule) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			if tc.prep != nil {
				tc.prep(f)
			}
			before, events := f.w.stored(), len(f.w.log())
			it, err := tc.run(f)
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.code != "" && err == nil:
				t.Fatalf("allowed, want %s: %+v", tc.code, it)
			case tc.code != "" && (!itsm.IsCode(err, tc.code) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v (%s), want %s with %q", err, itsm.ErrorCode(err), tc.code, tc.want)
			}
			if tc.code != "" {
				if after := f.w.stored(); !maps.Equal(after, before) {
					t.Errorf("a refusal changed the items")
				}
				if n := len(f.w.log()); n != events {
					t.Errorf("a refusal appended %d events", n-events)
				}
			}
			f.w.checkReplay()
		})
	}
}

func define(d catalogue.Definition) func(f fixture) (*catalogue.Item, error) {
	return func(f fixture) (*catalogue.Item, error) { return f.w.cat.Define(f.w.ctx, f.w.deskAdmin, cityID, d) }
}

// Who may define, and what a definition must say.
func TestDefineRules(t *testing.T) {
	runRules(t, []rule{
		{"the desk's admin defines", nil, define(account()), "", ""},
		{"the platform defines", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Define(f.w.ctx, f.w.platform, cityID, account())
		}, "", ""},
		{"an agent of the desk defines nothing", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Define(f.w.ctx, f.w.deskAgent, cityID, account())
		}, itsm.CodeForbidden, "only a desk's administrators"},
		{"a supplier's admin defines nothing", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Define(f.w.ctx, f.w.netAdmin, cityID, account())
		}, itsm.CodeForbidden, "only a desk's administrators"},
		{"a customer's admin defines nothing", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Define(f.w.ctx, f.w.cityAdmin, cityID, account())
		}, itsm.CodeForbidden, "only a desk's administrators"},
		{"an actor of no organisation", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Define(f.w.ctx, f.w.ghost, cityID, account())
		}, itsm.CodeForbidden, "unknown organisation"},
		{"a desk without write access", func(f fixture) { f.w.perms.Revoke(deskID, itsm.DomainRequest, itsm.AccessWrite) }, define(account()),
			itsm.CodeForbidden, "no write access to request"},
		{"an item for a supplier", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Define(f.w.ctx, f.w.deskAdmin, netID, account())
		}, itsm.CodeInvalid, "not a customer"},
		{"an item for no one", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Define(f.w.ctx, f.w.deskAdmin, itsm.ID{}, account())
		}, itsm.CodeInvalid, "not a customer"},
		{"define takes no version", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.IfVersion(1).Define(f.w.ctx, f.w.deskAdmin, cityID, account())
		}, itsm.CodeInvalid, "no expected version"},

		{"no English name", nil, define(with(account(), func(d *catalogue.Definition) { d.Name.EN = " " })), itsm.CodeInvalid, "name (en) is empty"},
		{"no Swedish description", nil, define(with(account(), func(d *catalogue.Definition) { d.Description.SV = "" })), itsm.CodeInvalid, "description (sv) is empty"},
		{"a Norwegian name is optional but checked", nil, define(with(account(), func(d *catalogue.Definition) { d.Name.NB = "Konto\u202e" })), itsm.CodeInvalid, "name (nb) contains U+202E"},
		{"a name of two lines", nil, define(with(account(), func(d *catalogue.Definition) { d.Name.SV = "Konto\ni lön" })), itsm.CodeInvalid, "control character"},
		{"a description of two lines", nil, define(with(account(), func(d *catalogue.Definition) { d.Description.EN = "One.\nTwo." })), "", ""},
		{"no service", nil, define(with(account(), func(d *catalogue.Definition) { d.Service = "" })), itsm.CodeInvalid, "service is empty"},
		{"no owner", nil, define(with(account(), func(d *catalogue.Definition) { d.Owner = " " })), itsm.CodeInvalid, "owner is empty"},
		{"an unknown type", nil, define(with(account(), func(d *catalogue.Definition) { d.Type = "D" })), itsm.CodeInvalid, `type "D" is not A, B or C`},
		{"an agreement named twice", nil, define(with(phone(), func(d *catalogue.Definition) { d.Agreements = []string{"SLA", " SLA"} })), itsm.CodeInvalid, "named twice"},

		{"type A has no tasks", nil, define(with(passwordReset(), func(d *catalogue.Definition) { d.Tasks = account().Tasks })), itsm.CodeInvalid, "type A is fulfilled in code and has no tasks"},
		{"type A has no approval", nil, define(with(passwordReset(), func(d *catalogue.Definition) { d.Approval = account().Approval })), itsm.CodeInvalid, "takes no approval"},
		{"type B needs an approval", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval = nil })), itsm.CodeInvalid, "needs an approval (RF-3)"},
		{"type B has one task at the most", nil, define(with(account(), func(d *catalogue.Definition) { d.Tasks = phone().Tasks[:2] })), itsm.CodeInvalid, "one task at the most, not 2"},
		{"type B may leave its task to the desk", nil, define(with(account(), func(d *catalogue.Definition) { d.Tasks[0].Supplier = itsm.ID{} })), "", ""},
		{"type B may have no task", nil, define(with(account(), func(d *catalogue.Definition) { d.Tasks = nil })), "", ""},
		{"type C needs two tasks", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks = d.Tasks[:1] })), itsm.CodeInvalid, "two or more suppliers' tasks, not 1"},
		{"type C needs two suppliers", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks = d.Tasks[:2] })), itsm.CodeInvalid, "name 1 supplier"},
		{"type C has no task for the desk", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[2].Supplier = itsm.ID{} })), itsm.CodeInvalid, "task mail names no supplier"},
		{"type C may have an approval", nil, define(with(phone(), func(d *catalogue.Definition) { d.Approval = account().Approval })), "", ""},
		{"a task at a customer", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[2].Supplier = cityID })), itsm.CodeInvalid, "task mail: organisation " + cityID.String() + " is not a supplier"},
		{"a task at an unknown organisation", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[2].Supplier = itsm.NewID() })), itsm.CodeInvalid, "is not a supplier"},
		{"a task key with capitals", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[0].Key = "Sub" })), itsm.CodeInvalid, `key "Sub" is not 1 to 32`},
		{"a task key too long", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[0].Key = strings.Repeat("k", 33) })), itsm.CodeInvalid, "is not 1 to 32"},
		{"two tasks of one key", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[1].Key = "subscription"; d.Tasks[2].After = nil })), itsm.CodeInvalid, "the key of another task"},
		{"a task after an unknown task", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[2].After = []string{"sim"} })), itsm.CodeInvalid, `task mail comes after task "sim"`},
		{"a task after itself", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[2].After = []string{"mail"} })), itsm.CodeInvalid, "task mail comes after itself"},
		{"a task after another twice", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[2].After = []string{"device", "device"} })), itsm.CodeInvalid, "twice"},
		{"tasks in a cycle", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[0].After = []string{"mail"} })), itsm.CodeInvalid, "tasks subscription → mail → device → subscription wait for each other in a cycle"},
		{"two tasks in a cycle", nil, define(with(phone(), func(d *catalogue.Definition) { d.Tasks[1].After = []string{"mail"} })), itsm.CodeInvalid, "device → mail → device"},
		{"tasks in parallel", nil, define(with(phone(), func(d *catalogue.Definition) {
			d.Tasks[1].After, d.Tasks[2].After = nil, []string{"device", "subscription"}
		})), "", ""},
		{"too many tasks", nil, define(with(phone(), func(d *catalogue.Definition) {
			for i := range catalogue.MaxTasks {
				d.Tasks = append(d.Tasks, catalogue.Task{Key: "t" + string(rune('a'+i)), Name: text("T"), Supplier: netID})
			}
		})), itsm.CodeInvalid, "more than 20"},

		{"an approval of an unknown rule", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval.Rule = "most" })), itsm.CodeInvalid, `approval rule "most" is not any or all`},
		{"an approval in no time", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval.Within, d.Approval.Remind = 0, 0 })), itsm.CodeInvalid, "is not more than zero"},
		{"an approval over 30 days", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval.Within = 31 * 24 * time.Hour })), itsm.CodeInvalid, "at most 720h0m0s"},
		{"an approval of 30 days", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval.Within = 30 * 24 * time.Hour })), "", ""},
		{"a reminder when the time is up", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval.Remind = d.Approval.Within })), itsm.CodeInvalid, "reminder after 16h0m0s is not zero (none) or less than"},
		{"a negative reminder", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval.Remind = -time.Hour })), itsm.CodeInvalid, "reminder after -1h0m0s"},
		{"no reminder", nil, define(with(account(), func(d *catalogue.Definition) { d.Approval.Remind = 0 })), "", ""},

		groupRule("a group of the supplier", netID, false, nil, "", ""),
		groupRule("a group of another supplier", telID, false, nil, itsm.CodeInvalid, "task create: holder: organisation "+netID.String()+" has no group"),
		groupRule("an inactive group", netID, true, nil, itsm.CodeInvalid, "is inactive"),
		groupRule("a group of the desk for a task left to it", deskID, false, func(t *catalogue.Task) { t.Supplier = itsm.ID{} }, "", ""),
		groupRule("a group of the desk for a supplier's task", deskID, false, nil, itsm.CodeInvalid, "has no group"),
	})
}

// groupRule defines an item of type B whose task names a group the
// platform made at org, deactivated if asked; edit changes the task
// further.
func groupRule(name string, org itsm.ID, deactivate bool, edit func(t *catalogue.Task), code itsm.Code, want string) rule {
	var group itsm.ID
	return rule{name, func(f fixture) {
		g, err := f.w.groups.Create(f.w.ctx, f.w.platform, org, chain.Definition{Name: "Team"})
		if err == nil && deactivate {
			_, err = f.w.groups.Deactivate(f.w.ctx, f.w.platform, g.ID)
		}
		if err != nil {
			f.w.t.Fatal(err)
		}
		group = g.ID
	}, func(f fixture) (*catalogue.Item, error) {
		return define(with(account(), func(d *catalogue.Definition) {
			d.Tasks[0].Group = group
			if edit != nil {
				edit(&d.Tasks[0])
			}
		}))(f)
	}, code, want}
}

// Who may revise, agree, withdraw and reinstate.
func TestCommandRules(t *testing.T) {
	revise := func(by func(f fixture) itsm.Actor, item func(f fixture) *catalogue.Item) func(f fixture) (*catalogue.Item, error) {
		return func(f fixture) (*catalogue.Item, error) {
			it := item(f)
			d := it.Versions[len(it.Versions)-1].Definition
			d.Description.EN += " Now with more."
			return f.w.cat.Revise(f.w.ctx, by(f), it.ID, d)
		}
	}
	agree := func(by func(f fixture) itsm.Actor, item func(f fixture) *catalogue.Item, n int) func(f fixture) (*catalogue.Item, error) {
		return func(f fixture) (*catalogue.Item, error) { return f.w.cat.Agree(f.w.ctx, by(f), item(f).ID, n, "") }
	}
	withdraw := func(by func(f fixture) itsm.Actor, item func(f fixture) *catalogue.Item) func(f fixture) (*catalogue.Item, error) {
		return func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Withdraw(f.w.ctx, by(f), item(f).ID, "Replaced")
		}
	}
	var (
		a         = func(f fixture) *catalogue.Item { return f.a }
		b         = func(f fixture) *catalogue.Item { return f.b }
		c         = func(f fixture) *catalogue.Item { return f.c }
		deskAdmin = func(f fixture) itsm.Actor { return f.w.deskAdmin }
		deskAgent = func(f fixture) itsm.Actor { return f.w.deskAgent }
		otherDesk = func(f fixture) itsm.Actor { return f.w.otherDeskAdmin }
		netAdmin  = func(f fixture) itsm.Actor { return f.w.netAdmin }
		owner     = func(f fixture) itsm.Actor { return f.w.owner }
		cityUser  = func(f fixture) itsm.Actor { return f.w.cityUser }
		platform  = func(f fixture) itsm.Actor { return f.w.platform }
	)
	reviseB := func(f fixture) {
		d := account()
		d.Owner = "ulla"
		f.w.must(f.w.cat.Revise(f.w.ctx, f.w.deskAdmin, f.b.ID, d))
	}
	runRules(t, []rule{
		{"the desk's admin revises", nil, revise(deskAdmin, a), "", ""},
		{"the platform revises", nil, revise(platform, a), "", ""},
		{"the desk's agent revises nothing", nil, revise(deskAgent, a), itsm.CodeForbidden, "only the administrators of desk"},
		{"another desk does not know the item", nil, revise(otherDesk, a), itsm.CodeNotFound, "not found"},
		{"a supplier of its tasks revises nothing", nil, revise(netAdmin, c), itsm.CodeForbidden, "only the administrators of desk"},
		{"a supplier not named does not know the item", nil, revise(netAdmin, a), itsm.CodeNotFound, "not found"},
		{"the owner revises nothing", nil, revise(owner, a), itsm.CodeForbidden, "only the administrators of desk"},
		{"a revision must be a definition", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Revise(f.w.ctx, f.w.deskAdmin, f.a.ID, with(passwordReset(), form(`{"type":"array"}`)))
		}, itsm.CodeInvalid, `form's type is not "object"`},
		{"a revision of no item", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Revise(f.w.ctx, f.w.deskAdmin, itsm.NewID(), account())
		}, itsm.CodeNotFound, "not found"},
		{"a revision from a stale version", func(f fixture) { revise(deskAdmin, a)(f) }, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.IfVersion(f.a.Version).Revise(f.w.ctx, f.w.deskAdmin, f.a.ID, account())
		}, itsm.CodeConflict, "not 2"},

		{"the owner agrees", nil, agree(owner, b, 1), "", ""},
		{"another person of the customer agrees to nothing", nil, agree(cityUser, b, 1), itsm.CodeNotFound, "not found"},
		{"a person of the customer who is not the owner agrees to nothing", nil, agree(cityUser, c, 1), itsm.CodeForbidden, `only its object owner, "oskar"`},
		{"the desk's admin agrees to nothing", nil, agree(deskAdmin, b, 1), itsm.CodeForbidden, "only its object owner"},
		{"the platform agrees to nothing", nil, agree(platform, b, 1), itsm.CodeForbidden, "only its object owner"},
		{"the owner's name at another customer agrees to nothing", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Agree(f.w.ctx, itsm.Actor{Organisation: townID, Person: "oskar"}, f.b.ID, 1, "")
		}, itsm.CodeNotFound, "not found"},
		{"an owner of the customer without write access", func(f fixture) { f.w.perms.Revoke(cityID, itsm.DomainRequest, itsm.AccessWrite) }, agree(owner, b, 1),
			itsm.CodeForbidden, "no write access"},
		{"a version that does not exist", nil, agree(owner, b, 2), itsm.CodeNotFound, "has no version 2"},
		{"version 0", nil, agree(owner, b, 0), itsm.CodeNotFound, "has no version 0"},
		{"a superseded version", reviseB, agree(owner, b, 1), itsm.CodeConflict, "superseded by version 2"},
		{"the owner the new version names", reviseB, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Agree(f.w.ctx, f.w.cityUser, f.b.ID, 2, "")
		}, "", ""},
		{"the old owner for the new version", reviseB, agree(owner, b, 2), itsm.CodeForbidden, `only its object owner, "ulla"`},
		{"a note of control characters", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Agree(f.w.ctx, f.w.owner, f.b.ID, 1, "ok\x1b[2J")
		}, itsm.CodeInvalid, "agreement note contains U+001B"},

		{"the desk's admin withdraws", nil, withdraw(deskAdmin, a), "", ""},
		{"the desk's agent withdraws nothing", nil, withdraw(deskAgent, a), itsm.CodeForbidden, "only the administrators"},
		{"the customer withdraws nothing", nil, withdraw(owner, a), itsm.CodeForbidden, "only the administrators"},
		{"another desk does not know the item it withdraws", nil, withdraw(otherDesk, a), itsm.CodeNotFound, "not found"},
		{"a withdrawal without a reason", nil, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Withdraw(f.w.ctx, f.w.deskAdmin, f.a.ID, " ")
		}, itsm.CodeInvalid, "reason for withdrawing is empty"},
		{"the desk's admin reinstates", func(f fixture) { withdraw(deskAdmin, a)(f) }, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Reinstate(f.w.ctx, f.w.deskAdmin, f.a.ID)
		}, "", ""},
		{"the desk's agent reinstates nothing", func(f fixture) { withdraw(deskAdmin, a)(f) }, func(f fixture) (*catalogue.Item, error) {
			return f.w.cat.Reinstate(f.w.ctx, f.w.deskAgent, f.a.ID)
		}, itsm.CodeForbidden, "only the administrators"},
	})
}
