package request

import (
	"context"
	"slices"
	"strings"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// Delegation names the supplier, and optionally one of its groups, to hand
// a task to.
type Delegation struct {
	Organisation itsm.ID
	Group        itsm.ID
	Note         string
}

// Delegate hands a task the desk holds, or one another supplier holds, to
// a supplier (RF-4): the rules are the chain's, as for incidents
// (chain.Command.Delegation). A task still blocked by the tasks it comes
// after is not delegated.
func (s *Service) Delegate(ctx context.Context, actor itsm.Actor, id itsm.ID, d Delegation) (*Task, error) {
	if err := checkText("note", d.Note, false); err != nil {
		return nil, err
	}
	if d.Organisation.IsZero() {
		return nil, itsm.Errorf(itsm.CodeInvalid, "delegate: no supplier given")
	}
	return s.changeTask(ctx, actor, id, "delegate", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(t.State == TaskReady || t.State == TaskDelegated || t.State == TaskInProgress); err != nil {
			return err
		}
		pingPong, err := cmd.Delegation(ctx, s.cfg.Directory, c.Tx(), chain.Holder{Organisation: d.Organisation, Group: d.Group})
		if err != nil {
			return err
		}
		return c.task(t, Delegated{By: By{By: cmd.Actor}, Organisation: d.Organisation, Group: d.Group, Note: d.Note, PingPong: pingPong})
	})
}

// Accept records that the supplier holding a delegated task takes it on.
func (s *Service) Accept(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Task, error) {
	return s.changeTask(ctx, actor, id, "accept", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsSupplier(); err != nil {
			return err
		}
		if err := cmd.InState(t.State == TaskDelegated); err != nil {
			return err
		}
		return c.task(t, Accepted{By{By: cmd.Actor}})
	})
}

// Reject sends a task the supplier holds back to the desk with a reason;
// the desk delegates it again.
func (s *Service) Reject(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Task, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.changeTask(ctx, actor, id, "reject", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsSupplier(); err != nil {
			return err
		}
		if err := cmd.InState(t.State == TaskDelegated || t.State == TaskInProgress); err != nil {
			return err
		}
		return c.task(t, Rejected{By: By{By: cmd.Actor}, Reason: reason})
	})
}

// Recall takes a task back from the supplier holding it, with a reason.
func (s *Service) Recall(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Task, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.changeTask(ctx, actor, id, "recall", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(t.State == TaskDelegated || t.State == TaskInProgress); err != nil {
			return err
		}
		if err := cmd.Recall(); err != nil {
			return err
		}
		return c.task(t, Recalled{By: By{By: cmd.Actor}, Reason: reason})
	})
}

// Assign assigns a task inside the organisation holding it: to another of
// its groups, to a member, or both, as incidents are (chain.Command.Assignment).
func (s *Service) Assign(ctx context.Context, actor itsm.Actor, id itsm.ID, group itsm.ID, assignee, note string) (*Task, error) {
	assignee = strings.TrimSpace(assignee)
	if group.IsZero() && assignee == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "assign: neither a group nor an assignee")
	}
	if err := checkText("note", note, false); err != nil {
		return nil, err
	}
	return s.changeTask(ctx, actor, id, "assign", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsHolder(); err != nil {
			return err
		}
		if err := cmd.InState(taskOpen(t.State)); err != nil {
			return err
		}
		h, err := cmd.Assignment(c.Tx(), group, assignee)
		if err != nil {
			return err
		}
		return c.task(t, Assigned{By: By{By: cmd.Actor}, Group: h.Group, Assignee: h.Assignee, Note: note})
	})
}

// Take records that the desk handles a ready task itself, as it does the
// single task of most orders of type B.
func (s *Service) Take(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Task, error) {
	return s.changeTask(ctx, actor, id, "take", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(t.State == TaskReady); err != nil {
			return err
		}
		return c.task(t, Taken{By{By: cmd.Actor}})
	})
}

// ReportBack records that the supplier holding a task has done it, with a
// note for the desk (SD-4): the supplier reports back, the desk answers the
// requester.
func (s *Service) ReportBack(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Task, error) {
	if err := checkText("note", note, true); err != nil {
		return nil, err
	}
	return s.changeTask(ctx, actor, id, "report back", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsSupplier(); err != nil {
			return err
		}
		if err := cmd.InState(t.State == TaskInProgress); err != nil {
			return err
		}
		return c.task(t, Done{By: By{By: cmd.Actor}, Note: note})
	})
}

