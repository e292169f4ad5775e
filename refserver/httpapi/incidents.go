package httpapi

import (
	"context"
	"strconv"
	"strings"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/sla"
)

// ETag is the strong entity tag of an incident's version.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// forIfMatch returns the service view that applies a command only to the
// version an If-Match header names. An absent header and "*" name none. A
// tag that is no version this server ever gave out can match no version,
// so it fails as a stale one does (412), as RFC 9110 has it for a tag that
// does not match the current one.
func (a *API) forIfMatch(h string) (*incident.Service, error) {
	return forVersion(a.svc, a.svc.IfVersion, h, "the incident")
}

// forVersion returns svc as an If-Match header h asks, for any service with
// an IfVersion: svc itself for no header or "*", else the view that applies
// a command only at the version h names (what is the record, for errors).
func forVersion[S any](svc S, ifVersion func(int64) S, h, what string) (S, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return svc, nil
	}
	v, ok := parseETag(h)
	if !ok {
		var none S
		return none, itsm.Errorf(itsm.CodeConflict, "If-Match %q names no version of %s: %w", h, what, itsm.ErrStale)
	}
	return ifVersion(v), nil
}

// parseETag reads a tag ETag wrote.
func parseETag(h string) (int64, bool) {
	if len(h) < 3 || h[0] != '"' || h[len(h)-1] != '"' {
		return 0, false
	}
	digits := h[1 : len(h)-1]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || v <= 0 || strconv.FormatInt(v, 10) != digits {
		return 0, false
	}
	return v, true
}

// result is the response of every request answered with one incident.
func result(inc *incident.Incident) api.IncidentResultJSONResponse {
	return api.IncidentResultJSONResponse{Body: *inc, Headers: api.IncidentResultResponseHeaders{ETag: ETag(inc.Version)}}
}

// body returns the decoded request body, which validation makes sure of.
func body[T any](b *T) (T, error) {
	if b == nil {
		var zero T
		return zero, itsm.Errorf(itsm.CodeInvalid, "the request has no body")
	}
	return *b, nil
}

// command runs one incident command for the request's actor, under the
// request's If-Match.
func (a *API) command(ctx context.Context, ifMatch string,
	do func(svc *incident.Service, actor itsm.Actor) (*incident.Incident, error)) (api.IncidentResultJSONResponse, error) {
	who, err := actor(ctx)
	if err != nil {
		return api.IncidentResultJSONResponse{}, err
	}
	svc, err := a.forIfMatch(ifMatch)
	if err != nil {
		return api.IncidentResultJSONResponse{}, err
	}
	inc, err := do(svc, who)
	if err != nil {
		return api.IncidentResultJSONResponse{}, err
	}
	return result(inc), nil
}

// commandWith is command for an operation whose body the command needs.
func commandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *incident.Service, actor itsm.Actor, b B) (*incident.Incident, error)) (api.IncidentResultJSONResponse, error) {
	return a.command(ctx, ifMatch, func(svc *incident.Service, who itsm.Actor) (*incident.Incident, error) {
		v, err := body(b)
		if err != nil {
			return nil, err
		}
		return do(svc, who, v)
	})
}

