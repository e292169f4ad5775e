package httpapi

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// DefaultOutageHorizon is how far ahead listOutages looks when the
// request does not say: two weeks, the portal's "coming up".
const DefaultOutageHorizon = 14 * 24 * time.Hour

// changeResult is the answer with a change: its body and its ETag.
func changeResult(ch *cmdb.Change) api.ChangeResultJSONResponse {
	return api.ChangeResultJSONResponse{Body: *ch, Headers: api.ChangeResultResponseHeaders{ETag: ETag(ch.Version)}}
}

// changeCommand runs one command of a change, and answers the change.
func changeCommand(ctx context.Context, a *API, ifMatch string,
	do func(svc *cmdb.Service, who itsm.Actor) (*cmdb.Change, error)) (api.ChangeResultJSONResponse, error) {
	ch, err := cmdbCommand(ctx, a, ifMatch, "the change", do)
	if err != nil {
		return api.ChangeResultJSONResponse{}, err
	}
	return changeResult(ch), nil
}

// changeCommandWith is changeCommand for an operation whose body the
// command needs.
func changeCommandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *cmdb.Service, who itsm.Actor, b B) (*cmdb.Change, error)) (api.ChangeResultJSONResponse, error) {
	ch, err := cmdbCommandWith(ctx, a, ifMatch, "the change", b, do)
	if err != nil {
		return api.ChangeResultJSONResponse{}, err
	}
	return changeResult(ch), nil
}

// changeEdit is the domain's form of the fields a change's authors write.
func changeEdit(title string, supplier itsm.ID, w api.LocalWindow, items []itsm.ID, effect cmdb.ChangeEffect, texts cmdb.Texts) cmdb.ChangeEdit {
	return cmdb.ChangeEdit{Title: title, Supplier: supplier, Window: w, Items: items, Effect: effect, Texts: texts}
}

// ListChanges lists one page of a desk's changes.
func (a *API) ListChanges(ctx context.Context, req api.ListChangesRequestObject) (api.ListChangesResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := svc.ListChanges(ctx, who, cmdb.ChangeFilter{Desk: p.Desk, State: p.State, From: p.From, To: p.To,
		Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListChanges200JSONResponse{Items: make([]api.Change, 0, len(page.Changes)), Next: string(page.Next)}
	for _, ch := range page.Changes {
		out.Items = append(out.Items, *ch)
	}
	return out, nil
}

// CreateChange registers a change as a draft.
func (a *API) CreateChange(ctx context.Context, req api.CreateChangeRequestObject) (api.CreateChangeResponseObject, error) {
	r, err := changeCommandWith(ctx, a, "", req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ChangeInput) (*cmdb.Change, error) {
		return svc.CreateChange(ctx, who, cmdb.NewChange{Desk: b.Desk, Kind: b.Kind, Incident: b.Incident,
			ChangeEdit: changeEdit(b.Title, b.Supplier, b.Window, b.Items, b.Effect, b.Texts)})
	})
	if err != nil {
		return nil, err
	}
	return api.CreateChange201JSONResponse{Body: r.Body, Headers: api.CreateChange201ResponseHeaders{
		ETag: r.Headers.ETag, Location: "/v1/cmdb/changes/" + r.Body.ID.String()}}, nil
}

// GetChange returns one change by ID or number.
func (a *API) GetChange(ctx context.Context, req api.GetChangeRequestObject) (api.GetChangeResponseObject, error) {
	r, err := changeCommand(ctx, a, "", func(svc *cmdb.Service, who itsm.Actor) (*cmdb.Change, error) {
		id, err := a.cmdbID(ctx, req.ID, cmdb.KindChange, cmdb.ChangeNumberPrefix, "change")
		if err != nil {
			return nil, err
		}
		return svc.GetChange(ctx, who, id)
	})
	if err != nil {
		return nil, err
	}
	return api.GetChange200JSONResponse{ChangeResultJSONResponse: r}, nil
}

// EditChange replaces a change's fields.
func (a *API) EditChange(ctx context.Context, req api.EditChangeRequestObject) (api.EditChangeResponseObject, error) {
	r, err := changeCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ChangeEdit) (*cmdb.Change, error) {
		return svc.EditChange(ctx, who, req.ID, changeEdit(b.Title, b.Supplier, b.Window, b.Items, b.Effect, b.Texts))
	})
	if err != nil {
		return nil, err
	}
	return api.EditChange200JSONResponse{ChangeResultJSONResponse: r}, nil
}

