package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/request"
)

// requests returns the order service and the actor of the request, or
// itsm.CodeUnsupported when the server runs without requests.
func (a *API) requests(ctx context.Context) (*request.Service, itsm.Actor, error) {
	if a.req == nil {
		return nil, itsm.Actor{}, notImplemented("requests")
	}
	who, err := actor(ctx)
	return a.req, who, err
}

// orderResult is the answer with an order: its body and its ETag.
func orderResult(o *request.Order) api.OrderResultJSONResponse {
	return api.OrderResultJSONResponse{Body: *o, Headers: api.OrderResultResponseHeaders{ETag: ETag(o.Version)}}
}

// orderCommand runs one order command with the request's body, at the
// version the request's If-Match names.
func orderCommand[B any](ctx context.Context, a *API, ifMatch string, b *B,
	do func(svc *request.Service, who itsm.Actor, b B) (*request.Order, error)) (api.OrderResultJSONResponse, error) {
	svc, who, err := a.requests(ctx)
	if err != nil {
		return api.OrderResultJSONResponse{}, err
	}
	if svc, err = forVersion(svc, svc.IfVersion, ifMatch, "the order"); err != nil {
		return api.OrderResultJSONResponse{}, err
	}
	v, err := body(b)
	if err != nil {
		return api.OrderResultJSONResponse{}, err
	}
	o, err := do(svc, who, v)
	if err != nil {
		return api.OrderResultJSONResponse{}, err
	}
	return orderResult(o), nil
}

// ListOrders lists the caller's orders, those waiting for the caller's
// approval, or its organisation's.
func (a *API) ListOrders(ctx context.Context, req api.ListOrdersRequestObject) (api.ListOrdersResponseObject, error) {
	svc, who, err := a.requests(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	page, err := svc.ListOrders(ctx, who, request.OrderList{Mine: p.Mine, Approvals: p.Approvals, Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	out := api.ListOrders200JSONResponse{Items: make([]api.Order, 0, len(page.Orders)), Next: string(page.Next)}
	for _, o := range page.Orders {
		out.Items = append(out.Items, *o)
	}
	return out, nil
}

// PlaceOrder records an order of an item on offer.
func (a *API) PlaceOrder(ctx context.Context, req api.PlaceOrderRequestObject) (api.PlaceOrderResponseObject, error) {
	svc, who, err := a.requests(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	o, err := svc.Place(ctx, who, request.Placement{Item: b.Item, Requester: b.Requester, Answers: b.Answers,
		CIs: b.CIs, Key: req.Params.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	return api.PlaceOrder201JSONResponse{Body: *o, Headers: api.PlaceOrder201ResponseHeaders{Location: "/v1/orders/" + o.ID.String()}}, nil
}

// GetOrder returns one order to the desk and the customer.
func (a *API) GetOrder(ctx context.Context, req api.GetOrderRequestObject) (api.GetOrderResponseObject, error) {
	svc, who, err := a.requests(ctx)
	if err != nil {
		return nil, err
	}
	o, err := svc.GetOrder(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetOrder200JSONResponse{OrderResultJSONResponse: orderResult(o)}, nil
}

// ApproveOrder records an approver's approval.
func (a *API) ApproveOrder(ctx context.Context, req api.ApproveOrderRequestObject) (api.ApproveOrderResponseObject, error) {
	r, err := orderCommand(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.ApprovalNote) (*request.Order, error) {
		return svc.Approve(ctx, who, req.ID, b.Note)
	})
	if err != nil {
		return nil, err
	}
	return api.ApproveOrder200JSONResponse{OrderResultJSONResponse: r}, nil
}

// DeclineOrder records an approver's refusal with a reason.
func (a *API) DeclineOrder(ctx context.Context, req api.DeclineOrderRequestObject) (api.DeclineOrderResponseObject, error) {
	r, err := orderCommand(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.Reason) (*request.Order, error) {
		return svc.Decline(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.DeclineOrder200JSONResponse{OrderResultJSONResponse: r}, nil
}

// CloseOrder records the desk's answer and closes the order (RF-6).
func (a *API) CloseOrder(ctx context.Context, req api.CloseOrderRequestObject) (api.CloseOrderResponseObject, error) {
	r, err := orderCommand(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.Answer) (*request.Order, error) {
		return svc.Close(ctx, who, req.ID, b.Answer)
	})
	if err != nil {
		return nil, err
	}
	return api.CloseOrder200JSONResponse{OrderResultJSONResponse: r}, nil
}

// CancelOrder withdraws an order with a reason.
func (a *API) CancelOrder(ctx context.Context, req api.CancelOrderRequestObject) (api.CancelOrderResponseObject, error) {
	r, err := orderCommand(ctx, a, req.Params.IfMatch, req.Body, func(svc *request.Service, who itsm.Actor, b api.Reason) (*request.Order, error) {
		return svc.Cancel(ctx, who, req.ID, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return api.CancelOrder200JSONResponse{OrderResultJSONResponse: r}, nil
}
