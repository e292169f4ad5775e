package incident

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// Get returns the incident if the actor's organisation may see it, as its
// View shows it (the customer reads no work notes); one it may not see is
// reported as not found, so that a supplier cannot learn which incidents
// exist (SD-13).
func (s *Service) Get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Incident, error) {
	inc, v, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return v.Incident(inc), nil
}

// get returns the incident whole and what the actor's organisation may see
// of it; ViewNone is an error.
func (s *Service) get(ctx context.Context, actor itsm.Actor, id itsm.ID) (*Incident, View, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, ViewNone, err
	}
	var inc *Incident
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		inc, err = s.read(tx, id)
		return err
	})
	if err != nil {
		return nil, ViewNone, err
	}
	v := ViewOf(inc, org)
	if v == ViewNone {
		return nil, ViewNone, notFound(id)
	}
	return inc, v, nil
}

// GetByNumber returns the incident with the master number, as Get does.
func (s *Service) GetByNumber(ctx context.Context, actor itsm.Actor, n itsm.Number) (*Incident, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	var inc *Incident
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(itsm.Query{Kind: Kind, Index: IndexNumber, Match: itsm.MatchEqual, Value: n.String(), Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Matches) == 0 {
			return itsm.Errorf(itsm.CodeNotFound, "incident %s not found", n)
		}
		inc, err = s.decoded.decode(page.Matches[0].Record)
		return err
	})
	if err != nil {
		return nil, err
	}
	v := ViewOf(inc, org)
	if v == ViewNone {
		return nil, itsm.Errorf(itsm.CodeNotFound, "incident %s not found", n)
	}
	return v.Incident(inc), nil
}

// Filter selects incidents for List, newest first. The zero Filter lists
// every incident the actor may see.
type Filter struct {
	// State, if set, keeps incidents in that state.
	State itsm.State
	// Holder, if set, keeps incidents that organisation holds now.
	Holder itsm.ID
	// CI, Problem, Parent and Caller, if set, keep incidents related to
	// that configuration item, linked to that problem, children of that
	// incident, or reported by that person. At most one of Holder, CI,
	// Problem, Parent, Caller and Major may be set, and State only alone.
	CI      itsm.ID
	Problem itsm.ID
	Parent  itsm.ID
	Caller  string
	// Major keeps major incidents only.
	Major bool
	// Limit is the page size: 0 means itsm.DefaultLimit.
	Limit int
	// After continues from an earlier page's Next.
	After itsm.Cursor
}

// Page is one page of incidents.
type Page struct {
	Incidents []*Incident
	// Next continues the listing; "" when there is no more.
	Next itsm.Cursor
}

// List returns the incidents that match f and that the actor may see, each
// as its View shows it. A desk's agents see the desk's incidents, a
// supplier those it holds or held, a customer those of its users (SD-13).
func (s *Service) List(ctx context.Context, actor itsm.Actor, f Filter) (Page, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Page{}, err
	}
	q, err := listQuery(org, f)
	if err != nil {
		return Page{}, err
	}
	var out Page
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			inc, err := s.decoded.decode(h.Record)
			if err != nil {
				return err
			}
			// A query the organisation's scope did not narrow may return
			// others' incidents; they are dropped, so such a page can be
			// short though more follow.
			if v := ViewOf(inc, org); v != ViewNone {
				out.Incidents = append(out.Incidents, v.Incident(inc))
			}
		}
		out.Next = page.Next
		return nil
	})
	return out, err
}

