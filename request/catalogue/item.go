package catalogue

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Kind is the record and event kind of catalogue items in an itsm.Store.
const Kind = "catalogue"

// Type is how orders of an item are fulfilled.
type Type string

// The types of order of the tender.
const (
	// TypeA is fulfilled in code with no manual step, such as a password
	// reset after control questions (RF-2). Its versions have no tasks and
	// no approval.
	TypeA Type = "A"
	// TypeB is handled by hand, usually after the object owner approved it,
	// such as an account in a business system (RF-3). Its versions have an
	// approval and at most one task.
	TypeB Type = "B"
	// TypeC has the desk coordinate two or more suppliers, such as a mobile
	// phone with its subscription and e-mail (RF-4). Its versions have two
	// or more tasks at two or more suppliers.
	TypeC Type = "C"
)

// Valid reports whether t is one of the Type constants.
func (t Type) Valid() bool { return t == TypeA || t == TypeB || t == TypeC }

// Text is a user text in the languages of the catalogue: Swedish and
// English always, Norwegian (bokmål) where the desk serves it.
type Text struct {
	SV string `json:"sv"`
	EN string `json:"en"`
	NB string `json:"nb,omitempty"`
}

// Task is one piece of work an order of the item produces, held along the
// support chain as incidents are.
type Task struct {
	// Key names the task within its version, so that After can refer to
	// it: 1 to 32 of a-z, 0-9, '_' and '-'.
	Key  string `json:"key"`
	Name Text   `json:"name"`
	// Supplier is the organisation that fulfils the task. A task of type B
	// may leave it zero: the desk handles it.
	Supplier itsm.ID `json:"supplier,omitzero"`
	// Group is the group of the supplier (of the desk, when Supplier is
	// zero) that takes the task, if one is named; it must be active when
	// the version is defined.
	Group itsm.ID `json:"group,omitzero"`
	// After names the tasks of the version that must be done before this
	// one starts.
	After []string `json:"after,omitempty"`
}

// ApprovalRule says how many of an order's approvers must approve it.
type ApprovalRule string

// The approval rules.
const (
	// ApproveAny: one approver's approval suffices.
	ApproveAny ApprovalRule = "any"
	// ApproveAll: every approver asked must approve.
	ApproveAll ApprovalRule = "all"
)

// Valid reports whether r is one of the ApprovalRule constants.
func (r ApprovalRule) Valid() bool { return r == ApproveAny || r == ApproveAll }

// Approval is how orders of a version are approved before they are
// fulfilled (RF-3).
type Approval struct {
	Rule ApprovalRule
	// Within is the working time the approvers have, more than zero and at
	// most MaxApprovalWithin.
	Within time.Duration
	// Remind is the working time after which the approvers are reminded;
	// zero means never. It is less than Within.
	Remind time.Duration
}

// approvalJSON is Approval as JSON: durations as Duration.String writes
// them, as every duration of spoc's JSON, rather than in nanoseconds.
type approvalJSON struct {
	Rule   ApprovalRule `json:"rule"`
	Within string       `json:"within"`
	Remind string       `json:"remind,omitempty"`
}

