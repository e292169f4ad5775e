package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// These tests send nothing to any address but 127.0.0.1: every other one
// is refused before a socket connects.

// By default a subscription may name only public destinations: literal
// addresses of the server's own networks, in any spelling, and localhost
// are refused when subscribed, with a 400's code and a reason.
func TestForbiddenDestinationsRefusedWhenSubscribing(t *testing.T) {
	e := newPublicEnv(t, webhook.Config{}, nil)
	for _, u := range []string{
		"http://127.0.0.1:9090/metrics",
		"http://localhost:5432/",
		"https://LOCALHOST./hook",
		"https://[::1]/v1/incidents",
		"https://[::ffff:127.0.0.1]/hook",
		"https://[::ffff:7f00:1]/hook",
		"https://169.254.169.254/latest/meta-data/",
		"https://10.0.0.5/hook",
		"https://192.168.1.1/hook",
		"https://172.20.0.1/hook",
		"https://100.64.0.1/hook",
		"https://[fd00::1]/hook",
		"https://[fe80::1%25eth0]/hook",
		"https://0.0.0.0/hook",
		"https://2130706433/hook",
		"https://0177.0.0.1/hook",
		"https://0x7f.0.0.1/hook",
		"https://0x7f000001/hook",
		"https://127.1/hook",
	} {
		_, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: u})
		if !itsm.IsCode(err, itsm.CodeInvalid) || !strings.Contains(err.Error(), "only public addresses") {
			t.Errorf("subscribe %s: %v, want invalid: only public addresses", u, err)
		}
	}
	// A change of URL is checked the same way.
	c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: "https://hooks.example/hook"})
	if err != nil {
		t.Fatal(err)
	}
	bad := "https://169.254.169.254/hook"
	if _, err := e.svc.Update(e.ctx, agentA, c.ID, webhook.Change{URL: &bad}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("change to %s: %v, want invalid", bad, err)
	}
	// Allowed explicitly, a network may be subscribed.
	allowed := newPublicEnv(t, webhook.Config{Destinations: netguard.MustParse("10.0.0.0/8")}, nil)
	if _, err := allowed.svc.Create(allowed.ctx, agentA, webhook.Spec{URL: "https://10.0.0.5/hook"}); err != nil {
		t.Errorf("subscribe an allowed network: %v", err)
	}
}

// guardWatch records the failures Observe sees (the whole story, as the
// operator gets it) and the server's log.
type guardWatch struct {
	mu   sync.Mutex
	errs []error
	log  bytes.Buffer
}

func (g *guardWatch) observe(a webhook.Attempt) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a.Err != nil {
		g.errs = append(g.errs, a.Err)
	}
}

func (g *guardWatch) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log.Write(b)
}

func (g *guardWatch) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.log.String()
}

func (g *guardWatch) failures() []error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]error(nil), g.errs...)
}

// A host name is checked on every connection, on every address it
// resolves to: names that resolve to loopback, IPv4-mapped loopback, the
// metadata address, or to a public and a private address, are refused
// when delivering although they were accepted when subscribed, and the
// receiver listening on loopback gets nothing.
func TestNamesResolvingToForbiddenAddressesAreRefused(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 1
	w := &guardWatch{}
	rc := newReceiver(t, clock)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.srv.URL, "http://"))
	answers := map[string][]string{
		"loop.example":     {"127.0.0.1"},
		"mapped.example":   {"::ffff:127.0.0.1"},
		"metadata.example": {"169.254.169.254"},
		"mixed.example":    {"93.184.215.14", "127.0.0.1"},
	}
	var lookups atomic.Int32
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		var out []netip.Addr
		for _, a := range answers[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
	e := newPublicEnv(t, webhook.Config{Clock: clock, AllowHTTP: true, Lookup: lookup, Observe: w.observe,
		Logger: slog.New(slog.NewTextHandler(w, nil))}, &o)
	var subs []webhook.Created
	for host := range answers {
		c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: "http://" + net.JoinHostPort(host, port) + "/hooks/s3cr3t"})
		if err != nil {
			t.Fatalf("subscribe %s: %v", host, err)
		}
		subs = append(subs, c)
	}
	if n := lookups.Load(); n != 0 {
		t.Errorf("subscribing resolved %d names; names are checked when connecting", n)
	}
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.run()
	asynctest.Eventually(t, "the dead letters", func() bool { return e.svc.Stats().DeadLettered == int64(len(subs)) })
	if n := len(rc.arrivals()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
	for _, err := range w.failures() {
		if !errors.Is(err, netguard.ErrRefused) {
			t.Errorf("a failure that is not a refusal: %v", err)
		}
	}
	for _, c := range subs {
		d := e.get(c.ID).Delivery
		if d.LastStatus != 0 || d.LastError != webhook.NoAnswer {
			t.Errorf("the owner sees %d %q; want no status and %q", d.LastStatus, d.LastError, webhook.NoAnswer)
		}
	}
	if log := w.String(); !strings.Contains(log, "loop.example resolves to 127.0.0.1, a loopback address") || strings.Contains(log, "s3cr3t") {
		t.Errorf("the server's log does not say why, or repeats the URL's path:\n%s", log)
	}
}

