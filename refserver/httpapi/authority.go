package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/sla"
)

// lists returns the customers' lists and the actor of the request, or
// itsm.CodeUnsupported when the server runs without requests.
func (a *API) lists(ctx context.Context) (*authority.Lists, itsm.Actor, error) {
	if a.authority == nil {
		return nil, itsm.Actor{}, notImplemented("requests")
	}
	who, err := actor(ctx)
	return a.authority, who, err
}

// day reads a day the contract's pattern let through; what names it.
func day(what, s string) (sla.Date, error) {
	if s == "" {
		return sla.Date{}, nil
	}
	d, err := sla.ParseDate(s)
	if err != nil {
		return d, itsm.Errorf(itsm.CodeInvalid, "%s %q is not a day such as 2026-11-30", what, s)
	}
	return d, nil
}

// days reads the from and until of a grant or an absence.
func days(from, until string) (sla.Date, sla.Date, error) {
	f, err := day("from", from)
	if err != nil {
		return f, sla.Date{}, err
	}
	u, err := day("until", until)
	return f, u, err
}

// ListGrants lists the grants of one customer's lists.
func (a *API) ListGrants(ctx context.Context, req api.ListGrantsRequestObject) (api.ListGrantsResponseObject, error) {
	l, who, err := a.lists(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	o := authority.ListOptions{Customer: p.Customer, Person: p.Person, Item: p.Item, Service: p.Service, Role: p.Role,
		Limit: p.Limit, After: itsm.Cursor(p.Cursor)}
	if p.ValidOn != "" {
		d, err := day("valid_on", p.ValidOn)
		if err != nil {
			return nil, err
		}
		o.ValidOn = &d
	}
	page, err := l.List(ctx, who, o)
	if err != nil {
		return nil, err
	}
	out := api.ListGrants200JSONResponse{Items: make([]api.Grant, 0, len(page.Grants)), Next: string(page.Next)}
	for _, g := range page.Grants {
		out.Items = append(out.Items, *g)
	}
	return out, nil
}

// GrantAuthority puts a person on a customer's lists.
func (a *API) GrantAuthority(ctx context.Context, req api.GrantAuthorityRequestObject) (api.GrantAuthorityResponseObject, error) {
	l, who, err := a.lists(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	g := authority.Grant{Customer: b.Customer, Person: b.Person, Role: b.Role, Item: b.Item, Service: b.Service}
	if g.From, g.Until, err = days(b.From, b.Until); err != nil {
		return nil, err
	}
	out, err := l.Grant(ctx, who, g)
	if err != nil {
		return nil, err
	}
	return api.GrantAuthority201JSONResponse{Body: *out, Headers: api.GrantAuthority201ResponseHeaders{
		Location: "/v1/authority/grants/" + out.ID.String()}}, nil
}

// GetGrant returns one grant.
func (a *API) GetGrant(ctx context.Context, req api.GetGrantRequestObject) (api.GetGrantResponseObject, error) {
	l, who, err := a.lists(ctx)
	if err != nil {
		return nil, err
	}
	g, err := l.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return domainJSON{http.StatusOK, g}, nil
}

// EndGrant shortens a grant.
func (a *API) EndGrant(ctx context.Context, req api.EndGrantRequestObject) (api.EndGrantResponseObject, error) {
	l, who, err := a.lists(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	until, err := day("until", b.Until)
	if err != nil {
		return nil, err
	}
	g, err := l.End(ctx, who, req.ID, until, b.Reason)
	if err != nil {
		return nil, err
	}
	return domainJSON{http.StatusOK, g}, nil
}

// RecordAbsence records an approver's absence with a stand-in.
func (a *API) RecordAbsence(ctx context.Context, req api.RecordAbsenceRequestObject) (api.RecordAbsenceResponseObject, error) {
	l, who, err := a.lists(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	ab := authority.Absence{Customer: b.Customer, Person: b.Person, StandIn: b.StandIn, Reason: b.Reason}
	if ab.From, ab.Until, err = days(b.From, b.Until); err != nil {
		return nil, err
	}
	out, err := l.Absent(ctx, who, ab)
	if err != nil {
		return nil, err
	}
	return domainJSON{http.StatusCreated, out}, nil
}

// domainJSON answers a grant or an absence as its own MarshalJSON writes
// it, with its days as 2026-11-30: the generated response types are new
// named types of the domain's, which drop its methods and would write the
// days as objects.
type domainJSON struct {
	status int
	v      any
}

func (r domainJSON) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	return json.NewEncoder(w).Encode(r.v)
}

// VisitGetGrantResponse writes the grant.
func (r domainJSON) VisitGetGrantResponse(w http.ResponseWriter) error { return r.write(w) }

// VisitEndGrantResponse writes the grant as ended.
func (r domainJSON) VisitEndGrantResponse(w http.ResponseWriter) error { return r.write(w) }

// VisitRecordAbsenceResponse writes the absence recorded.
func (r domainJSON) VisitRecordAbsenceResponse(w http.ResponseWriter) error { return r.write(w) }
