package httpapi

import (
	"context"

	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/request"
)

// subscriberPerson names the actor an organisation's webhooks see the log
// as; the incident service decides by organisation, so the person only has
// to be valid.
const subscriberPerson = "webhook"

// Visible returns the webhook.VisibleFunc of the server: the event feed's
// rule (ListEvents), applied to the owner of a subscription, so that a
// webhook never delivers what the owner could not read in the feed, nor
// more of an event. The desk gets the events of its incidents, a supplier
// those of incidents it holds or held from its first delegation on
// (SD-13; incident.ViewAt), a customer its users',
// without what is internal to the support chain (incident.View). An
// order's events go to its desk and its customer, a task's to its desk and
// to each supplier that held it as of the event (requestSees); req may be
// nil for a server without requests, whose events then go nowhere. A
// problem's events go to its desk, the organisation that recorded it and
// each supplier that held it as of the event, those of known errors and
// workarounds to every organisation that may read them (problemSees); prob
// may be nil, and then they go nowhere. An article's events go to the
// organisations that may read it, its editors all of them and its readers
// those of its publication and retirement, and its marks and uses to its
// desk (knowledgeSees); kb may be nil, and then they go nowhere. The
// events of configuration items and changes go to every organisation that
// reads the desk's CMDB (cmdbSees); db may be nil, and then they go
// nowhere. The events of the register and its
// tokens are never delivered: they are the administrators', and a
// subscription belongs to an organisation, not to an administrator.
func Visible(svc *incident.Service, req *request.Service, prob *problem.Service, kb *knowledge.Service, db *cmdb.Service) webhook.VisibleFunc {
	// One copy of the rule: the feed's sees, which needs only the incident,
	// request, problem, knowledge and CMDB services.
	a := &API{svc: svc, req: req, prob: prob, know: kb, cmdb: db}
	return func(ctx context.Context, org itsm.ID, ev itsm.Event) (itsm.Event, bool, error) {
		who := itsm.Actor{Organisation: org, Person: subscriberPerson, Roles: []itsm.Role{itsm.RoleAgent}}
		// Decided as of the event (ViewAt), not as of now: a delivery that
		// is sent again after a restart must meet the same answer, or an
		// event skipped before a supplier held the incident would follow
		// a later one.
		return a.sees(ctx, who, false, ev, func(ev itsm.Event) (incident.View, error) {
			return svc.ViewAt(ctx, who, ev.Subject, ev.Time)
		})
	}
}

// Admin returns the webhook.Config.Admin of the server: the platform
// administrators (auth.PlatformAdmin) manage every organisation's
// subscriptions. An organisation's administrator, of a desk or any other
// organisation, manages only its own organisation's, as its agents do. An
// organisation that cannot be looked up grants nothing.
func Admin(dir *auth.Directory) func(itsm.Actor) bool {
	// isPlatformAdmin needs only the directory.
	a := &API{dir: dir}
	return func(who itsm.Actor) bool {
		ok, err := a.isPlatformAdmin(context.Background(), who)
		return err == nil && ok
	}
}

// webhooks returns the webhook service and the actor of the request, or
// itsm.CodeUnsupported when the server runs without webhooks.
func (a *API) webhooks(ctx context.Context) (*webhook.Service, itsm.Actor, error) {
	if a.hooks == nil {
		return nil, itsm.Actor{}, notImplemented("webhooks")
	}
	who, err := actor(ctx)
	if err != nil {
		return nil, itsm.Actor{}, err
	}
	return a.hooks, who, nil
}

// ListWebhooks lists the subscriptions the caller may see.
func (a *API) ListWebhooks(ctx context.Context, req api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	subs, next, err := hooks.List(ctx, who, webhook.ListOptions{Owner: p.Owner, Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	if subs == nil {
		subs = []webhook.Subscription{}
	}
	return api.ListWebhooks200JSONResponse{Items: subs, Next: string(next)}, nil
}

// CreateWebhook subscribes a URL and shows its secret this once.
func (a *API) CreateWebhook(ctx context.Context, req api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	c, err := hooks.Create(ctx, who, webhook.Spec{Owner: b.Owner, URL: b.URL, Secret: b.Secret, Types: b.Types, State: b.State})
	if err != nil {
		return nil, err
	}
	return api.CreateWebhook201JSONResponse{Body: c,
		Headers: api.CreateWebhook201ResponseHeaders{Location: "/v1/webhooks/" + c.ID.String()}}, nil
}

// GetWebhook returns one subscription; another organisation's is not found.
func (a *API) GetWebhook(ctx context.Context, req api.GetWebhookRequestObject) (api.GetWebhookResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	s, err := hooks.Get(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetWebhook200JSONResponse(s), nil
}

// UpdateWebhook changes, pauses or resumes a subscription.
func (a *API) UpdateWebhook(ctx context.Context, req api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	// Absent fields arrive as zero values, which no subscription may hold,
	// so zero means "leave it".
	var c webhook.Change
	if b.URL != "" {
		c.URL = &b.URL
	}
	if b.State != "" {
		c.State = &b.State
	}
	c.Types = b.Types
	s, err := hooks.Update(ctx, who, req.ID, c)
	if err != nil {
		return nil, err
	}
	return api.UpdateWebhook200JSONResponse(s), nil
}

// DeleteWebhook removes a subscription and its dead letters.
func (a *API) DeleteWebhook(ctx context.Context, req api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	if err := hooks.Delete(ctx, who, req.ID); err != nil {
		return nil, err
	}
	return api.DeleteWebhook204Response{}, nil
}

// RotateWebhookSecret replaces a subscription's secret and shows the new one
// this once.
func (a *API) RotateWebhookSecret(ctx context.Context, req api.RotateWebhookSecretRequestObject) (api.RotateWebhookSecretResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	// The body is optional: without one the secret is a new random one.
	var secret string
	if req.Body != nil {
		secret = req.Body.Secret
	}
	secret, err = hooks.RotateSecret(ctx, who, req.ID, secret)
	if err != nil {
		return nil, err
	}
	return api.RotateWebhookSecret200JSONResponse{Secret: secret}, nil
}

// ListDeadLetters lists a subscription's dead letters in Seq order.
func (a *API) ListDeadLetters(ctx context.Context, req api.ListDeadLettersRequestObject) (api.ListDeadLettersResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	dls, next, err := hooks.DeadLetters(ctx, who, req.ID, webhook.ListOptions{Limit: p.Limit, After: itsm.Cursor(p.Cursor)})
	if err != nil {
		return nil, err
	}
	if dls == nil {
		dls = []webhook.DeadLetter{}
	}
	return api.ListDeadLetters200JSONResponse{Items: dls, Next: string(next)}, nil
}

// DiscardDeadLetter deletes a dead letter without sending it.
func (a *API) DiscardDeadLetter(ctx context.Context, req api.DiscardDeadLetterRequestObject) (api.DiscardDeadLetterResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	if err := hooks.Discard(ctx, who, req.ID, req.Seq); err != nil {
		return nil, err
	}
	return api.DiscardDeadLetter204Response{}, nil
}

// RetryDeadLetter sends a dead letter once, now, and answers how it went.
func (a *API) RetryDeadLetter(ctx context.Context, req api.RetryDeadLetterRequestObject) (api.RetryDeadLetterResponseObject, error) {
	hooks, who, err := a.webhooks(ctx)
	if err != nil {
		return nil, err
	}
	out, err := hooks.Retry(ctx, who, req.ID, req.Seq)
	if err != nil {
		return nil, err
	}
	return api.RetryDeadLetter200JSONResponse{Delivered: out.Delivered, DeadLetter: out.DeadLetter}, nil
}
