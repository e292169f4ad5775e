package request_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
)

// TestPlacingIsIdempotent checks that a placing with a key, sent again,
// answers with the first attempt's order, on every backend and when the
// attempts race; that the key cannot place another order; and that without
// a key every placing is an order of its own.
func TestPlacingIsIdempotent(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			item := w.offer(phone())
			w.grant(w.anna, authority.RoleRequester, item)
			w.grant(w.eve, authority.RoleRequester, item)
			w.grant(w.bo, authority.RoleApprover, item)
			place := func(a itsm.Actor, key, answers string) (*request.Order, error) {
				return w.svc.Place(w.ctx, a, request.Placement{Item: item, Answers: []byte(answers), Key: key})
			}
			first, err := place(w.anna, "phone-for-anna-1", `{"model":"Other"}`)
			w.ok(err)
			again, err := place(w.anna, "phone-for-anna-1", `{"model": "Other"}`)
			w.ok(err)
			if again.ID != first.ID || again.Number != first.Number || again.Key != "phone-for-anna-1" {
				t.Fatalf("the retry made %s, the first attempt %s", again.Number, first.Number)
			}
			_, err = place(w.anna, "phone-for-anna-1", `{"model":"Fairphone"}`)
			if !itsm.IsCode(err, itsm.CodeInvalid) || !errors.Is(err, itsm.ErrKeyReused) {
				t.Fatalf("the key with other answers: %v", err)
			}
			_, err = place(w.eve, "phone-for-anna-1", `{"model":"Other"}`)
			if !errors.Is(err, itsm.ErrKeyReused) {
				t.Fatalf("another requester with the key: %v", err)
			}
			_, err = place(w.anna, "has space", `{"model":"Other"}`)
			w.code(err, itsm.CodeInvalid)

			// Four attempts at once make one order.
			var (
				wg  sync.WaitGroup
				mu  sync.Mutex
				ids = map[itsm.ID]bool{}
			)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o, err := place(w.anna, "phone-for-anna-2", `{"model":"Other"}`)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					ids[o.ID] = true
					mu.Unlock()
				}()
			}
			wg.Wait()
			if len(ids) != 1 {
				t.Fatalf("four attempts with one key made %d orders", len(ids))
			}
			a, err := place(w.anna, "", `{"model":"Other"}`)
			w.ok(err)
			b, err := place(w.anna, "", `{"model":"Other"}`)
			w.ok(err)
			if a.ID == b.ID {
				t.Fatalf("two placings without a key made one order")
			}
		})
	}
}
