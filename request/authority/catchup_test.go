package authority_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request/authority"
)

// An index that applied an event of a transaction that then rolled back
// finds out when another event takes its place, and is built again.
func TestCatchUpAfterRollback(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			w.grant(authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0)})
			x := authority.NewIndex(w.zone)
			now := w.clock.Now()
			catchUp := func() {
				t.Helper()
				if err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error { return x.CatchUp(tx) }); err != nil {
					t.Fatal(err)
				}
			}
			catchUp()
			if !x.MayOrder(cityID, "alice", laptop, "", now) {
				t.Fatal("alice may not order")
			}
			rollback := errors.New("roll back")
			err := w.store.Write(w.ctx, func(tx itsm.WriteTx) error {
				data, _ := json.Marshal(authority.Granted{Grant: authority.Grant{Customer: cityID, Person: "bob", Role: authority.RoleRequester, Item: laptop, From: w.day(0)}})
				if _, err := tx.Append(itsm.Event{Type: "authority.granted", Kind: authority.GrantKind, Subject: itsm.NewID(), Time: now, Data: data}); err != nil {
					return err
				}
				if err := x.CatchUp(tx); err != nil {
					return err
				}
				if !x.MayOrder(cityID, "bob", laptop, "", now) {
					t.Error("the index does not see the transaction's own event")
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatal(err)
			}
			w.grant(authority.Grant{Customer: cityID, Person: "carol", Role: authority.RoleRequester, Item: laptop, From: w.day(0)})
			catchUp()
			if x.MayOrder(cityID, "bob", laptop, "", now) || !x.MayOrder(cityID, "carol", laptop, "", now) || !x.MayOrder(cityID, "alice", laptop, "", now) {
				t.Error("the index kept the rolled-back grant, or lost a committed one")
			}
			if x.Seq() != 2 {
				t.Errorf("index at event %d, want 2", x.Seq())
			}
		})
	}
}

// A transaction that sees less of the log than the index leaves the index
// as it is.
func TestCatchUpBehind(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	w.grant(authority.Grant{Customer: cityID, Person: "alice", Role: authority.RoleRequester, Item: laptop, From: w.day(0)})
	x := authority.NewIndex(w.zone)
	read, wrote, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
			close(read)
			<-wrote
			return x.CatchUp(tx)
		})
	}()
	<-read
	w.grant(authority.Grant{Customer: cityID, Person: "bob", Role: authority.RoleRequester, Item: laptop, From: w.day(0)})
	if err := x.Build(w.ctx, w.store); err != nil {
		t.Fatal(err)
	}
	close(wrote)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if x.Seq() != 2 || !x.MayOrder(cityID, "bob", laptop, "", w.clock.Now()) {
		t.Errorf("an older snapshot took the index back to event %d", x.Seq())
	}
}

// Checks run while CatchUp applies new events (go test -race watches).
func TestIndexConcurrentUse(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	x := authority.NewIndex(w.zone)
	stop := make(chan struct{})
	var checks sync.WaitGroup
	for range 2 {
		checks.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					x.MayOrder(cityID, "alice", laptop, "Laptops", w.clock.Now())
					x.MayApprove(cityID, "carol", laptop, "Laptops", w.clock.Now())
					x.Approvers(cityID, laptop, "Laptops", w.clock.Now())
				}
			}
		})
	}
	for i := range 50 {
		w.grant(authority.Grant{Customer: cityID, Person: people[i%4], Role: authority.RoleApprover, Item: laptop, From: w.day(0)})
		if err := w.store.Read(w.ctx, func(tx itsm.ReadTx) error { return x.CatchUp(tx) }); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	checks.Wait()
	if got := x.Approvers(cityID, laptop, "", w.clock.Now()); len(got) != 4 {
		t.Errorf("approvers %v", got)
	}
}
