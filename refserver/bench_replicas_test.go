package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/pgstore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// BenchmarkReplicas measures what several replicas cost: the registrations
// per second of three replicas of the server on one PostgreSQL database,
// against one replica on a database of its own on the same server, each
// with one webhook subscription active (the desk's, which receives every
// incident event). A registration is POST /v1/incidents over loopback TCP
// from replicaClients keep-alive clients at once, enough to keep the CPUs
// busy, so that whatever the replicas do besides registering shows in the
// rate; with three replicas the requests go to each in turn, as a load
// balancer spreads them. The replicas run in-process, each with its own
// pool (pgstore.Open); they poll the log every 50 ms, so that the events
// registered through a replica that does not deliver are soon delivered
// by the one that does. The receiver answers 204 at once.
//
// It times b.N registrations on the three replicas (incidents/s), then
// compares the installations in turns of replicaChunk registrations, at
// least benchMinOps each unless that takes benchMinTime, as
// BenchmarkServer does. A turn ends when the receiver has had every event
// of its registrations, so that no installation's deliveries run in the
// other's turn: x_one is three replicas' rate over one replica's, and
// cpu_us/op and one_cpu_us/op the process's CPU time per registration,
// delivery included, on each side (x_one_cpu is one's over three's),
// which load from other processes does not inflate. The target is
// x_one ≥ 0.8: a replica that does not deliver webhooks pays nothing for
// them.
func BenchmarkReplicas(b *testing.B) {
	three := newReplicaWorld(b, 3)
	one := newReplicaWorld(b, 1)
	b.ResetTimer()
	start := time.Now()
	if _, err := runOps(replicaClients, b.N, three.register()); err != nil {
		b.Fatal(err)
	}
	three.drain(b)
	d := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/d.Seconds(), "incidents/s")
	var took, used [2]time.Duration
	done := 0
	for start := time.Now(); done < b.N || (done < benchMinOps && time.Since(start) < benchMinTime); {
		n := replicaChunk
		if done < b.N {
			n = min(n, b.N-done)
		}
		for i, w := range []*replicaWorld{three, one} {
			c0, t0 := cpuTime(b), time.Now()
			if _, err := runOps(replicaClients, n, w.register()); err != nil {
				b.Fatal(err)
			}
			w.drain(b)
			took[i] += time.Since(t0)
			used[i] += cpuTime(b) - c0
		}
		done += n
	}
	rate := func(i int) float64 { return float64(done) / took[i].Seconds() }
	cpu := func(i int) float64 { return float64(used[i].Microseconds()) / float64(done) }
	b.ReportMetric(rate(1), "one_incidents/s")
	b.ReportMetric(rate(0)/rate(1), "x_one")
	b.ReportMetric(cpu(0), "cpu_us/op")
	b.ReportMetric(cpu(1), "one_cpu_us/op")
	b.ReportMetric(cpu(1)/cpu(0), "x_one_cpu")
}

// replicaWorld is an installation of n replicas on a database of its own,
// with a desk agent's token and the desk's webhook subscription.
type replicaWorld struct {
	bases    []string
	secret   string
	customer itsm.ID
	client   *benchClient
	// registered counts the registrations, received the distinct events
	// the receiver got (one per registration).
	registered atomic.Int64
	mu         sync.Mutex
	received   map[string]bool
}

// drain waits until the receiver has had every registration's event.
func (w *replicaWorld) drain(b *testing.B) {
	b.Helper()
	deadline := time.Now().Add(asynctest.Failsafe)
	for {
		w.mu.Lock()
		n := int64(len(w.received))
		w.mu.Unlock()
		if n >= w.registered.Load() {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d registrations delivered after %s", n, w.registered.Load(), asynctest.Failsafe)
		}
		time.Sleep(time.Millisecond)
	}
}

func newReplicaWorld(b *testing.B, n int) *replicaWorld {
	b.Helper()
	ctx := context.Background()
	db := backendtest.PostgresDatabase(b, "spoc_bench_", pgstore.Options{})
	admin := auth.NewSecret()
	if err := auth.Bootstrap(ctx, db(b), admin, io.Discard); err != nil {
		b.Fatal(err)
	}
	var rs []*replicaServer
	for range n {
		rs = append(rs, startReplica(b, db, webhook.Options{PollInterval: 50 * time.Millisecond}))
	}
	// Each client may keep a connection to every replica.
	w := &replicaWorld{client: newBenchClient(replicaClients * n), received: map[string]bool{}}
	for _, r := range rs {
		w.bases = append(w.bases, r.base)
	}
	c, err := client.NewClientWithResponses(w.bases[0], client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+admin)
		return nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	desk, err := client.Check(c.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: "Service Desk", Role: itsm.OrgDesk}))
	if err != nil {
		b.Fatalf("create the desk: %v", err)
	}
	city, err := client.Check(c.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: "City", Role: itsm.OrgCustomer}))
	if err != nil {
		b.Fatalf("create the customer: %v", err)
	}
	w.customer = city.JSON201.ID
	if _, err := client.Check(c.GrantPermissionsWithResponse(ctx, desk.JSON201.ID, api.Rights{Domain: itsm.DomainIncident,
		Access: []api.Access{api.AccessRead, api.AccessWrite}})); err != nil {
		b.Fatalf("grant the desk: %v", err)
	}
	tok, err := client.Check(c.IssueTokenWithResponse(ctx, api.TokenInput{Name: "dana's",
		Actor: itsm.Actor{Organisation: desk.JSON201.ID, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}}}))
	if err != nil {
		b.Fatalf("issue the agent's token: %v", err)
	}
	w.secret = tok.JSON201.Secret
	receiver := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.mu.Lock()
		w.received[r.Header.Get(webhook.HeaderEventID)] = true
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(receiver.Close)
	body := fmt.Appendf(nil, `{"url":%q,"types":["incident."]}`, receiver.URL)
	if err := w.client.send(http.MethodPost, w.bases[0]+"/v1/webhooks", w.secret, body, http.StatusCreated); err != nil {
		b.Fatalf("subscribe: %v", err)
	}
	return w
}

// register returns an operation that registers an incident through the
// replicas in turn.
func (w *replicaWorld) register() func() error {
	body := fmt.Appendf(nil, `{"customer":%q,"caller":{"person":"ulla","name":"Ulla User","contact":"+46701234567"},`+
		`"channel":"phone","service":"school network","category":"network","summary":"Wifi down in the north wing",`+
		`"impact":2,"urgency":2}`, w.customer)
	var next atomic.Int64
	return func() error {
		base := w.bases[int(next.Add(1))%len(w.bases)]
		err := w.client.send(http.MethodPost, base+"/v1/incidents", w.secret, body, http.StatusCreated)
		if err == nil {
			w.registered.Add(1)
		}
		return err
	}
}

// The clients of BenchmarkReplicas, and the registrations of a turn.
const (
	replicaClients = 12
	replicaChunk   = 200
)
