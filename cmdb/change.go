package cmdb

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// The record kind of planned changes and outages, and the prefix of their
// numbers.
const (
	// KindChange is the kind of change records and of their events.
	KindChange = "cmdb.change"
	// ChangeNumberPrefix begins every change's number, as in CHG0000042.
	ChangeNumberPrefix = "CHG"
)

// ChangeKind says whether a change was planned or is an outage nobody
// planned, such as one a major incident causes.
type ChangeKind string

// The kinds of changes.
const (
	ChangePlanned   ChangeKind = "planned"
	ChangeUnplanned ChangeKind = "unplanned"
)

// Valid reports whether k is one of the ChangeKind constants.
func (k ChangeKind) Valid() bool { return k == ChangePlanned || k == ChangeUnplanned }

// ChangeState is where a change is: a draft; approved, when the object
// owner has agreed that users be told of it; in progress; and, final,
// completed or cancelled.
type ChangeState string

// The states of a change.
const (
	ChangeStateDraft      ChangeState = "draft"
	ChangeStateApproved   ChangeState = "approved"
	ChangeStateInProgress ChangeState = "in_progress"
	ChangeStateCompleted  ChangeState = "completed"
	ChangeStateCancelled  ChangeState = "cancelled"
)

// Valid reports whether s is one of the ChangeState constants.
func (s ChangeState) Valid() bool {
	switch s {
	case ChangeStateDraft, ChangeStateApproved, ChangeStateInProgress, ChangeStateCompleted, ChangeStateCancelled:
		return true
	}
	return false
}

// Final reports whether a change in state s changes no more.
func (s ChangeState) Final() bool { return s == ChangeStateCompleted || s == ChangeStateCancelled }

// ChangeEffect is what a change is expected to do to the items it
// touches while it runs.
type ChangeEffect string

// The effects of a change: none, degraded service, or an outage (the
// items down).
const (
	ChangeEffectNone     ChangeEffect = "none"
	ChangeEffectDegraded ChangeEffect = "degraded"
	ChangeEffectOutage   ChangeEffect = "outage"
)

// Valid reports whether e is one of the ChangeEffect constants.
func (e ChangeEffect) Valid() bool {
	return e == ChangeEffectNone || e == ChangeEffectDegraded || e == ChangeEffectOutage
}

// Language is a language of the texts users read.
type Language string

// The languages of texts for users: Swedish, English, and Norwegian
// Bokmål and Nynorsk.
const (
	Swedish Language = "sv"
	English Language = "en"
	Bokmal  Language = "nb"
	Nynorsk Language = "nn"
)

// Texts are what users are told of a change, in their languages: Swedish
// always, the others when given.
type Texts struct {
	SV string `json:"sv"`
	EN string `json:"en,omitempty"`
	NB string `json:"nb,omitempty"`
	NN string `json:"nn,omitempty"`
}

// MaxUserText is the longest text for users in one language, in bytes.
const MaxUserText = 2000

// In returns the text for readers of language l: in l when given; else,
// for a Norwegian reader, the other Norwegian; else Swedish, which
// Norwegians read and every change has.
func (t Texts) In(l Language) string {
	switch {
	case l == English && t.EN != "":
		return t.EN
	case l == Nynorsk && t.NN != "":
		return t.NN
	case (l == Bokmal || l == Nynorsk) && t.NB != "":
		return t.NB
	case l == Bokmal && t.NN != "":
		return t.NN
	}
	return t.SV
}

// check trims the texts in place and checks them: Swedish is required.
func (t *Texts) check() error {
	if err := itsm.TrimText("text for users in Swedish (sv)", &t.SV, true, MaxUserText); err != nil {
		return err
	}
	for _, x := range []struct {
		name string
		v    *string
	}{{"text for users in English (en)", &t.EN}, {"text for users in Bokmål (nb)", &t.NB}, {"text for users in Nynorsk (nn)", &t.NN}} {
		if err := itsm.TrimText(x.name, x.v, false, MaxUserText); err != nil {
			return err
		}
	}
	return nil
}

