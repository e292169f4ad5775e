package incident

import (
	"context"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/chain"

	"github.com/spoc-itsm/spoc/itsm"
)

// Start records that the desk has begun work on a registered incident, which
// is the desk's response.
func (s *Service) Start(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Incident, error) {
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asDesk("start", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("start", inc, a, org, inc.State == StateRegistered); err != nil {
			return nil, err
		}
		return []Payload{Started{By{By: a}}}, nil
	})
}

// Delegate hands the incident to a supplier, and optionally one of its
// groups, with everything the user said (SD-5). A zero Organisation takes
// the routing rules' proposal (SD-11). The group must be the supplier's and
// active, checked in the command's write transaction (chain.CheckHolder).
// Only the owning desk delegates, from any open state, which re-routes an
// incident another supplier holds; a delegation to an organisation that held
// the incident before and sent it back is counted as ping-pong (SD-7).
func (s *Service) Delegate(ctx context.Context, actor itsm.Actor, id itsm.ID, d Delegation) (*Incident, error) {
	if err := checkText("note", d.Note, false); err != nil {
		return nil, err
	}
	return s.changeChecked(ctx, actor, id, func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asDesk("delegate", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("delegate", inc, a, org, IsOpen(inc.State)); err != nil {
			return nil, err
		}
		to, group := d.Organisation, d.Group
		var item itsm.ID // the item whose supplier the route follows
		if to.IsZero() {
			supplier, ci, err := s.itemSupplier(tx, inc)
			if err != nil {
				return nil, err
			}
			r, ok := Propose(s.cfg.Routes, inc, supplier)
			if !ok {
				return nil, itsm.Errorf(itsm.CodeInvalid, "delegate %s: no organisation given and no routing rule matches service %q, category %q/%q",
					inc.Number, inc.Service, inc.Category, inc.Subcategory)
			}
			to, group = r.Organisation, r.Group
			if r.ItemSupplier {
				item = ci
			}
		}
		pingPong, err := command("delegate", inc, a, org).Delegation(ctx, s.cfg.Directory, tx, chain.Holder{Organisation: to, Group: group})
		if err != nil && !item.IsZero() {
			return nil, itsm.Wrap(itsm.ErrorCode(err), err, "delegate %s to %s, the supplier responsible for configuration item %s", inc.Number, to, item)
		}
		if err != nil {
			return nil, err
		}
		return []Payload{Delegated{By: By{By: a}, Organisation: to, Group: group, Note: d.Note, PingPong: pingPong, Handover: handover(inc)}}, nil
	})
}

// itemSupplier returns the supplier the CMDB says is responsible for the
// first of inc's configuration items that has one, and that item, when a
// route follows the items' supplier (Route.ItemSupplier); zero otherwise.
// An item the CMDB does not hold has none: an incident related to items
// before the CMDB checked them may name IDs it never knew.
func (s *Service) itemSupplier(tx itsm.ReadTx, inc *Incident) (supplier, item itsm.ID, err error) {
	if s.cfg.Items == nil || !slices.ContainsFunc(s.cfg.Routes, func(r Route) bool { return r.ItemSupplier }) {
		return itsm.ID{}, itsm.ID{}, nil
	}
	for _, ci := range inc.CIs {
		org, err := s.cfg.Items.Responsible(tx, ci)
		switch {
		case itsm.IsCode(err, itsm.CodeNotFound):
		case err != nil:
			return itsm.ID{}, itsm.ID{}, err
		case !org.IsZero():
			return org, ci, nil
		}
	}
	return itsm.ID{}, itsm.ID{}, nil
}

// Assign assigns the incident inside the organisation holding it: to another
// of its groups, to a member of the group, or both (AssignTo). Only that
// organisation's agents assign, while the incident is open: the desk within
// the desk (its first line to its second line), a supplier within itself,
// never one organisation within another. A change from one group to another
// is a move (chain.Custody.Moves), not a re-assignment between
// organisations.
func (s *Service) Assign(ctx context.Context, actor itsm.Actor, id itsm.ID, to AssignTo) (*Incident, error) {
	trim(&to.Assignee)
	if to.Group.IsZero() && to.Assignee == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "assign: neither a group nor an assignee")
	}
	if err := checkText("note", to.Note, false); err != nil {
		return nil, err
	}
	return s.changeChecked(ctx, actor, id, func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		return assign("assign", tx, inc, a, org, to)
	})
}

