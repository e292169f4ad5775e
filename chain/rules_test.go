package chain_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// Every rule of the register, allowed and refused. A refusal writes
// nothing: neither the record nor an event.
func TestRules(t *testing.T) {
	type fixture struct {
		w              *world
		first, network *chain.Group // the desk's and Nordnät's
	}
	setup := func(t *testing.T) fixture {
		w := newWorld(t)
		return fixture{w: w,
			first:   w.create(w.deskAdmin, deskID, "First line", "dan", "dora"),
			network: w.create(w.netAdmin, netID, "Network", "nora")}
	}
	cases := []struct {
		name string
		prep func(f fixture) // writes before the command, if anything
		run  func(f fixture) (*chain.Group, error)
		code itsm.Code // "" when allowed
		want string    // in the error message
	}{
		{"an organisation's admin creates its group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "Telephony"})
		}, "", ""},
		{"the platform creates any organisation's group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.platform, telID, chain.Definition{Name: "Mobile", Email: "mobile@telco.example"})
		}, "", ""},
		{"an agent creates no group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAgent, netID, chain.Definition{Name: "Telephony"})
		}, itsm.CodeForbidden, "administrators"},
		{"the desk's admin creates no supplier group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.deskAdmin, netID, chain.Definition{Name: "Telephony"})
		}, itsm.CodeForbidden, "administrators"},
		{"a supplier's admin does not know another supplier", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.telAdmin, netID, chain.Definition{Name: "Telephony"})
		}, itsm.CodeNotFound, "organisation"},
		{"a customer has no groups", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.cityAdmin, cityID, chain.Definition{Name: "IT"})
		}, itsm.CodeInvalid, "only a desk or a supplier"},
		{"an unknown organisation", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.platform, itsm.NewID(), chain.Definition{Name: "X"})
		}, itsm.CodeNotFound, "organisation"},
		{"an actor of no organisation", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.ghost, netID, chain.Definition{Name: "X"})
		}, itsm.CodeForbidden, "unknown organisation"},
		{"an actor without a person", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, itsm.Actor{Organisation: netID, Roles: []itsm.Role{itsm.RoleAdmin}}, netID, chain.Definition{Name: "X"})
		}, itsm.CodeInvalid, "person is empty"},
		{"a name taken, otherwise cased and spaced", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "  NETWORK "})
		}, itsm.CodeConflict, "already"},
		{"a name folded by Unicode", func(f fixture) { f.w.create(f.w.netAdmin, netID, "Kärnnät") }, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "\u212aÄRNNÄT"}) // Kelvin sign
		}, itsm.CodeConflict, "already"},
		{"another organisation's name is free", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.telAdmin, telID, chain.Definition{Name: "network"})
		}, "", ""},
		{"an empty name", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: " \t"})
		}, itsm.CodeInvalid, "name is empty"},
		{"a name of two lines", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "Net\nwork"})
		}, itsm.CodeInvalid, "control character"},
		{"a name that reads backwards", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "Net\u202ekrow"})
		}, itsm.CodeInvalid, "group name contains U+202E"},
		{"a name with a zero-width space, like another", func(f fixture) { f.w.create(f.w.netAdmin, netID, "Kärnnät") }, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "Kärn\u200bnät"})
		}, itsm.CodeInvalid, "group name contains U+200B"},
		{"a name too long", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: strings.Repeat("n", itsm.MaxLabel+1)})
		}, itsm.CodeInvalid, "more than"},
		{"an empty member", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "Telephony", Members: []string{"nora", " "}})
		}, itsm.CodeInvalid, "member 1 is empty"},
		{"too many members", nil, func(f fixture) (*chain.Group, error) {
			m := make([]string, chain.MaxMembers+1)
			for i := range m {
				m[i] = fmt.Sprintf("p%04d", i)
			}
			return f.w.svc.SetMembers(f.w.ctx, f.w.netAdmin, f.network.ID, m)
		}, itsm.CodeInvalid, "more than"},
		{"an e-mail with a display name", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.SetEmail(f.w.ctx, f.w.netAdmin, f.network.ID, "Network <net@nordnat.example>")
		}, itsm.CodeInvalid, "bare address"},
		{"not an e-mail", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.SetEmail(f.w.ctx, f.w.netAdmin, f.network.ID, "network team")
		}, itsm.CodeInvalid, "bare address"},
		{"an e-mail", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.SetEmail(f.w.ctx, f.w.netAdmin, f.network.ID, " net@nordnat.example ")
		}, "", ""},
		{"the admin renames", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Rename(f.w.ctx, f.w.netAdmin, f.network.ID, "Networks")
		}, "", ""},
		{"a rename to another case of its own name", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Rename(f.w.ctx, f.w.netAdmin, f.network.ID, "NETWORK")
		}, "", ""},
		{"a rename to a taken name", func(f fixture) { f.w.create(f.w.netAdmin, netID, "Telephony") }, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Rename(f.w.ctx, f.w.netAdmin, f.network.ID, "telephony")
		}, itsm.CodeConflict, "already"},
		{"an agent renames nothing", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Rename(f.w.ctx, f.w.netAgent, f.network.ID, "Net")
		}, itsm.CodeForbidden, "administrators"},
		{"the desk's admin changes no supplier group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Deactivate(f.w.ctx, f.w.deskAdmin, f.network.ID)
		}, itsm.CodeForbidden, "administrators"},
		{"another supplier's group is not found", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Rename(f.w.ctx, f.w.telAdmin, f.network.ID, "Mine")
		}, itsm.CodeNotFound, "not found"},
		{"a supplier does not know the desk's groups", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Get(f.w.ctx, f.w.netAgent, f.first.ID)
		}, itsm.CodeNotFound, "not found"},
		{"the customer does not know a supplier's groups", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Get(f.w.ctx, f.w.cityAdmin, f.network.ID)
		}, itsm.CodeNotFound, "not found"},
		{"a desk's user without a role does not know a supplier's groups", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Get(f.w.ctx, f.w.deskUser, f.network.ID)
		}, itsm.CodeNotFound, "not found"},
		{"the desk's agent reads a supplier's group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Get(f.w.ctx, f.w.deskAgent, f.network.ID)
		}, "", ""},
		{"an organisation's people read its groups", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Get(f.w.ctx, f.w.deskUser, f.first.ID)
		}, "", ""},
		{"the platform reads any group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Get(f.w.ctx, f.w.platform, f.first.ID)
		}, "", ""},
		{"no such group", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.Rename(f.w.ctx, f.w.platform, itsm.NewID(), "X")
		}, itsm.CodeNotFound, "not found"},
		{"a stale version", func(f fixture) { f.w.must(f.w.svc.AddMember(f.w.ctx, f.w.netAdmin, f.network.ID, "nils")) }, func(f fixture) (*chain.Group, error) {
			return f.w.svc.IfVersion(f.network.Version).Rename(f.w.ctx, f.w.netAdmin, f.network.ID, "Net")
		}, itsm.CodeConflict, "not 1"},
		{"the current version", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.IfVersion(f.network.Version).Rename(f.w.ctx, f.w.netAdmin, f.network.ID, "Net")
		}, "", ""},
		{"create takes no version", nil, func(f fixture) (*chain.Group, error) {
			return f.w.svc.IfVersion(1).Create(f.w.ctx, f.w.netAdmin, netID, chain.Definition{Name: "X"})
		}, itsm.CodeInvalid, "no expected version"},
		{"a refused change of several fields changes none", nil, func(f fixture) (*chain.Group, error) {
			name, email := "Renamed", "not an address"
			return f.w.svc.Update(f.w.ctx, f.w.netAdmin, f.network.ID, chain.Change{Name: &name, Email: &email})
		}, itsm.CodeInvalid, "bare address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			if tc.prep != nil {
				tc.prep(f)
			}
			before, events := f.w.stored(), len(f.w.log())
			g, err := tc.run(f)
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.code != "" && err == nil:
				t.Fatalf("allowed, want %s: %+v", tc.code, g)
			case tc.code != "" && (!itsm.IsCode(err, tc.code) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v (%s), want %s with %q", err, itsm.ErrorCode(err), tc.code, tc.want)
			}
			if tc.code != "" {
				if after := f.w.stored(); !reflect.DeepEqual(after, before) {
					t.Errorf("a refusal changed the groups:\n%+v\nwas\n%+v", after, before)
				}
				if n := len(f.w.log()); n != events {
					t.Errorf("a refusal appended %d events", n-events)
				}
			}
			f.w.checkReplay()
		})
	}
}

