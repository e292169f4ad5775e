package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/internal/backendtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/itsm/pgstore"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// replicaLease is the lease time of the replicas of these tests: short, so
// that a failover takes a second, and long enough that a loaded CI machine
// does not move the lease for nothing.
const replicaLease = time.Second

// cutStore is a replica's way to the shared database, which a test cuts to
// kill the replica: from then on everything fails, as for a process that
// crashed or lost its network, so that it gives nothing back.
type cutStore struct {
	itsm.Store
	cut atomic.Bool
}

func (s *cutStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	if s.cut.Load() {
		return itsm.Errorf(itsm.CodeUnavailable, "the replica is dead")
	}
	return s.Store.Read(ctx, fn)
}

func (s *cutStore) Write(ctx context.Context, fn func(itsm.WriteTx) error) error {
	if s.cut.Load() {
		return itsm.Errorf(itsm.CodeUnavailable, "the replica is dead")
	}
	return s.Store.Write(ctx, fn)
}

// replicaServer is one replica of the server, in-process: the API as run
// serves it, over a store of its own on the shared database, and its
// webhook dispatcher.
type replicaServer struct {
	base  string
	hooks *webhook.Service
	kill  func()
}

// startReplica starts a replica on db whose webhooks may reach loopback.
func startReplica(t testing.TB, db backendtest.Database, o webhook.Options) *replicaServer {
	t.Helper()
	ctx := context.Background()
	store := &cutStore{Store: db(t)}
	parts, err := newAPI(ctx, store, nil, httpapi.Hooks{
		Config:   webhook.Config{Destinations: netguard.MustParse(netguard.Loopback)},
		Dispatch: o})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(notifyOnSuccess(parts.handler, parts.dispatcher.Notify))
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- parts.dispatcher.Run(dctx) }()
	var once sync.Once
	r := &replicaServer{base: srv.URL, hooks: parts.webhooks}
	r.kill = func() {
		once.Do(func() {
			store.cut.Store(true)
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(asynctest.Failsafe):
				t.Errorf("the dispatcher did not stop")
			}
			srv.Close()
		})
	}
	t.Cleanup(r.kill)
	return r
}

