package cmdb

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// ChangePayload is the data of one event of a change. Every change to a
// change is one ChangePayload applied to it, so that a change is the fold
// of its events (ReplayChange).
type ChangePayload interface {
	Type() string
	Actor() itsm.Actor
	apply(ch *Change, at time.Time)
}

// ChangeCreated: a change was registered as a draft, by the desk or by
// the supplier that carries it out. It is the first event of every
// change.
type ChangeCreated struct {
	By
	Number   itsm.Number  `json:"number"`
	Desk     itsm.ID      `json:"desk"`
	Supplier itsm.ID      `json:"supplier,omitzero"`
	Kind     ChangeKind   `json:"kind"`
	Incident itsm.ID      `json:"incident,omitzero"`
	Title    string       `json:"title"`
	Window   Window       `json:"window"`
	Items    []itsm.ID    `json:"items"`
	Effect   ChangeEffect `json:"effect"`
	Texts    Texts        `json:"texts"`
}

// ChangeEdited: the change's title, supplier, window, items, effect and
// texts are now these, all of them; Changed names those that changed.
// Unapproved says that the edit changed what users are told of an
// approved change, which is a draft again until approved again.
type ChangeEdited struct {
	By
	Title      string       `json:"title"`
	Supplier   itsm.ID      `json:"supplier,omitzero"`
	Window     Window       `json:"window"`
	Items      []itsm.ID    `json:"items"`
	Effect     ChangeEffect `json:"effect"`
	Texts      Texts        `json:"texts"`
	Changed    []string     `json:"changed"`
	Unapproved bool         `json:"unapproved,omitempty"`
}

// ChangeApproved: the object owner agreed, at ApprovedAt, that users be
// told of the change; the actor recorded it.
type ChangeApproved struct {
	By
	ObjectOwner string    `json:"object_owner"`
	ApprovedAt  time.Time `json:"approved_at"`
}

// ChangeStarted: the work began.
type ChangeStarted struct {
	By
}

// ChangeCompleted: the work is over, with a note of how it went.
type ChangeCompleted struct {
	By
	Note string `json:"note,omitempty"`
}

// ChangeCancelled: the change will not happen, for Reason.
type ChangeCancelled struct {
	By
	Reason string `json:"reason"`
}

// Type returns "cmdb.change.created".
func (ChangeCreated) Type() string { return "cmdb.change.created" }

// Type returns "cmdb.change.edited".
func (ChangeEdited) Type() string { return "cmdb.change.edited" }

// Type returns "cmdb.change.approved".
func (ChangeApproved) Type() string { return "cmdb.change.approved" }

// Type returns "cmdb.change.started".
func (ChangeStarted) Type() string { return "cmdb.change.started" }

// Type returns "cmdb.change.completed".
func (ChangeCompleted) Type() string { return "cmdb.change.completed" }

// Type returns "cmdb.change.cancelled".
func (ChangeCancelled) Type() string { return "cmdb.change.cancelled" }

func (e ChangeCreated) apply(ch *Change, at time.Time) {
	ch.Number, ch.Desk, ch.Supplier, ch.Kind, ch.Incident = e.Number, e.Desk, e.Supplier, e.Kind, e.Incident
	ch.Title, ch.Window, ch.Items, ch.Effect, ch.Texts = e.Title, e.Window, slices.Clone(e.Items), e.Effect, e.Texts
	ch.State, ch.Created, ch.Updated = ChangeStateDraft, at, at
}

func (e ChangeEdited) apply(ch *Change, at time.Time) {
	ch.Title, ch.Supplier, ch.Window, ch.Items, ch.Effect, ch.Texts = e.Title, e.Supplier, e.Window, slices.Clone(e.Items), e.Effect, e.Texts
	if e.Unapproved {
		ch.State, ch.Approval = ChangeStateDraft, nil
	}
	ch.Updated = at
}

func (e ChangeApproved) apply(ch *Change, at time.Time) {
	ch.State, ch.Approval, ch.Updated = ChangeStateApproved, &Approval{ObjectOwner: e.ObjectOwner, At: e.ApprovedAt, By: e.By.By}, at
}

func (e ChangeStarted) apply(ch *Change, at time.Time) {
	ch.State, ch.Started, ch.Updated = ChangeStateInProgress, at, at
}

func (e ChangeCompleted) apply(ch *Change, at time.Time) {
	ch.State, ch.Completed, ch.Note, ch.Updated = ChangeStateCompleted, at, e.Note, at
}

func (e ChangeCancelled) apply(ch *Change, at time.Time) {
	ch.State, ch.Reason, ch.Updated = ChangeStateCancelled, e.Reason, at
}

// changeCodec is the codec of change events.
var changeCodec = itsm.NewCodec[ChangePayload](KindChange, "a change",
	ChangeCreated{}, ChangeEdited{}, ChangeApproved{}, ChangeStarted{}, ChangeCompleted{}, ChangeCancelled{})

// ChangePayloads returns one of each change payload type, for schemas and
// documentation.
func ChangePayloads() []ChangePayload { return changeCodec.Payloads() }

// DecodeChange returns the payload of a change event.
func DecodeChange(e itsm.Event) (ChangePayload, error) { return changeCodec.Decode(e) }

// ReplayChange rebuilds a change from its events, in log order:
// everything but Version, the store's. The first must be
// cmdb.change.created, and only the first.
func ReplayChange(events []itsm.Event) (*Change, error) {
	ch := new(Change)
	return itsm.Replay(changeCodec, events, ChangeCreated{}.Type(), ch, &ch.ID, func(p ChangePayload, ch *Change, at time.Time) {
		p.apply(ch, at.UTC())
	})
}
