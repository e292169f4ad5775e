package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/knowledge"
	"github.com/spoc-itsm/spoc/problem"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/request"
	"github.com/spoc-itsm/spoc/request/authority"
	"github.com/spoc-itsm/spoc/request/catalogue"
	"github.com/spoc-itsm/spoc/sla"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// Stack is the whole API over one store, as the reference server runs it:
// the register of organisations and tokens, the incident service seeing the
// register's rights live, the webhooks with their dispatcher, the monthly
// follow-ups, and the handler serving them. Programs and tests that need the
// real server in-process (an httptest.Server around Handler, with
// Dispatcher.Run in a goroutine) build it with Build rather than repeating
// the assembly, and Close it when the handler has stopped serving.
type Stack struct {
	// Handler serves /v1/, /openapi.yaml and /schemas/.
	Handler    http.Handler
	Directory  *auth.Directory
	Tokens     *auth.Tokens
	Incidents  *incident.Service
	Webhooks   *webhook.Service
	Dispatcher *webhook.Dispatcher
	FollowUps  *followup.Service
	Groups     *chain.Groups
	// Catalogue, Authority and Requests serve the service catalogue, the
	// customers' lists and the orders with their tasks; Index is the
	// lists' projection the orders are checked against, built at Build.
	// The caller runs Requests.Run for as long as it serves, as it runs the
	// Dispatcher, so that orders of type A are fulfilled and approvals
	// chased.
	Catalogue *catalogue.Catalogue
	Authority *authority.Lists
	Index     *authority.Index
	Requests  *request.Service
	// Problems serves problems, the known error and workaround databases
	// and the candidate problems, over the incident service.
	Problems *problem.Service
	// Knowledge serves the knowledge base and keeps its search index
	// current by following the store's log; Close stops it.
	Knowledge *knowledge.Service
	// CMDB serves the configuration items and their impact analysis, and
	// checks the items incidents, problems and orders name (IM-6); it
	// keeps its impact graph current by following the store's log, and
	// Close stops it.
	CMDB *cmdb.Service
}

// Close stops what the Stack runs by itself: the knowledge base's and the
// CMDB's following of the log, in the reverse of the order Build started
// them. Call it after the handler has stopped serving and before the store
// closes. The dispatcher and the order service's runner are the caller's
// to stop, as it started them.
func (s *Stack) Close() error {
	var errs []error
	if s.Knowledge != nil {
		errs = append(errs, s.Knowledge.Close())
	}
	if s.CMDB != nil {
		errs = append(errs, s.CMDB.Close())
	}
	return errors.Join(errs...)
}

// Hooks configures what the host adds to a Stack: the webhooks, and the
// fulfilment of orders in code.
type Hooks struct {
	// Config configures the webhook service. Build sets its Store, Visible,
	// Admin and Logger; the rest, such as Destinations (the operator's
	// allow-list of receivers' networks and host names) and MaxPerOwner,
	// is the caller's.
	Config webhook.Config
	// Dispatch tunes the dispatcher.
	Dispatch webhook.Options
	// Fulfiller carries out the orders of type A in code (RF-2), and
	// Verifier checks the secret answers of a form, such as a password
	// reset's control answers, before an order is recorded. Nil leaves
	// orders of type A waiting for a fulfiller and refuses orders with
	// secret answers (itsm.CodeUnsupported): the server fulfils nothing in
	// code unless its host gives it the code.
	Fulfiller request.Fulfiller
	Verifier  request.Verifier
	// Model is the CMDB's model (cmdb.Config.Model), the deployment's
	// classes and relation types; the zero Model is cmdb.DefaultModel().
	Model cmdb.Model
}

