package problem

import (
	"context"
	"slices"

	"github.com/spoc-itsm/spoc/itsm"
)

// KnownErrorDraft is a known error as it is recorded or revised.
type KnownErrorDraft struct {
	// Desk as in Recording; ignored when identified from a problem (the
	// problem's desk) and when revised.
	Desk itsm.ID
	// Title is a label; Symptom and RootCause are texts, all required.
	Title     string
	Symptom   string
	RootCause string
	// ErrorCodes and Services are labels, each once, at most MaxList.
	ErrorCodes []string
	Services   []string
	CIs        []itsm.ID
	// Workarounds to attach at once: each must exist, be the desk's and
	// not be retired. A revision attaches none (AttachWorkaround does).
	Workarounds []itsm.ID
	// Fix is the permanent fix; a zero Status means FixNone.
	Fix Fix
}

// check checks and trims a draft and returns its content.
func (d *KnownErrorDraft) check() (KnownErrorContent, error) {
	var c KnownErrorContent
	if err := checkLabel("title", &d.Title, true); err != nil {
		return c, err
	}
	if err := checkText("symptom", &d.Symptom, true); err != nil {
		return c, err
	}
	if err := checkText("root cause", &d.RootCause, true); err != nil {
		return c, err
	}
	var err error
	if d.ErrorCodes, err = checkLabels("error codes", d.ErrorCodes); err != nil {
		return c, err
	}
	if d.Services, err = checkLabels("services", d.Services); err != nil {
		return c, err
	}
	if d.CIs, err = checkIDs("configuration items", d.CIs); err != nil {
		return c, err
	}
	if d.Workarounds, err = checkIDs("workarounds", d.Workarounds); err != nil {
		return c, err
	}
	if err := d.Fix.check(); err != nil {
		return c, err
	}
	return KnownErrorContent{Title: d.Title, Symptom: d.Symptom, RootCause: d.RootCause, ErrorCodes: d.ErrorCodes,
		Services: d.Services, CIs: d.CIs, Fix: d.Fix}, nil
}

// check checks and trims a fix; a zero status becomes FixNone.
func (f *Fix) check() error {
	switch f.Status {
	case "":
		f.Status = FixNone
	case FixNone, FixPlanned, FixInProgress, FixReleased, FixRejected:
	default:
		return itsm.Errorf(itsm.CodeInvalid, "fix status %q is not none, planned, in_progress, released or rejected", f.Status)
	}
	if err := checkText("fix description", &f.Description, false); err != nil {
		return err
	}
	return checkLabel("fix change", &f.Change, false)
}

// recordKnownError records a known error of desk by org, identified from
// problem if it is not zero, with workarounds attached.
func (s *Service) recordKnownError(c change, actor itsm.Actor, org itsm.Organisation, desk, problem itsm.ID, content KnownErrorContent, workarounds []itsm.ID) (*KnownError, error) {
	for _, id := range workarounds {
		if _, err := attachable(c.Tx(), desk, id); err != nil {
			return nil, err
		}
	}
	if err := itsm.CheckNewItems(s.cfg.Items, c.Tx(), "record known error", desk, content.CIs, nil); err != nil {
		return nil, err
	}
	n, err := c.Tx().NextNumber(PrefixKnownError)
	if err != nil {
		return nil, err
	}
	k := &KnownError{ID: itsm.NewID()}
	return k, c.knownError(k, KnownErrorRecorded{By: By{By: actor}, Number: n, Desk: desk, RecordedBy: org.ID, Problem: problem,
		KnownErrorContent: content, Workarounds: workarounds})
}

// attachable reads workaround id and checks that a known error of desk may
// name it: it exists, is desk's and is not retired. Another desk's
// workaround is not found, as it is not to that desk's readers.
func attachable(tx itsm.ReadTx, desk, id itsm.ID) (*Workaround, error) {
	w, err := loadWorkaround(tx, id)
	if err != nil {
		return nil, err
	}
	if w.Desk != desk {
		return nil, notFound("workaround", id)
	}
	if w.Retired {
		return nil, itsm.Errorf(itsm.CodeConflict, "workaround %s is retired", w.Number)
	}
	return w, nil
}

// RecordKnownError records a known error without a problem (PM-2), such as
// a vendor's published defect: an agent of the desk, or of a supplier
// naming the desk, with write access. With a CMDB (Config.Items), its
// configuration items must be the desk's items in use, as Identify's.
func (s *Service) RecordKnownError(ctx context.Context, actor itsm.Actor, d KnownErrorDraft) (*KnownError, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	desk, err := s.deskFor(ctx, "record known error", actor, org, d.Desk)
	if err != nil {
		return nil, err
	}
	content, err := d.check()
	if err != nil {
		return nil, err
	}
	var out *KnownError
	err = s.write(ctx, func(c change) error {
		var err error
		out, err = s.recordKnownError(c, actor, org, desk, itsm.ID{}, content, d.Workarounds)
		return err
	})
	return out, err
}

// mayChange checks that an agent of org may change a known error or
// workaround of desk that recordedBy recorded: the desk and the recording
// organisation may (decision 98).
func mayChange(what string, number itsm.Number, actor itsm.Actor, org itsm.Organisation, desk, recordedBy itsm.ID) error {
	switch {
	case !actor.HasRole(itsm.RoleAgent):
		return itsm.Errorf(itsm.CodeForbidden, "cannot %s %s: %q of %s %s is not an agent", what, number, actor.Person, org.Role, org.ID)
	case org.ID != desk && org.ID != recordedBy:
		return itsm.Errorf(itsm.CodeForbidden, "cannot %s %s: only desk %s and %s, which recorded it, may", what, number, desk, recordedBy)
	}
	return nil
}

