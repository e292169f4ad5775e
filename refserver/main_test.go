package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/incident/httpnotify"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/internal/pgtest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/netguard"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/client"
	"github.com/spoc-itsm/spoc/refserver/problem"
	"github.com/spoc-itsm/spoc/refserver/refservertest"
	"github.com/spoc-itsm/spoc/refserver/webhook"
)

// lineWriter hands the line saying where the server listens to a channel,
// and keeps everything written, such as the administrator token printed
// before it on a first start.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	line chan string
	sent bool
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if !w.sent {
		for _, line := range strings.Split(w.buf.String(), "\n") {
			if strings.HasPrefix(line, "spoc listening on ") {
				w.sent = true
				w.line <- line
				break
			}
		}
	}
	return len(b), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// start runs the server in-process on a free port and returns its base URL
// and a function that stops it and returns what run returned.
func start(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	base, stop, _ := startWith(t, func(string) string { return "" }, args...)
	return base, stop
}

// startWith is start with an environment, and returns what the server
// wrote to its standard output as well.
func startWith(t *testing.T, getenv func(string) string, args ...string) (string, func() error, *lineWriter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{line: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), getenv, out, io.Discard)
	}()
	select {
	case line := <-out.line:
		m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
		if m == "" {
			cancel()
			t.Fatalf("the server printed %q, not its URL", line)
		}
		var once sync.Once
		var err error
		stop := func() error {
			once.Do(func() { cancel(); err = <-done })
			return err
		}
		t.Cleanup(func() { _ = stop() })
		return m, stop, out
	case err := <-done:
		cancel()
		t.Fatalf("the server stopped before listening: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the server did not print its URL within 30s")
	}
	return "", nil, nil
}

// TestMain says, once, when the PostgreSQL tests skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestServerAnswersAreNotSniffed checks that every answer of the server,
// not only the API's, tells a browser not to guess its type: a probe's
// plain text or the metrics read as a page could carry markup.
func TestServerAnswersAreNotSniffed(t *testing.T) {
	base, _ := start(t, "--db", filepath.Join(t.TempDir(), "spoc.db"))
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/nothing-here", "/openapi.yaml", "/v1/incidents"} {
		resp, _ := get(t, base+path)
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s (%d): X-Content-Type-Options %q, want nosniff", path, resp.StatusCode, got)
		}
	}
}

func TestServerOperations(t *testing.T) {
	db := filepath.Join(t.TempDir(), "spoc.db")
	base, stop := start(t, "--db", db)

	if resp, body := get(t, base+"/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, base+"/readyz"); resp.StatusCode != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", resp.StatusCode, body)
	}
	resp, body := get(t, base+"/nothing-here")
	var p problem.Details
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != 404 ||
		resp.Header.Get("Content-Type") != problem.ContentType || p.Code != "not_found" || p.Instance != "/nothing-here" {
		t.Errorf("unknown path: %d %s %q (%v)", resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
	}
	// Under /v1/ a caller learns nothing, not even what exists, without a
	// token.
	if resp, body := get(t, base+"/v1/nothing-here"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown /v1/ path without a token: %d %q", resp.StatusCode, body)
	}
	big, err := http.Post(base+"/v1/incidents", "application/json", bytes.NewReader(make([]byte, MaxBodyBytes+1)))
	if err != nil {
		t.Fatal(err)
	}
	big.Body.Close()
	if big.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %d, want 413", big.StatusCode)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`spoc_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		`spoc_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the SQLite file: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after stopping")
	}
}

func TestServerRefusesBadFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "spoc.db")
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--addr", "not an address"}} {
		err := run(context.Background(), append(args, "--db", db), func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a refused start created the database file")
	}
	// A store that cannot open is reported, not served.
	err := run(context.Background(), []string{"--db", filepath.Join(t.TempDir(), "missing", "dir", "spoc.db")},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "open the store") {
		t.Errorf("unopenable store: %v", err)
	}
}

