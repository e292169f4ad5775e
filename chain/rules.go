package chain

import (
	"context"
	"fmt"

	"github.com/spoc-itsm/spoc/itsm"
)

// Command is one command on a ticket held along the chain, as the rules of
// the chain see it: what it is called, which ticket it is on, and who gives
// it. Every kind of ticket (incidents, request tasks, problem
// investigations) decides who may delegate, accept, reject, recall, assign
// and report back with its methods, so that the rules and their refusals
// are written once; each kind adds only the states it allows.
type Command struct {
	// Name is the command as a refusal says it: "delegate", "accept".
	Name string
	// Kind names the kind of ticket in refusals: "incident", "task".
	Kind string
	// Number, State and Desk are the ticket's master number, its state and
	// the desk that owns it; Custody is who holds it.
	Number  itsm.Number
	State   itsm.State
	Desk    itsm.ID
	Custody *Custody
	// Actor gives the command for Org, the organisation it acts for.
	Actor itsm.Actor
	Org   itsm.Organisation
}

// Refuse builds the error of a command the rules forbid, naming the
// ticket, its state and the actor, so that whoever reads it knows what was
// refused to whom.
func (c Command) Refuse(code itsm.Code, why string, args ...any) error {
	return itsm.Errorf(code, "cannot %s %s (state %s) as %q of %s %s: %s",
		c.Name, c.Number, c.State, c.Actor.Person, c.Org.Role, c.Org.ID, fmt.Sprintf(why, args...))
}

// AsDesk checks that the actor is an agent of the desk that owns the
// ticket: only the desk opens, delegates, recalls and closes (SD-4), and
// only its own tickets (SD-10).
func (c Command) AsDesk() error {
	switch {
	case c.Org.Role != itsm.OrgDesk:
		return c.Refuse(itsm.CodeForbidden, "only the desk may %s (SD-4)", c.Name)
	case c.Org.ID != c.Desk:
		return c.Refuse(itsm.CodeForbidden, "the %s belongs to desk %s (SD-10)", c.Kind, c.Desk)
	case !c.Actor.HasRole(itsm.RoleAgent):
		return c.Refuse(itsm.CodeForbidden, "the person is not an agent")
	}
	return nil
}

// AsHolder checks that the actor is an agent of the organisation holding
// the ticket.
func (c Command) AsHolder() error {
	switch {
	case c.Org.ID != c.Custody.Holder:
		return c.Refuse(itsm.CodeForbidden, "the %s is held by %s (SD-13)", c.Kind, c.Custody.Holder)
	case !c.Actor.HasRole(itsm.RoleAgent):
		return c.Refuse(itsm.CodeForbidden, "the person is not an agent")
	}
	return nil
}

// AsSupplier checks that the actor is an agent of the supplier holding the
// ticket: only it accepts, rejects and reports back.
func (c Command) AsSupplier() error {
	if c.Org.Role != itsm.OrgSupplier {
		return c.Refuse(itsm.CodeForbidden, "only the supplier holding the %s may %s", c.Kind, c.Name)
	}
	return c.AsHolder()
}

// InState refuses the command with CodeConflict unless ok, which is the
// ticket kind's own judgement of its state.
func (c Command) InState(ok bool) error {
	if !ok {
		return c.Refuse(itsm.CodeConflict, "the state does not allow it")
	}
	return nil
}

// Delegation decides a delegation of the ticket to h by the desk: the
// organisation must be a supplier, h one of the register as tx sees it
// (CheckHolder), and not the holder the ticket has now. It reports whether
// the delegation is ping-pong (SD-7), as the event records it. The actor
// and the ticket's state are the caller's to check first (AsDesk,
// InState).
func (c Command) Delegation(ctx context.Context, dir Organisations, tx itsm.ReadTx, h Holder) (pingPong bool, err error) {
	sup, err := dir.Organisation(ctx, h.Organisation)
	if err != nil {
		return false, itsm.Wrap(itsm.CodeInvalid, err, "%s %s", c.Name, c.Number)
	}
	if sup.Role != itsm.OrgSupplier {
		return false, itsm.Errorf(itsm.CodeInvalid, "%s %s: organisation %s is a %s, not a supplier", c.Name, c.Number, h.Organisation, sup.Role)
	}
	if err := CheckHolder(tx, h); err != nil {
		return false, itsm.Wrap(itsm.ErrorCode(err), err, "%s %s", c.Name, c.Number)
	}
	if c.Custody.Holder == h.Organisation && c.Custody.Group == h.Group {
		return false, c.Refuse(itsm.CodeConflict, "group %s of %s already holds it", h.Group, h.Organisation)
	}
	return c.Custody.PingPongTo(h.Organisation), nil
}

// Assignment decides an assignment inside the organisation holding the
// ticket, to group and assignee (either may be zero): the actor must be an
// agent of that organisation (AsHolder), a zero group keeps the group that
// holds it, and the result must be one of the register and differ from the
// holder now. It returns who is to hold the ticket. The ticket's state is
// the caller's to check.
func (c Command) Assignment(tx itsm.ReadTx, group itsm.ID, assignee string) (Holder, error) {
	if err := c.AsHolder(); err != nil {
		return Holder{}, err
	}
	if group.IsZero() {
		if c.Custody.Group.IsZero() {
			return Holder{}, itsm.Errorf(itsm.CodeInvalid, "%s %s: no group holds it, so name the group", c.Name, c.Number)
		}
		group = c.Custody.Group
	}
	h := Holder{Organisation: c.Custody.Holder, Group: group, Assignee: assignee}
	if err := CheckHolder(tx, h); err != nil {
		return Holder{}, itsm.Wrap(itsm.ErrorCode(err), err, "%s %s", c.Name, c.Number)
	}
	if h == c.Custody.Current() {
		return Holder{}, c.Refuse(itsm.CodeConflict, "it is already held so")
	}
	return h, nil
}

// Recall decides the desk's taking the ticket back from the supplier
// holding it: the actor must be an agent of the desk and a supplier must
// hold it. The ticket's state is the caller's to check.
func (c Command) Recall() error {
	if err := c.AsDesk(); err != nil {
		return err
	}
	if c.Custody.Holder == c.Desk {
		return c.Refuse(itsm.CodeConflict, "the desk holds it")
	}
	return nil
}