// changeKnownError runs one command on one known error the actor's
// organisation reads.
func (s *Service) changeKnownError(ctx context.Context, actor itsm.Actor, id itsm.ID, decide func(c change, org itsm.Organisation, k *KnownError) error) (*KnownError, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	var out *KnownError
	err = s.write(ctx, func(c change) error {
		out = nil
		k, err := loadKnownError(c.Tx(), id)
		if err != nil {
			return err
		}
		if !s.reads(org, k.Desk) {
			return notFound("known error", id)
		}
		if err := itsm.CheckVersion("known error", k.Number.String(), k.Version, s.expect); err != nil {
			return err
		}
		if err := decide(c, org, k); err != nil {
			return err
		}
		out = k
		return nil
	})
	return out, err
}

// changeable refuses a change to a retired known error, and one by whom
// mayChange refuses.
func changeable(what string, actor itsm.Actor, org itsm.Organisation, k *KnownError) error {
	if err := mayChange(what, k.Number, actor, org, k.Desk, k.RecordedBy); err != nil {
		return err
	}
	if k.Retired {
		return itsm.Errorf(itsm.CodeConflict, "cannot %s %s: it is retired", what, k.Number)
	}
	return nil
}

// ReviseKnownError replaces a known error's texts, codes, services, CIs and
// fix: the desk or the organisation that recorded it, while it is not
// retired. Its workarounds are attached and detached on their own. The
// items it adds are checked against the CMDB (Config.Items).
func (s *Service) ReviseKnownError(ctx context.Context, actor itsm.Actor, id itsm.ID, d KnownErrorDraft) (*KnownError, error) {
	if len(d.Workarounds) > 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "revise known error: attach or detach workarounds one by one, not in a revision")
	}
	content, err := d.check()
	if err != nil {
		return nil, err
	}
	return s.changeKnownError(ctx, actor, id, func(c change, org itsm.Organisation, k *KnownError) error {
		if err := changeable("revise", actor, org, k); err != nil {
			return err
		}
		if err := itsm.CheckNewItems(s.cfg.Items, c.Tx(), "revise "+k.Number.String(), k.Desk, content.CIs, k.CIs); err != nil {
			return err
		}
		return c.knownError(k, KnownErrorRevised{By: By{By: actor}, KnownErrorContent: content})
	})
}

// AttachWorkaround makes a workaround serve a known error: the desk or the
// organisation that recorded the known error; the workaround must be the
// desk's, not retired and not attached already.
func (s *Service) AttachWorkaround(ctx context.Context, actor itsm.Actor, knownError, workaround itsm.ID) (*KnownError, error) {
	return s.changeKnownError(ctx, actor, knownError, func(c change, org itsm.Organisation, k *KnownError) error {
		if err := changeable("attach a workaround to", actor, org, k); err != nil {
			return err
		}
		w, err := attachable(c.Tx(), k.Desk, workaround)
		if err != nil {
			return err
		}
		switch {
		case slices.Contains(k.Workarounds, workaround):
			return itsm.Errorf(itsm.CodeConflict, "workaround %s serves %s already", w.Number, k.Number)
		case len(k.Workarounds) >= MaxList:
			return itsm.Errorf(itsm.CodeInvalid, "known error %s has %d workarounds already", k.Number, len(k.Workarounds))
		}
		return c.knownError(k, WorkaroundAttached{By: By{By: actor}, Workaround: workaround})
	})
}

// DetachWorkaround removes a workaround from a known error: the desk or
// the organisation that recorded the known error.
func (s *Service) DetachWorkaround(ctx context.Context, actor itsm.Actor, knownError, workaround itsm.ID) (*KnownError, error) {
	return s.changeKnownError(ctx, actor, knownError, func(c change, org itsm.Organisation, k *KnownError) error {
		if err := changeable("detach a workaround from", actor, org, k); err != nil {
			return err
		}
		if !slices.Contains(k.Workarounds, workaround) {
			return itsm.Errorf(itsm.CodeConflict, "workaround %s does not serve %s", workaround, k.Number)
		}
		return c.knownError(k, WorkaroundDetached{By: By{By: actor}, Workaround: workaround})
	})
}

// PublishKnownError marks a known error for publishing to users as a
// knowledge article; the knowledge base follows the event. Only the desk
// publishes: it alone speaks to users (SD-4).
func (s *Service) PublishKnownError(ctx context.Context, actor itsm.Actor, id itsm.ID) (*KnownError, error) {
	return s.changeKnownError(ctx, actor, id, func(c change, org itsm.Organisation, k *KnownError) error {
		if org.ID != k.Desk {
			return itsm.Errorf(itsm.CodeForbidden, "cannot publish %s: only desk %s speaks to its users (SD-4)", k.Number, k.Desk)
		}
		if err := changeable("publish", actor, org, k); err != nil {
			return err
		}
		if k.Published {
			return itsm.Errorf(itsm.CodeConflict, "known error %s is published already", k.Number)
		}
		return c.knownError(k, KnownErrorPublished{By{By: actor}})
	})
}

// RetireKnownError records that a known error no longer occurs: the desk
// or the organisation that recorded it.
func (s *Service) RetireKnownError(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*KnownError, error) {
	if err := checkText("reason", &reason, true); err != nil {
		return nil, err
	}
	return s.changeKnownError(ctx, actor, id, func(c change, org itsm.Organisation, k *KnownError) error {
		if err := changeable("retire", actor, org, k); err != nil {
			return err
		}
		return c.knownError(k, KnownErrorRetired{By: By{By: actor}, Reason: reason})
	})
}
