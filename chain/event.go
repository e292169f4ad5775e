package chain

import (
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Payload is the data of one group event: what changed, and who changed it.
// Each carries the new value whole rather than a difference, so that an
// event read alone (a webhook, an audit line) says what the group is now,
// and Replay is a plain fold.
type Payload interface {
	// Type is the event type, such as "group.renamed".
	Type() string
	// Actor is who made the change.
	Actor() itsm.Actor
	apply(g *Group, at time.Time)
}

// By is the actor of an event, embedded in every payload.
type By = itsm.By

// Created: an administrator created the group, active.
type Created struct {
	By
	Organisation itsm.ID  `json:"organisation"`
	Name         string   `json:"name"`
	Members      []string `json:"members"`
	Email        string   `json:"email,omitempty"`
}

// Renamed: the group got a new name; tickets name it by ID and keep it.
type Renamed struct {
	By
	Name string `json:"name"`
}

// MembersChanged: the group's members are now these.
type MembersChanged struct {
	By
	Members []string `json:"members"`
}

// EmailChanged: notifications to the group go to this address now, or
// nowhere when it is empty.
type EmailChanged struct {
	By
	Email string `json:"email"`
}

// Deactivated: the group takes no new tickets; it keeps its history.
type Deactivated struct{ By }

// Activated: a deactivated group takes tickets again.
type Activated struct{ By }

// Type returns "group.created".
func (Created) Type() string { return "group.created" }

// Type returns "group.renamed".
func (Renamed) Type() string { return "group.renamed" }

// Type returns "group.members_changed".
func (MembersChanged) Type() string { return "group.members_changed" }

// Type returns "group.email_changed".
func (EmailChanged) Type() string { return "group.email_changed" }

// Type returns "group.deactivated".
func (Deactivated) Type() string { return "group.deactivated" }

// Type returns "group.activated".
func (Activated) Type() string { return "group.activated" }

// Payloads returns a zero value of every payload type, for schema generation
// and documentation.
func Payloads() []Payload { return codec.Payloads() }

func (p Created) apply(g *Group, at time.Time) {
	g.Organisation, g.Name, g.Members, g.Email = p.Organisation, p.Name, slices.Clone(p.Members), p.Email
	g.Active, g.Created, g.Changed = true, at, at
}

func (p Renamed) apply(g *Group, at time.Time) { g.Name, g.Changed = p.Name, at }

func (p MembersChanged) apply(g *Group, at time.Time) {
	g.Members, g.Changed = slices.Clone(p.Members), at
}

func (p EmailChanged) apply(g *Group, at time.Time) { g.Email, g.Changed = p.Email, at }

func (Deactivated) apply(g *Group, at time.Time) { g.Active, g.Changed = false, at }

func (Activated) apply(g *Group, at time.Time) { g.Active, g.Changed = true, at }

// codec turns group payloads into events and back.
var codec = itsm.NewCodec[Payload](Kind, "a group",
	Created{}, Renamed{}, MembersChanged{}, EmailChanged{}, Deactivated{}, Activated{})

// Decode returns the payload of a group event.
func Decode(e itsm.Event) (Payload, error) { return codec.Decode(e) }

// Replay rebuilds a group from its events, in log order: everything but
// Version, which is the store's. The first must be group.created, and only
// the first; all must have the same subject.
func Replay(events []itsm.Event) (*Group, error) {
	g := new(Group)
	return itsm.Replay(codec, events, Created{}.Type(), g, &g.ID, func(p Payload, g *Group, at time.Time) { p.apply(g, at.UTC()) })
}
