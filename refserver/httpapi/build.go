package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// Stack is the whole API over one store, as the reference server runs it:
// the register of organisations and tokens, the incident service seeing the
// register's rights live, the webhooks with their dispatcher, the monthly
// follow-ups, and the handler serving them. Programs and tests that need the
// real server in-process (an httptest.Server around Handler, with
// Dispatcher.Run in a goroutine) build it with Build rather than repeating
// the assembly.
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
}

// Hooks configures the webhooks of a Stack.
type Hooks struct {
	// Config configures the webhook service. Build sets its Store, Visible,
	// Admin and Logger; the rest, such as Destinations (the operator's
	// allow-list of receivers' networks and host names) and MaxPerOwner,
	// is the caller's.
	Config webhook.Config
	// Dispatch tunes the dispatcher.
	Dispatch webhook.Options
}

// Build assembles the Stack over store. It does not start the dispatcher:
// the caller runs Dispatcher.Run for as long as it serves, and stops it
// before closing the store. log may be nil.
func Build(ctx context.Context, store itsm.Store, log *slog.Logger, hooks Hooks) (*Stack, error) {
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
	s.Incidents, err = incident.New(incident.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Agreements: agreements})
	if err != nil {
		return nil, fmt.Errorf("the incident service: %w", err)
	}
	cfg := hooks.Config
	cfg.Store, cfg.Visible, cfg.Admin, cfg.Logger = store, Visible(s.Incidents), Admin(dir), log
	s.Webhooks, err = webhook.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("the webhooks: %w", err)
	}
	s.Dispatcher, err = webhook.NewDispatcher(s.Webhooks, hooks.Dispatch)
	if err != nil {
		return nil, fmt.Errorf("the webhook dispatcher: %w", err)
	}
	// The follow-ups compute a customer's month over its incidents and the
	// agreements stored through the API, as the drafting desk sees them.
	s.FollowUps, err = followup.New(followup.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Provides: FollowUpProvides(store), Compute: FollowUpCompute(store, dir, s.Incidents)})
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
		Webhooks: s.Webhooks, FollowUps: s.FollowUps, Groups: s.Groups})
	if err != nil {
		return nil, err
	}
	return s, nil
}