// MarshalJSON writes the durations as text, such as "16h0m0s".
func (a Approval) MarshalJSON() ([]byte, error) {
	j := approvalJSON{Rule: a.Rule, Within: a.Within.String()}
	if a.Remind != 0 {
		j.Remind = a.Remind.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (a *Approval) UnmarshalJSON(b []byte) error {
	var j approvalJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	within, err := time.ParseDuration(j.Within)
	if err != nil {
		return itsm.Errorf(itsm.CodeInvalid, "approval: within %q is not a duration such as 16h", itsm.Printable(j.Within, 40))
	}
	var remind time.Duration
	if j.Remind != "" {
		if remind, err = time.ParseDuration(j.Remind); err != nil {
			return itsm.Errorf(itsm.CodeInvalid, "approval: remind %q is not a duration such as 8h", itsm.Printable(j.Remind, 40))
		}
	}
	*a = Approval{Rule: j.Rule, Within: within, Remind: remind}
	return nil
}

// Definition is what the desk's administrators define or revise of an
// item: everything a version says.
type Definition struct {
	Name        Text `json:"name"`
	Description Text `json:"description"`
	// Service is the service the item belongs to, such as "E-mail".
	Service string `json:"service"`
	// Owner is the object owner: the person of the customer, by the stable
	// identity itsm.Actor.Person carries, who agrees to the version.
	Owner string `json:"owner"`
	Type  Type   `json:"type"`
	// Form is the JSON Schema (draft 2020-12) of the answers of an order,
	// an object schema. Empty means an order answers nothing.
	Form json.RawMessage `json:"form"`
	// Fulfiller names the host's code that carries out orders of an item
	// of type A (RF-2), such as "password-reset": the order service hands
	// each order to the fulfiller (and its secret answers to the verifier)
	// of that name, so that an item and the host's code meet by a name
	// both sides know rather than by an ID made when the item is defined.
	// Required for type A, refused for B and C.
	Fulfiller string    `json:"fulfiller,omitempty"`
	Tasks     []Task    `json:"tasks,omitempty"`
	Approval  *Approval `json:"approval,omitempty"`
	// Agreements name the agreements (SLA, UC) that orders of the version
	// are measured against.
	Agreements []string `json:"agreements,omitempty"`
}

// Version is one version of an item: a definition, who defined it, and the
// object owner's agreement to it, if given.
type Version struct {
	// Number counts the item's versions: 1, 2, 3 and so on.
	Number int `json:"number"`
	Definition
	Defined   time.Time `json:"defined"`
	DefinedBy string    `json:"defined_by"`
	// Agreed is nil until the object owner agreed to the version.
	Agreed *Agreement `json:"agreed,omitempty"`
}

// Agreement is the object owner's agreement to a version.
type Agreement struct {
	// By is the owner, as itsm.Actor.Person, and At when they agreed.
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// Item is one thing users can order from the catalogue: every version of
// it, and whether it is withdrawn.
type Item struct {
	ID itsm.ID `json:"id"`
	// Desk is the desk that offers the item and Customer the customer it
	// is offered to; neither changes.
	Desk     itsm.ID `json:"desk"`
	Customer itsm.ID `json:"customer"`
	// Versions are every version, oldest first, Versions[i].Number == i+1.
	Versions []Version `json:"versions"`
	// Withdrawn is when the item was withdrawn from the catalogue, zero
	// while it is not; Reason says why.
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	// Version is the store's version of the record, which commands check
	// (IfVersion); it is not part of the item's JSON.
	Version int64 `json:"-"`
}

// Offered returns the version that may be ordered now: the newest version
// the object owner agreed to, unless the item is withdrawn.
func (it *Item) Offered() (*Version, bool) {
	if !it.Withdrawn.IsZero() {
		return nil, false
	}
	return it.agreed()
}

// agreed returns the newest agreed version, withdrawn or not.
func (it *Item) agreed() (*Version, bool) {
	for i := len(it.Versions) - 1; i >= 0; i-- {
		if it.Versions[i].Agreed != nil {
			return &it.Versions[i], true
		}
	}
	return nil, false
}

// At returns version n, which stays readable for as long as the item
// exists, so that an order placed under it keeps what it was placed under.
func (it *Item) At(n int) (*Version, bool) {
	if n < 1 || n > len(it.Versions) {
		return nil, false
	}
	return &it.Versions[n-1], true
}

// latest returns the newest version, agreed or not.
func (it *Item) latest() *Version { return &it.Versions[len(it.Versions)-1] }

// Clone returns a deep copy of it.
func (it *Item) Clone() *Item {
	c := *it
	c.Versions = make([]Version, len(it.Versions))
	for i, v := range it.Versions {
		c.Versions[i] = v.clone()
	}
	return &c
}

func (v Version) clone() Version {
	v.Definition = v.Definition.clone()
	if v.Agreed != nil {
		a := *v.Agreed
		v.Agreed = &a
	}
	return v
}

func (d Definition) clone() Definition {
	d.Form = slices.Clone(d.Form)
	d.Tasks = slices.Clone(d.Tasks)
	for i := range d.Tasks {
		d.Tasks[i].After = slices.Clone(d.Tasks[i].After)
	}
	if d.Approval != nil {
		a := *d.Approval
		d.Approval = &a
	}
	d.Agreements = slices.Clone(d.Agreements)
	return d
}

// suppliers returns the suppliers the tasks of any version name, sorted,
// each once.
func (it *Item) suppliers() []itsm.ID {
	var out []itsm.ID
	for _, v := range it.Versions {
		out = append(out, v.suppliers()...)
	}
	slices.SortFunc(out, func(a, b itsm.ID) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(out)
}

// suppliers returns the suppliers v's tasks name, in task order, with
// repeats.
func (d *Definition) suppliers() []itsm.ID {
	var out []itsm.ID
	for _, t := range d.Tasks {
		if !t.Supplier.IsZero() {
			out = append(out, t.Supplier)
		}
	}
	return out
}

// owns reports whether person is the object owner named in some version.
func (it *Item) owns(person string) bool {
	return slices.ContainsFunc(it.Versions, func(v Version) bool { return v.Owner == person })
}
