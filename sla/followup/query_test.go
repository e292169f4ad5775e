package followup_test

import (
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/followup"
	"github.com/spoc-itsm/spoc/sla/report"
)

// The desk that drafted a follow-up and its customer see it; another
// customer and another desk do not know it exists; suppliers see no
// follow-up at all.
func TestGetVisibility(t *testing.T) {
	w := newWorld(t)
	f := w.draft(w.city.ID, w.nov)
	for _, a := range []itsm.Actor{w.agent, w.clerk, w.approver, w.cityUser} {
		got, err := w.svc.Get(w.ctx, a, f.ID)
		if err != nil || got.ID != f.ID {
			t.Errorf("%s: %v", a.Person, err)
		}
	}
	for _, a := range []itsm.Actor{w.townApprover, w.agent2} {
		_, err := w.svc.Get(w.ctx, a, f.ID)
		wantErr(t, err, itsm.CodeNotFound, f.ID.String())
	}
	_, err := w.svc.Get(w.ctx, w.netAgent, f.ID)
	wantErr(t, err, itsm.CodeForbidden, `"nils"`, "supplier", "sees no follow-ups")
	_, err = w.svc.Get(w.ctx, w.agent, itsm.NewID())
	wantErr(t, err, itsm.CodeNotFound)
	// Read access is needed even to see one's own.
	noRead := itsm.NewPermissions().Grant(w.desk.ID, itsm.DomainServiceLevel, itsm.AccessWrite)
	svc, err := followup.New(followup.Config{Store: w.store, Directory: directory{w.desk.ID: w.desk}, Permissions: noRead,
		Provides: w.slas.provides, Compute: w.calc.compute()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Get(w.ctx, w.agent, f.ID)
	wantErr(t, err, itsm.CodeForbidden, "read access")
}

// List shows each organisation what it may see, filtered by customer, month
// and state, newest month first, in pages.
func TestList(t *testing.T) {
	w := newWorld(t)
	months := []report.Period{report.Month(2026, time.August, stockholm), report.Month(2026, time.September, stockholm), w.oct, w.nov}
	var cityKeys, townKeys []itsm.ID
	for _, m := range months {
		cityKeys = append(cityKeys, w.draft(w.city.ID, m).ID)
		townKeys = append(townKeys, w.draft(w.town.ID, m).ID)
	}
	w.must(w.svc.Approve(w.ctx, w.approver, cityKeys[0], "", ""))
	w.must(w.svc.Approve(w.ctx, w.approver, cityKeys[1], "", ""))
	w.must(w.svc.Reject(w.ctx, w.approver, cityKeys[2], "", "too few tickets"))
	w.must(w.svc.Approve(w.ctx, w.townApprover, townKeys[3], "", ""))
	// Another desk's follow-up of a third customer would show in nobody's
	// list here; desk2 drafts none, so its list is empty.

	list := func(a itsm.Actor, f followup.Filter) []itsm.ID {
		t.Helper()
		page, err := w.svc.List(w.ctx, a, f)
		if err != nil {
			t.Fatalf("%s %+v: %v", a.Person, f, err)
		}
		var ids []itsm.ID
		for _, fu := range page.FollowUps {
			ids = append(ids, fu.ID)
		}
		return ids
	}
	reversed := func(ids []itsm.ID) []itsm.ID {
		out := slices.Clone(ids)
		slices.Reverse(out)
		return out
	}
	cases := []struct {
		name  string
		actor itsm.Actor
		f     followup.Filter
		want  []itsm.ID // in order; nil for none
		// anyOrder compares want as a set: follow-ups of one month come
		// in key order, which is no order a caller can rely on.
		anyOrder bool
	}{
		{"city sees its own, newest first", w.approver, followup.Filter{}, reversed(cityKeys), false},
		{"a city user without roles reads too", w.cityUser, followup.Filter{}, reversed(cityKeys), false},
		{"town sees its own", w.townApprover, followup.Filter{}, reversed(townKeys), false},
		{"town cannot list the city's", w.townApprover, followup.Filter{Customer: w.city.ID}, nil, false},
		{"the desk by customer", w.agent, followup.Filter{Customer: w.town.ID}, reversed(townKeys), false},
		{"the desk by month", w.agent, followup.Filter{Period: w.oct}, []itsm.ID{cityKeys[2], townKeys[2]}, true},
		{"the desk by month and customer", w.agent, followup.Filter{Period: w.oct, Customer: w.city.ID}, []itsm.ID{cityKeys[2]}, false},
		{"the desk by state", w.agent, followup.Filter{State: followup.StateApproved}, []itsm.ID{cityKeys[0], cityKeys[1], townKeys[3]}, true},
		{"the desk by customer and state", w.agent, followup.Filter{Customer: w.city.ID, State: followup.StateApproved},
			[]itsm.ID{cityKeys[1], cityKeys[0]}, false},
		{"the city by state", w.approver, followup.Filter{State: followup.StateRejected}, []itsm.ID{cityKeys[2]}, false},
		{"the city by state and month", w.approver, followup.Filter{State: followup.StateDrafted, Period: w.nov}, []itsm.ID{cityKeys[3]}, false},
		{"the city by a state no month is in", w.approver, followup.Filter{State: followup.StateDrafted, Period: w.oct}, nil, false},
		{"another desk sees none", w.agent2, followup.Filter{}, nil, false},
	}
	for _, tc := range cases {
		got := list(tc.actor, tc.f)
		if tc.anyOrder && !sameSet(got, tc.want) || !tc.anyOrder && !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if all := list(w.agent, followup.Filter{}); !sameSet(all, append(slices.Clone(cityKeys), townKeys...)) {
		t.Errorf("the desk lists %d, want all 8", len(all))
	}

	// Pages of one continue where the last ended, and end.
	var paged []itsm.ID
	f := followup.Filter{Customer: w.city.ID, Limit: 1}
	for range 10 {
		page, err := w.svc.List(w.ctx, w.agent, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, fu := range page.FollowUps {
			paged = append(paged, fu.ID)
		}
		if page.Next == "" {
			break
		}
		f.After = page.Next
	}
	if !slices.Equal(paged, reversed(cityKeys)) {
		t.Errorf("paged %v, want %v", paged, reversed(cityKeys))
	}

	_, err := w.svc.List(w.ctx, w.netAgent, followup.Filter{})
	wantErr(t, err, itsm.CodeForbidden, `"nils"`, "sees no follow-ups")
	for name, f := range map[string]followup.Filter{
		"unknown state":  {State: "settled"},
		"not a month":    {Period: report.Period{From: w.nov.From, To: w.nov.From.AddDate(0, 0, 7)}},
		"limit too high": {Limit: itsm.MaxLimit + 1},
		"bad cursor":     {After: "not-a-cursor!"},
	} {
		_, err := w.svc.List(w.ctx, w.agent, f)
		if !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func sameSet(a, b []itsm.ID) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
