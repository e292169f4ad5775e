package incident_test

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla"
)

// queueOf reads a whole work queue page by page, limit at a time.
func queueOf(w *world, actor itsm.Actor, q chain.Queue, limit int) []incident.QueueItem {
	w.t.Helper()
	var out []incident.QueueItem
	var after itsm.Cursor
	for {
		p, err := w.svc.Queue(w.ctx, actor, q, limit, after)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		after = p.Next
	}
}

// numbers names a queue's incidents by number, in order.
func numbers(items []incident.QueueItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Incident.Number.String()
	}
	return out
}

// On every backend the queues hold the open incidents of the group, the
// group's unassigned ones and a person's, what is due first first; an
// incident leaves its desk group's queue for the supplier's when delegated,
// and every queue once resolved.
func TestQueueOnEveryBackend(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			first, second := w.g("first line"), w.g("second line")
			reg := func(summary string, group itsm.ID, impact itsm.Impact, urgency itsm.Urgency) *incident.Incident {
				r := reqRegistration(w, summary)
				r.Group, r.Impact, r.Urgency = group, impact, urgency
				w.clock.Advance(time.Minute)
				return w.must(w.svc.Register(w.ctx, w.agent, r))
			}
			a := reg("printer jam", first, itsm.ImpactMedium, itsm.UrgencyMedium)
			b := reg("school offline", first, itsm.ImpactHigh, itsm.UrgencyHigh)
			c := reg("slow wifi", first, itsm.ImpactMedium, itsm.UrgencyMedium)
			d := reg("lost password", second, itsm.ImpactMedium, itsm.UrgencyMedium)
			want := func(what string, got []incident.QueueItem, incs ...*incident.Incident) {
				t.Helper()
				var ws []string
				for _, inc := range incs {
					ws = append(ws, inc.Number.String())
				}
				if g := numbers(got); !slices.Equal(g, ws) {
					t.Errorf("%s: %v, want %v", what, g, ws)
				}
			}
			// The P1 breaches first, then the two P3s in order of
			// registration; limit 1 pages through all of them.
			got := queueOf(w, w.agent, chain.Queue{Group: first}, 1)
			want("first line", got, b, a, c)
			if wantDue := b.Registered.Add(time.Hour); !got[0].Due.Equal(wantDue) {
				t.Errorf("the P1's due time %s, want its response due %s", got[0].Due, wantDue)
			}
			want("second line", queueOf(w, w.agent, chain.Queue{Group: second}, 10), d)

			c = w.must(w.svc.Take(w.ctx, w.agent, c.ID, itsm.ID{}))
			want("first line unassigned", queueOf(w, w.agent, chain.Queue{Group: first, Unassigned: true}, 10), b, a)
			want("first line after the take", queueOf(w, w.agent, chain.Queue{Group: first}, 10), b, a, c)
			want("dana's", queueOf(w, w.agent, chain.Queue{Assignee: w.agent.Person}, 10), c)
			// Another agent of the desk reads dana's queue as the desk's.
			dag := w.agent
			dag.Person = "dag.desk"
			want("dana's read by dag", queueOf(w, dag, chain.Queue{Assignee: w.agent.Person}, 10), c)
			want("dag's", queueOf(w, dag, chain.Queue{Assignee: dag.Person}, 10))

			a = w.must(w.svc.Delegate(w.ctx, w.agent, a.ID, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))
			want("first line after the delegation", queueOf(w, w.agent, chain.Queue{Group: first}, 10), b, c)
			lan := queueOf(w, w.netAgent, chain.Queue{Group: w.g("lan")}, 10)
			want("lan", lan, a)
			// The supplier's queue is ordered by its own UC, not the desk's
			// SLA: the network UC's P3 update, its first, is due 2 hours
			// after the delegation.
			if wantDue := w.clock.Now().Add(2 * time.Hour); len(lan) == 1 && !lan[0].Due.Equal(wantDue) {
				t.Errorf("lan's due time %s, want the UC's %s", lan[0].Due, wantDue)
			}
			w.must(w.svc.Accept(w.ctx, w.netAgent, a.ID))
			w.must(w.svc.ReportBack(w.ctx, w.netAgent, a.ID, incident.Resolution{Code: "fixed", Text: "new access point"}))
			want("lan after the report-back", queueOf(w, w.netAgent, chain.Queue{Group: w.g("lan")}, 10))
			w.must(w.svc.Cancel(w.ctx, w.agent, c.ID, "duplicate"))
			want("dana's after the cancellation", queueOf(w, w.agent, chain.Queue{Assignee: w.agent.Person}, 10))
			want("first line at the end", queueOf(w, w.agent, chain.Queue{Group: first}, 10), b)
		})
	}
}

