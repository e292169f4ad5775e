package followup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Payload is the data of one follow-up event: what happened, to which
// version, and who did it.
type Payload interface {
	// Type is the event type, such as "followup.approved".
	Type() string
	// Actor is who caused the change.
	Actor() itsm.Actor
	apply(f *FollowUp, at time.Time)
}

// By is the actor of an event, embedded in every payload.
type By = itsm.By

// Drafted: an agent of the desk drafted the first version of a customer's
// month. It is the first event of every follow-up.
type Drafted struct {
	By
	Version  int           `json:"version"`
	Customer itsm.ID       `json:"customer"`
	Desk     itsm.ID       `json:"desk"`
	Month    string        `json:"month"`
	Period   report.Period `json:"period"`
	Zone     string        `json:"zone"`
	Digest   string        `json:"digest"`
}

// Redrafted: the desk computed a drafted or rejected version's report again
// and replaced the draft.
type Redrafted struct {
	By
	Version int    `json:"version"`
	Digest  string `json:"digest"`
}

// Approved: the customer approved the draft with Digest; from now on the
// version's report never changes.
type Approved struct {
	By
	Version int    `json:"version"`
	Digest  string `json:"digest"`
	Comment string `json:"comment,omitempty"`
}

// Rejected: the customer sent the draft with Digest back to the desk.
type Rejected struct {
	By
	Version int    `json:"version"`
	Digest  string `json:"digest"`
	Comment string `json:"comment"`
}

// Corrected: the desk started Version, the next after an approved one, as a
// new draft computed for Reason; the approved version stays as it was.
type Corrected struct {
	By
	Version int    `json:"version"`
	Reason  string `json:"reason"`
	Digest  string `json:"digest"`
}

// Type returns "followup.drafted".
func (Drafted) Type() string { return "followup.drafted" }

// Type returns "followup.redrafted".
func (Redrafted) Type() string { return "followup.redrafted" }

// Type returns "followup.approved".
func (Approved) Type() string { return "followup.approved" }

// Type returns "followup.rejected".
func (Rejected) Type() string { return "followup.rejected" }

// Type returns "followup.corrected".
func (Corrected) Type() string { return "followup.corrected" }

// Payloads returns a zero value of every payload type, in workflow order, for
// schema generation and documentation.
func Payloads() []Payload { return codec.Payloads() }

func (p Drafted) apply(f *FollowUp, at time.Time) {
	f.Customer, f.Desk, f.Month, f.Period, f.Zone = p.Customer, p.Desk, p.Month, p.Period, p.Zone
	f.Created, f.Changed, f.State = at, at, StateDrafted
	f.Versions = []Version{{Number: p.Version, State: StateDrafted, Digest: p.Digest,
		Drafts: []Draft{{By: p.By.By, At: at, Digest: p.Digest}}}}
}

func (p Redrafted) apply(f *FollowUp, at time.Time) {
	v := f.Current()
	// The commit sets the new bytes; none of the old ones may survive.
	v.Report, v.Digest, v.State = nil, p.Digest, StateDrafted
	v.Drafts = append(v.Drafts, Draft{By: p.By.By, At: at, Digest: p.Digest})
	f.Changed, f.State = at, StateDrafted
}

func (p Approved) apply(f *FollowUp, at time.Time) {
	v := f.Current()
	v.State = StateApproved
	v.Approval = &Review{By: p.By.By, At: at, Comment: p.Comment, Digest: p.Digest}
	f.Changed, f.State = at, StateApproved
}

func (p Rejected) apply(f *FollowUp, at time.Time) {
	v := f.Current()
	v.State = StateRejected
	v.Rejections = append(v.Rejections, Review{By: p.By.By, At: at, Comment: p.Comment, Digest: p.Digest})
	f.Changed, f.State = at, StateRejected
}

func (p Corrected) apply(f *FollowUp, at time.Time) {
	f.Versions = append(f.Versions, Version{Number: p.Version, State: StateDrafted, Reason: p.Reason, Digest: p.Digest,
		Drafts: []Draft{{By: p.By.By, At: at, Digest: p.Digest}}})
	f.Changed, f.State = at, StateDrafted
}

// event wraps a payload applied to f at at as an itsm.Event.
func event(f *FollowUp, p Payload, at time.Time) (itsm.Event, error) {
	return codec.Encode(f.ID, p, at)
}

