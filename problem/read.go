package problem

import (
	"context"
	"slices"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// view returns p as org sees it: a customer reads the problem but not the
// chain's work on it (decision 97): no work notes, no assignee, no reasons
// of rejections and recalls. p itself is never changed.
func view(p *Problem, org itsm.Organisation) *Problem {
	if org.Role != itsm.OrgCustomer {
		return p
	}
	c := *p
	c.Journal, c.Assignee = nil, ""
	c.Custody = p.Custody.Clone()
	for i := range c.Assignments {
		c.Assignments[i].Assignee, c.Assignments[i].Rejected, c.Assignments[i].Recalled = "", "", ""
	}
	return &c
}

// readProblem reads problem id as org may see it.
func (s *Service) readProblem(ctx context.Context, actor itsm.Actor, find func(tx itsm.ReadTx) (*Problem, error)) (*Problem, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var p *Problem
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		p, err = find(tx)
		if err == nil && !s.reads(org, p.Desk) {
			return notFound("problem", p.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return view(p, org), nil
}

// Get returns a problem the actor may read: its organisation has read
// access to problems, and is the problem's desk or a supplier or customer
// that works with it (decision 97). To anyone else it is not found.
func (s *Service) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Problem, error) {
	return s.readProblem(ctx, actor, func(tx itsm.ReadTx) (*Problem, error) { return loadProblem(tx, id) })
}

// GetByNumber returns a problem by its master number, as Get does.
func (s *Service) GetByNumber(ctx context.Context, actor itsm.Actor, n itsm.Number) (*Problem, error) {
	return s.readProblem(ctx, actor, func(tx itsm.ReadTx) (*Problem, error) {
		page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexNumber, Match: itsm.MatchEqual, Value: n.String(), Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(page.Matches) == 0 {
			return nil, itsm.Errorf(itsm.CodeNotFound, "problem %s not found", n)
		}
		return loadProblem(tx, page.Matches[0].Record.ID)
	})
}

// Filter selects problems for List. At most one of State, Holder and
// Queue chooses the index read; the others, if set, filter its pages, so
// a page may hold fewer problems than Limit and still have a Next.
type Filter struct {
	State  itsm.State
	Holder itsm.ID
	// Queue, if set, is one of the work queues of the actor's
	// organisation (chain.Queue), in the order of what is due first, as
	// incidents' queues are.
	Queue *chain.Queue
	Limit int
	After itsm.Cursor
}

// Page is one page of problems.
type Page struct {
	Problems []*Problem
	Next     itsm.Cursor
}

// List returns problems the actor may read, a page at a time: a desk's
// own, or, for a supplier or customer, those of the desks it works with.
func (s *Service) List(ctx context.Context, actor itsm.Actor, f Filter) (Page, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Page{}, err
	}
	q := itsm.Query{Kind: Kind, Index: IndexDesk, Match: itsm.MatchAll, Limit: f.Limit, After: f.After}
	switch {
	case !f.Holder.IsZero():
		q.Index, q.Match, q.Value = IndexHolder, itsm.MatchEqual, f.Holder.String()
	case f.State != "":
		q.Index, q.Match, q.Value = IndexState, itsm.MatchEqual, string(f.State)
	case org.Role == itsm.OrgDesk:
		q.Match, q.Value = itsm.MatchEqual, org.ID.String()
	}
	var out Page
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		if f.Queue != nil {
			if q, err = chain.QueueQuery(tx, Kind, org.ID, *f.Queue, f.Limit, f.After); err != nil {
				return err
			}
		}
		keep := func(p *Problem) bool {
			return s.reads(org, p.Desk) && (f.State == "" || p.State == f.State) && (f.Holder.IsZero() || p.Holder == f.Holder)
		}
		if out.Problems, out.Next, err = itsm.LoadPage(tx, q, loadProblem, keep); err != nil {
			return err
		}
		for i, p := range out.Problems {
			out.Problems[i] = view(p, org)
		}
		return nil
	})
	return out, err
}

// Events returns a problem's history, in log order: the events of the
// problem itself. A customer reads the problem but not its history, which
// is the chain's work (decision 97). It reads the problem's own events
// through the store's index (decision 110).
func (s *Service) Events(ctx context.Context, actor itsm.Actor, id itsm.ID) ([]itsm.Event, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var out []itsm.Event
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		p, err := loadProblem(tx, id)
		switch {
		case err != nil:
			return err
		case !s.reads(org, p.Desk):
			return notFound("problem", id)
		case org.Role == itsm.OrgCustomer:
			return itsm.Errorf(itsm.CodeForbidden, "the history of problem %s is the support chain's; customer %s reads the problem itself", p.Number, org.ID)
		}
		out, err = History(tx, Kind, id)
		return err
	})
	return out, err
}