// Take assigns the incident to the acting agent, in group: one of the
// holding organisation's groups the agent is a member of. A zero group
// takes it in the group that holds it.
func (s *Service) Take(ctx context.Context, actor itsm.Actor, id itsm.ID, group itsm.ID) (*Incident, error) {
	return s.changeChecked(ctx, actor, id, func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		return assign("take", tx, inc, a, org, AssignTo{Group: group, Assignee: a.Person})
	})
}

// assign decides Assign and Take: the actor is an agent of the holding
// organisation, the incident open, and the new holder one of the register.
func assign(cmd string, tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, to AssignTo) ([]Payload, error) {
	c := command(cmd, inc, a, org)
	if err := c.AsHolder(); err != nil {
		return nil, err
	}
	if err := c.InState(IsOpen(inc.State)); err != nil {
		return nil, err
	}
	h, err := c.Assignment(tx, to.Group, to.Assignee)
	if err != nil {
		return nil, err
	}
	return []Payload{Assigned{By: By{By: a}, Group: h.Group, Assignee: h.Assignee, Note: to.Note}}, nil
}

// Recall takes the incident back from the supplier holding it, with a
// reason: the desk's decision, recorded as what it is and not as the
// supplier's rejection. The next delegation counts as a re-assignment
// (SD-7), and one back to the same supplier is not ping-pong.
func (s *Service) Recall(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Incident, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		c := command("recall", inc, a, org)
		if err := c.AsDesk(); err != nil {
			return nil, err
		}
		if err := c.InState(IsOpen(inc.State)); err != nil {
			return nil, err
		}
		if err := c.Recall(); err != nil {
			return nil, err
		}
		return []Payload{Recalled{By: By{By: a}, Reason: reason}}, nil
	})
}

func handover(inc *Incident) Handover {
	h := Handover{Number: inc.Number, Caller: inc.Caller, Channel: inc.Channel, Service: inc.Service,
		Category: inc.Category, Subcategory: inc.Subcategory, Summary: inc.Summary,
		Description: inc.Description, Priority: inc.Priority, CIs: slices.Clone(inc.CIs),
		Communications: inc.Communications()}
	for _, as := range inc.Assignments {
		if as.Rejected != "" {
			h.Rejections = append(h.Rejections, as.Rejected)
		}
	}
	return h
}

// Accept records that the supplier group holding a delegated incident takes
// it on.
func (s *Service) Accept(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Incident, error) {
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asSupplier("accept", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("accept", inc, a, org, inc.State == StateDelegated); err != nil {
			return nil, err
		}
		return []Payload{Accepted{By{By: a}}}, nil
	})
}

// Reject sends the incident the supplier holds back to the desk with a
// reason, before or after accepting it; the desk re-routes it (SD-7).
func (s *Service) Reject(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Incident, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asSupplier("reject", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("reject", inc, a, org, inc.State == StateDelegated || inc.State == StateInProgress || IsWaiting(inc.State)); err != nil {
			return nil, err
		}
		return []Payload{Rejected{By: By{By: a}, Reason: reason}}, nil
	})
}

// Update records the holder's status report to the desk, which restarts the
// holder's update clock (SD-8).
func (s *Service) Update(ctx context.Context, actor itsm.Actor, id itsm.ID, text string) (*Incident, error) {
	if err := checkText("update", text, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asHolder("update", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("update", inc, a, org, IsOpen(inc.State)); err != nil {
			return nil, err
		}
		return []Payload{Updated{By: By{By: a}, Text: text}}, nil
	})
}