// codec turns follow-up payloads into events and back.
var codec = itsm.NewCodec[Payload](Kind, "a follow-up",
	Drafted{}, Redrafted{}, Approved{}, Rejected{}, Corrected{})

// Decode returns the payload of a follow-up event.
func Decode(e itsm.Event) (Payload, error) { return codec.Decode(e) }

// Replay rebuilds a follow-up from its events, in log order: everything but
// the report bytes, which the events name by digest only (Version.Report
// stays nil). The first event must be followup.drafted, all must have the
// same subject, and each must be one the workflow allows at that point, so
// that a log with a lost or foreign event does not replay.
func Replay(events []itsm.Event) (*FollowUp, error) {
	if len(events) == 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "replay: no events")
	}
	if events[0].Type != (Drafted{}).Type() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "replay: the first event %d is %s, not followup.drafted", events[0].Seq, events[0].Type)
	}
	f := &FollowUp{ID: events[0].Subject}
	for i, e := range events {
		if e.Subject != f.ID {
			return nil, itsm.Errorf(itsm.CodeInvalid, "replay of %s: event %d is about %s", f.ID, e.Seq, e.Subject)
		}
		p, err := Decode(e)
		if err != nil {
			return nil, err
		}
		if why := replayable(f, p, i); why != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "replay of %s: event %d (%s): %v", f.ID, e.Seq, e.Type, why)
		}
		p.apply(f, e.Time.UTC())
	}
	return f, nil
}

// replayable checks that p may follow the events that built f, the i-th
// of the log, and otherwise says why not; Replay gives the reason its code
// and says which event it is about.
func replayable(f *FollowUp, p Payload, i int) error {
	if _, first := p.(Drafted); first != (i == 0) {
		return errors.New("followup.drafted must be the first event and only the first")
	}
	if i == 0 {
		if d := p.(Drafted); d.Version != 1 {
			return fmt.Errorf("the first draft is version %d, not 1", d.Version)
		}
		return nil
	}
	cur := f.Current()
	var version int
	var ok bool
	switch p := p.(type) {
	case Redrafted:
		version, ok = p.Version, cur.State != StateApproved
	case Approved:
		version, ok = p.Version, cur.State == StateDrafted && p.Digest == cur.Digest
	case Rejected:
		version, ok = p.Version, cur.State == StateDrafted && p.Digest == cur.Digest
	case Corrected:
		version, ok = p.Version-1, cur.State == StateApproved
	}
	if version != cur.Number {
		return fmt.Errorf("it names version %d, the follow-up is at version %d", version, cur.Number)
	}
	if !ok {
		return fmt.Errorf("version %d is %s with digest %s, which does not allow it", cur.Number, cur.State, cur.Digest)
	}
	return nil
}

// Verify checks a stored follow-up against its events in log order: the
// follow-up must be what Replay of the events gives, and each version's
// report bytes must have the digest that the events recorded. So a report
// changed in the store after it was approved, or an event missing from the
// log, is found. It returns nil or an error with CodeInvalid naming the first
// difference.
func Verify(f *FollowUp, events []itsm.Event) error {
	replayed, err := Replay(events)
	if err != nil {
		return err
	}
	for _, v := range f.Versions {
		if got := Digest(v.Report); got != v.Digest {
			return itsm.Errorf(itsm.CodeInvalid, "follow-up %s version %d: the report's digest is %s, the version records %s", f.ID, v.Number, got, v.Digest)
		}
	}
	stored := f.Clone()
	for i := range stored.Versions {
		stored.Versions[i].Report = nil
	}
	// Compared as JSON, which is how both were written, so that times read
	// back from the store and from the log compare as instants.
	a, errA := json.Marshal(stored)
	b, errB := json.Marshal(replayed)
	if errA != nil || errB != nil {
		return itsm.Errorf(itsm.CodeInternal, "verify %s: encode: %v %v", f.ID, errA, errB)
	}
	if !bytes.Equal(a, b) {
		return itsm.Errorf(itsm.CodeInvalid, "follow-up %s differs from the replay of its %d events:\n stored:   %s\n replayed: %s", f.ID, len(events), a, b)
	}
	return nil
}
