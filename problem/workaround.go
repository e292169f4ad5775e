package problem

import (
	"context"
	"slices"

	"github.com/spoc-itsm/spoc/itsm"
)

// WorkaroundDraft is a workaround as it is recorded or revised.
type WorkaroundDraft struct {
	// Desk as in Recording; ignored when revised.
	Desk itsm.ID
	// Title is a label, Steps a text, both required; Scope a text.
	Title string
	Steps string
	Scope string
	// Risk is required; Applier names at least one who may apply it,
	// each once.
	Risk    Risk
	Applier []Applier
}

// check checks and trims a draft and returns its content.
func (d *WorkaroundDraft) check() (WorkaroundContent, error) {
	var c WorkaroundContent
	if err := checkLabel("title", &d.Title, true); err != nil {
		return c, err
	}
	if err := checkText("steps", &d.Steps, true); err != nil {
		return c, err
	}
	if err := checkText("scope", &d.Scope, false); err != nil {
		return c, err
	}
	switch d.Risk {
	case RiskLow, RiskMedium, RiskHigh:
	default:
		return c, itsm.Errorf(itsm.CodeInvalid, "risk %q is not low, medium or high", d.Risk)
	}
	if len(d.Applier) == 0 {
		return c, itsm.Errorf(itsm.CodeInvalid, "a workaround says who may apply it")
	}
	for i, a := range d.Applier {
		switch a {
		case ApplierUser, ApplierDesk, ApplierSupplier:
		default:
			return c, itsm.Errorf(itsm.CodeInvalid, "applier %q is not user, desk or supplier", a)
		}
		if slices.Contains(d.Applier[:i], a) {
			return c, itsm.Errorf(itsm.CodeInvalid, "applier %q is given twice", a)
		}
	}
	return WorkaroundContent{Title: d.Title, Steps: d.Steps, Scope: d.Scope, Risk: d.Risk, Applier: slices.Clone(d.Applier)}, nil
}

// RecordWorkaround records a workaround in the WADB (PM-2): an agent of
// the desk, or of a supplier naming the desk, with write access.
func (s *Service) RecordWorkaround(ctx context.Context, actor itsm.Actor, d WorkaroundDraft) (*Workaround, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	desk, err := s.deskFor(ctx, "record workaround", actor, org, d.Desk)
	if err != nil {
		return nil, err
	}
	content, err := d.check()
	if err != nil {
		return nil, err
	}
	var out *Workaround
	err = s.write(ctx, func(c change) error {
		n, err := c.Tx().NextNumber(PrefixWorkaround)
		if err != nil {
			return err
		}
		out = &Workaround{ID: itsm.NewID()}
		return c.workaround(out, WorkaroundRecorded{By: By{By: actor}, Number: n, Desk: desk, RecordedBy: org.ID, WorkaroundContent: content})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// changeWorkaround runs one command on one workaround the actor's
// organisation reads, by the desk or the organisation that recorded it,
// while it is not retired.
func (s *Service) changeWorkaround(ctx context.Context, actor itsm.Actor, id itsm.ID, what string, decide func(c change, w *Workaround) error) (*Workaround, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead|itsm.AccessWrite)
	if err != nil {
		return nil, err
	}
	var out *Workaround
	err = s.write(ctx, func(c change) error {
		out = nil
		w, err := loadWorkaround(c.Tx(), id)
		if err != nil {
			return err
		}
		if !s.reads(org, w.Desk) {
			return notFound("workaround", id)
		}
		if err := itsm.CheckVersion("workaround", w.Number.String(), w.Version, s.expect); err != nil {
			return err
		}
		if err := mayChange(what, w.Number, actor, org, w.Desk, w.RecordedBy); err != nil {
			return err
		}
		if w.Retired {
			return itsm.Errorf(itsm.CodeConflict, "cannot %s %s: it is retired", what, w.Number)
		}
		if err := decide(c, w); err != nil {
			return err
		}
		if w.Resolved, err = s.resolvedBy(c.Tx(), w.ID); err != nil {
			return err
		}
		out = w
		return nil
	})
	return out, err
}

// ReviseWorkaround replaces a workaround's texts, risk and appliers: the
// desk or the organisation that recorded it.
func (s *Service) ReviseWorkaround(ctx context.Context, actor itsm.Actor, id itsm.ID, d WorkaroundDraft) (*Workaround, error) {
	content, err := d.check()
	if err != nil {
		return nil, err
	}
	return s.changeWorkaround(ctx, actor, id, "revise", func(c change, w *Workaround) error {
		return c.workaround(w, WorkaroundRevised{By: By{By: actor}, WorkaroundContent: content})
	})
}

// RetireWorkaround records that a workaround is no longer to be used: the
// desk or the organisation that recorded it. Known errors keep naming it,
// as their history; it can be attached no more, nor communicated.
func (s *Service) RetireWorkaround(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Workaround, error) {
	if err := checkText("reason", &reason, true); err != nil {
		return nil, err
	}
	return s.changeWorkaround(ctx, actor, id, "retire", func(c change, w *Workaround) error {
		return c.workaround(w, WorkaroundRetired{By: By{By: actor}, Reason: reason})
	})
}

// CheckWorkaround reports whether an incident may name workaround id as
// what resolved it: the workaround exists and is not retired. It is what
// incident.Config.Workarounds asks, inside the incident's transaction.
func (s *Service) CheckWorkaround(tx itsm.ReadTx, id itsm.ID) error {
	w, err := loadWorkaround(tx, id)
	if err != nil {
		return err
	}
	if w.Retired {
		return itsm.Errorf(itsm.CodeConflict, "workaround %s is retired", w.Number)
	}
	return nil
}