// Build assembles the Stack over store. It does not start the dispatcher:
// the caller runs Dispatcher.Run for as long as it serves, and stops it
// and Closes the Stack before closing the store. log may be nil.
func Build(ctx context.Context, store itsm.Store, log *slog.Logger, hooks Hooks) (_ *Stack, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := auth.NewDirectory(ctx, store, nil)
	if err != nil {
		return nil, fmt.Errorf("load the register: %w", err)
	}
	s := &Stack{Directory: dir, Tokens: auth.NewTokens(dir, log)}
	// Agreements stored when names were unique across desks get the
	// index values of names unique per desk before anything reads them.
	if err := UpgradeAgreements(ctx, store); err != nil {
		return nil, fmt.Errorf("upgrade the agreements: %w", err)
	}
	// The agreements administrators stored through the API are measured
	// from the first request on; the API hands the service each change.
	agreements, err := LoadAgreements(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("load the agreements: %w", err)
	}
	// Incidents check the workarounds their resolutions name against the
	// WADB, which the problem service keeps; the one that checks needs no
	// incidents, so it is made before the incident service that the one
	// running problems is made over.
	wadb, err := problem.New(problem.Config{Store: store, Directory: dir, Permissions: dir.Permissions()})
	if err != nil {
		return nil, fmt.Errorf("the workaround database: %w", err)
	}
	// The CMDB builds its impact graph from the store now and follows the
	// log from there; incidents, problems and orders check the items they
	// name against it (IM-6).
	s.CMDB, err = cmdb.New(ctx, cmdb.Config{Store: store, Directory: dir, Permissions: dir.Permissions(), Model: hooks.Model})
	if err != nil {
		return nil, fmt.Errorf("the CMDB: %w", err)
	}
	// Anything failing from here leaves no follower running.
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	s.Incidents, err = incident.New(incident.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Agreements: agreements, Workarounds: wadb, Items: s.CMDB})
	if err != nil {
		return nil, fmt.Errorf("the incident service: %w", err)
	}
	if err := s.buildRequests(ctx, store, dir, agreements, hooks); err != nil {
		return nil, err
	}
	s.Problems, err = problem.New(problem.Config{Store: store, Directory: dir, Permissions: dir.Permissions(), Incidents: s.Incidents,
		Items: s.CMDB})
	if err != nil {
		return nil, fmt.Errorf("the problem service: %w", err)
	}
	if err := s.Problems.SetAgreements(agreements); err != nil {
		return nil, fmt.Errorf("the problem service's agreements: %w", err)
	}
	// The knowledge base rebuilds its search index from the store now and
	// follows the log from there; its articles name the incidents they
	// resolved, read through the incident service.
	s.Knowledge, err = knowledge.New(ctx, knowledge.Config{Store: store, Directory: dir, Permissions: dir.Permissions(), Incidents: s.Incidents})
	if err != nil {
		return nil, fmt.Errorf("the knowledge base: %w", err)
	}
	cfg := hooks.Config
	cfg.Store, cfg.Visible, cfg.Admin, cfg.Logger = store, Visible(s.Incidents, s.Requests, s.Problems, s.Knowledge, s.CMDB), Admin(dir), log
	s.Webhooks, err = webhook.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("the webhooks: %w", err)
	}
	s.Dispatcher, err = webhook.NewDispatcher(s.Webhooks, hooks.Dispatch)
	if err != nil {
		return nil, fmt.Errorf("the webhook dispatcher: %w", err)
	}
	// The follow-ups compute a customer's month over its incidents and the
	// agreements stored through the API, as the drafting desk sees them;
	// without a problem service, with no problem figures.
	s.FollowUps, err = followup.New(followup.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Provides: FollowUpProvides(store), Compute: FollowUpCompute(store, dir, s.Incidents, s.Requests, s.Problems)})
	if err != nil {
		return nil, fmt.Errorf("the follow-ups: %w", err)
	}
	// The platform administrators manage every organisation's groups, as
	// they do its tokens and subscriptions; each organisation's
	// administrators its own.
	s.Groups, err = chain.New(chain.Config{Store: store, Directory: dir, Admin: Admin(dir)})
	if err != nil {
		return nil, fmt.Errorf("the groups: %w", err)
	}
	s.Handler, err = New(Deps{Store: store, Directory: dir, Tokens: s.Tokens, Incidents: s.Incidents, Log: log,
		Webhooks: s.Webhooks, FollowUps: s.FollowUps, Groups: s.Groups,
		Catalogue: s.Catalogue, Authority: s.Authority, Requests: s.Requests, Problems: s.Problems, Knowledge: s.Knowledge,
		CMDB: s.CMDB})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// buildRequests assembles the catalogue, the customers' lists with their
// index, built from the log now, and the order service measuring against
// the stored agreements. The platform administrators administer every
// desk's catalogue and every customer's lists, as they do the groups.
func (s *Stack) buildRequests(ctx context.Context, store itsm.Store, dir *auth.Directory, agreements []*sla.Agreement, hooks Hooks) error {
	var err error
	s.Catalogue, err = catalogue.New(catalogue.Config{Store: store, Directory: dir, Permissions: dir.Permissions(), Admin: Admin(dir)})
	if err != nil {
		return fmt.Errorf("the catalogue: %w", err)
	}
	s.Authority, err = authority.New(authority.Config{Store: store, Directory: dir, Permissions: dir.Permissions(), Admin: Admin(dir)})
	if err != nil {
		return fmt.Errorf("the lists of requesters and approvers: %w", err)
	}
	s.Index = authority.NewIndex(s.Authority.Zone())
	if err := s.Index.Build(ctx, store); err != nil {
		return fmt.Errorf("the index of the lists: %w", err)
	}
	s.Requests, err = request.New(request.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Catalogue: s.Catalogue, Authority: s.Index, Fulfiller: hooks.Fulfiller, Verifier: hooks.Verifier, Items: s.CMDB})
	if err != nil {
		return fmt.Errorf("the order service: %w", err)
	}
	if err := s.Requests.SetAgreements(agreements); err != nil {
		return fmt.Errorf("the order service's agreements: %w", err)
	}
	return nil
}
