package itsm

import "time"

// Replay rebuilds v, a record of the codec's kind, from its events in log
// order: it sets *id to their subject and applies each decoded payload
// with apply (often a method expression, such as Payload.apply) at the
// event's time. The first event, and only the first, must be of type
// first, the one that creates the record, and all must be about one
// subject. It returns v, or the zero T when the events do not make a
// record. Incidents, groups, orders, tasks, problems, known errors and
// workarounds are rebuilt by it, so that what a valid history is is said
// once.
func Replay[T any, P Typed](codec *Codec[P], events []Event, first string, v T, id *ID, apply func(P, T, time.Time)) (T, error) {
	var zero T
	if len(events) == 0 {
		return zero, Errorf(CodeInvalid, "replay: no %s events", codec.kind)
	}
	*id = events[0].Subject
	for i, e := range events {
		if e.Subject != *id {
			return zero, Errorf(CodeInvalid, "replay of %s %s: event %d is about %s", codec.kind, *id, e.Seq, e.Subject)
		}
		if (e.Type == first) != (i == 0) {
			return zero, Errorf(CodeInvalid, "replay of %s %s: event %d is %s; %s must be the first event and only the first", codec.kind, *id, e.Seq, e.Type, first)
		}
		p, err := codec.Decode(e)
		if err != nil {
			return zero, err
		}
		apply(p, v, e.Time)
	}
	return v, nil
}