func TestServerOnPostgreSQL(t *testing.T) {
	base, stop := start(t, "--db", pgtest.DSN(t))
	if resp, body := get(t, base+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz on PostgreSQL: %d %q", resp.StatusCode, body)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

// TestServerServesTheAPI runs the whole process twice on one database: the
// first start prints the administrator token once, the API answers it, the
// metrics count API requests by route, and a restart prints no secret.
func TestServerServesTheAPI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "spoc.db")
	base, stop, out := startWith(t, func(string) string { return "" }, "--db", db)
	secret := regexp.MustCompile(`spoc_[A-Za-z0-9_-]{43}`).FindString(out.String())
	if secret == "" {
		t.Fatalf("the first start printed no administrator token:\n%s", out.String())
	}
	callAs := func(token, method, path string, body io.Reader) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	call := func(method, path string, body io.Reader) (*http.Response, string) {
		t.Helper()
		return callAs(secret, method, path, body)
	}
	field := func(body, name string) string {
		t.Helper()
		var v map[string]any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		s, _ := v[name].(string)
		return s
	}
	if resp, body := call("GET", "/v1/me", nil); resp.StatusCode != 200 || !strings.Contains(body, `"person":"spoc-admin"`) {
		t.Errorf("/v1/me as the administrator: %d %s", resp.StatusCode, body)
	}
	resp, body := call("POST", "/v1/organisations", strings.NewReader(`{"name":"Service Desk","role":"desk"}`))
	if resp.StatusCode != 201 {
		t.Fatalf("create an organisation: %d %s", resp.StatusCode, body)
	}
	desk := field(body, "id")
	// A chunked body has no length to refuse up front: it is cut off at the
	// limit while it is read.
	big := io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("a", MaxBodyBytes)), strings.NewReader(`","role":"desk"}`))
	if resp, body := call("POST", "/v1/organisations", io.NopCloser(big)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked body over the limit: %d %.200s", resp.StatusCode, body)
	}
	// An agreement stored before a restart measures the clocks after it.
	resp, body = call("POST", "/v1/organisations", strings.NewReader(`{"name":"City","role":"customer"}`))
	if resp.StatusCode != 201 {
		t.Fatalf("create the customer: %d %s", resp.StatusCode, body)
	}
	city := field(body, "id")
	if resp, body := call("POST", "/v1/organisations/"+desk+"/permissions/grant", strings.NewReader(`{"domain":"incident","access":["read","write"]}`)); resp.StatusCode != 200 {
		t.Fatalf("grant: %d %s", resp.StatusCode, body)
	}
	resp, body = call("POST", "/v1/tokens", strings.NewReader(`{"name":"dana's","actor":{"organisation":"`+desk+`","person":"dana","roles":["agent"]}}`))
	if resp.StatusCode != 201 {
		t.Fatalf("issue a token: %d %s", resp.StatusCode, body)
	}
	agent := field(body, "secret")
	if resp, body := call("PUT", "/v1/calendars/always", strings.NewReader(`{"name":"always","location":"UTC","hours":"24x7"}`)); resp.StatusCode != 201 {
		t.Fatalf("put a calendar: %d %s", resp.StatusCode, body)
	}
	if resp, body := call("POST", "/v1/agreements", strings.NewReader(`{"name":"City SLA","kind":"SLA","provider":"`+desk+`","consumer":"`+city+
		`","objective":0.9,"targets":[{"metric":"resolution","priority":3,"within":"8h","calendar":"always","stop":["resolved","closed"]}]}`)); resp.StatusCode != 201 {
		t.Fatalf("create an agreement: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, base+"/openapi.yaml"); resp.StatusCode != 200 || !strings.HasPrefix(body, "openapi: 3.0.3") {
		t.Errorf("/openapi.yaml: %d %.40q", resp.StatusCode, body)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`spoc_http_requests_total{method="GET",route="GET /v1/me",status="200"} 1`,
		`spoc_http_requests_total{method="POST",route="POST /v1/organisations",status="201"} 2`,
		`spoc_http_requests_total{method="GET",route="GET /openapi.yaml",status="200"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	base, _, out = startWith(t, func(string) string { return "" }, "--db", db)
	if strings.Contains(out.String(), "spoc_") {
		t.Errorf("a restart printed a secret:\n%s", out.String())
	}
	req, _ := http.NewRequest("GET", base+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("the token after a restart: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	resp, body = callAs(agent, "POST", "/v1/incidents", strings.NewReader(`{"caller":{"person":"carl"},"channel":"phone","customer":"`+city+
		`","summary":"The network is down","impact":2,"urgency":2}`))
	if resp.StatusCode != 201 {
		t.Fatalf("register after a restart: %d %s", resp.StatusCode, body)
	}
	if resp, body := callAs(agent, "GET", "/v1/incidents/"+field(body, "id")+"/clocks", nil); resp.StatusCode != 200 ||
		!strings.Contains(body, `"agreement":"City SLA"`) || !strings.Contains(body, `"target":"8h0m0s"`) {
		t.Errorf("the clocks after a restart: %d %s", resp.StatusCode, body)
	}
}

