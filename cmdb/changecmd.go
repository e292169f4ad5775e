package cmdb

import (
	"context"
	"slices"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// NewChange is a change as its author registers it.
type NewChange struct {
	// Desk is the desk whose items the change touches: a desk's agent
	// leaves it zero (their own desk); a supplier's agent names a desk it
	// works with.
	Desk itsm.ID
	// Kind is planned ("" means planned) or unplanned.
	Kind ChangeKind
	// Incident is the major incident an unplanned outage comes from:
	// required of an unplanned change, refused of a planned one.
	Incident itsm.ID
	// The fields an edit gives too.
	ChangeEdit
}

// ChangeEdit is the fields of a change its authors write, all of them:
// an edit replaces each with what it gives.
type ChangeEdit struct {
	// Title is required: a label for the desk and the suppliers.
	Title string
	// Supplier is the supplier that carries the change out, working with
	// the desk; zero means the desk. A supplier's agent names its own
	// organisation or leaves it zero.
	Supplier itsm.ID
	// Window is when the change happens, on the wall clocks of its zone.
	Window LocalWindow
	// Items are the items the change touches: at least one, items of the
	// desk that are not retired.
	Items []itsm.ID
	// Effect is required: none, degraded or outage.
	Effect ChangeEffect
	// Texts are what users are told; Swedish is required.
	Texts Texts
}

// prepared is a ChangeEdit checked and canonical.
type prepared struct {
	title    string
	supplier itsm.ID
	window   Window
	items    []itsm.ID
	effect   ChangeEffect
	texts    Texts
}

// prepare checks e for a change of desk, as far as it can without a
// transaction: everything but the items' records.
func (s *Service) prepare(ctx context.Context, desk itsm.ID, e ChangeEdit) (prepared, error) {
	p := prepared{title: e.Title, supplier: e.Supplier, effect: e.Effect, texts: e.Texts}
	if err := itsm.TrimLabel("change title", &p.title, true); err != nil {
		return p, err
	}
	var err error
	if p.window, err = s.window(e.Window); err != nil {
		return p, err
	}
	if p.items, err = checkItemIDs(e.Items); err != nil {
		return p, err
	}
	switch {
	case p.effect == "":
		return p, itsm.Errorf(itsm.CodeInvalid, "change effect is required: none, degraded or outage")
	case !p.effect.Valid():
		return p, itsm.Errorf(itsm.CodeInvalid, "change effect %q is not none, degraded or outage", itsm.Printable(string(p.effect), 64))
	}
	if err := p.texts.check(); err != nil {
		return p, err
	}
	return p, s.checkSupplier(ctx, desk, p.supplier)
}

// writesChange reports whether an agent of org, given write access,
// changes ch: its desk every change of the desk, a supplier those it
// carries out.
func (s *Service) writesChange(org itsm.Organisation, ch *Change) bool {
	switch {
	case org.ID == ch.Desk:
		return true
	case org.Role != itsm.OrgSupplier || ch.Supplier != org.ID:
		return false
	}
	return s.reads(org, ch.Desk)
}

// CreateChange registers a change as a draft (CH-1): an agent of the desk
// for its own desk, or of a supplier working with the desk, naming the
// desk, for a change it carries out (its Supplier, filled in when zero).
// Every input is checked: the title, the window (a start and an end on
// the wall clocks of an IANA zone, the end after the start, at most
// MaxWindow long, not over yet and starting within MaxAhead), the items
// (items of the desk that are not retired), the effect, the texts
// (Swedish required) and, for an unplanned outage, the incident it comes
// from. The change gets a number, CHG0000042.
func (s *Service) CreateChange(ctx context.Context, actor itsm.Actor, n NewChange) (*Change, error) {
	org, err := s.writer(ctx, actor, "create change")
	if err != nil {
		return nil, err
	}
	if n.Desk, err = s.deskFor(ctx, org, n.Desk, "create change"); err != nil {
		return nil, err
	}
	if org.Role == itsm.OrgSupplier {
		switch {
		case n.Supplier.IsZero():
			n.Supplier = org.ID
		case n.Supplier != org.ID:
			return nil, itsm.Errorf(itsm.CodeForbidden, "create change: supplier %s registers changes it carries out, not those of %s", org.ID, n.Supplier)
		}
	}
	switch {
	case n.Kind == "":
		n.Kind = ChangePlanned
	case !n.Kind.Valid():
		return nil, itsm.Errorf(itsm.CodeInvalid, "change kind %q is not planned or unplanned", itsm.Printable(string(n.Kind), 64))
	}
	switch {
	case n.Kind == ChangePlanned && !n.Incident.IsZero():
		return nil, itsm.Errorf(itsm.CodeInvalid, "a planned change names no incident; an unplanned outage does")
	case n.Kind == ChangeUnplanned && n.Incident.IsZero():
		return nil, itsm.Errorf(itsm.CodeInvalid, "an unplanned outage names the major incident it comes from")
	}
	p, err := s.prepare(ctx, n.Desk, n.ChangeEdit)
	if err != nil {
		return nil, err
	}
	var out *Change
	err = s.write(ctx, func(c change) error {
		if err := checkWhen(p.window, c.At()); err != nil {
			return err
		}
		if err := s.CheckItems(c.Tx(), n.Desk, p.items); err != nil {
			return err
		}
		num, err := c.Tx().NextNumber(ChangeNumberPrefix)
		if err != nil {
			return err
		}
		out = &Change{ID: itsm.NewID()}
		return c.putChange(out, ChangeCreated{By: By{By: actor}, Number: num, Desk: n.Desk, Supplier: p.supplier, Kind: n.Kind,
			Incident: n.Incident, Title: p.title, Window: p.window, Items: p.items, Effect: p.effect, Texts: p.texts})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// putChange applies payloads to ch and records their events.
func (c change) putChange(ch *Change, ps ...ChangePayload) error {
	c.Touch(ch, ch.ID, &ch.Version)
	return itsm.Apply(c.Batch, changeCodec, ch.ID, ch, ChangePayload.apply, ps...)
}

// modifyChange runs one command of a writer on a change: an agent of its
// desk, or of the supplier that carries it out.
func (s *Service) modifyChange(ctx context.Context, actor itsm.Actor, id itsm.ID, what string,
	decide func(c change, org itsm.Organisation, ch *Change) error) (*Change, error) {
	org, err := s.writer(ctx, actor, what+" change")
	if err != nil {
		return nil, err
	}
	var out *Change
	err = s.write(ctx, func(c change) error {
		ch, err := s.readableChange(c.Tx(), org, id)
		if err != nil {
			return err
		}
		if !s.writesChange(org, ch) {
			return itsm.Errorf(itsm.CodeForbidden, "cannot %s %s: its desk %s and the supplier that carries it out write it, not %s %s",
				what, ch.Number, ch.Desk, org.Role, org.ID)
		}
		if err := itsm.CheckVersion("change", ch.Number.String(), ch.Version, s.expect); err != nil {
			return err
		}
		if ch.State.Final() {
			return itsm.Errorf(itsm.CodeConflict, "cannot %s %s: it is %s", what, ch.Number, ch.State)
		}
		if err := decide(c, org, ch); err != nil {
			return err
		}
		out = ch
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EditChange replaces a change's title, supplier, window, items, effect
// and texts with e's, checked as CreateChange checks them, except that a
// window kept as it was is not compared with now, and only items added
// must be live: an item retired since stays on the change. An edit that
// changes nothing writes nothing. An edit of an approved change that
// changes what users are told (window, items, effect or texts) makes it
// a draft again: the object owner agreed to what they saw. A change in
// progress keeps its state, so that its window can be stretched while
// it runs. A supplier does not hand the change to another supplier; the
// desk does. A completed or cancelled change is not edited.
func (s *Service) EditChange(ctx context.Context, actor itsm.Actor, id itsm.ID, e ChangeEdit) (*Change, error) {
	return s.modifyChange(ctx, actor, id, "edit", func(c change, org itsm.Organisation, ch *Change) error {
		p, err := s.prepare(ctx, ch.Desk, e)
		if err != nil {
			return err
		}
		if org.Role == itsm.OrgSupplier && p.supplier != org.ID {
			return itsm.Errorf(itsm.CodeForbidden, "edit %s: supplier %s carries it out; only the desk hands a change to another", ch.Number, org.ID)
		}
		changed := changeEdits(ch, &p)
		if len(changed) == 0 {
			return nil
		}
		if slices.Contains(changed, "window") {
			if err := checkWhen(p.window, c.At()); err != nil {
				return err
			}
		}
		var added []itsm.ID
		for _, id := range p.items {
			if !slices.Contains(ch.Items, id) {
				added = append(added, id)
			}
		}
		if err := s.CheckItems(c.Tx(), ch.Desk, added); err != nil {
			return err
		}
		unapproved := ch.State == ChangeStateApproved && slices.ContainsFunc(changed, func(f string) bool { return f != "title" && f != "supplier" })
		return c.putChange(ch, ChangeEdited{By: By{By: actor}, Title: p.title, Supplier: p.supplier, Window: p.window, Items: p.items,
			Effect: p.effect, Texts: p.texts, Changed: changed, Unapproved: unapproved})
	})
}

// changeEdits names the fields p changes of ch, as ChangeEdited.Changed
// does.
func changeEdits(ch *Change, p *prepared) []string {
	var out []string
	if ch.Title != p.title {
		out = append(out, "title")
	}
	if ch.Supplier != p.supplier {
		out = append(out, "supplier")
	}
	if !ch.Window.Start.Equal(p.window.Start) || !ch.Window.End.Equal(p.window.End) || ch.Window.Zone != p.window.Zone {
		out = append(out, "window")
	}
	if !slices.Equal(ch.Items, p.items) {
		out = append(out, "items")
	}
	if ch.Effect != p.effect {
		out = append(out, "effect")
	}
	if ch.Texts != p.texts {
		out = append(out, "texts")
	}
	return out
}

// ApproveChange records that the object owner, the customer's person
// named, agreed at the instant at (zero: now) that users be told of a
// draft change (CH-1): an agent of the desk or of the supplier that
// carries it out records it. From then on the change is among the
// outages users see, when its effect is one they notice. at is neither in
// the future nor more than MaxPeriod ago, and the window has not ended.
func (s *Service) ApproveChange(ctx context.Context, actor itsm.Actor, id itsm.ID, objectOwner string, at time.Time) (*Change, error) {
	if err := itsm.TrimLabel("object owner", &objectOwner, true); err != nil {
		return nil, err
	}
	return s.modifyChange(ctx, actor, id, "approve", func(c change, _ itsm.Organisation, ch *Change) error {
		now := c.At()
		if at.IsZero() {
			at = now
		}
		switch {
		case ch.State != ChangeStateDraft:
			return itsm.Errorf(itsm.CodeConflict, "cannot approve %s: it is %s, not a draft", ch.Number, ch.State)
		case at.After(now):
			return itsm.Errorf(itsm.CodeInvalid, "approve %s: the object owner's approval at %s is in the future", ch.Number, at.UTC().Format(time.RFC3339))
		case at.Before(now.Add(-MaxPeriod)):
			return itsm.Errorf(itsm.CodeInvalid, "approve %s: the object owner's approval at %s is more than %d days old", ch.Number,
				at.UTC().Format(time.RFC3339), MaxPeriod/(24*time.Hour))
		case !ch.Window.End.After(now):
			return itsm.Errorf(itsm.CodeConflict, "cannot approve %s: its window ended at %s", ch.Number, ch.Window.End.In(ch.Window.Location()).Format(time.RFC3339))
		}
		return c.putChange(ch, ChangeApproved{By: By{By: actor}, ObjectOwner: objectOwner, ApprovedAt: at.UTC()})
	})
}

// StartChange records that the work of an approved change began.
func (s *Service) StartChange(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Change, error) {
	return s.modifyChange(ctx, actor, id, "start", func(c change, _ itsm.Organisation, ch *Change) error {
		if ch.State != ChangeStateApproved {
			return itsm.Errorf(itsm.CodeConflict, "cannot start %s: it is %s; a change starts once approved", ch.Number, ch.State)
		}
		return c.putChange(ch, ChangeStarted{By: By{By: actor}})
	})
}

// CompleteChange records that the work of a change in progress is over,
// with an optional note of how it went (a change rolled back is
// completed, saying so: it happened).
func (s *Service) CompleteChange(ctx context.Context, actor itsm.Actor, id itsm.ID, note string) (*Change, error) {
	if err := itsm.TrimText("note", &note, false, MaxText); err != nil {
		return nil, err
	}
	return s.modifyChange(ctx, actor, id, "complete", func(c change, _ itsm.Organisation, ch *Change) error {
		if ch.State != ChangeStateInProgress {
			return itsm.Errorf(itsm.CodeConflict, "cannot complete %s: it is %s, not in progress", ch.Number, ch.State)
		}
		return c.putChange(ch, ChangeCompleted{By: By{By: actor}, Note: note})
	})
}

// CancelChange records that a draft or approved change will not happen,
// and why. A change in progress has happened: it is completed, with a
// note.
func (s *Service) CancelChange(ctx context.Context, actor itsm.Actor, id itsm.ID, reason string) (*Change, error) {
	if err := itsm.TrimText("reason", &reason, true, MaxText); err != nil {
		return nil, err
	}
	return s.modifyChange(ctx, actor, id, "cancel", func(c change, _ itsm.Organisation, ch *Change) error {
		if ch.State == ChangeStateInProgress {
			return itsm.Errorf(itsm.CodeConflict, "cannot cancel %s: it is in progress; complete it, saying how it ended", ch.Number)
		}
		return c.putChange(ch, ChangeCancelled{By: By{By: actor}, Reason: reason})
	})
}

// notFoundChange is what an actor learns of a change it may not see.
func notFoundChange(id itsm.ID) error {
	return itsm.Errorf(itsm.CodeNotFound, "change %s not found", id)
}

// readableChange loads a change that org, given read access, sees;
// another is not found.
func (s *Service) readableChange(tx itsm.ReadTx, org itsm.Organisation, id itsm.ID) (*Change, error) {
	ch, err := loadChange(tx, id)
	if err != nil {
		return nil, err
	}
	if !s.reads(org, ch.Desk) {
		return nil, notFoundChange(id)
	}
	return ch, nil
}

// GetChange returns a change to whoever reads its desk's items: the desk,
// and the suppliers and customers that work with it, given read access
// to the CMDB.
func (s *Service) GetChange(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Change, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var out *Change
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out, err = s.readableChange(tx, org, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ChangeRevision is one event of a change's history, decoded.
type ChangeRevision struct {
	// Seq is the event's position in the store's log.
	Seq int64 `json:"seq"`
	// Time is when it happened.
	Time time.Time `json:"time"`
	// Type is the event's type, such as "cmdb.change.approved".
	Type string `json:"type"`
	// By is who did it.
	By itsm.Actor `json:"by"`
	// Payload is the event's data.
	Payload ChangePayload `json:"payload"`
}

// ChangeHistory returns every event of a change, oldest first, to
// whoever reads the change.
func (s *Service) ChangeHistory(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]ChangeRevision, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var es []itsm.Event
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		if _, err := s.readableChange(tx, org, id); err != nil {
			return err
		}
		es, err = itsm.AllEventsOf(tx, KindChange, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]ChangeRevision, 0, len(es))
	for _, e := range es {
		p, err := changeCodec.Decode(e)
		if err != nil {
			return nil, err
		}
		out = append(out, ChangeRevision{Seq: e.Seq, Time: e.Time.UTC(), Type: e.Type, By: p.Actor(), Payload: p})
	}
	return out, nil
}