// Queues are the organisation's own: another organisation's group is not
// found, whether a supplier asks for another supplier's or the desk for a
// supplier's (whose queue holds other desks' incidents); a customer has no
// queue; a queue names one group or one person.
func TestQueueVisibility(t *testing.T) {
	w := newWorld(t)
	r := reqRegistration(w, "wifi down")
	r.Group = w.g("first line")
	inc := w.must(w.svc.Register(w.ctx, w.agent, r))
	w.must(w.svc.Delegate(w.ctx, w.agent, inc.ID, incident.Delegation{Organisation: w.network.ID, Group: w.g("lan")}))

	for _, c := range []struct {
		name  string
		actor itsm.Actor
		q     chain.Queue
		code  itsm.Code
	}{
		{"another supplier's group", w.workAgent, chain.Queue{Group: w.g("lan")}, itsm.CodeNotFound},
		{"the desk reads a supplier's group", w.agent, chain.Queue{Group: w.g("lan")}, itsm.CodeNotFound},
		{"a supplier reads the desk's group", w.netAgent, chain.Queue{Group: w.g("first line")}, itsm.CodeNotFound},
		{"another desk", w.other, chain.Queue{Group: w.g("first line")}, itsm.CodeNotFound},
		{"a group that does not exist", w.agent, chain.Queue{Group: fixedID(200)}, itsm.CodeNotFound},
		{"the customer", w.user, chain.Queue{Assignee: w.user.Person}, itsm.CodeForbidden},
		{"neither group nor person", w.agent, chain.Queue{}, itsm.CodeInvalid},
		{"both group and person", w.agent, chain.Queue{Group: w.g("first line"), Assignee: "dana.desk"}, itsm.CodeInvalid},
		{"an unassigned person", w.agent, chain.Queue{Assignee: "dana.desk", Unassigned: true}, itsm.CodeInvalid},
	} {
		_, err := w.svc.Queue(w.ctx, c.actor, c.q, 10, "")
		reqCode(t, err, c.code)
	}
	// A person's queue is of the asking organisation's people: the
	// workplace supplier does not see what the network's nils holds.
	w.must(w.svc.Accept(w.ctx, w.netAgent, inc.ID))
	w.must(w.svc.Take(w.ctx, w.netAgent, inc.ID, itsm.ID{}))
	if got := queueOf(w, w.workAgent, chain.Queue{Assignee: w.netAgent.Person}, 10); len(got) != 0 {
		t.Errorf("workplace sees %v in nils's queue", numbers(got))
	}
	if got := queueOf(w, w.netAgent, chain.Queue{Group: w.g("lan")}, 10); len(got) != 1 {
		t.Errorf("lan holds %v", numbers(got))
	}
}