// TestServerTakesTheAdminTokenFromTheEnvironment checks SPOC_ADMIN_TOKEN.
func TestServerTakesTheAdminTokenFromTheEnvironment(t *testing.T) {
	secret := auth.NewSecret()
	env := func(k string) string {
		if k == auth.EnvAdminToken {
			return secret
		}
		return ""
	}
	base, _, out := startWith(t, env, "--db", filepath.Join(t.TempDir(), "spoc.db"))
	if strings.Contains(out.String(), secret) {
		t.Error("the server printed the token it was given")
	}
	req, _ := http.NewRequest("GET", base+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("/v1/me with %s: %v %v", auth.EnvAdminToken, err, resp)
	} else {
		resp.Body.Close()
	}
}

// newContractCheck validates every response against the contract, as the
// API tests do, and fails the test on any 5xx.
func newContractCheck(t *testing.T) *refservertest.ContractCheck {
	return refservertest.NewContractCheck(t, nil, false)
}

// apiClient returns a client of the server at base sending secret, whose
// responses check validates.
func apiClient(t *testing.T, check *refservertest.ContractCheck, base, secret string) *client.ClientWithResponses {
	t.Helper()
	c, err := client.NewClientWithResponses(base, client.WithHTTPClient(&http.Client{Transport: check}),
		client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+secret)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// holdingReceiver is a webhook endpoint that verifies signatures and keeps
// every arrival, repeats included. While holding it keeps an arrival and
// then gives no answer until the sender gives up, as a receiver does that
// takes an event but dies before answering.
type holdingReceiver struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	secret  string
	holding bool
	held    chan struct{}
	got     []webhook.Payload
	release chan struct{}
}

func newHoldingReceiver(t *testing.T) *holdingReceiver {
	rc := &holdingReceiver{t: t, held: make(chan struct{}, 16), release: make(chan struct{})}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() { close(rc.release); rc.srv.Close() })
	return rc
}