// Comment adds to the journal. The desk writes communications with the user
// and work notes until the incident is closed; the supplier holding it does
// the same, a communication then recording that it contacted the user
// directly (SD-6); the customer's caller adds communications of their own.
func (s *Service) Comment(ctx context.Context, actor itsm.Actor, id itsm.ID, kind EntryKind, text string) (*Incident, error) {
	if kind != EntryCommunication && kind != EntryWorkNote {
		return nil, itsm.Errorf(itsm.CodeInvalid, "comment kind %q is not communication or work_note", kind)
	}
	if err := checkText("comment", text, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		var err error
		switch org.Role {
		case itsm.OrgDesk:
			err = asDesk("comment on", inc, a, org)
		case itsm.OrgSupplier:
			err = asSupplier("comment on", inc, a, org)
		default:
			if kind != EntryCommunication || (a.Person != inc.Caller.Person && !a.HasRole(itsm.RoleAgent)) {
				err = refuse(itsm.CodeForbidden, "comment on", inc, a, org, "the customer writes only communications, as the caller or an agent")
			}
		}
		if err != nil {
			return nil, err
		}
		ok := editable(inc.State)
		if org.Role == itsm.OrgSupplier {
			ok = IsOpen(inc.State)
		}
		if err := inState("comment on", inc, a, org, ok); err != nil {
			return nil, err
		}
		return []Payload{Commented{By: By{By: a}, Kind: kind, Text: text}}, nil
	})
}

// Wait records that the holder waits for the user, a vendor, a change or a
// problem; the agreements decide which of these pause their clocks. Only
// an incident linked to a problem waits for one (LinkProblem).
func (s *Service) Wait(ctx context.Context, actor itsm.Actor, id itsm.ID, reason WaitReason, note string) (*Incident, error) {
	if reason.State() == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "wait reason %q is not user, vendor, change or problem", reason)
	}
	if err := checkText("note", note, false); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asHolder("put on hold", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("put on hold", inc, a, org, inc.State == StateInProgress || inc.State == StateRegistered); err != nil {
			return nil, err
		}
		// Waiting for a problem is waiting for a problem record, which
		// unlinking ends (UnlinkProblem): an incident linked to none
		// would wait for nothing anyone can resolve.
		if reason == WaitProblem && inc.Problem.IsZero() {
			return nil, refuse(itsm.CodeConflict, "put on hold", inc, a, org, "it is linked to no problem to wait for; the desk links it through the problem")
		}
		return []Payload{Waiting{By: By{By: a}, Reason: reason, Note: note}}, nil
	})
}

// Resume ends a wait; the holder goes on working.
func (s *Service) Resume(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Incident, error) {
	if err := checkText("note", note, false); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asHolder("resume", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("resume", inc, a, org, IsWaiting(inc.State)); err != nil {
			return nil, err
		}
		return []Payload{Resumed{By: By{By: a}, Note: note}}, nil
	})
}

// checkResolution trims the code and checks the resolution.
func checkResolution(r *Resolution) error {
	trim(&r.Code)
	if err := checkLabel("resolution code", r.Code); err != nil {
		return err
	}
	if r.Code == "" {
		return itsm.Errorf(itsm.CodeInvalid, "resolution code is empty")
	}
	return checkText("resolution text", r.Text, true)
}

// Resolve records that the desk resolved an incident it holds; one never
// delegated is resolved at first contact (SD-3). A resolution that names a
// workaround is checked against the workaround database
// (Config.Workarounds).
func (s *Service) Resolve(ctx context.Context, actor itsm.Actor, id itsm.ID, r Resolution) (*Incident, error) {
	if err := checkResolution(&r); err != nil {
		return nil, err
	}
	return s.changeChecked(ctx, actor, id, s.resolve(r))
}

