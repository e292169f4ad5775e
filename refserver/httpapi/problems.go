package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// problems returns the problem service and the actor of the request, or
// itsm.CodeUnsupported when the server runs without problems.
func (a *API) problems(ctx context.Context) (*problem.Service, itsm.Actor, error) {
	if a.prob == nil {
		return nil, itsm.Actor{}, notImplemented("problems")
	}
	who, err := actor(ctx)
	return a.prob, who, err
}

// problemOp runs one operation of the problem service for the request's
// actor, at the version the request's If-Match names (what names the
// record for the error of a tag that names none): problems, known errors
// and workarounds share the service and its IfVersion.
func problemOp[R any](ctx context.Context, a *API, ifMatch, what string, do func(svc *problem.Service, who itsm.Actor) (R, error)) (R, error) {
	var none R
	svc, who, err := a.problems(ctx)
	if err != nil {
		return none, err
	}
	if svc, err = forVersion(svc, svc.IfVersion, ifMatch, what); err != nil {
		return none, err
	}
	return do(svc, who)
}

// problemOpWith is problemOp for an operation whose body the command
// needs.
func problemOpWith[B, R any](ctx context.Context, a *API, ifMatch, what string, b *B,
	do func(svc *problem.Service, who itsm.Actor, b B) (R, error)) (R, error) {
	return problemOp(ctx, a, ifMatch, what, func(svc *problem.Service, who itsm.Actor) (R, error) {
		v, err := body(b)
		if err != nil {
			var none R
			return none, err
		}
		return do(svc, who, v)
	})
}

// problemResult is the answer with a problem: its body and its ETag.
func problemResult(p *problem.Problem) api.ProblemResultJSONResponse {
	return api.ProblemResultJSONResponse{Body: *p, Headers: api.ProblemResultResponseHeaders{ETag: ETag(p.Version)}}
}

// problemCommand runs one command of a problem and answers the problem.
func problemCommand(ctx context.Context, a *API, ifMatch string, do func(svc *problem.Service, who itsm.Actor) (*problem.Problem, error)) (api.ProblemResultJSONResponse, error) {
	p, err := problemOp(ctx, a, ifMatch, "the problem", do)
	if err != nil {
		return api.ProblemResultJSONResponse{}, err
	}
	return problemResult(p), nil
}

// problemCommandWith is problemCommand for an operation whose body the
// command needs.
func problemCommandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *problem.Service, who itsm.Actor, b B) (*problem.Problem, error)) (api.ProblemResultJSONResponse, error) {
	p, err := problemOpWith(ctx, a, ifMatch, "the problem", b, do)
	if err != nil {
		return api.ProblemResultJSONResponse{}, err
	}
	return problemResult(p), nil
}

// incidentItems returns incidents as the items of a list.
func incidentItems(incs []*incident.Incident) []api.Incident {
	out := make([]api.Incident, 0, len(incs))
	for _, inc := range incs {
		out = append(out, *inc)
	}
	return out
}