// History returns the events of kind about subject in tx's log, in log
// order, through the store's index of a record's events: the input of Replay,
// ReplayKnownError and ReplayWorkaround.
func History(tx itsm.ReadTx, kind string, subject itsm.ID) ([]itsm.Event, error) {
	// The store seeks the record's events in its index, so a history
	// costs its own length, not the log's.
	return itsm.AllEventsOf(tx, kind, subject)
}

// KnownError returns a known error the actor may read, as Get a problem.
func (s *Service) KnownError(ctx context.Context, actor itsm.Actor, id itsm.ID) (*KnownError, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var k *KnownError
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		k, err = loadKnownError(tx, id)
		if err == nil && !s.reads(org, k.Desk) {
			return notFound("known error", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// KnownErrorPage is one page of known errors.
type KnownErrorPage struct {
	KnownErrors []*KnownError
	Next        itsm.Cursor
}

// KnownErrorFilter selects known errors: by service, CI, error code, or
// those not retired without a released fix. The first set of Service, CI,
// ErrorCode and Unfixed, in that order, chooses the index read; the others
// filter its pages, so a page may hold fewer than Limit and still have a
// Next.
type KnownErrorFilter struct {
	Service   string
	CI        itsm.ID
	ErrorCode string
	Unfixed   bool
	Limit     int
	After     itsm.Cursor
}

// unfixed reports whether k is a known error without a permanent fix.
func (k *KnownError) unfixed() bool { return !k.Retired && k.Fix.Status != FixReleased }

// KnownErrors returns known errors the actor may read, a page at a time.
func (s *Service) KnownErrors(ctx context.Context, actor itsm.Actor, f KnownErrorFilter) (KnownErrorPage, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return KnownErrorPage{}, err
	}
	q := itsm.Query{Kind: KindKnownError, Index: IndexDesk, Match: itsm.MatchAll, Limit: f.Limit, After: f.After}
	switch {
	case f.Service != "":
		q.Index, q.Match, q.Value = IndexService, itsm.MatchEqual, f.Service
	case !f.CI.IsZero():
		q.Index, q.Match, q.Value = IndexCI, itsm.MatchEqual, f.CI.String()
	case f.ErrorCode != "":
		q.Index, q.Match, q.Value = IndexErrorCode, itsm.MatchEqual, f.ErrorCode
	case f.Unfixed && org.Role == itsm.OrgDesk:
		q.Index, q.Match, q.Value = IndexUnfixed, itsm.MatchEqual, org.ID.String()
	case f.Unfixed:
		q.Index = IndexUnfixed
	case org.Role == itsm.OrgDesk:
		q.Match, q.Value = itsm.MatchEqual, org.ID.String()
	}
	keep := func(k *KnownError) bool {
		return s.reads(org, k.Desk) && (f.Service == "" || slices.Contains(k.Services, f.Service)) &&
			(f.CI.IsZero() || slices.Contains(k.CIs, f.CI)) && (f.ErrorCode == "" || slices.Contains(k.ErrorCodes, f.ErrorCode)) &&
			(!f.Unfixed || k.unfixed())
	}
	var out KnownErrorPage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		out.KnownErrors, out.Next, err = itsm.LoadPage(tx, q, loadKnownError, keep)
		return err
	})
	return out, err
}

// Workaround returns a workaround the actor may read, with the number of
// incidents it resolved.
func (s *Service) Workaround(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Workaround, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var w *Workaround
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		if w, err = loadWorkaround(tx, id); err != nil {
			return err
		}
		if !s.reads(org, w.Desk) {
			return notFound("workaround", id)
		}
		w.Resolved, err = s.resolvedBy(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// WorkaroundPage is one page of workarounds.
type WorkaroundPage struct {
	Workarounds []*Workaround
	Next        itsm.Cursor
}

// Workarounds returns workarounds the actor may read, a page at a time,
// each with the number of incidents it resolved.
func (s *Service) Workarounds(ctx context.Context, actor itsm.Actor, limit int, after itsm.Cursor) (WorkaroundPage, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return WorkaroundPage{}, err
	}
	q := itsm.Query{Kind: KindWorkaround, Index: IndexDesk, Match: itsm.MatchAll, Limit: limit, After: after}
	if org.Role == itsm.OrgDesk {
		q.Match, q.Value = itsm.MatchEqual, org.ID.String()
	}
	var out WorkaroundPage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		var err error
		keep := func(w *Workaround) bool { return s.reads(org, w.Desk) }
		if out.Workarounds, out.Next, err = itsm.LoadPage(tx, q, loadWorkaround, keep); err != nil {
			return err
		}
		for _, w := range out.Workarounds {
			if w.Resolved, err = s.resolvedBy(tx, w.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
