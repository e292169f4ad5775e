package cmdb_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
)

// TestListChanges lists a desk's changes on every backend: in the order
// of their windows' starts whatever the order they were registered in, a
// page at a time, by state and by a period of starts, cancelled ones
// included; the city names the desk, the other desk sees none of them,
// and a bad state or period is refused.
func TestListChanges(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			e := w.estate()
			late := w.change(w.deskAgent, planned("Late", window("2026-12-20T22:00", "2026-12-21T02:00"), cmdb.ChangeEffectOutage, e.a))
			w.change(w.deskAgent, planned("Early", window("2026-12-08T22:00", "2026-12-09T02:00"), cmdb.ChangeEffectDegraded, e.b))
			w.change(w.telAgent, cmdb.NewChange{Desk: deskID, ChangeEdit: planned("Mid", window("2026-12-14T22:00", "2026-12-15T02:00"),
				cmdb.ChangeEffectNone, e.m).ChangeEdit})
			_, err := w.svc.CancelChange(w.ctx, w.deskAgent, late.ID, "Not needed.")
			w.ok(err)
			other := w.change(w.desk2Agent, planned("Other desk", window("2026-12-10T22:00", "2026-12-11T02:00"), cmdb.ChangeEffectNone,
				w.itemOf(w.desk2Agent)))

			titles := func(actor itsm.Actor, f cmdb.ChangeFilter) []string {
				t.Helper()
				var out []string
				for {
					p, err := w.svc.ListChanges(w.ctx, actor, f)
					w.ok(err)
					for _, ch := range p.Changes {
						out = append(out, ch.Title)
					}
					if p.Next == "" {
						return out
					}
					f.After = p.Next
				}
			}
			same := func(what string, got []string, want ...string) {
				t.Helper()
				if len(got) != len(want) {
					t.Errorf("%s: %q, want %q", what, got, want)
					return
				}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("%s: %q, want %q", what, got, want)
						return
					}
				}
			}
			same("all, one a page", titles(w.deskAgent, cmdb.ChangeFilter{Limit: 1}), "Early", "Mid", "Late")
			same("the city's", titles(w.cityAgent, cmdb.ChangeFilter{Desk: deskID}), "Early", "Mid", "Late")
			same("cancelled", titles(w.deskAgent, cmdb.ChangeFilter{State: cmdb.ChangeStateCancelled}), "Late")
			same("drafts", titles(w.deskAgent, cmdb.ChangeFilter{State: cmdb.ChangeStateDraft}), "Early", "Mid")
			loc := stockholm(t)
			same("from the 9th", titles(w.deskAgent, cmdb.ChangeFilter{From: time.Date(2026, 12, 9, 0, 0, 0, 0, loc)}), "Mid", "Late")
			same("until the 15th", titles(w.deskAgent, cmdb.ChangeFilter{To: time.Date(2026, 12, 15, 0, 0, 0, 0, loc)}), "Early", "Mid")
			same("the other desk's", titles(w.desk2Agent, cmdb.ChangeFilter{}), other.Title)

			w.code(func() error { _, err := w.svc.ListChanges(w.ctx, w.cityAgent, cmdb.ChangeFilter{}); return err }(), itsm.CodeInvalid)
			w.code(func() error {
				_, err := w.svc.ListChanges(w.ctx, w.deskAgent, cmdb.ChangeFilter{State: "done"})
				return err
			}(), itsm.CodeInvalid)
			w.code(func() error {
				at := time.Date(2026, 12, 9, 0, 0, 0, 0, loc)
				_, err := w.svc.ListChanges(w.ctx, w.deskAgent, cmdb.ChangeFilter{From: at, To: at})
				return err
			}(), itsm.CodeInvalid)
			w.code(func() error {
				_, err := w.svc.ListChanges(w.ctx, w.bareAgent, cmdb.ChangeFilter{Desk: deskID})
				return err
			}(), itsm.CodeForbidden)
			w.code(func() error {
				_, err := w.svc.ListChanges(w.ctx, w.loneAgent, cmdb.ChangeFilter{Desk: deskID})
				return err
			}(), itsm.CodeForbidden)
		})
	}
}

// itemOf registers a server in the CMDB of actor's desk.
func (w *world) itemOf(actor itsm.Actor) *cmdb.Item {
	w.t.Helper()
	it, err := w.svc.Create(w.ctx, actor, cmdb.NewItem{Class: "server", ItemEdit: cmdb.ItemEdit{Name: "srv",
		Attributes: map[string]string{"host_name": "srv-" + actor.Person}}})
	w.ok(err)
	return it
}