// ListProblems lists the problems the caller may read.
func (a *API) ListProblems(ctx context.Context, req api.ListProblemsRequestObject) (api.ListProblemsResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	queue, err := workQueue("list problems", p.Group, p.Unassigned, p.Assignee)
	if err != nil {
		return nil, err
	}
	page, err := svc.List(ctx, who, problem.Filter{State: p.State, Holder: p.Holder, Queue: queue, Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListProblems200JSONResponse{Items: make([]api.ProblemRecord, 0, len(page.Problems)), Next: string(page.Next)}
	for _, pr := range page.Problems {
		out.Items = append(out.Items, *pr)
	}
	return out, nil
}

// RecordProblem records a problem; the Idempotency-Key makes a retry
// return the first attempt's problem.
func (a *API) RecordProblem(ctx context.Context, req api.RecordProblemRequestObject) (api.RecordProblemResponseObject, error) {
	p, err := problemOpWith(ctx, a, "", "", req.Body, func(svc *problem.Service, who itsm.Actor, b api.ProblemRecording) (*problem.Problem, error) {
		return svc.Record(ctx, who, problem.Recording{Desk: b.Desk, Summary: b.Summary, Description: b.Description,
			Service: b.Service, Category: b.Category, Priority: b.Priority, Group: b.Group, CIs: b.CIs,
			Incidents: b.Incidents, Wait: b.Wait, Key: req.Params.IdempotencyKey})
	})
	if err != nil {
		return nil, err
	}
	return api.RecordProblem201JSONResponse{Body: *p, Headers: api.RecordProblem201ResponseHeaders{
		ETag: ETag(p.Version), Location: "/v1/problems/" + p.ID.String()}}, nil
}

// GetProblem returns one problem by ID or master number.
func (a *API) GetProblem(ctx context.Context, req api.GetProblemRequestObject) (api.GetProblemResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	var p *problem.Problem
	if id, perr := itsm.ParseID(req.ID); perr == nil {
		p, err = svc.Get(ctx, who, id)
	} else {
		n, nerr := itsm.ParseNumber(req.ID)
		if nerr != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "%q is neither a problem's ID nor its master number", req.ID)
		}
		p, err = svc.GetByNumber(ctx, who, n)
	}
	if err != nil {
		return nil, err
	}
	return api.GetProblem200JSONResponse{ProblemResultJSONResponse: problemResult(p)}, nil
}

