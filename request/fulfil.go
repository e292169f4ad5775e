package request

import (
	"context"
	"encoding/json"

	"github.com/spoc-itsm/spoc/itsm"
)

// Fulfiller carries out orders of type A (RF-2): the whole fulfilment runs
// in code, with no manual step. The host implements it for each item of
// type A and registers it with the service; the service runs it after the
// order is recorded, records the outcome as an event, and retries a failure
// that may succeed later.
//
// Delivery is at least once: a process that dies after the fulfiller acted
// and before the outcome was recorded runs it again for the same order. The
// Key is the same on every attempt for one order and differs between
// orders, so a fulfiller that remembers the keys it has acted on (or passes
// the key on to a system that does) acts once per order.
type Fulfiller interface {
	Fulfil(ctx context.Context, f Fulfilment) (Outcome, error)
}

// Fulfilment is what a Fulfiller is asked to do: one order, as recorded.
type Fulfilment struct {
	// Key identifies the order's fulfilment for idempotency: the same on
	// every attempt, unique per order.
	Key string
	// Order is the order's ID and Number its master number (REQ...).
	Order  itsm.ID
	Number string
	// Item and Version name the catalogue item and the version of it the
	// order was placed under, and Fulfiller the host's fulfiller the
	// version names.
	Item      itsm.ID
	Version   int
	Fulfiller string
	// Customer is the customer organisation and Requester the person who
	// placed the order.
	Customer  itsm.ID
	Requester string
	// Answers are the requester's answers to the item's form, without the
	// secret ones (those the form marks writeOnly), which are never stored.
	Answers json.RawMessage
}

// Outcome is what a fulfiller reports of a fulfilment that succeeded: a
// note for the order's history, in words the requester may read.
type Outcome struct {
	Note string
}

// Verifier checks an order before it is recorded, with all of its
// answers, the secret ones included: for a password reset, that the
// control answers identify the requester. Place runs it inside no
// transaction and records nothing when it refuses; the secret answers go
// no further than the verifier. An error with itsm.CodeInvalid or
// itsm.CodeForbidden refuses the order with that code.
type Verifier interface {
	Verify(ctx context.Context, v Verification) error
}

// Verification is an order as placed, before it is recorded.
type Verification struct {
	Item      itsm.ID
	Version   int
	Fulfiller string
	Customer  itsm.ID
	Requester string
	// Answers are all of the requester's answers, secret ones included.
	Answers json.RawMessage
}

// Fulfillers is a Fulfiller that hands each fulfilment to the fulfiller
// its item names (catalogue.Definition.Fulfiller), for a host with several
// kinds of order of type A. A name without one fails for good
// (CodeUnsupported), and the desk takes the order over.
type Fulfillers map[string]Fulfiller

// Fulfil hands f to the fulfiller named f.Fulfiller.
func (fs Fulfillers) Fulfil(ctx context.Context, f Fulfilment) (Outcome, error) {
	if ff, ok := fs[f.Fulfiller]; ok {
		return ff.Fulfil(ctx, f)
	}
	return Outcome{}, itsm.Errorf(itsm.CodeUnsupported, "this service has no fulfiller %q", f.Fulfiller)
}

// Verifiers is a Verifier that hands each verification to the verifier of
// the fulfiller its item names. A name without one cannot be ordered
// (CodeUnsupported): its secret answers would go unchecked.
type Verifiers map[string]Verifier

// Verify hands v to the verifier named v.Fulfiller.
func (vs Verifiers) Verify(ctx context.Context, v Verification) error {
	if vv, ok := vs[v.Fulfiller]; ok {
		return vv.Verify(ctx, v)
	}
	return itsm.Errorf(itsm.CodeUnsupported, "this service has no verifier %q", v.Fulfiller)
}
