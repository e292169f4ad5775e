package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// A supplier subscribes to incident events and its receiver checks each
// request's signature before it trusts the body, and drops event IDs it has
// seen, which makes at-least-once delivery exactly-once for it.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := itsm.NewManualClock(now)
	store := memstore.New()
	defer store.Close()
	supplier := itsm.MustParseID("019a0b1c-0000-7000-8000-00000000000a")

	var (
		mu     sync.Mutex
		secret []byte
		seen   = map[string]bool{}
		done   = make(chan struct{}, 10)
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		// A real receiver passes time.Now(); the example's clock is fixed.
		if err := httpnotify.Verify(secret, r.Header.Get(httpnotify.HeaderTimestamp), body,
			r.Header.Get(httpnotify.HeaderSignature), clock.Now(), 0); err != nil {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		if id := r.Header.Get(webhook.HeaderEventID); seen[id] {
			return // a repeat: answer 2xx and do nothing
		} else {
			seen[id] = true
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "not an event", http.StatusBadRequest)
			return
		}
		fmt.Printf("receiver: event %d %s, signature verified\n", p.Seq, p.Type)
		done <- struct{}{}
	}))
	defer receiver.Close()

	svc, err := webhook.New(webhook.Config{Store: store, Clock: clock,
		// The server decides what each organisation may see; here,
		// everything.
		Visible: func(_ context.Context, _ itsm.ID, ev itsm.Event) (itsm.Event, bool, error) { return ev, true, nil },
		// Receivers may have only public addresses unless the operator
		// allows more; this one listens on loopback.
		Destinations: netguard.MustParse(netguard.Loopback)})
	if err != nil {
		panic(err)
	}
	agent := itsm.Actor{Organisation: supplier, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}}
	sub, err := svc.Create(ctx, agent, webhook.Spec{URL: receiver.URL + "/spoc", Types: []string{"incident."}})
	if err != nil {
		panic(err)
	}
	mu.Lock()
	secret = []byte(sub.Secret) // shown once: the supplier keeps it
	mu.Unlock()

	disp, err := webhook.NewDispatcher(svc, webhook.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	go func() { stopped <- disp.Run(runCtx) }()

	inc := itsm.NewID()
	err = store.Write(ctx, func(tx itsm.WriteTx) error {
		for _, typ := range []string{"incident.registered", "problem.created", "incident.delegated"} {
			if _, err := tx.Append(itsm.Event{Type: typ, Kind: "incident", Subject: inc, Time: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	disp.Notify() // the server nudges after its commits
	for range 2 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			fmt.Println("an event did not arrive")
		}
	}
	stop()
	fmt.Println("dispatcher stopped:", <-stopped)
	// Output:
	// receiver: event 1 incident.registered, signature verified
	// receiver: event 3 incident.delegated, signature verified
	// dispatcher stopped: <nil>
}
