package request_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/internal/itemtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
)

// An order names the configuration items it is about (the application an
// account is for). With a CMDB (Config.Items, here the tests' CMDB of
// records) they must be items of the desk's CMDB in use: an unknown,
// retired or other desk's item is refused, named, and nothing is written,
// not even an order number. The items are in the order.placed event and
// the order, and a retry with the key names them in any order. On every
// backend, since the check reads the store in the placing's transaction.
func TestOrdersAreAboutTheDesksItems(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			w := newWorld(t, store, func(c *request.Config) { c.Items = itemtest.CMDB{} })
			finance, payroll, old, theirs, unknown := itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID(), itsm.NewID()
			itemtest.Put(t, store, itemtest.Item{ID: finance, Desk: deskID}, itemtest.Item{ID: payroll, Desk: deskID, Supplier: mailcoID},
				itemtest.Item{ID: old, Desk: deskID, Retired: true}, itemtest.Item{ID: theirs, Desk: itsm.NewID()})
			item := w.offer(phone())
			w.grant(w.anna, authority.RoleRequester, item)
			w.grant(w.bo, authority.RoleApprover, item)
			place := func(key string, cis ...itsm.ID) (*request.Order, error) {
				return w.svc.Place(w.ctx, w.anna, request.Placement{Item: item, Answers: json.RawMessage(`{"model":"Other"}`), CIs: cis, Key: key})
			}

			o, err := place("k1", finance, payroll)
			w.ok(err)
			if !slices.Equal(o.CIs, []itsm.ID{finance, payroll}) {
				t.Fatalf("the order is about %v", o.CIs)
			}
			w.replayed(o)
			again, err := place("k1", payroll, finance)
			w.ok(err)
			if again.ID != o.ID {
				t.Errorf("a retry naming the items in another order placed %s, not %s", again.Number, o.Number)
			}
			if _, err := place("k1", finance); !errors.Is(err, itsm.ErrKeyReused) {
				t.Errorf("the key with other items: %v", err)
			}

			for _, bad := range []itsm.ID{unknown, old, theirs} {
				before := len(w.events())
				_, err := place("", finance, bad)
				w.code(err, itsm.CodeInvalid)
				if !strings.Contains(err.Error(), "configuration item "+bad.String()) {
					t.Errorf("error %q does not name configuration item %s", err, bad)
				}
				if after := len(w.events()); after != before {
					t.Errorf("a refused placing wrote events about %d records", after-before)
				}
			}
			next, err := place("")
			w.ok(err)
			if next.Number.Seq != o.Number.Seq+1 || next.CIs != nil {
				t.Errorf("the next order is %s about %v after %s", next.Number, next.CIs, o.Number)
			}

			// The list is checked before anything is read.
			many := make([]itsm.ID, request.MaxCIs+1)
			for i := range many {
				many[i] = itsm.NewID()
			}
			for what, cis := range map[string][]itsm.ID{"zero": {finance, {}}, "twice": {finance, payroll, finance}, "too many": many} {
				if _, err := place("", cis...); !itsm.IsCode(err, itsm.CodeInvalid) {
					t.Errorf("%s: %v, want invalid", what, err)
				}
			}
		})
	}
}

// Without a CMDB an order names any item IDs; one that names none keeps
// the digest of its key as before orders named items, so that a retry in
// flight across the upgrade is still one.
func TestOrderItemsUncheckedWithoutCMDB(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(phone())
	w.grant(w.anna, authority.RoleRequester, item)
	w.grant(w.bo, authority.RoleApprover, item)
	o, err := w.svc.Place(w.ctx, w.anna, request.Placement{Item: item, Answers: json.RawMessage(`{"model":"Other"}`), CIs: []itsm.ID{itsm.NewID()}})
	w.ok(err)
	if len(o.CIs) != 1 {
		t.Errorf("the order is about %v", o.CIs)
	}
	o, err = w.svc.Place(w.ctx, w.anna, request.Placement{Item: item, Answers: json.RawMessage(`{"model":"Other"}`), Key: "old-key"})
	w.ok(err)
	before := itsm.Digest(struct {
		Item      itsm.ID
		Requester string
		Answers   json.RawMessage
	}{item, w.anna.Person, o.Answers})
	w.ok(w.store.Read(w.ctx, func(tx itsm.ReadTx) error {
		kept, _, err := itsm.KeyDigest(tx, request.KeyKind, o.ID)
		if kept != before {
			t.Errorf("digest %s, before items %s", kept, before)
		}
		return err
	}))
}