// Complete records that the desk has done a task it handled itself.
func (s *Service) Complete(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Task, error) {
	if err := checkText("note", note, true); err != nil {
		return nil, err
	}
	return s.changeTask(ctx, actor, id, "complete", func(c change, cmd chain.Command, t *Task, o *Order) error {
		if err := cmd.AsDesk(); err != nil {
			return err
		}
		if err := cmd.InState(t.State == TaskInProgress && t.Holder == t.Desk); err != nil {
			return err
		}
		return c.task(t, Done{By: By{By: cmd.Actor}, Note: note})
	})
}

// changeTask runs one command on one task, then carries its consequences
// to the order: the order learns the task's new state, the tasks that come
// after a task done are unblocked and routed, and the order is fulfilled
// once every task is done (RF-4).
func (s *Service) changeTask(ctx context.Context, actor itsm.Actor, id itsm.ID, name string, decide func(c change, cmd chain.Command, t *Task, o *Order) error) (*Task, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	var out *Task
	err = s.write(ctx, func(c change) error {
		t, err := loadTask(c.Tx(), id)
		if err != nil {
			return err
		}
		if !taskVisible(t, org) {
			return taskNotFound(id)
		}
		if err := itsm.CheckVersion("task", t.Number.String(), t.Version, s.expect); err != nil {
			return err
		}
		o, err := loadOrder(c.Tx(), t.Order)
		if err != nil {
			return err
		}
		if o.State != StateInProgress {
			return itsm.Errorf(itsm.CodeConflict, "cannot %s %s: its order %s is %s", name, t.Number, o.Number, o.State)
		}
		cmd := chain.Command{Name: name, Kind: "task", Number: t.Number, State: t.State, Desk: t.Desk,
			Custody: &t.Custody, Actor: actor, Org: org}
		before := t.State
		if err := decide(c, cmd, t, o); err != nil {
			return err
		}
		out = t
		if t.State == before {
			return nil
		}
		by := By{By: actor}
		if err := c.order(o, TaskChanged{By: by, Task: t.ID, State: t.State}); err != nil {
			return err
		}
		if t.State != TaskDone {
			return nil
		}
		return s.finished(ctx, c, o)
	})
	return out, err
}

// finished carries a task's completion on, as the desk's system: unblocks
// and routes the tasks whose predecessors are all done, and fulfils the
// order when none is left.
func (s *Service) finished(ctx context.Context, c change, o *Order) error {
	actor := system(o)
	tasks, err := c.tasks(o)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, t := range tasks {
		done[t.Key] = t.State == TaskDone
	}
	all := true
	for _, t := range tasks {
		all = all && done[t.Key]
		if t.State != TaskBlocked || slices.ContainsFunc(t.After, func(k string) bool { return !done[k] }) {
			continue
		}
		if err := c.task(t, Unblocked{By{By: actor}}); err != nil {
			return err
		}
		if err := c.order(o, TaskChanged{By: By{By: actor}, Task: t.ID, State: t.State}); err != nil {
			return err
		}
		if err := s.route(ctx, c, o, t); err != nil {
			return err
		}
	}
	if all {
		return c.order(o, Fulfilled{By: By{By: actor}})
	}
	return nil
}

// tasks reads the order's tasks, taking those the change already holds
// from it so that its changes are seen.
func (c change) tasks(o *Order) ([]*Task, error) {
	out := make([]*Task, 0, len(o.Tasks))
	for _, ts := range o.Tasks {
		var found *Task
		for r := range c.Changed() {
			if t, ok := r.(*Task); ok && t.ID == ts.ID {
				found = t
			}
		}
		if found == nil {
			t, err := loadTask(c.Tx(), ts.ID)
			if err != nil {
				return nil, err
			}
			found = t
		}
		out = append(out, found)
	}
	return out, nil
}

// taskVisible reports whether org may see t: the desk that owns it and
// every supplier that holds or held it (SD-13).
func taskVisible(t *Task, org itsm.Organisation) bool {
	return org.ID == t.Desk || t.Held(org.ID)
}