// resolve decides Resolve, and ResolveForProblem for the desk.
func (s *Service) resolve(r Resolution) checkedDecision {
	return func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asDesk("resolve", inc, a, org); err != nil {
			return nil, err
		}
		// The state first: once a supplier has reported back, "it holds
		// it" would send the desk to wait for what already happened.
		if err := inState("resolve", inc, a, org, IsOpen(inc.State)); err != nil {
			return nil, err
		}
		if inc.Holder != inc.Desk {
			return nil, refuse(itsm.CodeConflict, "resolve", inc, a, org, "supplier %s holds it and reports back its resolution", inc.Holder)
		}
		if err := s.checkWorkaround(tx, r.Workaround); err != nil {
			return nil, err
		}
		first := len(inc.Assignments) == 0 && inc.Reopened == 0
		return []Payload{Resolved{By: By{By: a}, Code: r.Code, Text: r.Text, FirstContact: first, Workaround: r.Workaround}}, nil
	}
}

// ReportBack records the resolution of the supplier holding the incident;
// the desk then informs the user and closes it (SD-4). A workaround is
// checked as Resolve checks it.
func (s *Service) ReportBack(ctx context.Context, actor itsm.Actor, id itsm.ID, r Resolution) (*Incident, error) {
	if err := checkResolution(&r); err != nil {
		return nil, err
	}
	return s.changeChecked(ctx, actor, id, s.reportBack(r))
}

// reportBack decides ReportBack, and ResolveForProblem for a supplier.
func (s *Service) reportBack(r Resolution) checkedDecision {
	return func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asSupplier("report back", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("report back", inc, a, org, inc.State == StateInProgress || IsWaiting(inc.State)); err != nil {
			return nil, err
		}
		if err := s.checkWorkaround(tx, r.Workaround); err != nil {
			return nil, err
		}
		return []Payload{Resolved{By: By{By: a}, Code: r.Code, Text: r.Text, Workaround: r.Workaround}}, nil
	}
}

// Close records that the desk told the user of the resolution (message is
// what it said) and closed the incident (SD-4).
func (s *Service) Close(ctx context.Context, actor itsm.Actor, id itsm.ID, message string) (*Incident, error) {
	if err := checkText("message to the user", message, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asDesk("close", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("close", inc, a, org, inc.State == StateResolved); err != nil {
			return nil, err
		}
		return []Payload{Closed{By: By{By: a}, Message: message}}, nil
	})
}

// Reopen puts a resolved or closed incident back in progress at the desk.
// A resolved incident the desk has not closed is reopened whenever the
// desk needs to, since its user still waits for the desk to close it; a
// closed one only within the desk's reopen window after its closure
// (Config.ReopenWindow, Config.ReopenWindows), when the user was told. Its
// resolution clocks resume where they stopped.
func (s *Service) Reopen(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Incident, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error) {
		if err := asDesk("reopen", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("reopen", inc, a, org, inc.State == StateResolved || inc.State == StateClosed); err != nil {
			return nil, err
		}
		if w := s.reopenWindow(inc.Desk); inc.State == StateClosed && at.Sub(inc.Closed) > w {
			return nil, refuse(itsm.CodeConflict, "reopen", inc, a, org, "it was closed at %s, more than the desk's reopen window of %s ago; register a new incident",
				inc.Closed.Format(time.RFC3339), w)
		}
		return []Payload{Reopened{By: By{By: a}, Reason: reason}}, nil
	})
}

// Cancel ends an open incident that needs no resolution, such as a
// duplicate.
func (s *Service) Cancel(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Incident, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asDesk("cancel", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("cancel", inc, a, org, IsOpen(inc.State)); err != nil {
			return nil, err
		}
		return []Payload{Cancelled{By: By{By: a}, Reason: reason}}, nil
	})
}

// Reprioritise changes impact and urgency, and so the priority through the
// matrix (IM-2); clocks are measured again from the history at the new
// priority. Reaching an escalated priority notifies its roles (IM-5).
func (s *Service) Reprioritise(ctx context.Context, actor itsm.Actor, id itsm.ID, impact itsm.Impact, urgency itsm.Urgency, reason string) (*Incident, error) {
	p, err := s.cfg.Matrix.Priority(impact, urgency)
	if err != nil {
		return nil, err
	}
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error) {
		if err := asDesk("reprioritise", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("reprioritise", inc, a, org, editable(inc.State)); err != nil {
			return nil, err
		}
		if inc.Impact == impact && inc.Urgency == urgency {
			return nil, refuse(itsm.CodeConflict, "reprioritise", inc, a, org, "impact and urgency are already %s and %s", impact, urgency)
		}
		old := inc.Priority
		ch := Reprioritised{By: By{By: a}, Impact: impact, Urgency: urgency, Priority: p, Reason: reason}
		preview := inc.Clone()
		ch.apply(preview, at)
		return append([]Payload{ch}, s.escalate(preview, a, at, old)...), nil
	})
}