// TestReplicasDeliverWebhooksOnceInOrder runs three replicas of the server
// on one PostgreSQL database, each with a pool of its own, as an operator
// runs them behind a load balancer. The desk registers incidents, delegates
// them to a supplier and the supplier accepts them, each step through
// another replica, while the desk and the supplier each have a webhook.
// Every event arrives exactly once and in log order; the supplier's start
// with the delegation (visibility is decided once per event, as of the
// event), never with a registration after it. Then the replica that
// delivers dies in the middle of a request: another takes over within the
// lease time, sends that event again, the only repeat, and delivers the
// rest in order.
func TestReplicasDeliverWebhooksOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db := backendtest.PostgresDatabase(t, "spoc_refserver_", pgstore.Options{})
	secret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, db(t), secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	o := webhook.Options{PollInterval: 50 * time.Millisecond, LeaseTime: replicaLease}
	rs := []*replicaServer{startReplica(t, db, o)}

	check := newContractCheck(t)
	admin := apiClient(t, check, rs[0].base, secret)
	org := func(name string, role itsm.OrgRole) itsm.ID {
		t.Helper()
		r, err := client.Check(admin.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: name, Role: role}))
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if _, err := client.Check(admin.GrantPermissionsWithResponse(ctx, r.JSON201.ID, api.Rights{Domain: itsm.DomainIncident,
			Access: []api.Access{api.AccessRead, api.AccessWrite}})); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
		return r.JSON201.ID
	}
	token := func(a itsm.Actor) string {
		t.Helper()
		r, err := client.Check(admin.IssueTokenWithResponse(ctx, api.TokenInput{Actor: a, Name: a.Person}))
		if err != nil {
			t.Fatalf("token for %s: %v", a.Person, err)
		}
		return r.JSON201.Secret
	}
	desk, sup := org("Service Desk", itsm.OrgDesk), org("Network Supplier", itsm.OrgSupplier)
	deskSecret := token(itsm.Actor{Organisation: desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}})
	supSecret := token(itsm.Actor{Organisation: sup, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}})
	// The others start with the register complete.
	rs = append(rs, startReplica(t, db, o), startReplica(t, db, o))
	var dana, alice []*client.ClientWithResponses
	for _, r := range rs {
		dana = append(dana, apiClient(t, check, r.base, deskSecret))
		alice = append(alice, apiClient(t, check, r.base, supSecret))
	}

	deskRC, supRC := newHoldingReceiver(t), newHoldingReceiver(t)
	subscribe := func(c *client.ClientWithResponses, rc *holdingReceiver) int64 {
		t.Helper()
		r, err := client.Check(c.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL}))
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		rc.set(r.JSON201.Secret, false)
		return r.JSON201.Delivery.Cursor
	}
	from := min(subscribe(dana[1], deskRC), subscribe(alice[2], supRC))

	// Each incident's steps go through the replicas in turn.
	n := 0
	incident := func(among []int) {
		t.Helper()
		at := func(i int) int { return among[(n+i)%len(among)] }
		reg, err := client.Check(dana[at(0)].RegisterIncidentWithResponse(ctx, nil, api.Registration{
			Caller: api.Caller{Person: "carl", Name: "Carl"}, Channel: "phone", Summary: fmt.Sprintf("Outage %d", n), Impact: 2, Urgency: 2}))
		if err != nil {
			t.Fatalf("register: %v", err)
		}
		id := reg.JSON201.ID
		if _, err := client.Check(dana[at(1)].DelegateIncidentWithResponse(ctx, id, nil, api.Delegation{Organisation: sup})); err != nil {
			t.Fatalf("delegate: %v", err)
		}
		if _, err := client.Check(alice[at(2)].AcceptIncidentWithResponse(ctx, id, nil)); err != nil {
			t.Fatalf("accept: %v", err)
		}
		n++
	}
	// What each should receive, from the log: the desk every event of its
	// incidents, the supplier those from the delegation on.
	reader := db(t)
	expected := func() (forDesk, forSupplier []itsm.Event) {
		t.Helper()
		err := reader.Read(ctx, func(tx itsm.ReadTx) error {
			delegated := map[itsm.ID]bool{}
			for after := from; ; {
				evs, err := tx.Events(after, itsm.MaxLimit)
				if err != nil || len(evs) == 0 {
					return err
				}
				for _, ev := range evs {
					after = ev.Seq
					if ev.Kind != "incident" {
						continue
					}
					forDesk = append(forDesk, ev)
					if ev.Type == "incident.delegated" {
						delegated[ev.Subject] = true
					}
					if delegated[ev.Subject] {
						forSupplier = append(forSupplier, ev)
					}
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return forDesk, forSupplier
	}
	seqs := func(ps []webhook.Payload) []int64 {
		var out []int64
		for _, p := range ps {
			out = append(out, p.Seq)
		}
		return out
	}
	eventSeqs := func(evs []itsm.Event) []int64 {
		var out []int64
		for _, e := range evs {
			out = append(out, e.Seq)
		}
		return out
	}
	arrived := func(rc *holdingReceiver, want int) func() bool {
		return func() bool { _, n := rc.arrivals(); return len(n) >= want }
	}
	delivered := func() (sum int64) {
		for _, r := range rs {
			sum += r.hooks.Stats().Delivered
		}
		return sum
	}

	for range 6 {
		incident([]int{0, 1, 2})
	}
	forDesk, forSup := expected()
	asynctest.Eventually(t, "the desk's events", arrived(deskRC, len(forDesk)))
	asynctest.Eventually(t, "the supplier's events", arrived(supRC, len(forSup)))
	held := len(forSup) // the index of the supplier's event that is held

	// The supplier's receiver takes the next event and does not answer;
	// once everything else is recorded, the replica that delivers dies.
	supRC.set(supRC.secret, true)
	incident([]int{0, 1, 2})
	select {
	case <-supRC.held:
	case <-time.After(asynctest.Failsafe):
		t.Fatal("the next delegation was not sent")
	}
	forDesk, _ = expected()
	asynctest.Eventually(t, "the desk's events", arrived(deskRC, len(forDesk)))
	want := int64(len(forDesk) + held)
	asynctest.Eventually(t, "every delivery before the held one recorded", func() bool { return delivered() >= want })
	if n := delivered(); n != want {
		t.Fatalf("the replicas recorded %d deliveries of %d events", n, want)
	}
	var holder, survivors []int
	for i, r := range rs {
		if r.hooks.Stats().Delivered > 0 {
			holder = append(holder, i)
		} else {
			survivors = append(survivors, i)
		}
	}
	if len(holder) != 1 {
		t.Fatalf("replicas %v delivered, want one", holder)
	}
	killed := time.Now()
	rs[holder[0]].kill()
	supRC.set(supRC.secret, false)
	for range 4 {
		incident(survivors)
	}
	forDesk, forSup = expected()
	asynctest.Eventually(t, "the desk's events after the failover", arrived(deskRC, len(forDesk)))
	asynctest.Eventually(t, "the supplier's events after the failover", arrived(supRC, len(forSup)))
	t.Logf("%d events to the desk, %d to the supplier; the failover took %s with a lease of %s",
		len(forDesk), len(forSup), time.Since(killed).Round(time.Millisecond), replicaLease)

	got, _ := deskRC.arrivals()
	if d := cmp.Diff(eventSeqs(forDesk), seqs(got)); d != "" {
		t.Errorf("the desk's arrivals (-want +got): each event once, in log order:\n%s", d)
	}
	got, _ = supRC.arrivals()
	supWant := eventSeqs(forSup)
	supWant = slices.Concat(supWant[:held+1], supWant[held:])
	if d := cmp.Diff(supWant, seqs(got)); d != "" {
		t.Errorf("the supplier's arrivals (-want +got): each event once, in log order, the held one again after the failover:\n%s", d)
	}
	for _, p := range got {
		if !strings.HasPrefix(p.Type, "incident.") || p.Type == "incident.registered" {
			t.Errorf("the supplier received %s (%d)", p.Type, p.Seq)
		}
	}
}
