package httpapi

import (
	"context"
	"slices"

	"github.com/spoc-itsm/spoc/chain"
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

// accessNames are the rights in the order the contract lists them.
var accessNames = []struct {
	a    itsm.Access
	name api.Access
}{{itsm.AccessRead, api.AccessRead}, {itsm.AccessWrite, api.AccessWrite}, {itsm.AccessReport, api.AccessReport}}

func accessList(a itsm.Access) api.AccessList {
	out := api.AccessList{}
	for _, n := range accessNames {
		if a&n.a != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func accessOf(l api.AccessList) (itsm.Access, error) {
	var a itsm.Access
next:
	for _, name := range l {
		for _, n := range accessNames {
			if n.name == name {
				a |= n.a
				continue next
			}
		}
		return 0, itsm.Errorf(itsm.CodeInvalid, "no right %q: rights are read, write and report", name)
	}
	return a, nil
}

// isPlatformAdmin reports whether the actor administers the platform: the
// register, every organisation's rights, tokens and subscriptions
// (auth.PlatformAdmin). An organisation's administrator is not one.
func (a *API) isPlatformAdmin(ctx context.Context, who itsm.Actor) (bool, error) {
	if !who.HasRole(itsm.RoleAdmin) {
		return false, nil
	}
	scope, err := a.dir.AdminScope(ctx, who)
	if err != nil {
		return false, err
	}
	return scope == auth.PlatformAdmin, nil
}

// GetMe returns the caller's actor and organisation.
func (a *API) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	org, err := a.dir.Organisation(ctx, who.Organisation)
	if err != nil {
		return nil, err
	}
	return api.GetMe200JSONResponse{Actor: who, Organisation: org}, nil
}

// ListOrganisations lists the organisations the caller may know of.
func (a *API) ListOrganisations(ctx context.Context, _ api.ListOrganisationsRequestObject) (api.ListOrganisationsResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := a.dir.List(ctx, who)
	if err != nil {
		return nil, err
	}
	out := api.ListOrganisations200JSONResponse{Items: make([]api.Organisation, 0, len(entries))}
	for _, e := range entries {
		out.Items = append(out.Items, e.Organisation)
	}
	return out, nil
}

// entry returns the organisation as the caller may know it, or not found.
func (a *API) entry(ctx context.Context, who itsm.Actor, id itsm.ID) (auth.Entry, error) {
	entries, err := a.dir.List(ctx, who)
	if err != nil {
		return auth.Entry{}, err
	}
	for _, e := range entries {
		if e.Organisation.ID == id {
			return e, nil
		}
	}
	return auth.Entry{}, itsm.Errorf(itsm.CodeNotFound, "no organisation %s", id)
}

// CreateOrganisation adds an organisation to the register.
func (a *API) CreateOrganisation(ctx context.Context, req api.CreateOrganisationRequestObject) (api.CreateOrganisationResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	o, err := a.dir.Create(ctx, who, itsm.Organisation{Name: b.Name, Role: b.Role})
	if err != nil {
		return nil, err
	}
	return api.CreateOrganisation201JSONResponse{Body: o,
		Headers: api.CreateOrganisation201ResponseHeaders{Location: "/v1/organisations/" + o.ID.String()}}, nil
}

// RemoveOrganisation removes an organisation from the register.
func (a *API) RemoveOrganisation(ctx context.Context, req api.RemoveOrganisationRequestObject) (api.RemoveOrganisationResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.dir.Remove(ctx, who, req.ID); err != nil {
		return nil, err
	}
	return api.RemoveOrganisation204Response{}, nil
}

// GetOrganisation returns one organisation the caller may know of.
func (a *API) GetOrganisation(ctx context.Context, req api.GetOrganisationRequestObject) (api.GetOrganisationResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	e, err := a.entry(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.GetOrganisation200JSONResponse(e.Organisation), nil
}

// UpdateOrganisation renames an organisation or changes its role.
func (a *API) UpdateOrganisation(ctx context.Context, req api.UpdateOrganisationRequestObject) (api.UpdateOrganisationResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	o, err := a.dir.Update(ctx, who, itsm.Organisation{ID: req.ID, Name: b.Name, Role: b.Role})
	if err != nil {
		return nil, err
	}
	return api.UpdateOrganisation200JSONResponse(o), nil
}

// GetPermissions returns an organisation's rights: any organisation's for
// a platform administrator, the caller's own for others.
func (a *API) GetPermissions(ctx context.Context, req api.GetPermissionsRequestObject) (api.GetPermissionsResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	e, err := a.entry(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	admin, err := a.isPlatformAdmin(ctx, who)
	if err != nil {
		return nil, err
	}
	if !admin && req.ID != who.Organisation {
		return nil, itsm.Errorf(itsm.CodeForbidden, "%q may see the rights of its own organisation only", who.Person)
	}
	var out api.GetPermissions200JSONResponse
	for dom, acc := range e.Rights {
		l := accessList(acc)
		if len(l) == 0 {
			continue
		}
		switch dom {
		case itsm.DomainIncident:
			out.Incident = l
		case itsm.DomainRequest:
			out.Request = l
		case itsm.DomainProblem:
			out.Problem = l
		case itsm.DomainCMDB:
			out.Cmdb = l
		case itsm.DomainKnowledge:
			out.Knowledge = l
		case itsm.DomainServiceLevel:
			out.ServiceLevel = l
		}
	}
	return out, nil
}

// rights applies a grant or a revocation.
func (a *API) rights(ctx context.Context, id itsm.ID, b *api.Rights,
	change func(context.Context, itsm.Actor, itsm.ID, itsm.Domain, itsm.Access) (itsm.Access, error)) (api.Rights, error) {
	who, err := actor(ctx)
	if err != nil {
		return api.Rights{}, err
	}
	r, err := body(b)
	if err != nil {
		return api.Rights{}, err
	}
	acc, err := accessOf(r.Access)
	if err != nil {
		return api.Rights{}, err
	}
	now, err := change(ctx, who, id, r.Domain, acc)
	if err != nil {
		return api.Rights{}, err
	}
	return api.Rights{Domain: r.Domain, Access: accessList(now)}, nil
}

// GrantPermissions adds rights in a domain.
func (a *API) GrantPermissions(ctx context.Context, req api.GrantPermissionsRequestObject) (api.GrantPermissionsResponseObject, error) {
	r, err := a.rights(ctx, req.ID, req.Body, a.dir.Grant)
	if err != nil {
		return nil, err
	}
	return api.GrantPermissions200JSONResponse(r), nil
}

// RevokePermissions removes rights in a domain.
func (a *API) RevokePermissions(ctx context.Context, req api.RevokePermissionsRequestObject) (api.RevokePermissionsResponseObject, error) {
	r, err := a.rights(ctx, req.ID, req.Body, a.dir.Revoke)
	if err != nil {
		return nil, err
	}
	return api.RevokePermissions200JSONResponse(r), nil
}

// ListTokens lists issued tokens without their secrets.
func (a *API) ListTokens(ctx context.Context, req api.ListTokensRequestObject) (api.ListTokensResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	toks, next, err := a.tokens.List(ctx, who, auth.ListQuery{Organisation: p.Organisation, After: itsm.Cursor(p.Cursor), Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	if toks == nil {
		toks = []auth.Token{}
	}
	return api.ListTokens200JSONResponse{Items: toks, Next: string(next)}, nil
}

// IssueToken issues a token and shows its secret this once.
func (a *API) IssueToken(ctx context.Context, req api.IssueTokenRequestObject) (api.IssueTokenResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	b, err := body(req.Body)
	if err != nil {
		return nil, err
	}
	tok, secret, err := a.tokens.Issue(ctx, who, auth.Request{Actor: b.Actor, Name: b.Name, Description: b.Description, Expires: b.Expires})
	if err != nil {
		return nil, err
	}
	return api.IssueToken201JSONResponse{Secret: secret, Token: tok}, nil
}

// RevokeToken revokes a token.
func (a *API) RevokeToken(ctx context.Context, req api.RevokeTokenRequestObject) (api.RevokeTokenResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := a.tokens.Revoke(ctx, who, req.ID)
	if err != nil {
		return nil, err
	}
	return api.RevokeToken200JSONResponse(tok), nil
}

// ListEvents is the event feed with what the caller may not see left out:
// the events of incidents the caller may see (which incident.Service.View
// decides: the desk its own, a supplier those it holds or held, a customer
// its users'), each as its view shows it (the customer's without what is
// internal to the support chain), the events of orders and tasks as
// requestSees decides, and for a platform administrator those of
// the register, its tokens, the service levels and the groups. Everything else (notifications, other kinds
// of records) is left out until the server serves those records. The page
// reads on past what is left out, up to FeedScan events, so that a client
// never takes an empty first page for the end of the feed.
func (a *API) ListEvents(ctx context.Context, req api.ListEventsRequestObject) (api.ListEventsResponseObject, error) {
	who, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	admin, err := a.isPlatformAdmin(ctx, who)
	if err != nil {
		return nil, err
	}
	if req.Params.After < 0 {
		return nil, itsm.Errorf(itsm.CodeInvalid, "after %d is negative", req.Params.After)
	}
	limit := req.Params.Limit
	if limit <= 0 {
		limit = itsm.DefaultLimit
	}
	out := api.ListEvents200JSONResponse{Items: []api.Event{}, Next: req.Params.After}
	// The feed shows an incident's whole history to whoever may read the
	// incident now, so one view per incident serves the page.
	views := map[itsm.ID]incident.View{}
	view := func(ev itsm.Event) (incident.View, error) {
		v, ok := views[ev.Subject]
		if ok {
			return v, nil
		}
		v, err := a.svc.View(ctx, who, ev.Subject)
		views[ev.Subject] = v
		return v, err
	}
	// Read on past the events the caller may not see, so that a page is
	// short only at the end of the log: a client that got an empty page
	// would otherwise take it for the end. FeedScan bounds the reading.
	for scanned := 0; len(out.Items) < limit && scanned < FeedScan; {
		want := min(limit, FeedScan-scanned)
		var events []itsm.Event
		err = a.store.Read(ctx, func(tx itsm.ReadTx) error {
			events, err = tx.Events(out.Next, want)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, ev := range events {
			seen, ok, err := a.sees(ctx, who, admin, ev, view)
			if err != nil {
				return nil, err
			}
			if ok {
				out.Items = append(out.Items, webhook.NewPayload(seen))
			}
			// A full page ends at its last event, so that next names it
			// and nothing after it is skipped.
			out.Next = ev.Seq
			if len(out.Items) == limit {
				break
			}
		}
		scanned += len(events)
		if len(events) < want {
			break // the end of the log
		}
	}
	return out, nil
}

// FeedScan is the most events of the log one page of the feed looks at:
// past it, the page is returned with fewer events than asked for (perhaps
// none) and a next beyond the events looked at, from which more may
// follow at once.
const FeedScan = 2000

// sees returns ev as the actor may see it, and false when it may not see
// it; view answers the actor's view of the event's incident.
func (a *API) sees(ctx context.Context, who itsm.Actor, admin bool, ev itsm.Event, view func(itsm.Event) (incident.View, error)) (itsm.Event, bool, error) {
	switch ev.Kind {
	case auth.KindOrganisation, auth.KindToken, KindCalendar, KindAgreement, chain.Kind:
		// The configuration of the delivery: its administrators' business.
		return ev, admin, nil
	case incident.Kind:
		if ev.Subject.IsZero() {
			return ev, false, nil
		}
		v, err := view(ev)
		switch {
		case err == nil:
		case itsm.IsCode(err, itsm.CodeNotFound) || itsm.IsCode(err, itsm.CodeForbidden):
			v = incident.ViewNone
		default:
			return ev, false, err
		}
		return v.Event(ev)
	case request.KindOrder, request.KindTask:
		ok, err := a.requestSees(ctx, who, ev)
		return ev, ok, err
	case problem.Kind, problem.KindKnownError, problem.KindWorkaround:
		ok, err := a.problemSees(ctx, who, ev)
		return ev, ok, err
	case knowledge.Kind, knowledge.KindStats:
		ok, err := a.knowledgeSees(ctx, who, ev)
		return ev, ok, err
	case cmdb.KindItem, cmdb.KindChange, cmdb.KindImport:
		ok, err := a.cmdbSees(ctx, who, ev)
		return ev, ok, err
	}
	return ev, false, nil
}

// cmdbSees reports whether the actor may see an event of a configuration
// item, a change or an import (decision 191). An item's or a change's go
// to every organisation that reads the record now, with read access to the
// CMDB - the desk, and the suppliers and customers that work with it -
// as they see the record and its history through the API: the CMDB keeps
// nothing of an item from those who read it, so neither do its events. An
// import's go to those who read its discrepancy report, with the right to
// report (CM-3): the desk, the supplier whose inventory it is and the
// desk's customers, as the CMDB decides (cmdb.Service.ImportEventVisible).
func (a *API) cmdbSees(ctx context.Context, who itsm.Actor, ev itsm.Event) (bool, error) {
	if a.cmdb == nil || ev.Subject.IsZero() {
		return false, nil
	}
	var err error
	switch ev.Kind {
	case cmdb.KindImport:
		return a.cmdb.ImportEventVisible(ctx, who, ev)
	case cmdb.KindChange:
		_, err = a.cmdb.GetChange(ctx, who, ev.Subject)
	default:
		_, err = a.cmdb.Get(ctx, who, ev.Subject)
	}
	return readable(err)
}

// problemSees reports whether the actor may see an event of a problem, a
// known error or a workaround (decision 103). A problem's events go to
// whom the problem concerns: its desk, the organisation that recorded it,
// and each supplier that held its investigation when the event happened,
// from the desk's first delegation to it on, as a task's do. Suppliers and
// the customer read the problems they may (SD-13) through the API, not by
// the events of problems they never held. The known error and workaround
// databases are shared records, read by every organisation with read
// access to problems: their events go to each such organisation, as it may
// read the record now. The desk's dismissals of candidates are its own
// judgment and go nowhere.
func (a *API) problemSees(ctx context.Context, who itsm.Actor, ev itsm.Event) (bool, error) {
	if a.prob == nil || ev.Subject.IsZero() {
		return false, nil
	}
	var err error
	switch ev.Kind {
	case problem.KindKnownError:
		_, err = a.prob.KnownError(ctx, who, ev.Subject)
	case problem.KindWorkaround:
		_, err = a.prob.Workaround(ctx, who, ev.Subject)
	default:
		var p *problem.Problem
		if p, err = a.prob.Get(ctx, who, ev.Subject); err == nil && who.Organisation != p.Desk && who.Organisation != p.RecordedBy {
			return slices.ContainsFunc(p.Assignments, func(as chain.Assignment) bool {
				return as.Organisation == who.Organisation && !as.Delegated.After(ev.Time)
			}), nil
		}
	}
	return readable(err)
}

// knowledgeSees reports whether the actor may see an event of an article
// (decision 137), decided on the article as the actor may read it now, as
// the KEDB's are: its editors (agents of its owner and of its desk) see
// every event of it; an organisation that reads it (its audience, once it
// is published) sees its publications and its retirement, which say
// nothing of a working copy, and none of the drafts, reviews and hand-overs
// that readers never see in the article itself; anyone else nothing, so
// that a support-chain-only article never reaches a customer. Its marks
// and uses go to its desk alone: a use names an incident, which another
// owner or reader may not see, and the desk reads every incident of its
// delivery.
func (a *API) knowledgeSees(ctx context.Context, who itsm.Actor, ev itsm.Event) (bool, error) {
	if a.know == nil || ev.Subject.IsZero() {
		return false, nil
	}
	ar, err := a.know.Get(ctx, who, ev.Subject)
	if ok, err := readable(err); !ok || err != nil {
		return false, err
	}
	switch {
	case ev.Kind == knowledge.KindStats:
		return who.Organisation == ar.Desk, nil
	case who.Organisation == ar.Owner || who.Organisation == ar.Desk:
		return true, nil
	}
	switch ev.Type {
	case knowledge.Published{}.Type(), knowledge.Retired{}.Type():
		return true, nil
	}
	return false, nil
}

// requestSees reports whether the actor may see an event of an order or a
// task, decided as of the event as incidents' are (incident.ViewAt): an
// order's to the desk that owns it and the customer it was placed for,
// never a supplier; a task's to the desk and to each supplier that held it
// when the event happened, from the desk's first delegation to it on, so
// that a supplier never learns of another supplier's task nor of one
// before it was handed the task. The customer reads its order's events,
// which carry each task's state, not the tasks' own.
func (a *API) requestSees(ctx context.Context, who itsm.Actor, ev itsm.Event) (bool, error) {
	if a.req == nil || ev.Subject.IsZero() {
		return false, nil
	}
	var err error
	if ev.Kind == request.KindOrder {
		_, err = a.req.GetOrder(ctx, who, ev.Subject)
	} else {
		var t *request.Task
		if t, err = a.req.GetTask(ctx, who, ev.Subject); err == nil && who.Organisation != t.Desk {
			// A task is made and unblocked while the desk holds it, in the
			// transaction that may delegate it at the same instant: those
			// events come before any supplier held it, whatever the time.
			if ev.Type == (request.Created{}).Type() || ev.Type == (request.Unblocked{}).Type() {
				return false, nil
			}
			return slices.ContainsFunc(t.Assignments, func(as chain.Assignment) bool {
				return as.Organisation == who.Organisation && !as.Delegated.After(ev.Time)
			}), nil
		}
	}
	return readable(err)
}

// readable turns the error of reading a record into whether the reader may
// see it: a record not found or forbidden is not seen, any other error is
// the store's.
func readable(err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case itsm.IsCode(err, itsm.CodeNotFound) || itsm.IsCode(err, itsm.CodeForbidden):
		return false, nil
	}
	return false, err
}
