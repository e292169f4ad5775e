package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
)

// GetGroupQueue returns a page of the queue of one of the caller's
// organisation's groups (incident.Service.Queue).
func (a *API) GetGroupQueue(ctx context.Context, req api.GetGroupQueueRequestObject) (api.GetGroupQueueResponseObject, error) {
	p := req.Params
	page, err := a.queue(ctx, chain.Queue{Group: req.Group, Unassigned: p.Unassigned}, p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	return api.GetGroupQueue200JSONResponse(page), nil
}

// GetAssignedQueue returns a page of the queue of a person of the caller's
// organisation, the caller's own when the request names nobody.
func (a *API) GetAssignedQueue(ctx context.Context, req api.GetAssignedQueueRequestObject) (api.GetAssignedQueueResponseObject, error) {
	p := req.Params
	person := p.Person
	if person == "" {
		who, err := actor(ctx)
		if err != nil {
			return nil, err
		}
		person = who.Person
	}
	page, err := a.queue(ctx, chain.Queue{Assignee: person}, p.Limit, p.Cursor)
	if err != nil {
		return nil, err
	}
	return api.GetAssignedQueue200JSONResponse(page), nil
}

// queue reads one page of q as the caller.
func (a *API) queue(ctx context.Context, q chain.Queue, limit int, cursor string) (api.QueuePage, error) {
	who, err := actor(ctx)
	if err != nil {
		return api.QueuePage{}, err
	}
	page, err := a.svc.Queue(ctx, who, q, limit, itsm.Cursor(cursor))
	if err != nil {
		return api.QueuePage{}, err
	}
	out := api.QueuePage{Items: make([]api.QueueItem, 0, len(page.Items)), Next: string(page.Next)}
	for _, it := range page.Items {
		out.Items = append(out.Items, api.QueueItem{Incident: *it.Incident, Due: it.Due})
	}
	return out, nil
}

// workQueue is the work queue a list's group, unassigned and assignee
// name, nil when they name none, so that tasks and problems are queued as
// incidents are (chain.Queue): what is the list's operation, for errors.
func workQueue(what string, group itsm.ID, unassigned bool, assignee string) (*chain.Queue, error) {
	switch {
	case !group.IsZero() && assignee != "":
		return nil, itsm.Errorf(itsm.CodeInvalid, "%s: give a group or an assignee, not both", what)
	case unassigned && group.IsZero():
		return nil, itsm.Errorf(itsm.CodeInvalid, "%s: unassigned keeps what no member of a group is assigned, and no group is given", what)
	case !group.IsZero():
		return &chain.Queue{Group: group, Unassigned: unassigned}, nil
	case assignee != "":
		return &chain.Queue{Assignee: assignee}, nil
	}
	return nil, nil
}