// Approval is the object owner's agreement that users be told of a
// change (CH-1), as an agent recorded it.
type Approval struct {
	// ObjectOwner is the customer's person who owns what the change
	// touches, and agreed.
	ObjectOwner string `json:"object_owner"`
	// At is when the owner agreed.
	At time.Time `json:"at"`
	// By is the agent who recorded it.
	By itsm.Actor `json:"by"`
}

// Change is a planned change, or an unplanned outage, of items of a
// desk's CMDB (CH-1).
type Change struct {
	ID     itsm.ID     `json:"id"`
	Number itsm.Number `json:"number"`
	// Desk is the desk whose CMDB holds the items.
	Desk itsm.ID `json:"desk"`
	// Supplier is the supplier that carries the change out and informs
	// the desk of it; zero means the desk itself.
	Supplier itsm.ID    `json:"supplier,omitzero"`
	Kind     ChangeKind `json:"kind"`
	// Incident is the major incident an unplanned outage comes from.
	Incident itsm.ID `json:"incident,omitzero"`
	Title    string  `json:"title"`
	Window   Window  `json:"window"`
	// Items are the items the change touches, in ID order.
	Items  []itsm.ID    `json:"items"`
	Effect ChangeEffect `json:"effect"`
	Texts  Texts        `json:"texts"`
	State  ChangeState  `json:"state"`
	// Approval is set when the change is approved, and stays.
	Approval *Approval `json:"approval,omitempty"`
	// Started and Completed are when the change was started and
	// completed.
	Started   time.Time `json:"started,omitzero"`
	Completed time.Time `json:"completed,omitzero"`
	// Note is what the completion said, such as that the change was
	// rolled back.
	Note string `json:"note,omitempty"`
	// Reason is why the change was cancelled.
	Reason  string    `json:"reason,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Version is the record's version, for Service.IfVersion.
	Version int64 `json:"version"`
}

// Responsible returns the organisation that carries the change out: its
// supplier, or its desk.
func (ch *Change) Responsible() itsm.ID {
	if ch.Supplier.IsZero() {
		return ch.Desk
	}
	return ch.Supplier
}

// informs reports whether users are told of the change: approved or in
// progress, with an effect they notice.
func (ch *Change) informs() bool {
	return (ch.State == ChangeStateApproved || ch.State == ChangeStateInProgress) && ch.Effect != ChangeEffectNone
}

// Index names of change records, each value "desk value" so that one
// desk's changes are a range.
const (
	indexChangeStart = "start" // the window's start, itsm.IndexTime
	indexChangeState = "state"
)

// record returns ch as stored.
func (ch *Change) record(*Model) (itsm.Record, error) {
	c := *ch
	c.Version = 0
	body, err := json.Marshal(&c)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode change %s", ch.Number)
	}
	return itsm.Record{Kind: KindChange, ID: ch.ID, Body: body, Unique: map[string]string{IndexNumber: ch.Number.String()},
		Index: map[string][]string{
			IndexDesk:        {ch.Desk.String()},
			indexChangeStart: {deskValue(ch.Desk, itsm.IndexTime(ch.Window.Start))},
			indexChangeState: {deskValue(ch.Desk, string(ch.State))},
		}}, nil
}

// loadChange reads a change record.
func loadChange(tx itsm.ReadTx, id itsm.ID) (*Change, error) {
	ch, v, err := itsm.LoadRecord[Change](tx, KindChange, id, "change")
	if err == nil {
		ch.Version = v
	}
	return ch, err
}

// MaxChangeItems is the most items one change touches.
const MaxChangeItems = 200

// checkItemIDs checks the shape of a change's items and returns them in
// ID order: at least one, none twice, none zero.
func checkItemIDs(ids []itsm.ID) ([]itsm.ID, error) {
	switch {
	case len(ids) == 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "a change touches at least one item")
	case len(ids) > MaxChangeItems:
		return nil, itsm.Errorf(itsm.CodeInvalid, "%d items, more than %d", len(ids), MaxChangeItems)
	}
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b itsm.ID) int { return bytes.Compare(a[:], b[:]) })
	for i, id := range out {
		switch {
		case id.IsZero():
			return nil, itsm.Errorf(itsm.CodeInvalid, "item ID is zero")
		case i > 0 && id == out[i-1]:
			return nil, itsm.Errorf(itsm.CodeInvalid, "item %s is given twice", id)
		}
	}
	return out, nil
}
