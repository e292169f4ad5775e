// Package httpapi is the reference server's REST API: the handlers of the
// operations in refserver/openapi.yaml (api.StrictServerInterface) over
// spoc's incident service and the auth register, behind bearer-token
// authentication and validation of every request against the contract.
//
// New assembles the whole handler: auth.Middleware first, so that nothing
// about the contract or the records leaks to a caller without a valid token;
// then kin-openapi's request validation, so that a handler only ever sees a
// request the contract allows; then the generated strict server. Every
// error is a problem (application/problem+json, package problem) whose
// detail never carries a failure's internal cause.
//
// Follow-ups are not served when Deps has no follow-up service, nor webhooks
// when Deps has none, nor the catalogue, orders, tasks and lists, nor
// problems, known errors, workarounds and candidates, nor the knowledge
// base, nor the CMDB, without their services: their operations answer 501
// with a problem saying so.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	problems "github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/problem"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// Deps are what the API serves from. Store, Directory, Tokens and Incidents
// are required.
type Deps struct {
	Store     itsm.Store
	Directory *auth.Directory
	Tokens    *auth.Tokens
	// Incidents must be configured with Directory and its Permissions, so
	// that a grant through the API applies to the next request.
	Incidents *incident.Service
	// Log receives the causes of internal failures; nil logs nothing.
	Log *slog.Logger
	// Clock tells the time clocks are measured at; nil means the system
	// clock.
	Clock itsm.Clock
	// Webhooks serves the webhook operations; nil answers them 501. Build
	// it with Visible and Admin, so that a subscription receives what its
	// owner may read in the event feed and no more.
	Webhooks *webhook.Service
	// FollowUps serves the follow-up operations; nil answers them 501.
	// Build it with FollowUpCompute and Directory and its Permissions.
	FollowUps *followup.Service
	// Groups serves the groups of the organisations; nil answers them 501.
	// Build it with Directory and Admin.
	Groups *chain.Groups
	// Catalogue, Authority and Requests serve the service catalogue, the
	// customers' lists of requesters and approvers, and the orders with
	// their tasks; each that is nil answers its operations 501. Build them
	// with Directory and its Permissions, and Catalogue and Authority with
	// Admin.
	Catalogue *catalogue.Catalogue
	Authority *authority.Lists
	Requests  *request.Service
	// Problems serves problems, the KEDB and the WADB, their links to
	// incidents and the candidate problems; nil answers them 501. Build it
	// with Directory and its Permissions, and Incidents.
	Problems *problems.Service
	// Knowledge serves the knowledge base: articles, their search, marks
	// and uses, and its reports; nil answers them 501. Build it with
	// Directory and its Permissions, and Incidents; the caller closes it
	// after the handler stops serving.
	Knowledge *knowledge.Service
	// CMDB serves the configuration items, their impact analysis and an
	// incident's impact; nil answers them 501. Build it with Directory
	// and its Permissions; the caller closes it after the handler stops
	// serving.
	CMDB *cmdb.Service
}

// API implements api.StrictServerInterface. Build it through New, which
// puts authentication and validation in front of it.
type API struct {
	store  itsm.Store
	dir    *auth.Directory
	tokens *auth.Tokens
	svc    *incident.Service
	log    *slog.Logger
	clock  itsm.Clock
	hooks  *webhook.Service
	// followups is nil when the server runs without follow-ups.
	followups *followup.Service
	// chain is nil when the server runs without groups.
	chain *chain.Groups
	// cat, authority and req are nil when the server runs without
	// requests.
	cat       *catalogue.Catalogue
	authority *authority.Lists
	req       *request.Service
	// prob is nil when the server runs without problems.
	prob *problems.Service
	// know is nil when the server runs without the knowledge base.
	know *knowledge.Service
	// cmdb is nil when the server runs without a CMDB.
	cmdb    *cmdb.Service
	schemas map[string][]byte
}

var _ api.StrictServerInterface = (*API)(nil)

// RouteSetter is implemented by a ResponseWriter that wants to know the
// contract's route of the request it answers, such as the server's metrics
// middleware, which must count requests by route rather than by path.
// The handler finds it through Unwrap.
type RouteSetter interface {
	SetRoute(pattern string)
}