// ListIncidents lists the incidents the caller may see (SD-13).
func (a *API) ListIncidents(ctx context.Context, req api.ListIncidentsRequestObject) (api.ListIncidentsResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := a.svc.List(ctx, who, incident.Filter{State: p.State, Holder: p.Holder, CI: p.CI, Problem: p.Problem,
		Parent: p.Parent, Caller: p.Caller, Major: p.Major, Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListIncidents200JSONResponse{Items: make([]api.Incident, 0, len(page.Incidents)), Next: string(page.Next)}
	for _, inc := range page.Incidents {
		out.Items = append(out.Items, *inc)
	}
	return out, nil
}

// RegisterIncident registers an incident at the caller's desk; the
// Idempotency-Key makes a retry return the first attempt's incident.
func (a *API) RegisterIncident(ctx context.Context, req api.RegisterIncidentRequestObject) (api.RegisterIncidentResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	inc, err := a.svc.Register(ctx, who, incident.Registration{Customer: b.Customer, Caller: b.Caller, Channel: b.Channel,
		Service: b.Service, Category: b.Category, Subcategory: b.Subcategory, Summary: b.Summary,
		Description: b.Description, Impact: b.Impact, Urgency: b.Urgency, CIs: b.CIs, Group: b.Group, Key: req.Params.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	return api.RegisterIncident201JSONResponse{Body: *inc, Headers: api.RegisterIncident201ResponseHeaders{
		ETag: ETag(inc.Version), Location: "/v1/incidents/" + inc.ID.String()}}, nil
}

// get finds an incident by ID or master number.
func (a *API) get(ctx context.Context, who itsm.Actor, idOrNumber string) (*incident.Incident, error) {
	if id, err := itsm.ParseID(idOrNumber); err == nil {
		return a.svc.Get(ctx, who, id)
	}
	n, err := itsm.ParseNumber(idOrNumber)
	if err != nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "%q is neither an incident's ID nor a master number", idOrNumber)
	}
	return a.svc.GetByNumber(ctx, who, n)
}

// GetIncident returns one incident by ID or master number.
func (a *API) GetIncident(ctx context.Context, req api.GetIncidentRequestObject) (api.GetIncidentResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	inc, err := a.get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetIncident200JSONResponse{IncidentResultJSONResponse: result(inc)}, nil
}

// GetIncidentClocks measures the incident's clocks now. A supplier sees
// those of its own agreements only, a customer those of its SLA only: the
// desk's contracts with others are not theirs to read (SD-13).
func (a *API) GetIncidentClocks(ctx context.Context, req api.GetIncidentClocksRequestObject) (api.GetIncidentClocksResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	inc, err := a.svc.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	clocks, err := a.svc.Clocks(inc, a.clock.Now())
	if err != nil {
		return nil, err
	}
	out, err := a.clockList(ctx, who, clocks)
	if err != nil {
		return nil, err
	}
	return api.GetIncidentClocks200JSONResponse{Body: out,
		Headers: api.GetIncidentClocks200ResponseHeaders{ETag: ETag(inc.Version)}}, nil
}

// ListDueClocks lists running clocks by due time, over the incidents the
// caller may see; a customer gets the clocks of its SLA only, as from
// GetIncidentClocks.
func (a *API) ListDueClocks(ctx context.Context, req api.ListDueClocksRequestObject) (api.ListDueClocksResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := a.svc.Due(ctx, who, incident.DueQuery{Provider: p.Provider, From: p.From, To: p.To,
		Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	org, err := a.dir.Organisation(ctx, who.Organisation)
	if err != nil {
		return nil, err
	}
	out := api.ListDueClocks200JSONResponse{Items: make([]api.DueClock, 0, len(page.Clocks)), Next: string(page.Next)}
	for _, c := range page.Clocks {
		if org.Role == itsm.OrgCustomer && c.Kind != sla.KindSLA {
			continue
		}
		out.Items = append(out.Items, api.DueClock{Due: c.Due, Incident: *c.Incident, Kind: c.Kind,
			Metric: c.Metric, Provider: c.Provider})
	}
	return out, nil
}

// StartIncident records that the desk began work.
func (a *API) StartIncident(ctx context.Context, req api.StartIncidentRequestObject) (api.StartIncidentResponseObject, error) {
	r, err := a.command(ctx, req.Params.IfMatch, func(s *incident.Service, who itsm.Actor) (*incident.Incident, error) {
		return s.Start(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.StartIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// DelegateIncident hands the incident to a supplier group (SD-5).
func (a *API) DelegateIncident(ctx context.Context, req api.DelegateIncidentRequestObject) (api.DelegateIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.DelegateIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Delegate(ctx, who, req.ID, incident.Delegation{Organisation: b.Organisation, Group: b.Group, Note: b.Note})
		})
	if err != nil {
		return nil, err
	}
	return api.DelegateIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// AcceptIncident lets the holding supplier take the incident on.
func (a *API) AcceptIncident(ctx context.Context, req api.AcceptIncidentRequestObject) (api.AcceptIncidentResponseObject, error) {
	r, err := a.command(ctx, req.Params.IfMatch, func(s *incident.Service, who itsm.Actor) (*incident.Incident, error) {
		return s.Accept(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.AcceptIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// RejectIncident sends the incident back to the desk (SD-7).
func (a *API) RejectIncident(ctx context.Context, req api.RejectIncidentRequestObject) (api.RejectIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.RejectIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Reject(ctx, who, req.ID, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.RejectIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// AssignIncident assigns the incident within the organisation holding it.
func (a *API) AssignIncident(ctx context.Context, req api.AssignIncidentRequestObject) (api.AssignIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.AssignIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Assign(ctx, who, req.ID, incident.AssignTo{Group: b.Group, Assignee: b.Assignee, Note: b.Note})
		})
	if err != nil {
		return nil, err
	}
	return api.AssignIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// TakeIncident assigns the incident to the calling agent.
func (a *API) TakeIncident(ctx context.Context, req api.TakeIncidentRequestObject) (api.TakeIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.TakeIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Take(ctx, who, req.ID, b.Group)
		})
	if err != nil {
		return nil, err
	}
	return api.TakeIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// RecallIncident takes the incident back from the supplier holding it.
func (a *API) RecallIncident(ctx context.Context, req api.RecallIncidentRequestObject) (api.RecallIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.RecallIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Recall(ctx, who, req.ID, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.RecallIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// UpdateIncident records the holder's status update (SD-8).
func (a *API) UpdateIncident(ctx context.Context, req api.UpdateIncidentRequestObject) (api.UpdateIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.UpdateIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Update(ctx, who, req.ID, b.Text)
		})
	if err != nil {
		return nil, err
	}
	return api.UpdateIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// CommentIncident writes to the journal.
func (a *API) CommentIncident(ctx context.Context, req api.CommentIncidentRequestObject) (api.CommentIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.CommentIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Comment(ctx, who, req.ID, b.Kind, b.Text)
		})
	if err != nil {
		return nil, err
	}
	return api.CommentIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// WaitIncident starts a wait.
func (a *API) WaitIncident(ctx context.Context, req api.WaitIncidentRequestObject) (api.WaitIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.WaitIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Wait(ctx, who, req.ID, b.Reason, b.Note)
		})
	if err != nil {
		return nil, err
	}
	return api.WaitIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// ResumeIncident ends a wait.
func (a *API) ResumeIncident(ctx context.Context, req api.ResumeIncidentRequestObject) (api.ResumeIncidentResponseObject, error) {
	r, err := a.command(ctx, req.Params.IfMatch, func(s *incident.Service, who itsm.Actor) (*incident.Incident, error) {
		var note string
		if req.Body != nil {
			note = req.Body.Note
		}
		return s.Resume(ctx, who, req.ID, note)
	})
	if err != nil {
		return nil, err
	}
	return api.ResumeIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// ResolveIncident resolves the incident at the desk.
func (a *API) ResolveIncident(ctx context.Context, req api.ResolveIncidentRequestObject) (api.ResolveIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.ResolveIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Resolve(ctx, who, req.ID, incident.Resolution{Code: b.Code, Text: b.Text, Workaround: b.Workaround})
		})
	if err != nil {
		return nil, err
	}
	return api.ResolveIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// ReportBackIncident reports the supplier's resolution to the desk.
func (a *API) ReportBackIncident(ctx context.Context, req api.ReportBackIncidentRequestObject) (api.ReportBackIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.ReportBackIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.ReportBack(ctx, who, req.ID, incident.Resolution{Code: b.Code, Text: b.Text, Workaround: b.Workaround})
		})
	if err != nil {
		return nil, err
	}
	return api.ReportBackIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// CloseIncident informs the user and closes the incident.
func (a *API) CloseIncident(ctx context.Context, req api.CloseIncidentRequestObject) (api.CloseIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.CloseIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Close(ctx, who, req.ID, b.Message)
		})
	if err != nil {
		return nil, err
	}
	return api.CloseIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// ReopenIncident reopens a resolved or closed incident.
func (a *API) ReopenIncident(ctx context.Context, req api.ReopenIncidentRequestObject) (api.ReopenIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.ReopenIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Reopen(ctx, who, req.ID, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.ReopenIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// CancelIncident cancels the incident.
func (a *API) CancelIncident(ctx context.Context, req api.CancelIncidentRequestObject) (api.CancelIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.CancelIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Cancel(ctx, who, req.ID, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.CancelIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// ReprioritiseIncident changes impact and urgency.
func (a *API) ReprioritiseIncident(ctx context.Context, req api.ReprioritiseIncidentRequestObject) (api.ReprioritiseIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.ReprioritiseIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Reprioritise(ctx, who, req.ID, b.Impact, b.Urgency, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.ReprioritiseIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// RecategoriseIncident changes service and category.
func (a *API) RecategoriseIncident(ctx context.Context, req api.RecategoriseIncidentRequestObject) (api.RecategoriseIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.RecategoriseIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Recategorise(ctx, who, req.ID, b.Service, b.Category, b.Subcategory)
		})
	if err != nil {
		return nil, err
	}
	return api.RecategoriseIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// SetIncidentReference records the supplier's own reference.
func (a *API) SetIncidentReference(ctx context.Context, req api.SetIncidentReferenceRequestObject) (api.SetIncidentReferenceResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.SetIncidentReferenceJSONRequestBody) (*incident.Incident, error) {
			return s.SetReference(ctx, who, req.ID, b.Reference)
		})
	if err != nil {
		return nil, err
	}
	return api.SetIncidentReference200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// RelateIncident sets the configuration items and the problem.
func (a *API) RelateIncident(ctx context.Context, req api.RelateIncidentRequestObject) (api.RelateIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.RelateIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.Relate(ctx, who, req.ID, b.CIs, b.Problem)
		})
	if err != nil {
		return nil, err
	}
	return api.RelateIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// DeclareMajorIncident declares a major incident (IM-4).
func (a *API) DeclareMajorIncident(ctx context.Context, req api.DeclareMajorIncidentRequestObject) (api.DeclareMajorIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.DeclareMajorIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.DeclareMajor(ctx, who, req.ID, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.DeclareMajorIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// StandDownIncident ends major-incident handling.
func (a *API) StandDownIncident(ctx context.Context, req api.StandDownIncidentRequestObject) (api.StandDownIncidentResponseObject, error) {
	r, err := commandWith(ctx, a, req.Params.IfMatch, req.Body,
		func(s *incident.Service, who itsm.Actor, b api.StandDownIncidentJSONRequestBody) (*incident.Incident, error) {
			return s.StandDown(ctx, who, req.ID, b.Reason)
		})
	if err != nil {
		return nil, err
	}
	return api.StandDownIncident200JSONResponse{IncidentResultJSONResponse: r}, nil
}

// CoordinateIncident makes another incident a child of this one (IM-3) and
// answers with this, the parent, as it is afterwards. It takes no If-Match:
// the command changes two incidents.
func (a *API) CoordinateIncident(ctx context.Context, req api.CoordinateIncidentRequestObject) (api.CoordinateIncidentResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	if err := a.svc.Coordinate(ctx, who, req.ID, b.Child); err != nil {
		return nil, err
	}
	inc, err := a.svc.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.CoordinateIncident200JSONResponse{IncidentResultJSONResponse: result(inc)}, nil
}
