package catalogue_test

import (
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// On every backend: the lifecycle holds with real stores (the offered
// version through revisions, every version readable after a reload,
// listings by index); concurrent revisions all land as versions one after
// another; two administrators withdrawing from the version they read get
// one success and one 412-style conflict. Every item stays the fold of its
// events.
func TestBackends(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorldOn(t, open(t))
			it := w.offered(phone())
			it = w.must(w.cat.Revise(w.ctx, w.deskAdmin, it.ID, with(phone(), func(d *catalogue.Definition) { d.Service = "Telephony" })))
			if v, ok := it.Offered(); !ok || v.Number != 1 {
				t.Fatalf("a revision not agreed to changed what is offered")
			}
			// Each of several administrators revises at once; each
			// decides on the item as it is then.
			const writers = 6
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d := phone()
					d.Description.EN = "Revision " + itoa(int64(i))
					_, errs[i] = w.cat.Revise(w.ctx, w.deskAdmin, it.ID, d)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Errorf("revise: %v", err)
				}
			}
			got := w.must(w.cat.Get(w.ctx, w.telAgent, it.ID))
			if len(got.Versions) != 2+writers {
				t.Errorf("%d versions, want %d: a revision was lost", len(got.Versions), 2+writers)
			}
			for i, v := range got.Versions {
				if v.Number != i+1 {
					t.Errorf("version %d is numbered %d", i+1, v.Number)
				}
			}
			if v, ok := got.Offered(); !ok || v.Number != 1 || v.Service != "Mobile" {
				t.Errorf("offered after revisions: %+v", v)
			}
			read := got.Version
			won, stale := 0, 0
			for range 2 {
				_, err := w.cat.IfVersion(read).Withdraw(w.ctx, w.deskAdmin, it.ID, "Gone")
				switch {
				case err == nil:
					won++
				case itsm.IsCode(err, itsm.CodeConflict):
					stale++
				default:
					t.Errorf("withdraw: %v", err)
				}
			}
			if won != 1 || stale != 1 {
				t.Errorf("%d withdrawals won and %d were stale, want 1 and 1", won, stale)
			}
			page, err := w.cat.List(w.ctx, w.cityUser, catalogue.ListOptions{Service: "Mobile"})
			if err != nil || len(page.Items) != 1 {
				t.Errorf("the customer lists %d items under the newest service, %v", len(page.Items), err)
			}
			w.checkReplay()
		})
	}
}