// A name that resolves to an allowed address at one delivery and to a
// forbidden one at the next (DNS rebinding) is refused the second time.
func TestRebindingIsRefused(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 1
	w := &guardWatch{}
	rc := newReceiver(t, clock)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.srv.URL, "http://"))
	var rebound atomic.Bool
	lookup := func(context.Context, string, string) ([]netip.Addr, error) {
		if rebound.Load() {
			return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	// The operator allows one address, the receiver's; the name's second
	// answer is another.
	e := newPublicEnv(t, webhook.Config{Clock: clock, AllowHTTP: true, Lookup: lookup, Observe: w.observe,
		Destinations: netguard.MustParse("127.0.0.1")}, &o)
	c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: "http://rebind.example:" + port + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(c.Secret)
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.run()
	asynctest.Eventually(t, "the first delivery", func() bool { return e.svc.Stats().Delivered == 1 })
	rebound.Store(true)
	// Keep-alive would reuse the checked connection, rightly; the
	// receiver drops it so that the next delivery connects again.
	rc.srv.CloseClientConnections()
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.disp.Notify()
	asynctest.Eventually(t, "the refusal", func() bool { return e.svc.Stats().DeadLettered == 1 })
	if n := len(rc.arrivals()); n != 1 {
		t.Errorf("the receiver got %d requests, want 1", n)
	}
	var r *netguard.Refusal
	if fs := w.failures(); len(fs) != 1 || !errors.As(fs[0], &r) || r.Addr != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("failures %v, want the refusal of 127.0.0.2", fs)
	}
}

// What the owner sees of a failed attempt is that it failed and the status:
// never the receiver's answer, nor the network's error, which would tell a
// closed port from one that does not speak HTTP.
func TestOwnerSeesStatusNotDetail(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 1
	w := &guardWatch{}
	e := newEnv(t, backends()["memstore"](t), webhook.Config{Clock: clock, Logger: slog.New(slog.NewTextHandler(w, nil))}, &o)

	// An internal service answering with its secrets.
	rc := newReceiver(t, clock)
	rc.setAnswer(func(*http.Request, webhook.Payload, int) (int, string) {
		return http.StatusUnauthorized, `{"error":"bad token","db":"postgres://admin:hunter2@db"}`
	})
	answered := e.subscribe(agentA, rc)

	// A closed port, and a port that speaks something else.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	go func() {
		for {
			c, err := other.Accept()
			if err != nil {
				return
			}
			// It answers the request, rather than greeting first as
			// sshd does, so that the client reads the banner as its
			// response (a greeting can land before the request is sent,
			// and the transport then reports an idle connection closed).
			c.Read(make([]byte, 512))
			c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			c.Close()
		}
	}()
	var silent []webhook.Created
	for _, u := range []string{closed, "http://" + other.Addr().String() + "/"} {
		c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: u})
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.run()
	asynctest.Eventually(t, "the dead letters", func() bool { return e.svc.Stats().DeadLettered == 3 })

	d := e.get(answered.ID).Delivery
	if d.LastStatus != http.StatusUnauthorized || d.LastError != "the receiver answered 401" {
		t.Errorf("the owner sees %d %q, want 401 and no more", d.LastStatus, d.LastError)
	}
	dls, _, err := e.svc.DeadLetters(e.ctx, agentA, answered.ID, webhook.ListOptions{})
	if err != nil || len(dls) != 1 || dls[0].Status != 401 || dls[0].Error != "the receiver answered 401" {
		t.Errorf("dead letters %+v, %v", dls, err)
	}
	var seen []string
	for _, c := range silent {
		d := e.get(c.ID).Delivery
		dls, _, err := e.svc.DeadLetters(e.ctx, agentA, c.ID, webhook.ListOptions{})
		if err != nil || len(dls) != 1 {
			t.Fatalf("dead letters %+v, %v", dls, err)
		}
		seen = append(seen, d.LastError, dls[0].Error)
		if d.LastStatus != 0 || dls[0].Status != 0 {
			t.Errorf("a status from a receiver that gave none: %+v", d)
		}
	}
	for _, s := range seen {
		if s != webhook.NoAnswer {
			t.Errorf("the owner sees %q, want %q for both the closed port and the one that speaks SSH", s, webhook.NoAnswer)
		}
	}
	log := w.String()
	if !strings.Contains(log, "hunter2") || !strings.Contains(log, "refused") || !strings.Contains(log, "malformed HTTP") {
		t.Errorf("the server's log lacks the detail the owner does not see:\n%s", log)
	}
}

