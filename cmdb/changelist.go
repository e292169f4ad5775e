package cmdb

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// ChangeFilter selects the changes ListChanges returns, all of one desk.
// Every field set must match.
type ChangeFilter struct {
	// Desk is the desk whose changes are listed: zero means the actor's
	// own, for a desk's agent; a supplier or customer names a desk it
	// works with.
	Desk  itsm.ID
	State ChangeState
	// From and To select the changes whose windows start in [From, To);
	// a zero bound leaves that side open.
	From, To time.Time
	// Limit is the page size (0 means itsm.DefaultLimit); After
	// continues from an earlier page's Next.
	Limit int
	After itsm.Cursor
}

// ChangesPage is one page of a list of changes.
type ChangesPage struct {
	Changes []*Change `json:"changes"`
	// Next continues the list; "" when it is complete. A filtered page
	// may hold fewer than the limit and still have a Next.
	Next itsm.Cursor `json:"next,omitempty"`
}

// ListChanges returns one page of a desk's changes, cancelled ones
// included, in the order of their windows' starts, to whoever reads the
// desk's items (GetChange); the forward schedule (Schedule) is the same
// changes grouped by week, with their impact and collisions.
func (s *Service) ListChanges(ctx context.Context, actor itsm.Actor, f ChangeFilter) (ChangesPage, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return ChangesPage{}, err
	}
	if f.Desk, err = s.scheduleDesk(org, f.Desk, "list changes"); err != nil {
		return ChangesPage{}, err
	}
	switch {
	case f.State != "" && !f.State.Valid():
		return ChangesPage{}, itsm.Errorf(itsm.CodeInvalid, "list changes: state %q is not draft, approved, in_progress, completed or cancelled",
			itsm.Printable(string(f.State), 64))
	case !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From):
		return ChangesPage{}, itsm.Errorf(itsm.CodeInvalid, "list changes: to %s is not after from %s", f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
	}
	limit, err := itsm.ValidateLimit(f.Limit)
	if err != nil {
		return ChangesPage{}, err
	}
	// The start index holds "desk instant": one desk's changes are the
	// values from "desk " to the end of that prefix.
	q := itsm.Query{Kind: KindChange, Index: indexChangeStart, Match: itsm.MatchRange, Limit: limit, After: f.After,
		From: deskValue(f.Desk, itsm.IndexTime(f.From))}
	if f.To.IsZero() {
		q.To, _ = itsm.PrefixEnd(deskValue(f.Desk, ""))
	} else {
		q.To = deskValue(f.Desk, itsm.IndexTime(f.To))
	}
	var out ChangesPage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		out.Changes, out.Next, err = itsm.LoadPage(tx, q, loadChange, func(ch *Change) bool {
			return ch.Desk == f.Desk && (f.State == "" || ch.State == f.State)
		})
		return err
	})
	if err != nil {
		return ChangesPage{}, err
	}
	if out.Changes == nil {
		out.Changes = []*Change{}
	}
	return out, nil
}