// A keyset page neither loses nor repeats an incident that stays in the
// queue while others are taken, delegated away, or registered between pages.
func TestQueuePagingWithConcurrentChanges(t *testing.T) {
	w := newWorld(t)
	first := w.g("first line")
	var all []*incident.Incident
	for i := range 40 {
		r := reqRegistration(w, "printer jam")
		r.Group = first
		if i%3 == 0 {
			r.Impact, r.Urgency = itsm.ImpactHigh, itsm.UrgencyHigh
		}
		w.clock.Advance(time.Second)
		all = append(all, w.must(w.svc.Register(w.ctx, w.agent, r)))
	}
	changed := map[itsm.ID]bool{}
	seen := map[itsm.ID]int{}
	var after itsm.Cursor
	for page := 0; ; page++ {
		p, err := w.svc.Queue(w.ctx, w.agent, chain.Queue{Group: first}, 7, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			seen[it.Incident.ID]++
		}
		if p.Next == "" {
			break
		}
		after = p.Next
		// Between pages: one taken (it stays, with the same due time), one
		// delegated away, one new.
		taken, gone := all[(page*5)%len(all)], all[(page*5+2)%len(all)]
		if !changed[taken.ID] {
			w.must(w.svc.Take(w.ctx, w.agent, taken.ID, itsm.ID{}))
		}
		if !changed[gone.ID] && gone.ID != taken.ID {
			w.must(w.svc.Delegate(w.ctx, w.agent, gone.ID, incident.Delegation{Organisation: w.network.ID}))
			changed[gone.ID] = true
		}
		r := reqRegistration(w, "new one")
		r.Group = first
		w.clock.Advance(time.Second)
		changed[w.must(w.svc.Register(w.ctx, w.agent, r)).ID] = true
	}
	for _, inc := range all {
		if n := seen[inc.ID]; n > 1 || n == 0 && !changed[inc.ID] {
			t.Errorf("%s seen %d times", inc.Number, n)
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
}

// Property: after random commands on many incidents, every queue equals a
// filter over List of what the organisation holds, ordered by the holder's
// first running due time (none last), then by ID.
func TestQueueEqualsListFilter(t *testing.T) {
	w := newWorld(t)
	rng := rand.New(rand.NewPCG(13, 1))
	deskGroups := []itsm.ID{w.g("first line"), w.g("second line"), {}}
	netGroups := []itsm.ID{w.g("lan"), w.g("wifi"), w.g("core")}
	var ids []itsm.ID
	for range 60 {
		r := reqRegistration(w, "something broke")
		r.Group = deskGroups[rng.IntN(len(deskGroups))]
		r.Impact = itsm.Impact(1 + rng.IntN(3))
		r.Urgency = itsm.Urgency(1 + rng.IntN(3))
		w.clock.Advance(time.Duration(rng.IntN(600)) * time.Second)
		ids = append(ids, w.must(w.svc.Register(w.ctx, w.agent, r)).ID)
	}
	for range 200 {
		id := ids[rng.IntN(len(ids))]
		w.clock.Advance(time.Duration(rng.IntN(600)) * time.Second)
		// Commands a rule refuses are part of the walk: they change nothing.
		switch rng.IntN(9) {
		case 0:
			_, _ = w.svc.Take(w.ctx, w.agent, id, deskGroups[rng.IntN(2)])
		case 1:
			_, _ = w.svc.Assign(w.ctx, w.agent, id, incident.AssignTo{Group: deskGroups[1], Assignee: "sven.second"})
		case 2:
			_, _ = w.svc.Delegate(w.ctx, w.agent, id, incident.Delegation{Organisation: w.network.ID, Group: netGroups[rng.IntN(3)]})
		case 3:
			_, _ = w.svc.Accept(w.ctx, w.netAgent, id)
		case 4:
			_, _ = w.svc.Take(w.ctx, w.netAgent, id, netGroups[rng.IntN(2)])
		case 5:
			_, _ = w.svc.ReportBack(w.ctx, w.netAgent, id, incident.Resolution{Code: "fixed", Text: "done"})
		case 6:
			_, _ = w.svc.Recall(w.ctx, w.agent, id, "needed back")
		case 7:
			_, _ = w.svc.Wait(w.ctx, w.agent, id, incident.WaitUser, "asked the user")
		case 8:
			_, _ = w.svc.Resume(w.ctx, w.agent, id, "the user answered")
		}
	}
	check := func(actor itsm.Actor, groups []itsm.ID, people []string) {
		t.Helper()
		var held []*incident.Incident
		for after := itsm.Cursor(""); ; {
			p, err := w.svc.List(w.ctx, actor, incident.Filter{Holder: actor.Organisation, Limit: itsm.MaxLimit, After: after})
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, p.Incidents...)
			if after = p.Next; after == "" {
				break
			}
		}
		due := map[itsm.ID]time.Time{}
		for _, inc := range held {
			clocks, err := w.svc.Clocks(inc, w.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range clocks {
				if c.Status == sla.StatusRunning && (c.Provider == inc.Holder || c.Provider == inc.Group) && (due[inc.ID].IsZero() || c.Due.Before(due[inc.ID])) {
					due[inc.ID] = c.Due
				}
			}
		}
		order := func(keep func(*incident.Incident) bool) []itsm.ID {
			var out []*incident.Incident
			for _, inc := range held {
				if incident.IsOpen(inc.State) && keep(inc) {
					out = append(out, inc)
				}
			}
			slices.SortFunc(out, func(a, b *incident.Incident) int {
				da, db := due[a.ID], due[b.ID]
				switch {
				case da.IsZero() != db.IsZero():
					if da.IsZero() {
						return 1
					}
					return -1
				case !da.Equal(db):
					return da.Compare(db)
				}
				return cmp.Compare(a.ID.String(), b.ID.String())
			})
			ids := make([]itsm.ID, len(out))
			for i, inc := range out {
				ids[i] = inc.ID
			}
			return ids
		}
		idsOf := func(items []incident.QueueItem) []itsm.ID {
			out := make([]itsm.ID, len(items))
			for i, it := range items {
				out[i] = it.Incident.ID
				if !it.Due.Equal(due[it.Incident.ID]) {
					t.Errorf("%s due %s in the queue, %s by its clocks", it.Incident.Number, it.Due, due[it.Incident.ID])
				}
			}
			return out
		}
		total := 0
		for _, g := range groups {
			got := idsOf(queueOf(w, actor, chain.Queue{Group: g}, 1+rng.IntN(9)))
			if want := order(func(inc *incident.Incident) bool { return inc.Group == g }); !slices.Equal(got, want) {
				t.Errorf("group %s: queue %v, filter %v", g, got, want)
			}
			total += len(got)
			got = idsOf(queueOf(w, actor, chain.Queue{Group: g, Unassigned: true}, 1+rng.IntN(9)))
			if want := order(func(inc *incident.Incident) bool { return inc.Group == g && inc.Assignee == "" }); !slices.Equal(got, want) {
				t.Errorf("group %s unassigned: queue %v, filter %v", g, got, want)
			}
		}
		for _, p := range people {
			got := idsOf(queueOf(w, actor, chain.Queue{Assignee: p}, 1+rng.IntN(9)))
			if want := order(func(inc *incident.Incident) bool { return inc.Assignee == p }); !slices.Equal(got, want) {
				t.Errorf("%s: queue %v, filter %v", p, got, want)
			}
		}
		if total == 0 {
			t.Errorf("%s: every queue is empty; the walk tests nothing", actor.Organisation)
		}
	}
	check(w.agent, deskGroups[:2], []string{"dana.desk", "sven.second", "dag.desk"})
	check(w.netAgent, netGroups, []string{"nils.net", "nina.net"})
}