// Recategorise changes the service and category of an incident that is not
// closed.
func (s *Service) Recategorise(ctx context.Context, actor itsm.Actor, id itsm.ID, service, category, subcategory string) (*Incident, error) {
	trim(&service, &category, &subcategory)
	for name, v := range map[string]string{"service": service, "category": category, "subcategory": subcategory} {
		if err := checkLabel(name, v); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asDesk("recategorise", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("recategorise", inc, a, org, editable(inc.State)); err != nil {
			return nil, err
		}
		return []Payload{Recategorised{By: By{By: a}, Service: service, Category: category, Subcategory: subcategory}}, nil
	})
}

// SetReference records the actor's supplier's own reference for the
// incident (SD-5). A supplier that held it may do so while it is not closed.
func (s *Service) SetReference(ctx context.Context, actor itsm.Actor, id itsm.ID, reference string) (*Incident, error) {
	trim(&reference)
	if err := checkLabel("reference", reference); err != nil {
		return nil, err
	}
	if reference == "" {
		return nil, itsm.Errorf(itsm.CodeInvalid, "reference is empty")
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if org.Role != itsm.OrgSupplier || !a.HasRole(itsm.RoleAgent) {
			return nil, refuse(itsm.CodeForbidden, "set a reference on", inc, a, org, "only a supplier's agents record their own reference")
		}
		if err := inState("set a reference on", inc, a, org, editable(inc.State)); err != nil {
			return nil, err
		}
		return []Payload{Referenced{By: By{By: a}, Reference: reference}}, nil
	})
}

// Relate sets the configuration items (IM-6) the incident relates to,
// replacing the earlier ones. With a CMDB (Config.Items), the items it
// adds must be the desk's and in use; those the incident keeps are not
// checked again, so that an item retired since does not stop the desk
// relating another. problem must be the incident's problem as it
// is (zero when it is linked to none): the link is made and removed only
// through the problem (package problem's Service.Link and Unlink, which
// call LinkProblem and UnlinkProblem), so that the problem records its
// side in the same transaction.
func (s *Service) Relate(ctx context.Context, actor itsm.Actor, id itsm.ID, cis []itsm.ID, problem itsm.ID) (*Incident, error) {
	if err := checkCIs(cis); err != nil {
		return nil, err
	}
	return s.changeChecked(ctx, actor, id, func(tx itsm.ReadTx, inc *Incident, a itsm.Actor, org itsm.Organisation, _ time.Time) ([]Payload, error) {
		if err := asDesk("relate", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("relate", inc, a, org, editable(inc.State)); err != nil {
			return nil, err
		}
		if problem != inc.Problem {
			return nil, refuse(itsm.CodeInvalid, "relate", inc, a, org,
				"it is linked to problem %s, not %s: link and unlink an incident through the problem (problem.Service.Link and Unlink)", linkName(inc.Problem), linkName(problem))
		}
		if err := itsm.CheckNewItems(s.cfg.Items, tx, "relate "+inc.Number.String(), inc.Desk, cis, inc.CIs); err != nil {
			return nil, err
		}
		return []Payload{Related{By: By{By: a}, CIs: cis, Problem: problem}}, nil
	})
}

// linkName names a problem in a message, "none" for the zero ID.
func linkName(p itsm.ID) string {
	if p.IsZero() {
		return "none"
	}
	return p.String()
}

// DeclareMajor makes an open incident a major incident, led by the
// major-incident manager on duty, and notifies the service's contacts
// (IM-4).
func (s *Service) DeclareMajor(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Incident, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error) {
		if err := asDesk("declare a major incident on", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("declare a major incident on", inc, a, org, IsOpen(inc.State) && !inc.Major); err != nil {
			return nil, err
		}
		d := MajorDeclared{By: By{By: a}, Reason: reason}
		if duty, ok := s.cfg.Major.OnDuty(at); ok {
			d.Manager = duty.Person
		}
		out := []Payload{d}
		for _, c := range s.cfg.Major.majorContacts(inc.Service, at) {
			out = append(out, notified(a, c, "Major incident "+inc.Number.String()+": "+inc.Summary))
		}
		return out, nil
	})
}