// A change that changes nothing appends no event and keeps the version, so
// that a retried request does not record twice.
func TestNoChangeNoEvent(t *testing.T) {
	w := newWorld(t)
	g := w.create(w.netAdmin, netID, "Network", "nora", "nils")
	n := len(w.log())
	same := []*chain.Group{
		w.must(w.svc.Rename(w.ctx, w.netAdmin, g.ID, " Network ")),
		w.must(w.svc.SetMembers(w.ctx, w.netAdmin, g.ID, []string{"nils", "nora", "nora"})),
		w.must(w.svc.AddMember(w.ctx, w.netAdmin, g.ID, "nora")),
		w.must(w.svc.RemoveMember(w.ctx, w.netAdmin, g.ID, "nobody")),
		w.must(w.svc.SetEmail(w.ctx, w.netAdmin, g.ID, "")),
		w.must(w.svc.Activate(w.ctx, w.netAdmin, g.ID)),
	}
	for i, s := range same {
		if s.Version != g.Version || !reflect.DeepEqual(s, g) {
			t.Errorf("command %d changed the group: %+v, was %+v", i, s, g)
		}
	}
	if got := len(w.log()); got != n {
		t.Errorf("%d events after no change, want %d", got, n)
	}
}

// One event per change, carrying the new value; Update's several changes
// land together, in one version.
func TestEvents(t *testing.T) {
	w := newWorld(t)
	g := w.create(w.netAdmin, netID, "Network", "nora")
	w.clock.Advance(60e9)
	name, members, email, active := "Networks", []string{"nils", "nora"}, "net@nordnat.example", false
	g2 := w.must(w.svc.Update(w.ctx, w.netAdmin, g.ID, chain.Change{Name: &name, Members: &members, Email: &email, Active: &active}))
	if g2.Version != g.Version+1 || g2.Name != name || !slices.Equal(g2.Members, members) || g2.Email != email || g2.Active {
		t.Errorf("after update: %+v", g2)
	}
	if !g2.Created.Equal(t0) || !g2.Changed.Equal(t0.Add(60e9)) {
		t.Errorf("created %v, changed %v", g2.Created, g2.Changed)
	}
	var types []string
	for _, e := range w.log() {
		types = append(types, e.Type)
		if e.Kind != chain.Kind || e.Subject != g.ID {
			t.Errorf("event %d is about %s %s", e.Seq, e.Kind, e.Subject)
		}
	}
	want := []string{"group.created", "group.renamed", "group.members_changed", "group.email_changed", "group.deactivated"}
	if !slices.Equal(types, want) {
		t.Errorf("events %v, want %v", types, want)
	}
	g3 := w.must(w.svc.Activate(w.ctx, w.platform, g.ID))
	if !g3.Active {
		t.Errorf("activated group is inactive")
	}
	w.checkReplay()
}

