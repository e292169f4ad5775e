// Package refservertest runs the reference server's API in-process for
// tests of programs that talk to it, such as a supplier's integration: the
// whole stack of httpapi.Build over a store, on a loopback httptest.Server,
// with the webhook dispatcher running and a bootstrapped administrator.
package refservertest

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// Server is a running API.
type Server struct {
	// URL is the base URL, such as http://127.0.0.1:41234.
	URL string
	// AdminToken is the bootstrapped administrator's bearer token.
	AdminToken string
	// Admin is a client holding AdminToken.
	Admin *client.ClientWithResponses
	// Stack is what serves, for tests that look behind the API.
	Stack *httpapi.Stack
}

// Start serves the API over store until the test ends, with the order
// service's runner polling every 50 ms. Webhooks are polled
// every 50 ms besides being sent at once, since the server's "notify after
// a write" is part of its main package, not of the Stack. Receivers may
// listen on loopback, as tests' do: the server allows the loopback networks
// (netguard.Loopback) as an operator would with --webhook-allow.
func Start(t testing.TB, store itsm.Store) *Server {
	t.Helper()
	ctx := context.Background()
	secret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, store, secret, io.Discard); err != nil {
		t.Fatalf("refservertest: bootstrap: %v", err)
	}
	st, err := httpapi.Build(ctx, store, nil, httpapi.Hooks{
		Config:   webhook.Config{Destinations: netguard.MustParse(netguard.Loopback)},
		Dispatch: webhook.Options{PollInterval: 50 * time.Millisecond}})
	if err != nil {
		t.Fatalf("refservertest: build: %v", err)
	}
	srv := httptest.NewServer(st.Handler)
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = st.Dispatcher.Run(dctx)
	}()
	// The order service's runner fulfils orders of type A (with a host's
	// fulfiller) and chases approvals, as the server runs it.
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = st.Requests.Run(dctx, 50*time.Millisecond)
	}()
	// Cleanups run last first: the dispatcher stops before the server, and
	// the server before the knowledge base's follower.
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("refservertest: close the stack: %v", err)
		}
	})
	t.Cleanup(srv.Close)
	t.Cleanup(func() { cancel(); <-done; <-ran })
	admin, err := client.New(srv.URL, secret)
	if err != nil {
		t.Fatalf("refservertest: client: %v", err)
	}
	return &Server{URL: srv.URL, AdminToken: secret, Admin: admin, Stack: st}
}
