package authority

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Record and event kinds in an itsm.Store.
const (
	// GrantKind is the kind of grant records and of the events about them.
	GrantKind = "authority.grant"
	// AbsenceKind is the kind of absence records and of the events about
	// them.
	AbsenceKind = "authority.absence"
)

// Payload is the data of one event of the lists: what changed, and who
// changed it. Each event says whole what it records, so that an event
// read alone (a webhook, an audit line) can be understood, and Replay is a
// plain fold.
type Payload interface {
	// Type is the event type, such as "authority.granted".
	Type() string
	// Actor is who made the change.
	Actor() itsm.Actor
}

// Granted: a customer's administrator put a person on the lists. Its data
// is the grant as recorded.
type Granted struct{ Grant }

// Ended: a grant was shortened, or withdrawn before it began. Its data is
// the ending.
type Ended struct{ Ending }

// Absent: an approver is away on some days, and a stand-in approves in
// their place. Its data is the absence as recorded.
type Absent struct{ Absence }

// Type returns "authority.granted".
func (Granted) Type() string { return "authority.granted" }

// Type returns "authority.ended".
func (Ended) Type() string { return "authority.ended" }

// Type returns "authority.absent".
func (Absent) Type() string { return "authority.absent" }

// Actor returns who recorded the grant.
func (p Granted) Actor() itsm.Actor { return p.GrantedBy }

// Actor returns who ended the grant.
func (p Ended) Actor() itsm.Actor { return p.By }

// Actor returns who recorded the absence.
func (p Absent) Actor() itsm.Actor { return p.RecordedBy }

var (
	grantCodec   = itsm.NewCodec[Payload](GrantKind, "a grant", Granted{}, Ended{})
	absenceCodec = itsm.NewCodec[Payload](AbsenceKind, "an absence", Absent{})
)

// Payloads returns a zero value of every payload type, for schema
// generation and documentation.
func Payloads() []Payload { return append(grantCodec.Payloads(), absenceCodec.Payloads()...) }

// Decode returns the payload of an event of the lists.
func Decode(e itsm.Event) (Payload, error) {
	if e.Kind == AbsenceKind {
		return absenceCodec.Decode(e)
	}
	return grantCodec.Decode(e)
}

// Replay rebuilds a grant from its events, in log order: everything but
// Version, which is the store's. The first must be authority.granted, and
// only the first; all must be about the same grant.
func Replay(events []itsm.Event) (*Grant, error) {
	if len(events) == 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "replay: no events")
	}
	var g *Grant
	for i, e := range events {
		if e.Subject != events[0].Subject {
			return nil, itsm.Errorf(itsm.CodeInvalid, "replay of grant %s: event %d is about %s", events[0].Subject, e.Seq, e.Subject)
		}
		p, err := grantCodec.Decode(e)
		if err != nil {
			return nil, err
		}
		switch p := p.(type) {
		case Granted:
			if i != 0 {
				return nil, itsm.Errorf(itsm.CodeInvalid, "replay of grant %s: event %d is a second authority.granted", e.Subject, e.Seq)
			}
			g = granted(e.Subject, p, e.Time)
		case Ended:
			if i == 0 {
				return nil, itsm.Errorf(itsm.CodeInvalid, "replay of grant %s: event %d is %s; authority.granted must come first", e.Subject, e.Seq, e.Type)
			}
			g = ended(g, p.Ending, e.Time)
		}
	}
	return g, nil
}

// ReplayAbsence rebuilds an absence from its one event.
func ReplayAbsence(events []itsm.Event) (*Absence, error) {
	if len(events) != 1 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "replay of an absence: %d events; an absence has exactly one", len(events))
	}
	p, err := absenceCodec.Decode(events[0])
	if err != nil {
		return nil, err
	}
	a := p.(Absent).Absence
	a.ID, a.Recorded, a.Version = events[0].Subject, events[0].Time.UTC(), 0
	return &a, nil
}

// granted is the grant an authority.granted event about id at at makes.
func granted(id itsm.ID, p Granted, at time.Time) *Grant {
	g := p.Grant
	g.ID, g.Granted, g.Ended, g.Version = id, at.UTC(), nil, 0
	return &g
}

// ended is g after the ending e recorded at at.
func ended(g *Grant, e Ending, at time.Time) *Grant {
	next := *g
	e.At = at.UTC()
	next.Until, next.Ended = e.Until, append(slices.Clone(g.Ended), e)
	return &next
}