// ListProblemEvents returns a problem's history.
func (a *API) ListProblemEvents(ctx context.Context, req api.ListProblemEventsRequestObject) (api.ListProblemEventsResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	evs, err := svc.Events(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	out := api.ListProblemEvents200JSONResponse{Items: make([]api.Event, 0, len(evs))}
	for _, ev := range evs {
		out.Items = append(out.Items, webhook.NewPayload(ev))
	}
	return out, nil
}

// GetProblemClocks measures the problem's clocks now against the
// agreements of scope problems, shown to each party as an incident's are
// (clockList).
func (a *API) GetProblemClocks(ctx context.Context, req api.GetProblemClocksRequestObject) (api.GetProblemClocksResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	p, err := svc.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	clocks, err := svc.Clocks(p, a.clock.Now())
	if err != nil {
		return nil, err
	}
	out, err := a.clockList(ctx, who, clocks)
	if err != nil {
		return nil, err
	}
	return api.GetProblemClocks200JSONResponse{Body: out,
		Headers: api.GetProblemClocks200ResponseHeaders{ETag: ETag(p.Version)}}, nil
}

// DelegateProblem hands the investigation to a supplier.
func (a *API) DelegateProblem(ctx context.Context, req api.DelegateProblemRequestObject) (api.DelegateProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ProblemDelegation) (*problem.Problem, error) {
		return svc.Delegate(ctx, who, req.ID, b.Organisation, b.Group, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.DelegateProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// AcceptProblem records that the supplier takes the investigation on.
func (a *API) AcceptProblem(ctx context.Context, req api.AcceptProblemRequestObject) (api.AcceptProblemResponseObject, error) {
	r, err := problemCommand(ctx, a, req.Params.IfMatch, func(svc *problem.Service, who itsm.Actor) (*problem.Problem, error) {
		return svc.Accept(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.AcceptProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// RejectProblem sends a problem back to the desk.
func (a *API) RejectProblem(ctx context.Context, req api.RejectProblemRequestObject) (api.RejectProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.Reason) (*problem.Problem, error) {
		return svc.Reject(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.RejectProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// RecallProblem takes a problem back from a supplier.
func (a *API) RecallProblem(ctx context.Context, req api.RecallProblemRequestObject) (api.RecallProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.Reason) (*problem.Problem, error) {
		return svc.Recall(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.RecallProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// AssignProblem assigns a problem inside the organisation holding it.
func (a *API) AssignProblem(ctx context.Context, req api.AssignProblemRequestObject) (api.AssignProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ProblemAssignment) (*problem.Problem, error) {
		return svc.Assign(ctx, who, req.ID, b.Group, b.Assignee, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.AssignProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// InvestigateProblem starts the root cause analysis.
func (a *API) InvestigateProblem(ctx context.Context, req api.InvestigateProblemRequestObject) (api.InvestigateProblemResponseObject, error) {
	r, err := problemCommand(ctx, a, req.Params.IfMatch, func(svc *problem.Service, who itsm.Actor) (*problem.Problem, error) {
		return svc.Investigate(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.InvestigateProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// NoteProblem adds a work note to the investigation.
func (a *API) NoteProblem(ctx context.Context, req api.NoteProblemRequestObject) (api.NoteProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ProblemNote) (*problem.Problem, error) {
		return svc.Note(ctx, who, req.ID, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.NoteProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// RelateProblem replaces the configuration items and changes of a problem.
func (a *API) RelateProblem(ctx context.Context, req api.RelateProblemRequestObject) (api.RelateProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ProblemRelations) (*problem.Problem, error) {
		return svc.Relate(ctx, who, req.ID, problem.Relations{CIs: b.CIs, Changes: b.Changes})
	})
	if err != nil {
		return nil, err
	}
	return api.RelateProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// knownErrorDraft is the domain's draft of a request's known error.
func knownErrorDraft(b api.KnownErrorDraft) problem.KnownErrorDraft {
	return problem.KnownErrorDraft{Desk: b.Desk, Title: b.Title, Symptom: b.Symptom, RootCause: b.RootCause,
		ErrorCodes: b.ErrorCodes, Services: b.Services, CIs: b.CIs, Workarounds: b.Workarounds, Fix: b.Fix}
}

// IdentifyProblem records the root cause as a known error.
func (a *API) IdentifyProblem(ctx context.Context, req api.IdentifyProblemRequestObject) (api.IdentifyProblemResponseObject, error) {
	type identified struct {
		p  *problem.Problem
		ke *problem.KnownError
	}
	r, err := problemOpWith(ctx, a, req.Params.IfMatch, "the problem", req.Body, func(svc *problem.Service, who itsm.Actor, b api.IdentifyProblemJSONRequestBody) (identified, error) {
		p, ke, err := svc.Identify(ctx, who, req.ID, knownErrorDraft(b))
		return identified{p, ke}, err
	})
	if err != nil {
		return nil, err
	}
	return api.IdentifyProblem200JSONResponse{Body: api.ProblemIdentified{Problem: *r.p, KnownError: *r.ke},
		Headers: api.IdentifyProblem200ResponseHeaders{ETag: ETag(r.p.Version)}}, nil
}

// StartProblemFix starts the permanent fix under a change.
func (a *API) StartProblemFix(ctx context.Context, req api.StartProblemFixRequestObject) (api.StartProblemFixResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.FixStart) (*problem.Problem, error) {
		return svc.StartFix(ctx, who, req.ID, b.Change, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.StartProblemFix200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// ResolveProblem reports the root cause removed and offers the linked open
// incidents.
func (a *API) ResolveProblem(ctx context.Context, req api.ResolveProblemRequestObject) (api.ResolveProblemResponseObject, error) {
	type resolved struct {
		p       *problem.Problem
		offered []*incident.Incident
	}
	r, err := problemOpWith(ctx, a, req.Params.IfMatch, "the problem", req.Body, func(svc *problem.Service, who itsm.Actor, b api.ResolveProblemJSONRequestBody) (resolved, error) {
		p, offered, err := svc.Resolve(ctx, who, req.ID, b.Note)
		return resolved{p, offered}, err
	})
	if err != nil {
		return nil, err
	}
	return api.ResolveProblem200JSONResponse{Body: api.ProblemResolved{Problem: *r.p, Offered: incidentItems(r.offered)},
		Headers: api.ResolveProblem200ResponseHeaders{ETag: ETag(r.p.Version)}}, nil
}

// CloseProblem closes a resolved problem.
func (a *API) CloseProblem(ctx context.Context, req api.CloseProblemRequestObject) (api.CloseProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ProblemNote) (*problem.Problem, error) {
		return svc.Close(ctx, who, req.ID, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.CloseProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// CancelProblem cancels an open problem.
func (a *API) CancelProblem(ctx context.Context, req api.CancelProblemRequestObject) (api.CancelProblemResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.Reason) (*problem.Problem, error) {
		return svc.Cancel(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.CancelProblem200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// ListProblemIncidents returns the incidents linked to a problem.
func (a *API) ListProblemIncidents(ctx context.Context, req api.ListProblemIncidentsRequestObject) (api.ListProblemIncidentsResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	incs, err := svc.Incidents(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.ListProblemIncidents200JSONResponse{Items: incidentItems(incs)}, nil
}

// LinkProblemIncident links an incident to a problem.
func (a *API) LinkProblemIncident(ctx context.Context, req api.LinkProblemIncidentRequestObject) (api.LinkProblemIncidentResponseObject, error) {
	r, err := problemCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ProblemLink) (*problem.Problem, error) {
		return svc.Link(ctx, who, req.ID, b.Incident, b.Wait)
	})
	if err != nil {
		return nil, err
	}
	return api.LinkProblemIncident200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// UnlinkProblemIncident removes an incident's link to a problem.
func (a *API) UnlinkProblemIncident(ctx context.Context, req api.UnlinkProblemIncidentRequestObject) (api.UnlinkProblemIncidentResponseObject, error) {
	r, err := problemCommand(ctx, a, req.Params.IfMatch, func(svc *problem.Service, who itsm.Actor) (*problem.Problem, error) {
		return svc.Unlink(ctx, who, req.ID, req.Incident)
	})
	if err != nil {
		return nil, err
	}
	return api.UnlinkProblemIncident200JSONResponse{ProblemResultJSONResponse: r}, nil
}

// ResolveProblemIncident resolves a linked incident through its holder.
func (a *API) ResolveProblemIncident(ctx context.Context, req api.ResolveProblemIncidentRequestObject) (api.ResolveProblemIncidentResponseObject, error) {
	inc, err := problemOpWith(ctx, a, "", "the problem", req.Body, func(svc *problem.Service, who itsm.Actor, b api.ResolveProblemIncidentJSONRequestBody) (*incident.Incident, error) {
		return svc.ResolveIncident(ctx, who, req.ID, req.Incident, b.Workaround, b.Text)
	})
	if err != nil {
		return nil, err
	}
	return api.ResolveProblemIncident200JSONResponse{IncidentResultJSONResponse: result(inc)}, nil
}

// CommunicateProblemWorkaround tells the linked open incidents a
// workaround.
func (a *API) CommunicateProblemWorkaround(ctx context.Context, req api.CommunicateProblemWorkaroundRequestObject) (api.CommunicateProblemWorkaroundResponseObject, error) {
	type told struct {
		p    *problem.Problem
		incs []*incident.Incident
	}
	r, err := problemOpWith(ctx, a, req.Params.IfMatch, "the problem", req.Body, func(svc *problem.Service, who itsm.Actor, b api.CommunicateProblemWorkaroundJSONRequestBody) (told, error) {
		p, incs, err := svc.CommunicateWorkaround(ctx, who, req.ID, b.Workaround, b.Text)
		return told{p, incs}, err
	})
	if err != nil {
		return nil, err
	}
	return api.CommunicateProblemWorkaround200JSONResponse{Body: api.WorkaroundCommunicated{Problem: *r.p, Incidents: incidentItems(r.incs)},
		Headers: api.CommunicateProblemWorkaround200ResponseHeaders{ETag: ETag(r.p.Version)}}, nil
}
