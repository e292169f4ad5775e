package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/request"
)

// taskResult is the answer with a task: its body and its ETag.
func taskResult(t *request.Task) api.TaskResultJSONResponse {
	return api.TaskResultJSONResponse{Body: *t, Headers: api.TaskResultResponseHeaders{ETag: ETag(t.Version)}}
}

// taskCommand runs one task command for the request's actor, at the
// version the request's If-Match names.
func (a *API) taskCommand(ctx context.Context, ifMatch string, do func(svc *request.Service, who itsm.Actor) (*request.Task, error)) (api.TaskResultJSONResponse, error) {
	svc, who, err := a.requests(ctx)
	if err != nil {
		return api.TaskResultJSONResponse{}, err
	}
	if svc, err = forVersion(svc, svc.IfVersion, ifMatch, "the task"); err != nil {
		return api.TaskResultJSONResponse{}, err
	}
	t, err := do(svc, who)
	if err != nil {
		return api.TaskResultJSONResponse{}, err
	}
	return taskResult(t), nil
}

// taskCommandWith is taskCommand for an operation whose body the command
// needs.
func taskCommandWith[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *request.Service, who itsm.Actor, b B) (*request.Task, error)) (api.TaskResultJSONResponse, error) {
	return a.taskCommand(ctx, ifMatch, func(svc *request.Service, who itsm.Actor) (*request.Task, error) {
		v, err := body(b)
		if err != nil {
			return nil, err
		}
		return do(svc, who, v)
	})
}

// ListTasks lists the tasks the caller's organisation holds, or one of its
// work queues.
func (a *API) ListTasks(ctx context.Context, req api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	svc, who, err := a.requests(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	queue, err := workQueue("list tasks", p.Group, p.Unassigned, p.Assignee)
	if err != nil {
		return nil, err
	}
	page, err := svc.ListTasks(ctx, who, queue, p.Limit, itsm.Cursor(p.Cursor))
	if err != nil {
		return nil, err
	}
	out := api.ListTasks200JSONResponse{Items: make([]api.Task, 0, len(page.Tasks)), Next: string(page.Next)}
	for _, t := range page.Tasks {
		out.Items = append(out.Items, *t)
	}
	return out, nil
}

// GetTask returns one task to the desk and the suppliers that held it.
func (a *API) GetTask(ctx context.Context, req api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	svc, who, err := a.requests(ctx)
	if err != nil {
		return nil, err
	}
	t, err := svc.GetTask(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetTask200JSONResponse{TaskResultJSONResponse: taskResult(t)}, nil
}

// DelegateTask hands a task to a supplier.
func (a *API) DelegateTask(ctx context.Context, req api.DelegateTaskRequestObject) (api.DelegateTaskResponseObject, error) {
	r, err := taskCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.TaskDelegation) (*request.Task, error) {
		return svc.Delegate(ctx, who, req.ID, request.Delegation{Organisation: b.Organisation, Group: b.Group, Note: b.Note})
	})
	if err != nil {
		return nil, err
	}
	return api.DelegateTask200JSONResponse{TaskResultJSONResponse: r}, nil
}

// AcceptTask records that the supplier takes the task on.
func (a *API) AcceptTask(ctx context.Context, req api.AcceptTaskRequestObject) (api.AcceptTaskResponseObject, error) {
	r, err := a.taskCommand(ctx, req.Params.IfMatch, func(svc *request.Service, who itsm.Actor) (*request.Task, error) {
		return svc.Accept(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.AcceptTask200JSONResponse{TaskResultJSONResponse: r}, nil
}

// RejectTask sends a task back to the desk.
func (a *API) RejectTask(ctx context.Context, req api.RejectTaskRequestObject) (api.RejectTaskResponseObject, error) {
	r, err := taskCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.Reason) (*request.Task, error) {
		return svc.Reject(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.RejectTask200JSONResponse{TaskResultJSONResponse: r}, nil
}

// RecallTask takes a task back from the supplier.
func (a *API) RecallTask(ctx context.Context, req api.RecallTaskRequestObject) (api.RecallTaskResponseObject, error) {
	r, err := taskCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.Reason) (*request.Task, error) {
		return svc.Recall(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.RecallTask200JSONResponse{TaskResultJSONResponse: r}, nil
}

// AssignTask assigns a task inside the organisation holding it.
func (a *API) AssignTask(ctx context.Context, req api.AssignTaskRequestObject) (api.AssignTaskResponseObject, error) {
	r, err := taskCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.TaskAssignment) (*request.Task, error) {
		return svc.Assign(ctx, who, req.ID, b.Group, b.Assignee, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.AssignTask200JSONResponse{TaskResultJSONResponse: r}, nil
}

// TakeTask records that the desk handles a ready task itself.
func (a *API) TakeTask(ctx context.Context, req api.TakeTaskRequestObject) (api.TakeTaskResponseObject, error) {
	r, err := a.taskCommand(ctx, req.Params.IfMatch, func(svc *request.Service, who itsm.Actor) (*request.Task, error) {
		return svc.Take(ctx, who, req.ID)
	})
	if err != nil {
		return nil, err
	}
	return api.TakeTask200JSONResponse{TaskResultJSONResponse: r}, nil
}

// ReportBackTask records that the supplier has done the task.
func (a *API) ReportBackTask(ctx context.Context, req api.ReportBackTaskRequestObject) (api.ReportBackTaskResponseObject, error) {
	r, err := taskCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.TaskNote) (*request.Task, error) {
		return svc.ReportBack(ctx, who, req.ID, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.ReportBackTask200JSONResponse{TaskResultJSONResponse: r}, nil
}

// CompleteTask records that the desk has done a task it handled.
func (a *API) CompleteTask(ctx context.Context, req api.CompleteTaskRequestObject) (api.CompleteTaskResponseObject, error) {
	r, err := taskCommandWith(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.TaskNote) (*request.Task, error) {
		return svc.Complete(ctx, who, req.ID, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.CompleteTask200JSONResponse{TaskResultJSONResponse: r}, nil
}
