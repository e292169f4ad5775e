package followup

import (
	"context"
	"encoding/json"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// IndexList is the index of follow-up records that List queries. Each record
// has, for each organisation that sees it (its desk and its customer), the
// values "viewer customer state month", with "*" for customer and state in
// every combination, so that any filter is one prefix or equality query that
// returns only what the viewer may see, newest month first. It is named here
// for tools that read the store directly.
const IndexList = "list"

const anyValue = "*"

func record(f *FollowUp) (itsm.Record, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return itsm.Record{}, itsm.Wrap(itsm.CodeInternal, err, "encode follow-up %s", f.ID)
	}
	var values []string
	for _, viewer := range []itsm.ID{f.Desk, f.Customer} {
		for _, c := range []string{f.Customer.String(), anyValue} {
			for _, st := range []string{string(f.State), anyValue} {
				values = append(values, listPrefix(viewer, c, st)+f.Month)
			}
		}
	}
	return itsm.Record{Kind: Kind, ID: f.ID, Body: body, Index: map[string][]string{IndexList: values}}, nil
}

func listPrefix(viewer itsm.ID, customer, state string) string {
	return viewer.String() + " " + customer + " " + state + " "
}

// Get returns the follow-up with the key if the actor's organisation may see
// it: its desk or its customer. One it may not see is reported as not found.
func (s *Service) Get(ctx context.Context, actor itsm.Actor, key itsm.ID) (*FollowUp, error) {
	org, err := s.viewer(ctx, actor, itsm.AccessRead)
	if err != nil {
		return nil, err
	}
	f, err := s.peek(ctx, key)
	switch {
	case err != nil:
		return nil, err
	case f == nil || !visible(f, org):
		return nil, notFound(key)
	}
	return f, nil
}

// Filter selects follow-ups for List. The zero Filter lists every follow-up
// the actor may see.
type Filter struct {
	// Customer, if set, keeps that customer's follow-ups.
	Customer itsm.ID
	// Period, if set, keeps the follow-ups of that month; it must be one
	// calendar month, as report.Month returns.
	Period report.Period
	// State, if set, keeps follow-ups whose last version is in that state.
	State State
	// Limit is the page size: 0 means itsm.DefaultLimit.
	Limit int
	// After continues from an earlier page's Next.
	After itsm.Cursor
}

// Page is one page of follow-ups.
type Page struct {
	FollowUps []*FollowUp
	// Next continues the listing; "" when there is no more.
	Next itsm.Cursor
}

// List returns the follow-ups that match f and that the actor may see, the
// newest month first: a desk's those it drafted, a customer's its own.
func (s *Service) List(ctx context.Context, actor itsm.Actor, f Filter) (Page, error) {
	org, err := s.viewer(ctx, actor, itsm.AccessRead)
	if err != nil {
		return Page{}, err
	}
	if _, err := itsm.ValidateLimit(f.Limit); err != nil {
		return Page{}, err
	}
	customer, state := anyValue, anyValue
	if !f.Customer.IsZero() {
		customer = f.Customer.String()
	}
	if f.State != "" {
		if !f.State.Valid() {
			return Page{}, itsm.Errorf(itsm.CodeInvalid, "follow-up filter: state %q is not drafted, rejected or approved", f.State)
		}
		state = string(f.State)
	}
	q := itsm.Query{Kind: Kind, Index: IndexList, Match: itsm.MatchPrefix, Value: listPrefix(org.ID, customer, state),
		Reverse: true, Limit: f.Limit, After: f.After}
	if !f.Period.From.IsZero() || !f.Period.To.IsZero() {
		month, err := monthOf(f.Period)
		if err != nil {
			return Page{}, err
		}
		q.Match, q.Value = itsm.MatchEqual, q.Value+month
	}
	var out Page
	err = s.cfg.Store.Read(ctx, func(tx itsm.ReadTx) error {
		page, err := tx.Query(q)
		if err != nil {
			return err
		}
		for _, h := range page.Matches {
			fu, err := decodeRecord(h.Record)
			if err != nil {
				return err
			}
			// The index value names the viewer, so this holds; checked all
			// the same, because a wrong index must not show others' months.
			if !visible(fu, org) {
				return itsm.Errorf(itsm.CodeInternal, "follow-up %s is listed for %s, which may not see it", fu.ID, org.ID)
			}
			out.FollowUps = append(out.FollowUps, fu)
		}
		out.Next = page.Next
		return nil
	})
	return out, err
}