// public reports the paths that need no token: the probes and the contract.
func public(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics", "/openapi.yaml":
		return true
	}
	return strings.HasPrefix(r.URL.Path, "/schemas/")
}

// New returns the handler of the API's /v1/ operations and of the public
// documents GET /openapi.yaml and GET /schemas/{name}.
func New(deps Deps) (http.Handler, error) {
	if deps.Store == nil || deps.Directory == nil || deps.Tokens == nil || deps.Incidents == nil {
		return nil, itsm.Errorf(itsm.CodeInvalid, "httpapi: Store, Directory, Tokens and Incidents are required")
	}
	a := &API{store: deps.Store, dir: deps.Directory, tokens: deps.Tokens, svc: deps.Incidents,
		log: deps.Log, clock: deps.Clock, hooks: deps.Webhooks, followups: deps.FollowUps, chain: deps.Groups,
		cat: deps.Catalogue, authority: deps.Authority, req: deps.Requests, prob: deps.Problems, know: deps.Knowledge, cmdb: deps.CMDB}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.clock == nil {
		a.clock = itsm.SystemClock{}
	}
	var err error
	if a.schemas, err = api.Schemas(); err != nil {
		return nil, fmt.Errorf("httpapi: the schemas: %w", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		return nil, fmt.Errorf("httpapi: load the contract: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("httpapi: the contract is invalid: %w", err)
	}
	router, err := newRouteTable(doc)
	if err != nil {
		return nil, fmt.Errorf("httpapi: route the contract: %w", err)
	}

	strict := api.NewStrictHandlerWithOptions(a, []api.StrictMiddlewareFunc{withAccept, noStore}, api.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  a.requestError,
		ResponseErrorHandlerFunc: a.responseError,
	})
	ops := api.HandlerWithOptions(strict, api.StdHTTPServerOptions{ErrorHandlerFunc: a.requestError})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", api.SpecMediaType)
		_, _ = w.Write(api.Spec())
	})
	mux.HandleFunc("GET /schemas/{name}", a.schema)
	mux.Handle("/v1/", validate(router, a, ops))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, a.log, itsm.Errorf(itsm.CodeNotFound, "no resource at %s %s", r.Method, r.URL.Path))
	})
	return PageHeaders(problem.NoAsterisk(auth.Middleware(deps.Tokens, mux, public), a.log)), nil
}

// schema serves one JSON Schema of api.Schemas.
func (a *API) schema(w http.ResponseWriter, r *http.Request) {
	s, ok := a.schemas[r.PathValue("name")]
	if !ok {
		problem.Write(w, r, a.log, itsm.Errorf(itsm.CodeNotFound, "no schema %q", r.PathValue("name")))
		return
	}
	w.Header().Set("Content-Type", api.SchemaMediaType)
	_, _ = w.Write(s)
}