// ApproveChange records the object owner's approval.
func (a *API) ApproveChange(ctx context.Context, req api.ApproveChangeRequestObject) (api.ApproveChangeResponseObject, error) {
	r, err := changeCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ChangeApproval) (*cmdb.Change, error) {
		return svc.ApproveChange(ctx, who, req.ID, b.ObjectOwner, b.At)
	})
	if err != nil {
		return nil, err
	}
	return api.ApproveChange200JSONResponse{ChangeResultJSONResponse: r}, nil
}

// StartChange records that the work began.
func (a *API) StartChange(ctx context.Context, req api.StartChangeRequestObject) (api.StartChangeResponseObject, error) {
	r, err := changeCommand(ctx, a, req.Params.IfMatch, func(svc *cmdb.Service, who itsm.Actor) (*cmdb.Change, error) {
		return svc.StartChange(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.StartChange200JSONResponse{ChangeResultJSONResponse: r}, nil
}

// CompleteChange records that the work is over.
func (a *API) CompleteChange(ctx context.Context, req api.CompleteChangeRequestObject) (api.CompleteChangeResponseObject, error) {
	r, err := changeCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ChangeCompletion) (*cmdb.Change, error) {
		return svc.CompleteChange(ctx, who, req.ID, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.CompleteChange200JSONResponse{ChangeResultJSONResponse: r}, nil
}

// CancelChange records that a change will not happen.
func (a *API) CancelChange(ctx context.Context, req api.CancelChangeRequestObject) (api.CancelChangeResponseObject, error) {
	r, err := changeCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *cmdb.Service, who itsm.Actor, b api.ChangeCancellation) (*cmdb.Change, error) {
		return svc.CancelChange(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.CancelChange200JSONResponse{ChangeResultJSONResponse: r}, nil
}

// GetChangeImpact answers what a change does while it runs.
func (a *API) GetChangeImpact(ctx context.Context, req api.GetChangeImpactRequestObject) (api.GetChangeImpactResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	im, err := svc.ChangeImpact(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetChangeImpact200JSONResponse(*im), nil
}

// ListChangeHistory returns a change's events, oldest first.
func (a *API) ListChangeHistory(ctx context.Context, req api.ListChangeHistoryRequestObject) (api.ListChangeHistoryResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := svc.ChangeHistory(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	h, err := history(rs, func(r cmdb.ChangeRevision) (int64, time.Time, string, itsm.Actor, any) {
		return r.Seq, r.Time, r.Type, r.By, r.Payload
	})
	if err != nil {
		return nil, err
	}
	return api.ListChangeHistory200JSONResponse(h), nil
}

// GetChangeSchedule returns the forward schedule of a period.
func (a *API) GetChangeSchedule(ctx context.Context, req api.GetChangeScheduleRequestObject) (api.GetChangeScheduleResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	fs, err := svc.Schedule(ctx, who, p.Desk, p.From, p.To)
	if err != nil {
		return nil, err
	}
	return api.GetChangeSchedule200JSONResponse(*fs), nil
}

// ListOutages returns the current and coming outages users are told of.
func (a *API) ListOutages(ctx context.Context, req api.ListOutagesRequestObject) (api.ListOutagesResponseObject, error) {
	svc, who, err := a.configDB(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	horizon := DefaultOutageHorizon
	if p.Horizon != "" {
		d, err := time.ParseDuration(p.Horizon)
		if err != nil {
			return nil, itsm.Errorf(itsm.CodeInvalid, "the query parameter horizon %q is not a duration such as 336h", itsm.Printable(p.Horizon, 40))
		}
		if d != 0 {
			horizon = d
		}
	}
	os, err := svc.Outages(ctx, who, p.Desk, p.At, horizon)
	if err != nil {
		return nil, err
	}
	if os == nil {
		os = []cmdb.Outage{}
	}
	return api.ListOutages200JSONResponse{Items: os}, nil
}
