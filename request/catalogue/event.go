package catalogue

import (
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Payload is the data of one catalogue event: what changed, and who changed
// it. Each carries what it adds whole (a version's definition, not a
// difference), so that an event read alone says what the item offers, and
// Replay is a plain fold.
type Payload interface {
	// Type is the event type, such as "catalogue.agreed".
	Type() string
	// Actor is who made the change.
	Actor() itsm.Actor
	apply(it *Item, at time.Time)
}

// By is the actor of an event, embedded in every payload.
type By = itsm.By

// Defined: an administrator of the desk defined the item, with version 1,
// not yet agreed.
type Defined struct {
	By
	Desk     itsm.ID `json:"desk"`
	Customer itsm.ID `json:"customer"`
	Definition
}

// Revised: an administrator of the desk defined a new version of the item;
// the version offered so far stays offered until the object owner agrees
// to the new one.
type Revised struct {
	By
	Number int `json:"number"`
	Definition
}

// Agreed: the object owner agreed to a version, which is offered from now
// on unless the item is withdrawn.
type Agreed struct {
	By
	Number int    `json:"number"`
	Note   string `json:"note,omitempty"`
}

// Withdrawn: the item may no longer be ordered; orders placed under it keep
// their version.
type Withdrawn struct {
	By
	Reason string `json:"reason"`
}

// Reinstated: a withdrawn item may be ordered again, at its newest agreed
// version.
type Reinstated struct{ By }

// Type returns "catalogue.defined".
func (Defined) Type() string { return "catalogue.defined" }

// Type returns "catalogue.revised".
func (Revised) Type() string { return "catalogue.revised" }

// Type returns "catalogue.agreed".
func (Agreed) Type() string { return "catalogue.agreed" }

// Type returns "catalogue.withdrawn".
func (Withdrawn) Type() string { return "catalogue.withdrawn" }

// Type returns "catalogue.reinstated".
func (Reinstated) Type() string { return "catalogue.reinstated" }

func (p Defined) apply(it *Item, at time.Time) {
	it.Desk, it.Customer = p.Desk, p.Customer
	it.Versions = []Version{{Number: 1, Definition: p.Definition.clone(), Defined: at, DefinedBy: p.By.By.Person}}
}

func (p Revised) apply(it *Item, at time.Time) {
	it.Versions = append(it.Versions, Version{Number: p.Number, Definition: p.Definition.clone(), Defined: at, DefinedBy: p.By.By.Person})
}

func (p Agreed) apply(it *Item, at time.Time) {
	if v, ok := it.At(p.Number); ok {
		v.Agreed = &Agreement{By: p.By.By.Person, At: at, Note: p.Note}
	}
}

func (p Withdrawn) apply(it *Item, at time.Time) { it.Withdrawn, it.Reason = at, p.Reason }

func (Reinstated) apply(it *Item, _ time.Time) { it.Withdrawn, it.Reason = time.Time{}, "" }

// codec turns catalogue payloads into events and back.
var codec = itsm.NewCodec[Payload](Kind, "a catalogue item",
	Defined{}, Revised{}, Agreed{}, Withdrawn{}, Reinstated{})

// Payloads returns a zero value of every payload type, for schema generation
// and documentation.
func Payloads() []Payload { return codec.Payloads() }

// Decode returns the payload of a catalogue event.
func Decode(e itsm.Event) (Payload, error) { return codec.Decode(e) }

// Replay rebuilds an item from its events, in log order: everything but
// Version, which is the store's. The first must be catalogue.defined, and
// only the first; all must have the same subject; a revision must be the
// next version and an agreement name one that exists.
func Replay(events []itsm.Event) (*Item, error) {
	if len(events) == 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "replay: no events")
	}
	it := &Item{ID: events[0].Subject}
	for i, e := range events {
		if e.Subject != it.ID {
			return nil, itsm.Errorf(itsm.CodeInvalid, "replay of catalogue item %s: event %d is about %s", it.ID, e.Seq, e.Subject)
		}
		p, err := Decode(e)
		if err != nil {
			return nil, err
		}
		if _, defined := p.(Defined); defined != (i == 0) {
			return nil, itsm.Errorf(itsm.CodeInvalid, "replay of catalogue item %s: event %d is %s; catalogue.defined must be the first event and only the first", it.ID, e.Seq, e.Type)
		}
		switch p := p.(type) {
		case Revised:
			if p.Number != len(it.Versions)+1 {
				return nil, itsm.Errorf(itsm.CodeInvalid, "replay of catalogue item %s: event %d revises to version %d after version %d", it.ID, e.Seq, p.Number, len(it.Versions))
			}
		case Agreed:
			if _, ok := it.At(p.Number); !ok {
				return nil, itsm.Errorf(itsm.CodeInvalid, "replay of catalogue item %s: event %d agrees to version %d, which it does not have", it.ID, e.Seq, p.Number)
			}
		}
		p.apply(it, e.Time.UTC())
	}
	return it, nil
}