// setRoute tells the first RouteSetter among w and what it wraps the route.
func setRoute(w http.ResponseWriter, pattern string) {
	for w != nil {
		if s, ok := w.(RouteSetter); ok {
			s.SetRoute(pattern)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// validate refuses every request the contract does not allow before next
// sees it, and every body that is not strictly JSON (readBody). Security is not checked here: auth.Middleware has already
// authenticated the request, and the domain decides what the actor may do.
func validate(router routers.Router, a *API, next http.Handler) http.Handler {
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := router.FindRoute(r)
		switch {
		case errors.Is(err, routers.ErrMethodNotAllowed):
			problem.Write(w, r, a.log, problem.MethodNotAllowed(r.Method, r.URL.Path))
			return
		case err != nil:
			problem.Write(w, r, a.log, itsm.Errorf(itsm.CodeNotFound, "no resource at %s %s", r.Method, r.URL.Path))
			return
		}
		setRoute(w, r.Method+" "+route.Path)
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
		if streamed(route) {
			if !a.streamBody(w, r) {
				return
			}
			in.Options = streamOpts
		} else if !a.readBody(w, r, route) {
			return
		}
		if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
			a.invalid(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// streamOpts validate a streamed request's parameters and leave its body
// to the operation, which reads it as it comes.
var streamOpts = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}

// ImportTimeout is how long an upload of an inventory may take to arrive
// and be dry-run, in place of the server's read and write timeouts, which
// are set for JSON bodies: 64 MiB over a slow link, and the dry run of
// half a million rows, take minutes.
const ImportTimeout = 15 * time.Minute

// streamed reports whether the operation's body is not JSON but a file
// (startImport), which it reads as a stream rather than whole.
func streamed(route *routers.Route) bool {
	op := route.Operation
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	// Looked up by name: Content.Get matches media ranges, and the
	// upload's */* would match JSON.
	_, json := op.RequestBody.Value.Content["application/json"]
	return !json
}

// streamBody prepares the body of a streamed operation: refused with 415
// when it is a form (curl -F sends the file wrapped in multipart/form-data,
// which would be read as a broken table), capped at MaxImportBytes (413
// beyond), and given ImportTimeout to arrive and be answered, where the
// server's transport allows it. It answers the request itself and returns
// false when the body is refused.
func (a *API) streamBody(w http.ResponseWriter, r *http.Request) bool {
	if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && strings.HasPrefix(media, "multipart/") {
		problem.Write(w, r, a.log, problem.MediaType(fmt.Sprintf(
			"the file is sent as the body itself, such as with curl --data-binary @file -H 'Content-Type: text/csv', not as a form (%s)", media)))
		return false
	}
	if r.ContentLength > MaxImportBytes {
		problem.Write(w, r, a.log, problem.TooLarge(MaxImportBytes,
			fmt.Sprintf("the file has %d bytes; at most %d are imported at once", r.ContentLength, MaxImportBytes)))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes)
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(ImportTimeout)
	// A transport without deadlines (a test's recorder) has nothing to
	// extend; the server's own connections do.
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
	return true
}

// invalid answers a request that does not match the contract: 413 for a
// body over the server's limit, else 400 naming the field at fault
// (contractError).
func (a *API) invalid(w http.ResponseWriter, r *http.Request, err error) {
	if tooLarge(w, r, err) {
		return
	}
	problem.Write(w, r, a.log, contractError(err))
}

// tooLarge answers 413 if err comes from a body over the server's limit.
func tooLarge(w http.ResponseWriter, r *http.Request, err error) bool {
	var mb *http.MaxBytesError
	if !errors.As(err, &mb) {
		return false
	}
	problem.Write(w, r, nil, problem.TooLarge(mb.Limit, ""))
	return true
}

// requestError answers a request the generated code could not bind: a
// parameter or body that passed validation but not decoding.
func (a *API) requestError(w http.ResponseWriter, r *http.Request, err error) {
	if tooLarge(w, r, err) {
		return
	}
	problem.Write(w, r, a.log, itsm.Errorf(itsm.CodeInvalid, "the request cannot be read: its parameters or body are malformed"))
}

// responseError answers a handler's error as its problem.
func (a *API) responseError(w http.ResponseWriter, r *http.Request, err error) {
	if tooLarge(w, r, err) {
		return
	}
	var e *itsm.Error
	if !errors.As(err, &e) {
		// Not the domain's: a failure to write the response, or a bug.
		err = &itsm.Error{Code: itsm.CodeInternal, Err: err}
	}
	problem.Write(w, r, a.log, err)
}

// actor returns the authenticated actor of the request.
func actor(ctx context.Context) (itsm.Actor, error) {
	a, ok := auth.ActorFrom(ctx)
	if !ok {
		// Middleware lets no /v1/ request through without one.
		return itsm.Actor{}, auth.ErrUnauthenticated
	}
	return a, nil
}

// acceptKey is the context key of the request's Accept header.
type acceptKey struct{}

// withAccept hands the Accept header to the operations, which the strict
// server otherwise keeps from them, so that a report's representation can
// follow it when no format parameter names one.
func withAccept(f api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		return f(context.WithValue(ctx, acceptKey{}, r.Header.Get("Accept")), w, r, req)
	}
}

// reportFormat is the representation of a report: the format parameter if
// given, else the first of CSV, HTML and JSON that the Accept header lists,
// else JSON.
func reportFormat(ctx context.Context, given api.ReportFormat) api.ReportFormat {
	if given != "" {
		return given
	}
	accept, _ := ctx.Value(acceptKey{}).(string)
	for _, part := range strings.Split(accept, ",") {
		media, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(media)) {
		case "text/csv":
			return api.ReportFormatCsv
		case "text/html":
			return api.ReportFormatHTML
		case "application/json":
			return api.ReportFormatJSON
		}
	}
	return api.ReportFormatJSON
}
