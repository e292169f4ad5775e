package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// knownErrorResult is the answer with a known error: its body and its ETag.
func knownErrorResult(ke *problem.KnownError) api.KnownErrorResultJSONResponse {
	return api.KnownErrorResultJSONResponse{Body: *ke, Headers: api.KnownErrorResultResponseHeaders{ETag: ETag(ke.Version)}}
}

// knownErrorCommand runs one command of a known error at the version the
// request's If-Match names, and answers the known error.
func knownErrorCommand(ctx context.Context, a *API, ifMatch string, do func(svc *problem.Service, who itsm.Actor) (*problem.KnownError, error)) (api.KnownErrorResultJSONResponse, error) {
	ke, err := problemOp(ctx, a, ifMatch, "the known error", do)
	if err != nil {
		return api.KnownErrorResultJSONResponse{}, err
	}
	return knownErrorResult(ke), nil
}

// knownErrorCommandWith is knownErrorCommand for an operation whose body
// the command needs.
func knownErrorCommandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *problem.Service, who itsm.Actor, b B) (*problem.KnownError, error)) (api.KnownErrorResultJSONResponse, error) {
	ke, err := problemOpWith(ctx, a, ifMatch, "the known error", b, do)
	if err != nil {
		return api.KnownErrorResultJSONResponse{}, err
	}
	return knownErrorResult(ke), nil
}

// ListKnownErrors lists the known errors the caller may read.
func (a *API) ListKnownErrors(ctx context.Context, req api.ListKnownErrorsRequestObject) (api.ListKnownErrorsResponseObject, error) {
	svc, who, err := a.problems(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := svc.KnownErrors(ctx, who, problem.KnownErrorFilter{Service: p.Service, CI: p.CI, ErrorCode: p.ErrorCode,
		Unfixed: p.Unfixed, Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListKnownErrors200JSONResponse{Items: make([]api.KnownError, 0, len(page.KnownErrors)), Next: string(page.Next)}
	for _, ke := range page.KnownErrors {
		out.Items = append(out.Items, *ke)
	}
	return out, nil
}

// RecordKnownError records a known error without a problem.
func (a *API) RecordKnownError(ctx context.Context, req api.RecordKnownErrorRequestObject) (api.RecordKnownErrorResponseObject, error) {
	ke, err := problemOpWith(ctx, a, "", "", req.Body, func(svc *problem.Service, who itsm.Actor, b api.KnownErrorDraft) (*problem.KnownError, error) {
		return svc.RecordKnownError(ctx, who, knownErrorDraft(b))
	})
	if err != nil {
		return nil, err
	}
	return api.RecordKnownError201JSONResponse{Body: *ke, Headers: api.RecordKnownError201ResponseHeaders{
		ETag: ETag(ke.Version), Location: "/v1/known-errors/" + ke.ID.String()}}, nil
}

// GetKnownError returns one known error.
func (a *API) GetKnownError(ctx context.Context, req api.GetKnownErrorRequestObject) (api.GetKnownErrorResponseObject, error) {
	r, err := knownErrorCommand(ctx, a, "", func(svc *problem.Service, who itsm.Actor) (*problem.KnownError, error) {
		return svc.KnownError(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.GetKnownError200JSONResponse{KnownErrorResultJSONResponse: r}, nil
}

// ReviseKnownError replaces a known error's texts, codes, services, items
// and fix.
func (a *API) ReviseKnownError(ctx context.Context, req api.ReviseKnownErrorRequestObject) (api.ReviseKnownErrorResponseObject, error) {
	r, err := knownErrorCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.ReviseKnownErrorJSONRequestBody) (*problem.KnownError, error) {
		return svc.ReviseKnownError(ctx, who, req.ID, knownErrorDraft(b))
	})
	if err != nil {
		return nil, err
	}
	// The knowledge base makes published known errors articles; the
	// answer waits for it, as publishing an article does.
	a.searchable(ctx)
	return api.ReviseKnownError200JSONResponse{KnownErrorResultJSONResponse: r}, nil
}

// AttachWorkaround makes a workaround serve a known error.
func (a *API) AttachWorkaround(ctx context.Context, req api.AttachWorkaroundRequestObject) (api.AttachWorkaroundResponseObject, error) {
	r, err := knownErrorCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.AttachWorkaroundJSONRequestBody) (*problem.KnownError, error) {
		return svc.AttachWorkaround(ctx, who, req.ID, b.Workaround)
	})
	if err != nil {
		return nil, err
	}
	return api.AttachWorkaround200JSONResponse{KnownErrorResultJSONResponse: r}, nil
}

// DetachWorkaround removes a workaround from a known error.
func (a *API) DetachWorkaround(ctx context.Context, req api.DetachWorkaroundRequestObject) (api.DetachWorkaroundResponseObject, error) {
	r, err := knownErrorCommand(ctx, a, req.Params.IfMatch, func(svc *problem.Service, who itsm.Actor) (*problem.KnownError, error) {
		return svc.DetachWorkaround(ctx, who, req.ID, req.Workaround)
	})
	if err != nil {
		return nil, err
	}
	return api.DetachWorkaround200JSONResponse{KnownErrorResultJSONResponse: r}, nil
}

// PublishKnownError marks a known error for publishing to users.
func (a *API) PublishKnownError(ctx context.Context, req api.PublishKnownErrorRequestObject) (api.PublishKnownErrorResponseObject, error) {
	r, err := knownErrorCommand(ctx, a, req.Params.IfMatch, func(svc *problem.Service, who itsm.Actor) (*problem.KnownError, error) {
		return svc.PublishKnownError(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	// The knowledge base makes published known errors articles; the
	// answer waits for it, as publishing an article does.
	a.searchable(ctx)
	return api.PublishKnownError200JSONResponse{KnownErrorResultJSONResponse: r}, nil
}

// RetireKnownError records that a known error no longer occurs.
func (a *API) RetireKnownError(ctx context.Context, req api.RetireKnownErrorRequestObject) (api.RetireKnownErrorResponseObject, error) {
	r, err := knownErrorCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *problem.Service, who itsm.Actor, b api.RetireKnownErrorJSONRequestBody) (*problem.KnownError, error) {
		return svc.RetireKnownError(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	// The knowledge base makes published known errors articles; the
	// answer waits for it, as publishing an article does.
	a.searchable(ctx)
	return api.RetireKnownError200JSONResponse{KnownErrorResultJSONResponse: r}, nil
}