// listQuery turns a filter into one index query.
func listQuery(org itsm.Organisation, f Filter) (itsm.Query, error) {
	if _, err := itsm.ValidateLimit(f.Limit); err != nil {
		return itsm.Query{}, err
	}
	// IDs are version 7 UUIDs, so ID order within a value is registration
	// order and Reverse lists the newest first.
	q := itsm.Query{Kind: Kind, Limit: f.Limit, After: f.After, Match: itsm.MatchEqual, Reverse: true}
	set := 0
	for _, on := range []bool{!f.Holder.IsZero(), !f.CI.IsZero(), !f.Problem.IsZero(), !f.Parent.IsZero(), f.Caller != "", f.Major} {
		if on {
			set++
		}
	}
	switch {
	case set > 1 || (set == 1 && f.State != ""):
		return q, itsm.Errorf(itsm.CodeInvalid, "incident filter: set at most one of holder, ci, problem, parent, caller and major; state only alone")
	case !f.Holder.IsZero():
		q.Index, q.Value = IndexHolder, f.Holder.String()
	case !f.CI.IsZero():
		q.Index, q.Value = IndexCI, f.CI.String()
	case !f.Problem.IsZero():
		q.Index, q.Value = IndexProblem, f.Problem.String()
	case !f.Parent.IsZero():
		q.Index, q.Value = IndexParent, f.Parent.String()
	case f.Caller != "":
		q.Index, q.Value = IndexCaller, f.Caller
	case f.Major:
		q.Index, q.Value = IndexMajor, "major"
	default:
		// Scoped to what the organisation may see, by its own index.
		q.Index = IndexHeld
		if org.Role == itsm.OrgCustomer {
			q.Index = IndexCustomer
		}
		q.Value = org.ID.String()
		if f.State != "" {
			q.Value += " " + string(f.State)
		}
	}
	return q, nil
}

// DueQuery selects running clocks by due time for Service.Due.
type DueQuery struct {
	// Provider, if set, keeps the clocks that organisation answers for;
	// a supplier may ask only for its own.
	Provider itsm.ID
	// From and To bound the due times: From <= due < To. A zero From has
	// no lower bound, a zero To no upper bound. "What breaches within the
	// hour" is From now, To an hour from now; "what is breached now" is To
	// now.
	From, To time.Time
	Limit    int
	After    itsm.Cursor
}

// DuePage is one page of clocks found by Service.Due, in due order.
type DuePage struct {
	Clocks []DueClock
	Next   itsm.Cursor
}

// Due finds the running clocks due in a window, over all incidents the actor
// may see (each clock's incident as its View shows it), with one index query: what breaches within the hour, what is
// breached now, per supplier (SL-1, SD-8).
func (s *Service) Due(ctx context.Context, actor itsm.Actor, q DueQuery) (DuePage, error) {
	org, err := s.actorOrg(ctx, actor, itsm.AccessRead)
	if err != nil {
		return DuePage{}, err
	}
	if org.Role == itsm.OrgSupplier && q.Provider != org.ID {
		return DuePage{}, itsm.Errorf(itsm.CodeForbidden, "supplier %s may ask only for its own clocks, not those of %s", org.ID, q.Provider)
	}
	if !q.To.IsZero() && q.To.Before(q.From) {
		return DuePage{}, itsm.Errorf(itsm.CodeInvalid, "due query: to %s is before from %s", q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	sq := itsm.Query{Kind: Kind, Index: IndexDue, Match: itsm.MatchRange, Limit: q.Limit, After: q.After,
		From: itsm.IndexTime(q.From), To: itsm.IndexTime(q.To)}
	by := !q.Provider.IsZero()
	if by {
		p := q.Provider.String() + " "
		sq.Index, sq.From = IndexDueBy, p+itsm.IndexTime(q.From)
		if q.To.IsZero() {
			sq.To, _ = itsm.PrefixEnd(p)
		} else {
			sq.To = p + itsm.IndexTime(q.To)
		}
	}
	var out DuePage
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(sq)
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			inc, err := s.decoded.decode(h.Record)
			if err != nil {
				return err
			}
			v := ViewOf(inc, org)
			if v == ViewNone {
				continue
			}
			c, err := parseDue(h.Value, by)
			if err != nil {
				return err
			}
			c.Incident = v.Incident(inc)
			out.Clocks = append(out.Clocks, c)
		}
		out.Next = page.Next
		return nil
	})
	return out, err
}
