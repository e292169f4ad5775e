package itsm

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Typed is an event payload that names its event type, such as
// "incident.delegated". Each domain's payload interface embeds it.
type Typed interface {
	Type() string
}

// Codec turns one domain's payloads into events of the log and back: the
// plumbing that incidents, groups and follow-ups share, so that each domain
// declares only its payload types. P is the domain's payload interface.
type Codec[P Typed] struct {
	kind, noun string
	payloads   []P
	types      map[string]reflect.Type
}

// NewCodec returns the codec of the events of kind, one of each payload
// type given (their zero values serve). noun names the subject in errors,
// with its article ("an incident"). Two payloads of one type, or a payload
// that is not a struct, are a programming error and panic.
func NewCodec[P Typed](kind, noun string, payloads ...P) *Codec[P] {
	c := &Codec[P]{kind: kind, noun: noun, payloads: payloads, types: make(map[string]reflect.Type, len(payloads))}
	for _, p := range payloads {
		t := reflect.TypeOf(p)
		if t == nil || t.Kind() != reflect.Struct {
			panic(fmt.Sprintf("itsm: codec of %s: payload %T is not a struct", kind, p))
		}
		if _, dup := c.types[p.Type()]; dup {
			panic(fmt.Sprintf("itsm: codec of %s: two payloads of type %s", kind, p.Type()))
		}
		c.types[p.Type()] = t
	}
	return c
}

// Kind is the record kind the codec's events are about.
func (c *Codec[P]) Kind() string { return c.kind }

// Payloads returns one of each payload type, in the order given to
// NewCodec, for schemas and documentation.
func (c *Codec[P]) Payloads() []P { return append([]P(nil), c.payloads...) }

// Encode returns p as the event about subject at the instant at, ready to
// append to the log.
func (c *Codec[P]) Encode(subject ID, p P, at time.Time) (Event, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return Event{}, Wrap(CodeInternal, err, "encode %s", p.Type())
	}
	return Event{Type: p.Type(), Kind: c.kind, Subject: subject, Time: at, Data: data}, nil
}

// Decode returns the payload of e, refusing an event of another kind or an
// unknown type as invalid.
func (c *Codec[P]) Decode(e Event) (P, error) {
	var zero P
	if e.Kind != c.kind {
		return zero, Errorf(CodeInvalid, "event %d is about a %q, not %s", e.Seq, e.Kind, c.noun)
	}
	t, ok := c.types[e.Type]
	if !ok {
		return zero, Errorf(CodeInvalid, "event %d: unknown %s event type %q", e.Seq, c.kind, e.Type)
	}
	v := reflect.New(t)
	if err := json.Unmarshal(e.Data, v.Interface()); err != nil {
		return zero, Wrap(CodeInvalid, err, "event %d (%s)", e.Seq, e.Type)
	}
	return v.Elem().Interface().(P), nil
}
