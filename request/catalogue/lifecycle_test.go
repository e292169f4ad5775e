package catalogue_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// An item is offered once its owner agrees, and the agreement says who
// and when. A revision leaves the agreed version offered until the owner
// agrees to it; every version stays readable; withdrawal takes the item
// off and reinstatement puts its newest agreed version back.
func TestLifecycle(t *testing.T) {
	w := newWorld(t)
	it := w.define(account())
	if _, ok := it.Offered(); ok {
		t.Fatal("an item no owner agreed to is offered")
	}
	if it.Desk != deskID || it.Customer != cityID || len(it.Versions) != 1 || it.Versions[0].Number != 1 ||
		it.Versions[0].DefinedBy != "dora" || !it.Versions[0].Defined.Equal(t0) {
		t.Fatalf("defined: %+v", it)
	}

	w.clock.Advance(time.Hour)
	it = w.must(w.cat.Agree(w.ctx, w.owner, it.ID, 1, " Fine by me. "))
	v, ok := it.Offered()
	want := &catalogue.Agreement{By: "oskar", At: t0.Add(time.Hour), Note: "Fine by me."}
	if !ok || v.Number != 1 || !reflect.DeepEqual(v.Agreed, want) {
		t.Fatalf("after agreement offered %v %+v, agreement %+v, want %+v", ok, v, v.Agreed, want)
	}

	w.clock.Advance(time.Hour)
	d2 := account()
	d2.Name.EN = "Payroll account"
	it = w.must(w.cat.Revise(w.ctx, w.deskAdmin, it.ID, d2))
	if v, _ := it.Offered(); v.Number != 1 || len(it.Versions) != 2 || it.Versions[1].Agreed != nil {
		t.Fatalf("after revision offered version %d of %d: the revision must wait for the owner", v.Number, len(it.Versions))
	}
	// A retried revision makes no third version.
	n := len(w.log())
	again := w.must(w.cat.Revise(w.ctx, w.deskAdmin, it.ID, d2))
	if len(again.Versions) != 2 || again.Version != it.Version || len(w.log()) != n {
		t.Errorf("a revision to the newest definition changed the item: %d versions, record version %d, was %d", len(again.Versions), again.Version, it.Version)
	}

	w.clock.Advance(time.Hour)
	it = w.must(w.cat.Agree(w.ctx, w.owner, it.ID, 2, ""))
	if v, _ := it.Offered(); v.Number != 2 || v.Name.EN != "Payroll account" {
		t.Fatalf("after the second agreement offered %+v", v)
	}
	if v1, ok := it.At(1); !ok || v1.Name.EN != "Account in the payroll system" || !v1.Agreed.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("version 1 after version 2: %+v", v1)
	}
	for _, n := range []int{0, 3, -1} {
		if _, ok := it.At(n); ok {
			t.Errorf("At(%d) found a version", n)
		}
	}
	// Agreeing again changes nothing.
	n = len(w.log())
	if again := w.must(w.cat.Agree(w.ctx, w.owner, it.ID, 2, "again")); again.Version != it.Version || len(w.log()) != n {
		t.Errorf("a second agreement changed the item")
	}

	it = w.must(w.cat.Withdraw(w.ctx, w.deskAdmin, it.ID, "The payroll system is replaced."))
	if _, ok := it.Offered(); ok || it.Withdrawn.IsZero() || it.Reason != "The payroll system is replaced." {
		t.Fatalf("withdrawn: %+v", it)
	}
	if v, ok := it.At(2); !ok || v.Agreed == nil {
		t.Errorf("a withdrawn item lost its versions")
	}
	n = len(w.log())
	if again := w.must(w.cat.Withdraw(w.ctx, w.deskAdmin, it.ID, "Other reason")); again.Version != it.Version || len(w.log()) != n {
		t.Errorf("a second withdrawal changed the item")
	}
	// A revision of a withdrawn item is agreed to but not offered.
	it = w.must(w.cat.Revise(w.ctx, w.deskAdmin, it.ID, account()))
	it = w.must(w.cat.Agree(w.ctx, w.owner, it.ID, 3, ""))
	if _, ok := it.Offered(); ok {
		t.Errorf("a withdrawn item is offered after an agreement")
	}
	it = w.must(w.cat.Reinstate(w.ctx, w.deskAdmin, it.ID))
	if v, ok := it.Offered(); !ok || v.Number != 3 || !it.Withdrawn.IsZero() || it.Reason != "" {
		t.Errorf("reinstated: offered %v %+v", ok, v)
	}
	n = len(w.log())
	if again := w.must(w.cat.Reinstate(w.ctx, w.deskAdmin, it.ID)); again.Version != it.Version || len(w.log()) != n {
		t.Errorf("a second reinstatement changed the item")
	}

	var types []string
	for _, e := range w.log() {
		types = append(types, e.Type)
		if p, err := catalogue.Decode(e); err != nil || p.Actor().Person == "" {
			t.Errorf("event %d: %v", e.Seq, err)
		}
	}
	wantTypes := []string{"catalogue.defined", "catalogue.agreed", "catalogue.revised", "catalogue.agreed",
		"catalogue.withdrawn", "catalogue.revised", "catalogue.agreed", "catalogue.reinstated"}
	if !slices.Equal(types, wantTypes) {
		t.Errorf("events %v, want %v", types, wantTypes)
	}
	w.checkReplay()
}

// A clock that steps back does not make the history run backward.
func TestClockBack(t *testing.T) {
	w := newWorld(t)
	it := w.define(account())
	w.clock.Set(t0.Add(-time.Hour))
	it = w.must(w.cat.Agree(w.ctx, w.owner, it.ID, 1, ""))
	if !it.Versions[0].Agreed.At.Equal(t0) {
		t.Errorf("agreed at %v, before the version was defined at %v", it.Versions[0].Agreed.At, t0)
	}
}

// A version names at most MaxSuppliers suppliers over its life, and an
// item has at most MaxVersions versions.
func TestLimits(t *testing.T) {
	w := newWorld(t)
	it := w.define(account())
	for i := 2; i <= catalogue.MaxVersions; i++ {
		d := account()
		d.Description.EN = "Version " + itoa(int64(i))
		it = w.must(w.cat.Revise(w.ctx, w.deskAdmin, it.ID, d))
	}
	_, err := w.cat.Revise(w.ctx, w.deskAdmin, it.ID, phone())
	if !itsm.IsCode(err, itsm.CodeConflict) {
		t.Errorf("version %d: %v, want a conflict", catalogue.MaxVersions+1, err)
	}
	if len(it.Versions) != catalogue.MaxVersions {
		t.Errorf("%d versions", len(it.Versions))
	}
}