// Replay refuses a log that no register could have written.
func TestReplayRefusesBadLogs(t *testing.T) {
	w := newWorld(t)
	g := w.create(w.netAdmin, netID, "Network")
	w.must(w.svc.Rename(w.ctx, w.netAdmin, g.ID, "Net"))
	other := w.create(w.netAdmin, netID, "Telephony")
	log := w.log()
	for name, es := range map[string][]itsm.Event{
		"none":               nil,
		"not created first":  log[1:2],
		"created twice":      {log[0], log[0]},
		"another subject":    {log[0], log[2]},
		"another kind":       {{Kind: "incident", Type: "group.renamed", Subject: g.ID}},
		"unknown type":       {log[0], {Kind: chain.Kind, Type: "group.painted", Subject: g.ID}},
		"data not its shape": {log[0], {Kind: chain.Kind, Type: "group.renamed", Subject: g.ID, Data: []byte(`{"name": 3}`)}},
	} {
		if _, err := chain.Replay(es); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	_ = other
}

// Listing pages through an organisation's groups in name order, whatever
// the case, and only for those who may know of them.
func TestList(t *testing.T) {
	w := newWorld(t)
	for _, n := range []string{"delta", "Alpha", "charlie", "Bravo", "echo"} {
		w.create(w.netAdmin, netID, n)
	}
	w.create(w.telAdmin, telID, "Aardvark")
	w.create(w.deskAdmin, deskID, "First line")
	var names []string
	var cursor itsm.Cursor
	for pages := 0; ; pages++ {
		p, err := w.svc.List(w.ctx, w.deskAgent, netID, chain.ListOptions{Limit: 2, After: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range p.Groups {
			names = append(names, g.Name)
		}
		if cursor = p.Next; cursor == "" || pages > 5 {
			break
		}
	}
	if want := []string{"Alpha", "Bravo", "charlie", "delta", "echo"}; !slices.Equal(names, want) {
		t.Errorf("listed %v, want %v", names, want)
	}
	for _, a := range []itsm.Actor{w.telAdmin, w.cityAdmin, w.deskUser, w.ghost} {
		if _, err := w.svc.List(w.ctx, a, netID, chain.ListOptions{}); err == nil {
			t.Errorf("%s of %s listed Nordnät's groups", a.Person, a.Organisation)
		}
	}
	if p, err := w.svc.List(w.ctx, w.netAgent, netID, chain.ListOptions{Limit: itsm.MaxLimit}); err != nil || len(p.Groups) != 5 {
		t.Errorf("own agent lists %d groups, %v", len(p.Groups), err)
	}
	if _, err := w.svc.List(w.ctx, w.netAgent, netID, chain.ListOptions{Limit: itsm.MaxLimit + 1}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("a page too large: %v", err)
	}
}

// Check is what the holding model will ask before a ticket moves: the
// group is the organisation's and active, the assignee one of its members.
func TestCheck(t *testing.T) {
	w := newWorld(t)
	net := w.create(w.netAdmin, netID, "Network", "nora")
	old := w.create(w.netAdmin, netID, "Old", "nora")
	w.must(w.svc.Deactivate(w.ctx, w.netAdmin, old.ID))
	tel := w.create(w.telAdmin, telID, "Telephony", "tove")
	for _, tc := range []struct {
		name string
		h    chain.Holder
		code itsm.Code
	}{
		{"the organisation alone", chain.Holder{Organisation: netID}, ""},
		{"a group", chain.Holder{Organisation: netID, Group: net.ID}, ""},
		{"a member", chain.Holder{Organisation: netID, Group: net.ID, Assignee: "nora"}, ""},
		{"no organisation", chain.Holder{Group: net.ID}, itsm.CodeInvalid},
		{"an assignee without a group", chain.Holder{Organisation: netID, Assignee: "nora"}, itsm.CodeInvalid},
		{"an assignee spaced", chain.Holder{Organisation: netID, Group: net.ID, Assignee: " nora"}, itsm.CodeInvalid},
		{"not a member", chain.Holder{Organisation: netID, Group: net.ID, Assignee: "tove"}, itsm.CodeInvalid},
		{"another organisation's group", chain.Holder{Organisation: netID, Group: tel.ID}, itsm.CodeInvalid},
		{"no such group", chain.Holder{Organisation: netID, Group: itsm.NewID()}, itsm.CodeInvalid},
		{"an inactive group", chain.Holder{Organisation: netID, Group: old.ID}, itsm.CodeConflict},
	} {
		err := w.svc.Check(w.ctx, tc.h)
		if tc.code == "" && err != nil || tc.code != "" && !itsm.IsCode(err, tc.code) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.code)
		}
	}
	// Another organisation's group and one that does not exist read the
	// same, so that a holder cannot probe.
	e1 := w.svc.Check(w.ctx, chain.Holder{Organisation: netID, Group: tel.ID})
	e2 := w.svc.Check(w.ctx, chain.Holder{Organisation: netID, Group: itsm.NewID()})
	if strings.Count(e1.Error(), tel.ID.String()) != 1 || strings.Contains(e1.Error(), "Telephony") || errors.Is(e2, itsm.ErrNotFound) {
		t.Errorf("probe answers differ in kind: %v / %v", e1, e2)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	w := newWorld(t)
	if _, err := chain.New(chain.Config{Directory: nil, Store: w.store}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("no directory: %v", err)
	}
	if _, err := chain.New(chain.Config{}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("no store: %v", err)
	}
}
