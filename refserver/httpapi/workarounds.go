package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// workaroundCommand runs one command of a workaround at the version the
// request's If-Match names, and answers the workaround with its ETag.
func workaroundCommand(ctx context.Context, a *API, ifMatch string, do func(svc *problem.Service, who itsm.Actor) (*problem.Workaround, error)) (api.WorkaroundResultJSONResponse, error) {
	return workaroundResult(problemOp(ctx, a, ifMatch, "the workaround", do))
}

// workaroundCommandWith is workaroundCommand for an operation whose body
// the command needs.
func workaroundCommandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *problem.Service, who itsm.Actor, b B) (*problem.Workaround, error)) (api.WorkaroundResultJSONResponse, error) {
	return workaroundResult(problemOpWith(ctx, a, ifMatch, "the workaround", b, do))
}

// workaroundResult is the answer with a workaround: its body and its ETag.
func workaroundResult(w *problem.Workaround, err error) (api.WorkaroundResultJSONResponse, error) {
	if err != nil {
		return api.WorkaroundResultJSONResponse{}, err
	}
	return api.WorkaroundResultJSONResponse{Body: *w, Headers: api.WorkaroundResultResponseHeaders{ETag: ETag(w.Version)}}, nil
}

// workaroundDraft is the domain's draft of a request's workaround.
func workaroundDraft(b api.WorkaroundDraft) problem.WorkaroundDraft {
	return problem.WorkaroundDraft{Desk: b.Desk, Title: b.Title, Steps: b.Steps, Scope: b.Scope, Risk: b.Risk, Applier: b.Applier}
}

// ListWorkarounds lists the workarounds the caller may read.
func (a *API) ListWorkarounds(ctx context.Context, req api.ListWorkaroundsRequestObject) (api.ListWorkaroundsResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	page, err := svc.Workarounds(ctx, who, req.Params.Limit, itsm.Cursor(req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.ListWorkarounds200JSONResponse{Items: make([]api.Workaround, 0, len(page.Workarounds)), Next: string(page.Next)}
	for _, w := range page.Workarounds {
		out.Items = append(out.Items, *w)
	}
	return out, nil
}

// RecordWorkaround records a workaround in the WADB.
func (a *API) RecordWorkaround(ctx context.Context, req api.RecordWorkaroundRequestObject) (api.RecordWorkaroundResponseObject, error) {
	w, err := problemOpWith(ctx, a, "", "", req.Body, func(svc *problem.Service, who itsm.Actor, b api.WorkaroundDraft) (*problem.Workaround, error) {
		return svc.RecordWorkaround(ctx, who, workaroundDraft(b))
	})
	if err != nil {
		return nil, err
	}
	return api.RecordWorkaround201JSONResponse{Body: *w, Headers: api.RecordWorkaround201ResponseHeaders{
		ETag: ETag(w.Version), Location: "/v1/workarounds/" + w.ID.String()}}, nil
}

// GetWorkaround returns one workaround with the incidents it resolved.
func (a *API) GetWorkaround(ctx context.Context, req api.GetWorkaroundRequestObject) (api.GetWorkaroundResponseObject, error) {
	r, err := workaroundCommand(ctx, a, "", func(svc *problem.Service, who itsm.Actor) (*problem.Workaround, error) {
		return svc.Workaround(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.GetWorkaround200JSONResponse{WorkaroundResultJSONResponse: r}, nil
}

// ReviseWorkaround replaces a workaround's texts, risk and appliers.
func (a *API) ReviseWorkaround(ctx context.Context, req api.ReviseWorkaroundRequestObject) (api.ReviseWorkaroundResponseObject, error) {
	r, err := workaroundCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ReviseWorkaroundJSONRequestBody) (*problem.Workaround, error) {
		return svc.ReviseWorkaround(ctx, who, req.ID, workaroundDraft(b))
	})
	if err != nil {
		return nil, err
	}
	return api.ReviseWorkaround200JSONResponse{WorkaroundResultJSONResponse: r}, nil
}

// RetireWorkaround records that a workaround is no longer to be used.
func (a *API) RetireWorkaround(ctx context.Context, req api.RetireWorkaroundRequestObject) (api.RetireWorkaroundResponseObject, error) {
	r, err := workaroundCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.RetireWorkaroundJSONRequestBody) (*problem.Workaround, error) {
		return svc.RetireWorkaround(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.RetireWorkaround200JSONResponse{WorkaroundResultJSONResponse: r}, nil
}