// An organisation holds at most MaxPerOwner subscriptions (a conflict to
// the next one, until one is deleted); another organisation has its own
// count, and an administrator creating for an owner counts against it.
func TestSubscriptionsPerOwnerAreLimited(t *testing.T) {
	e := newEnv(t, backends()["memstore"](t), webhook.Config{MaxPerOwner: 2}, nil)
	spec := webhook.Spec{URL: "https://hooks.example/hook"}
	first, err := e.svc.Create(e.ctx, agentA, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Create(e.ctx, deskAdmin, webhook.Spec{Owner: supplierA, URL: spec.URL}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []itsm.Actor{agentA, deskAdmin} {
		_, err := e.svc.Create(e.ctx, who, webhook.Spec{Owner: supplierA, URL: spec.URL})
		if !itsm.IsCode(err, itsm.CodeConflict) || !strings.Contains(err.Error(), "at most 2") {
			t.Errorf("a third for A by %s: %v, want a conflict naming the limit", who.Person, err)
		}
	}
	if _, err := e.svc.Create(e.ctx, agentB, spec); err != nil {
		t.Errorf("B's first: %v", err)
	}
	if err := e.svc.Delete(e.ctx, agentA, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Create(e.ctx, agentA, spec); err != nil {
		t.Errorf("after a delete: %v", err)
	}

	def := newEnv(t, backends()["memstore"](t), webhook.Config{}, nil)
	for i := range webhook.DefaultMaxPerOwner {
		if _, err := def.svc.Create(def.ctx, agentA, spec); err != nil {
			t.Fatalf("subscription %d of the default %d: %v", i+1, webhook.DefaultMaxPerOwner, err)
		}
	}
	if _, err := def.svc.Create(def.ctx, agentA, spec); !itsm.IsCode(err, itsm.CodeConflict) {
		t.Errorf("one more than the default: %v, want a conflict", err)
	}
	if _, err := webhook.New(webhook.Config{Store: e.store, Visible: func(_ context.Context, _ itsm.ID, ev itsm.Event) (itsm.Event, bool, error) { return ev, true, nil },
		MaxPerOwner: -1}); !itsm.IsCode(err, itsm.CodeInvalid) {
		t.Errorf("a negative limit: %v", err)
	}
}

// A secret given by the client must not be guessable: long enough and not
// a repetition or a handful of characters. Without one the server makes
// one.
func TestWeakSecretsRefused(t *testing.T) {
	e := newEnv(t, backends()["memstore"](t), webhook.Config{}, nil)
	c, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: "https://hooks.example/hook"})
	if err != nil || !strings.HasPrefix(c.Secret, "whsec_") || len(c.Secret) != 49 {
		t.Fatalf("generated secret %q, %v", c.Secret, err)
	}
	for _, weak := range []string{
		"abcdefghijklmnop",                 // 16 characters: the old minimum
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // one character
		"abababababababababababababababab",
		"passwordpasswordpasswordpassword",
		"0123456789abcdef0123456789abcdef", // a repetition
		"qwertyuiopqwertyuiopqwertyuiopqw", // and one cut short
		"11111111112222222222333333333344",
	} {
		if _, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: "https://hooks.example/hook", Secret: weak}); !itsm.IsCode(err, itsm.CodeInvalid) ||
			!strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), weak) {
			t.Errorf("secret %q: %v, want invalid without repeating it", weak, err)
		}
		if _, err := e.svc.RotateSecret(e.ctx, agentA, c.ID, weak); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("rotate to %q: %v, want invalid", weak, err)
		}
	}
	for _, strong := range []string{webhook.NewSecret(), "9f86d081884c7d659a2feaa0c55ad015", "Tr0ub4dor&3-correct-horse-battery"} {
		if _, err := e.svc.RotateSecret(e.ctx, agentA, c.ID, strong); err != nil {
			t.Errorf("rotate to %q: %v", strong, err)
		}
	}
}

// A client given with its own *http.Transport is guarded all the same, and
// its proxy, which would connect past the check, is dropped.
func TestGivenTransportIsGuarded(t *testing.T) {
	clock := itsm.NewManualClock(t0)
	o := fakeTime(clock)
	o.MaxAttempts = 1
	w := &guardWatch{}
	rc := newReceiver(t, clock)
	proxy := newReceiver(t, clock) // a proxy would receive the request
	proxyURL, _ := url.Parse(proxy.srv.URL)
	_, port, _ := net.SplitHostPort(proxyURL.Host)
	lookup := func(context.Context, string, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	e := newPublicEnv(t, webhook.Config{Clock: clock, Observe: w.observe, AllowHTTP: true, Lookup: lookup,
		Client: &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}}, &o)
	if _, err := e.svc.Create(e.ctx, agentA, webhook.Spec{URL: "http://loop.example:" + port + "/hook"}); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, e.store, event("incident.changed", itsm.NewID(), `{}`))
	e.run()
	asynctest.Eventually(t, "the dead letter", func() bool { return e.svc.Stats().DeadLettered == 1 })
	if n, m := len(rc.arrivals()), len(proxy.arrivals()); n+m != 0 {
		t.Errorf("the receiver got %d requests and the proxy %d", n, m)
	}
	if fs := w.failures(); len(fs) != 1 || !errors.Is(fs[0], netguard.ErrRefused) {
		t.Errorf("failures %v, want the name's loopback address refused", fs)
	}
}
