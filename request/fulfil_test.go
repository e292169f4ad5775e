package request_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
)

// list is an order of type A: membership of an e-mail list, added in code.
func list() catalogue.Definition {
	return catalogue.Definition{
		Name: text("Medlemskap i e-postlista", "E-mail list membership"), Description: text("Läggs till direkt.", "Added at once."),
		Service: "Telefoni", Owner: "bo", Type: catalogue.TypeA, Fulfiller: "lists",
		Form: json.RawMessage(`{"type":"object","properties":{"list":{"type":"string","minLength":1}},"required":["list"]}`),
	}
}

// TestTypeAIsFulfilledInCode checks RF-2: the order is fulfilled by the
// host's fulfiller after it is recorded, with no manual step, and closes
// itself with the fulfiller's note; a second pass runs nothing.
func TestTypeAIsFulfilledInCode(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			item := w.offer(list())
			w.grant(w.anna, authority.RoleRequester, item)
			o, err := w.place(w.anna, item, `{"list":"all-staff"}`)
			w.ok(err)
			if o.State != request.StateInProgress || o.Fulfilment == nil {
				t.Fatalf("placed: %s, fulfilment %+v", o.State, o.Fulfilment)
			}
			n, err := w.svc.FulfilDue(w.ctx)
			w.ok(err)
			if n != 1 || w.fulfils.calls != 1 {
				t.Fatalf("ran %d, fulfiller called %d times", n, w.fulfils.calls)
			}
			n, err = w.svc.FulfilDue(w.ctx)
			w.ok(err)
			if n != 0 || w.fulfils.calls != 1 {
				t.Fatalf("second pass ran %d, fulfiller called %d times", n, w.fulfils.calls)
			}
			o, err = w.svc.GetOrder(w.ctx, w.anna, o.ID)
			w.ok(err)
			if o.State != request.StateClosed || o.Answer != "Done for anna" || !o.Fulfilment.Done {
				t.Fatalf("fulfilled: %s %q %+v", o.State, o.Answer, o.Fulfilment)
			}
			if got := w.fulfils.done["order:"+o.ID.String()]; got != 1 {
				t.Fatalf("acted %d times for the order", got)
			}
			w.replayed(o)
		})
	}
}

// TestTypeAFailuresAreRetriedOrFinal checks that a failure that may pass
// is retried later, at most Config.Attempts times, and that a final one
// hands the order to the desk.
func TestTypeAFailuresAreRetriedOrFinal(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(list())
	w.grant(w.anna, authority.RoleRequester, item)
	o, err := w.place(w.anna, item, `{"list":"all-staff"}`)
	w.ok(err)
	w.fulfils.fail = itsm.Errorf(itsm.CodeUnavailable, "the list server is down")
	_, err = w.svc.FulfilDue(w.ctx)
	w.ok(err)
	o, err = w.svc.GetOrder(w.ctx, w.deskAgent, o.ID)
	w.ok(err)
	if o.State != request.StateInProgress || o.Fulfilment.Attempts != 1 || o.Fulfilment.LastError == "" {
		t.Fatalf("after a temporary failure: %s %+v", o.State, o.Fulfilment)
	}
	if n, _ := w.svc.FulfilDue(w.ctx); n != 0 {
		t.Fatalf("retried at once")
	}
	w.clock.Advance(time.Minute)
	w.fulfils.fail = nil
	if n, _ := w.svc.FulfilDue(w.ctx); n != 1 {
		t.Fatalf("not retried after a minute")
	}
	o, err = w.svc.GetOrder(w.ctx, w.deskAgent, o.ID)
	w.ok(err)
	if o.State != request.StateClosed || o.Fulfilment.Attempts != 2 {
		t.Fatalf("after the retry: %s %+v", o.State, o.Fulfilment)
	}

	o, err = w.place(w.anna, item, `{"list":"no-such-list"}`)
	w.ok(err)
	w.fulfils.fail = itsm.Errorf(itsm.CodeInvalid, "there is no list no-such-list")
	_, err = w.svc.FulfilDue(w.ctx)
	w.ok(err)
	o, err = w.svc.GetOrder(w.ctx, w.deskAgent, o.ID)
	w.ok(err)
	if o.State != request.StateFailed {
		t.Fatalf("after a final failure: %s", o.State)
	}
	o, err = w.svc.Close(w.ctx, w.deskAgent, o.ID, "That list does not exist; ask for another.")
	w.ok(err)
	w.replayed(o)

	// A fulfiller that keeps failing stops after Config.Attempts runs.
	o, err = w.place(w.anna, item, `{"list":"flaky"}`)
	w.ok(err)
	w.fulfils.fail = errors.New("connection reset")
	for range 12 {
		_, err = w.svc.FulfilDue(w.ctx)
		w.ok(err)
		w.clock.Advance(time.Hour)
	}
	o, err = w.svc.GetOrder(w.ctx, w.deskAgent, o.ID)
	w.ok(err)
	if o.State != request.StateFailed || o.Fulfilment.Attempts != 10 {
		t.Fatalf("after 12 hours of failures: %s after %d attempts", o.State, o.Fulfilment.Attempts)
	}
}

// TestTypeAClaimKeepsTwoRunnersApart checks that an order claimed by one
// runner is not run by another until the claim expires, and that an
// outcome of a run whose claim was taken over is not recorded.
func TestTypeAClaimKeepsTwoRunnersApart(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t))
	item := w.offer(list())
	w.grant(w.anna, authority.RoleRequester, item)
	o, err := w.place(w.anna, item, `{"list":"x"}`)
	w.ok(err)
	// A runner that claims and then blocks inside the fulfiller.
	inside, release := make(chan struct{}), make(chan struct{})
	w.fulfils.hook = func() {
		if w.fulfils.calls == 1 {
			close(inside)
			<-release
		}
	}
	done := make(chan error)
	go func() { _, err := w.svc.FulfilDue(w.ctx); done <- err }()
	<-inside
	w.fulfils.hook = nil
	if n, _ := w.svc.FulfilDue(w.ctx); n != 0 {
		t.Fatalf("a second runner ran a claimed order")
	}
	w.clock.Advance(6 * time.Minute) // past the five-minute lease
	if n, _ := w.svc.FulfilDue(w.ctx); n != 1 {
		t.Fatalf("the expired claim was not taken over")
	}
	close(release)
	w.ok(<-done)
	o, err = w.svc.GetOrder(w.ctx, w.deskAgent, o.ID)
	w.ok(err)
	if o.Fulfilment.Attempts != 2 || w.fulfils.done["order:"+o.ID.String()] != 2 {
		t.Fatalf("attempts %d, acted %d", o.Fulfilment.Attempts, w.fulfils.done["order:"+o.ID.String()])
	}
	w.replayed(o)
}