// StandDown ends major-incident handling of an incident and tells the same
// contacts.
func (s *Service) StandDown(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Incident, error) {
	if err := checkText("reason", reason, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, id, func(inc *Incident, a itsm.Actor, org itsm.Organisation, at time.Time) ([]Payload, error) {
		if err := asDesk("stand down", inc, a, org); err != nil {
			return nil, err
		}
		if err := inState("stand down", inc, a, org, inc.Major && editable(inc.State)); err != nil {
			return nil, err
		}
		out := []Payload{MajorStoodDown{By: By{By: a}, Reason: reason}}
		for _, c := range s.cfg.Major.majorContacts(inc.Service, at) {
			out = append(out, notified(a, c, "Major incident "+inc.Number.String()+" stood down: "+inc.Summary))
		}
		return out, nil
	})
}

// Coordinate makes child a child of parent, so that incidents with one cause
// are followed up together (IM-3). Both must belong to the actor's desk and
// be open to change; the hierarchy has one level, so a parent has no parent
// and a child no children. It changes two incidents, so a view from
// IfVersion, which names one version, refuses it.
func (s *Service) Coordinate(ctx context.Context, actor itsm.Actor, parent, child itsm.ID) error {
	if s.expect != 0 {
		return itsm.Errorf(itsm.CodeInvalid, "coordinate changes two incidents; it takes no expected version")
	}
	if parent == child {
		return itsm.Errorf(itsm.CodeInvalid, "coordinate: incident %s cannot be its own parent", parent)
	}
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		refused := false
		err = s.cfg.Store.Write(ctx, func(tx itsm.WriteTx) error {
			p, err := load(tx, parent)
			if err != nil {
				return err
			}
			c, err := load(tx, child)
			if err != nil {
				return err
			}
			if !visible(p, org) {
				return notFound(parent)
			}
			if !visible(c, org) {
				return notFound(child)
			}
			refused = true
			for _, inc := range []*Incident{p, c} {
				if err := asDesk("coordinate", inc, actor, org); err != nil {
					return err
				}
				if err := inState("coordinate", inc, actor, org, editable(inc.State)); err != nil {
					return err
				}
			}
			switch {
			case !p.Parent.IsZero():
				return refuse(itsm.CodeConflict, "coordinate", p, actor, org, "it is a child of %s, so it cannot be a parent", p.Parent)
			case len(c.Children) > 0:
				return refuse(itsm.CodeConflict, "coordinate", c, actor, org, "it is a parent, so it cannot be a child")
			case c.Parent == parent:
				return refuse(itsm.CodeConflict, "coordinate", c, actor, org, "it is already a child of %s", p.Number)
			case !c.Parent.IsZero():
				return refuse(itsm.CodeConflict, "coordinate", c, actor, org, "it is a child of %s already", c.Parent)
			}
			refused = false
			ev := Coordinated{By: By{By: actor}, Parent: parent, Child: child}
			at := s.now(p)
			if t := s.now(c); t.After(at) {
				at = t
			}
			if _, _, err := s.commit(tx, p, p.Version, []Payload{ev}, at); err != nil {
				return err
			}
			_, _, err = s.commit(tx, c, c.Version, []Payload{ev}, at)
			return err
		})
		if refused || !itsm.IsCode(err, itsm.CodeConflict) || attempt == itsm.WriteAttempts || !itsm.Backoff(ctx, attempt) {
			return err
		}
	}
}