func (rc *holdingReceiver) serve(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	if err := httpnotify.Verify([]byte(rc.secret), r.Header.Get(httpnotify.HeaderTimestamp), b,
		r.Header.Get(httpnotify.HeaderSignature), time.Now(), 0); err != nil {
		rc.mu.Unlock()
		rc.t.Errorf("a request fails verification: %v", err)
		w.WriteHeader(http.StatusForbidden)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(b, &p); err != nil || r.Header.Get(webhook.HeaderEventID) != p.ID.String() {
		rc.mu.Unlock()
		rc.t.Errorf("a body that is not the payload of its %s: %v %s", webhook.HeaderEventID, err, b)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, p)
	holding := rc.holding
	rc.mu.Unlock()
	if holding {
		rc.held <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-rc.release:
		}
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *holdingReceiver) set(secret string, holding bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret, rc.holding = secret, holding
}

// arrivals returns every arrival and the number of distinct events.
func (rc *holdingReceiver) arrivals() ([]webhook.Payload, map[itsm.ID]int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := map[itsm.ID]int{}
	for _, p := range rc.got {
		n[p.ID]++
	}
	return slices.Clone(rc.got), n
}

// TestServerDeliversWebhooksAcrossARestart runs the server twice on one
// SQLite file with a supplier's webhook: events before the restart, one
// whose delivery the stop cut off, and events after it all arrive, signed,
// at least once, and exactly once after dropping repeated event IDs, their
// first arrivals in Seq order; the metrics count the deliveries.
func TestServerDeliversWebhooksAcrossARestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "spoc.db")
	ctx := context.Background()
	check := newContractCheck(t)
	base, stop, out := startWith(t, func(string) string { return "" }, "--db", db, "--webhook-allow", netguard.Loopback)
	secret := regexp.MustCompile(`spoc_[A-Za-z0-9_-]{43}`).FindString(out.String())
	if secret == "" {
		t.Fatalf("the first start printed no administrator token:\n%s", out.String())
	}
	admin := apiClient(t, check, base, secret)
	rw := []api.Access{api.AccessRead, api.AccessWrite}
	org := func(name string, role itsm.OrgRole) itsm.ID {
		t.Helper()
		r, err := admin.CreateOrganisationWithResponse(ctx, api.OrganisationInput{Name: name, Role: role})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("create %s: %v", name, err)
		}
		g, err := admin.GrantPermissionsWithResponse(ctx, r.JSON201.ID, api.Rights{Domain: itsm.DomainIncident, Access: rw})
		if err != nil || g.JSON200 == nil {
			t.Fatalf("grant %s: %v", name, err)
		}
		return r.JSON201.ID
	}
	token := func(a itsm.Actor) string {
		t.Helper()
		r, err := admin.IssueTokenWithResponse(ctx, api.TokenInput{Actor: a, Name: a.Person})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("token for %s: %v", a.Person, err)
		}
		return r.JSON201.Secret
	}
	desk, sup := org("Service Desk", itsm.OrgDesk), org("Network Supplier", itsm.OrgSupplier)
	deskSecret := token(itsm.Actor{Organisation: desk, Person: "dana", Roles: []itsm.Role{itsm.RoleAgent}})
	supSecret := token(itsm.Actor{Organisation: sup, Person: "alice", Roles: []itsm.Role{itsm.RoleAgent}})
	agent, alice := apiClient(t, check, base, deskSecret), apiClient(t, check, base, supSecret)

	reg, err := agent.RegisterIncidentWithResponse(ctx, nil, api.Registration{Caller: api.Caller{Person: "carl", Name: "Carl"},
		Channel: "phone", Summary: "The network is down", Impact: 2, Urgency: 2})
	if err != nil || reg.JSON201 == nil {
		t.Fatalf("register: %v", err)
	}
	inc := reg.JSON201.ID
	rc := newHoldingReceiver(t)
	sub, err := alice.CreateWebhookWithResponse(ctx, api.WebhookInput{URL: rc.srv.URL})
	if err != nil || sub.JSON201 == nil {
		t.Fatalf("subscribe: %v", err)
	}
	rc.set(sub.JSON201.Secret, false)
	start := sub.JSON201.Delivery.Cursor

	if r, err := agent.DelegateIncidentWithResponse(ctx, inc, nil, api.Delegation{Organisation: sup}); err != nil || r.JSON200 == nil {
		t.Fatalf("delegate: %v", err)
	}
	if r, err := alice.AcceptIncidentWithResponse(ctx, inc, nil); err != nil || r.JSON200 == nil {
		t.Fatalf("accept: %v", err)
	}
	asynctest.Eventually(t, "the delegation and the acceptance", func() bool { _, n := rc.arrivals(); return len(n) == 2 })
	// The receiver takes the next event and does not answer: the stop cuts
	// the attempt off, so the cursor stays before it.
	rc.set(sub.JSON201.Secret, true)
	if r, err := alice.UpdateIncidentWithResponse(ctx, inc, nil, api.StatusUpdate{Text: "replacing a switch"}); err != nil || r.JSON200 == nil {
		t.Fatalf("update: %v", err)
	}
	select {
	case <-rc.held:
	case <-time.After(asynctest.Failsafe):
		t.Fatal("the update was not sent")
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	rc.set(sub.JSON201.Secret, false)
	base, _, _ = startWith(t, func(string) string { return "" }, "--db", db, "--webhook-allow", netguard.Loopback)
	agent, alice = apiClient(t, check, base, deskSecret), apiClient(t, check, base, supSecret)
	if r, err := alice.ReportBackIncidentWithResponse(ctx, inc, nil, api.Resolution{Code: "hardware", Text: "Replaced the switch."}); err != nil || r.JSON200 == nil {
		t.Fatalf("report back: %v", err)
	}
	if r, err := agent.CommentIncidentWithResponse(ctx, inc, nil, api.Comment{Kind: "work_note", Text: "thanks"}); err != nil || r.JSON200 == nil {
		t.Fatalf("comment: %v", err)
	}

	// What the supplier may read in the feed since it subscribed is what it
	// must receive.
	feed, err := alice.ListEventsWithResponse(ctx, &api.ListEventsParams{After: start, Limit: 1000})
	if err != nil || feed.JSON200 == nil {
		t.Fatalf("events: %v", err)
	}
	want := map[itsm.ID]bool{}
	for _, e := range feed.JSON200.Items {
		want[e.ID] = true
	}
	if len(want) < 5 {
		t.Fatalf("the supplier's feed has %d events since it subscribed, want the delegation and at least four more", len(want))
	}
	asynctest.Eventually(t, "every event of the feed", func() bool { _, n := rc.arrivals(); return len(n) >= len(want) })
	got, n := rc.arrivals()
	for id := range want {
		if n[id] == 0 {
			t.Errorf("event %s did not arrive", id)
		}
	}
	repeats := 0
	var last int64
	for _, p := range got {
		if !want[p.ID] {
			t.Errorf("event %s %s arrived, which is not in the supplier's feed", p.Type, p.ID)
		}
		if n[p.ID] > 1 {
			repeats++
		}
		if n[p.ID] > 0 {
			if p.Seq <= last {
				t.Errorf("event seq %d arrived first after seq %d", p.Seq, last)
			}
			last = p.Seq
			n[p.ID] = -n[p.ID] // the first arrival is counted; later ones are repeats
		}
	}
	// The update was taken before the stop and sent again after it.
	if repeats == 0 {
		t.Errorf("no event arrived twice; the one cut off by the stop should have: %d arrivals of %d events", len(got), len(want))
	}
	_, metrics := get(t, base+"/metrics")
	if !regexp.MustCompile(`(?m)^spoc_webhook_delivered_total [1-9]`).MatchString(metrics) ||
		!strings.Contains(metrics, "spoc_webhook_failed_total 0") || !strings.Contains(metrics, "spoc_webhook_dead_lettered_total 0") {
		t.Errorf("the webhook metrics:\n%s", grepLines(metrics, "spoc_webhook"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestServerAnswersAsteriskWithAProblem sends "GET *" on the wire: the
// answer is a problem, not the empty 400 of http.ServeMux.
func TestServerAnswersAsteriskWithAProblem(t *testing.T) {
	base, _ := start(t, "--db", filepath.Join(t.TempDir(), "spoc.db"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET * HTTP/1.1\r\nHost: spoc\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Type") != problem.ContentType ||
		!strings.Contains(string(b), `"code":"invalid"`) {
		t.Errorf("GET *: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
}

// TestServerHelp: --help and -h print the usage and exit with status 0, as
// the process (main) and not only run; the test binary runs main in a
// child process for that.
func TestServerHelp(t *testing.T) {
	if args := os.Getenv("SPOC_TEST_MAIN_ARGS"); args != "" {
		os.Args = append([]string{"refserver"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	for _, arg := range []string{"--help", "-h"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestServerHelp$")
		cmd.Env = append(os.Environ(), "SPOC_TEST_MAIN_ARGS="+arg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("refserver %s: %v\n%s", arg, err, out)
		}
		for _, want := range []string{"Usage of refserver", "-demo", "-db", "-addr"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("refserver %s does not print %q:\n%s", arg, want, out)
			}
		}
		if strings.Contains(string(out), "help requested") {
			t.Errorf("refserver %s reports the help as an error:\n%s", arg, out)
		}
	}
}

// TestServerTakesTheCMDBModel reads --cmdb-model strictly: a model file
// is the server's CMDB model, and a file that is not one, or is not
// there, stops the start with the flag, the file and what is wrong.
func TestServerTakesTheCMDBModel(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "model.json")
	if err := os.WriteFile(good, []byte(`{"classes":[{"name":"printer","label":"Printer",
		"attributes":[{"name":"serial_number","label":"Serial number","type":"text","required":true}],"keys":[["serial_number"]]}],
		"relation_types":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	o, err := parseOptions([]string{"--cmdb-model", good}, none, io.Discard)
	if err != nil || len(o.model.Classes) != 1 || o.model.Classes[0].Name != "printer" {
		t.Fatalf("the model of %s: %+v %v", good, o.model, err)
	}
	if o, err := parseOptions(nil, none, io.Discard); err != nil || o.model.Classes != nil {
		t.Errorf("without the flag: %+v %v, want the zero model (the default)", o.model, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"classes":[{"name":"Printer","label":"x"}],"relation_types":[],"extra":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, says := range map[string]string{bad: "extra", filepath.Join(dir, "missing.json"): "missing.json"} {
		err := run(context.Background(), []string{"--cmdb-model", file, "--db", filepath.Join(dir, "spoc.db")}, none, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--cmdb-model") || !strings.Contains(err.Error(), says) {
			t.Errorf("--cmdb-model %s: %v, want an error saying %q", file, err, says)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "spoc.db")); err == nil {
		t.Error("a refused model created the database file")
	}
}
