package request_test

import (
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
)

// TestTaskQueueIsDueFirst checks that a supplier group's queue of tasks
// sorts them by the first running clock of the supplier, as incidents'
// queues do (chain.HolderDue): a task the desk recalled for two hours comes
// after one delegated later whose clock has run less.
func TestTaskQueueIsDueFirst(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	w.ok(w.svc.SetAgreements(requestAgreements(t, w.zone)))
	dir, err := incident.NewOrganisations(
		itsm.Organisation{ID: deskID, Name: "Desk", Role: itsm.OrgDesk},
		itsm.Organisation{ID: telcoID, Name: "Telco", Role: itsm.OrgSupplier})
	w.ok(err)
	groups, err := chain.New(chain.Config{Store: w.store, Directory: dir, Clock: w.clock})
	w.ok(err)
	team, err := groups.Create(w.ctx, person(telcoID, "tina", itsm.RoleAdmin, itsm.RoleAgent), telcoID, chain.Definition{Name: "Phones", Members: []string{"tove"}})
	w.ok(err)
	d := phone()
	d.Approval, d.Agreements = nil, []string{"Telco UC"}
	d.Tasks[0].Group = team.ID
	item := w.offer(d)
	w.grant(w.anna, authority.RoleRequester, item)

	a, err := w.place(w.anna, item, `{"model":"Other"}`) // 09:00, due 15:00
	w.ok(err)
	w.clock.Advance(time.Hour)
	b, err := w.place(w.anna, item, `{"model":"Other"}`) // 10:00, due 16:00
	w.ok(err)
	ta, tb := w.task(a, "phone"), w.task(b, "phone")
	_, err = w.svc.Recall(w.ctx, w.deskAgent, ta.ID, "Wrong model noted")
	w.ok(err)
	w.clock.Advance(2 * time.Hour)
	_, err = w.svc.Delegate(w.ctx, w.deskAgent, ta.ID, request.Delegation{Organisation: telcoID, Group: team.ID}) // 12:00, 5 h left: due 17:00
	w.ok(err)
	page, err := w.svc.ListTasks(w.ctx, w.telAgent, &chain.Queue{Group: team.ID}, 0, "")
	w.ok(err)
	if len(page.Tasks) != 2 || page.Tasks[0].ID != tb.ID || page.Tasks[1].ID != ta.ID {
		var got []string
		for _, t := range page.Tasks {
			got = append(got, t.Number.String())
		}
		t.Fatalf("the group's queue is %v, want %s (due 16:00) before %s (due 17:00)", got, tb.Number, ta.Number)
	}
}
