package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	support "github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/cmdb"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/internal/asynctest"
	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
	"github.com/spoc-itsm/spoc/refserver/problem"
	"github.com/spoc-itsm/spoc/refserver/webhook"
	"github.com/spoc-itsm/spoc/sla/followup"
)

// The callers a fuzz input picks with its first byte, modulo callerCount.
const (
	callerNone      = iota // no Authorization header
	callerUnknown          // a well-formed secret that was never issued
	callerMalformed        // an Authorization header that is not a bearer token
	callerRevoked          // a token revoked after it was issued
	callerAdmin            // the bootstrapped administrator
	callerDeskAdmin        // an administrator of the desk
	callerDeskAgent        // an agent of the desk, with report access
	callerSupplierA        // an agent of the supplier holding {inc}
	callerSupplierB        // an agent of the other supplier
	callerCustomer         // a user of the customer
	callerApprover         // an approver of the customer, who reviews follow-ups
	callerCount
)

// fuzzInput is one request of FuzzRequest: who sends it and everything of
// it a client chooses. Strings and body may name the fixture with the
// placeholders of fuzzWorld.vars, which keep the committed seeds valid
// although every world has new IDs.
type fuzzInput struct {
	caller      byte
	method      string
	target      string
	contentType string
	accept      string
	ifMatch     string
	idemKey     string
	body        []byte
	// query holds query parameters, one name=value a line, that exercise
	// appends to the target percent-encoded: the fuzzer then changes a
	// parameter's value byte by byte (a year, a count, a zone) and every
	// change reaches the server, where in the raw target most would make a
	// request line the HTTP parser refuses.
	query string
}

// FuzzRequest sends arbitrary requests, as the server's HTTP parser would
// deliver them, to the API over a support chain with incidents, calendars,
// an agreement, a follow-up and a webhook, and checks that whatever the
// request, its headers, body and query parameters, the server answers
// without a panic or a 5xx, refuses with a problem that tells no Go
// internals, and writes nothing when it refuses.
func FuzzRequest(f *testing.F) {
	var w *fuzzWorld
	f.Cleanup(func() {
		if w != nil {
			w.close()
		}
	})
	f.Fuzz(func(t *testing.T, caller byte, method, target, contentType, accept, ifMatch, idemKey string, body []byte, query string) {
		// A world that took a write is built anew, so that every input
		// meets the fixture as newFuzzWorld leaves it: a failure found
		// while fuzzing then reproduces from its input alone.
		if w == nil || w.written {
			if w != nil {
				w.close()
			}
			var err error
			if w, err = newFuzzWorld(); err != nil {
				t.Fatal(err)
			}
		}
		w.exercise(t, fuzzInput{caller: caller, method: method, target: target, contentType: contentType,
			accept: accept, ifMatch: ifMatch, idemKey: idemKey, body: body, query: query})
	})
}

// fuzzWorld is the server FuzzRequest talks to, called in-process through
// its handler: the whole API over a memory store with every optional
// service wired, so that no operation answers 501.
type fuzzWorld struct {
	ctx     context.Context
	handler http.Handler
	store   itsm.Store
	// log is the server's log, which tells the cause of a 5xx.
	log *asynctest.Buffer
	// auth is the Authorization header of each caller; "" sends none.
	auth [callerCount]string
	// vars are the placeholders the inputs may use; {etag} and {digest}
	// are looked up when an input names them, since commands change them.
	vars map[string]string
	// cmdb follows the log until close.
	cmdb *cmdb.Service
	// seq is the sequence number of the last event in the log.
	seq int64
	// written is set once a request appended events.
	written bool
}

// refuseTransport fails every request, so that no fuzz input makes the
// server post to a webhook URL it names.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzz: no network")
}

// newFuzzWorld builds the server as the reference server's newAPI does, and
// its fixture through the API itself: a customer, a desk, two suppliers, a
// token per caller, a calendar and an agreement, two incidents of which
// one is delegated to supplier A, a webhook of supplier A and a drafted
// follow-up of last month.
func newFuzzWorld() (*fuzzWorld, error) {
	ctx := context.Background()
	store := memstore.New()
	adminSecret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, store, adminSecret, io.Discard); err != nil {
		return nil, err
	}
	dir, err := auth.NewDirectory(ctx, store, nil)
	if err != nil {
		return nil, err
	}
	logs := &asynctest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	db, err := cmdb.New(ctx, cmdb.Config{Store: store, Directory: dir, Permissions: dir.Permissions(), Poll: time.Hour})
	if err != nil {
		return nil, err
	}
	svc, err := incident.New(incident.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Matrix: itsm.ServiceNowMatrix(), Items: db})
	if err != nil {
		return nil, err
	}
	hooks, err := webhook.New(webhook.Config{Store: store, Visible: httpapi.Visible(svc, nil, nil, nil, db), Admin: httpapi.Admin(dir),
		Client: &http.Client{Transport: refuseTransport{}}, Logger: log})
	if err != nil {
		return nil, err
	}
	follow, err := followup.New(followup.Config{Store: store, Directory: dir, Permissions: dir.Permissions(),
		Provides: httpapi.FollowUpProvides(store), Compute: httpapi.FollowUpCompute(store, dir, svc, nil, nil)})
	if err != nil {
		return nil, err
	}
	groups, err := support.New(support.Config{Store: store, Directory: dir, Admin: httpapi.Admin(dir)})
	if err != nil {
		return nil, err
	}
	h, err := httpapi.New(httpapi.Deps{Store: store, Directory: dir, Tokens: auth.NewTokens(dir, log), Incidents: svc,
		Log: log, Webhooks: hooks, FollowUps: follow, Groups: groups, CMDB: db})
	if err != nil {
		return nil, err
	}
	w := &fuzzWorld{ctx: ctx, handler: http.MaxBytesHandler(h, 1<<20), store: store, log: logs, cmdb: db,
		vars: map[string]string{}}
	w.auth[callerUnknown] = "Bearer " + auth.NewSecret()
	w.auth[callerMalformed] = "Basic c3BvYzpzcG9j"
	w.auth[callerAdmin] = "Bearer " + adminSecret

	s := &fuzzSetup{w: w}
	rwr := `["read","write","report"]`
	city := s.org(`{"name":"City of Example","role":"customer"}`, "incident", `["read"]`)
	desk := s.org(`{"name":"Service Desk","role":"desk"}`, "incident", rwr)
	supA := s.org(`{"name":"Network Supplier","role":"supplier"}`, "incident", rwr)
	supB := s.org(`{"name":"Hardware Supplier","role":"supplier"}`, "incident", `["read","write"]`)
	s.grant(desk, "service_level", rwr)
	s.grant(city, "service_level", `["read","write"]`)
	s.grant(desk, "cmdb", rwr)
	s.grant(supA, "cmdb", rwr)
	s.grant(city, "cmdb", `["read","report"]`)
	issue := func(who int, org, person, roles string) string {
		r := s.call(callerAdmin, "POST", "/v1/tokens", "", fmt.Sprintf(`{"actor":{"organisation":%q,"person":%q,"roles":%s},"name":"fuzz"}`,
			org, person, roles), http.StatusCreated)
		var out struct {
			Token  struct{ ID string }
			Secret string
		}
		s.decode(r, &out)
		if who >= 0 {
			w.auth[who] = "Bearer " + out.Secret
		}
		return out.Token.ID
	}
	issue(callerDeskAdmin, desk, "root", `["admin"]`)
	issue(callerDeskAgent, desk, "dana", `["agent"]`)
	issue(callerSupplierA, supA, "alice", `["agent"]`)
	issue(callerSupplierB, supB, "bob", `["agent"]`)
	issue(callerCustomer, city, "carl", `[]`)
	issue(callerApprover, city, "vera", `["approver"]`)
	revoked := issue(callerRevoked, supB, "rex", `["agent"]`)
	s.call(callerAdmin, "DELETE", "/v1/tokens/"+revoked, "", "", http.StatusOK)
	// A token no caller uses, for the seeds that revoke one.
	spare := issue(-1, supB, "sam", `["agent"]`)

	s.call(callerDeskAdmin, "PUT", "/v1/calendars/uc-hours", "", `{"name":"uc-hours","location":"UTC","hours":"24x7"}`, http.StatusCreated)
	var ag struct{ ID string }
	s.decode(s.call(callerDeskAdmin, "POST", "/v1/agreements", "", agreementJSON("City SLA", "SLA", mustID(desk), mustID(city), "16h", "uc-hours"),
		http.StatusCreated), &ag)

	reg := `{"caller":{"person":"carl","name":"Carl"},"channel":"phone","customer":%q,"summary":%q,"impact":2,"urgency":2}`
	var inc, inc2 struct {
		ID     string
		Number string
	}
	s.decode(s.call(callerDeskAgent, "POST", "/v1/incidents", "alert-42", fmt.Sprintf(reg, city, "The city's network is down"),
		http.StatusCreated), &inc)
	s.decode(s.call(callerDeskAgent, "POST", "/v1/incidents", "", fmt.Sprintf(reg, city, "A printer jams"),
		http.StatusCreated), &inc2)
	var group struct{ ID string }
	s.decode(s.call(callerAdmin, "POST", "/v1/organisations/"+supA+"/groups", "", `{"name":"Network","members":["alice"]}`,
		http.StatusCreated), &group)
	s.call(callerDeskAgent, "POST", "/v1/incidents/"+inc.ID+"/delegate", "",
		fmt.Sprintf(`{"organisation":%q,"group":%q,"note":"please look"}`, supA, group.ID), http.StatusOK)

	var hook struct{ ID string }
	s.decode(s.call(callerSupplierA, "POST", "/v1/webhooks", "", `{"url":"https://hooks.example.invalid/spoc","types":["incident."]}`,
		http.StatusCreated), &hook)

	// A server of the desk's CMDB, which incidents and commands may name.
	var ci struct{ ID string }
	s.decode(s.call(callerDeskAgent, "POST", "/v1/cmdb/items", "", `{"class":"server","name":"app01","attributes":{"host_name":"app01"}}`,
		http.StatusCreated), &ci)

	month := time.Now().UTC().AddDate(0, -1, 0).Format("2006-01")
	var fu struct{ ID string }
	s.decode(s.call(callerDeskAgent, "POST", "/v1/followups", "", fmt.Sprintf(`{"customer":%q,"month":%q}`, city, month),
		http.StatusCreated), &fu)
	if s.err != nil {
		return nil, s.err
	}

	for k, v := range map[string]string{"city": city, "desk": desk, "supA": supA, "supB": supB, "token": spare,
		"agreement": ag.ID, "inc": inc.ID, "inc2": inc2.ID, "number": inc.Number, "hook": hook.ID,
		"followup": fu.ID, "month": month, "group": group.ID, "ci": ci.ID} {
		w.vars["{"+k+"}"] = v
	}
	if w.seq, err = w.lastSeq(); err != nil {
		return nil, err
	}
	w.log.Take()
	return w, nil
}

// close stops what the world runs: the CMDB's following of the log.
func (w *fuzzWorld) close() { _ = w.cmdb.Close() }

// mustID parses an ID the API returned; a malformed one fails the setup
// later, when the server refuses it.
func mustID(s string) itsm.ID {
	id, _ := itsm.ParseID(s)
	return id
}

// fuzzSetup makes the fixture's requests and keeps the first failure.
type fuzzSetup struct {
	w   *fuzzWorld
	err error
}

// call sends a request of the fixture and expects the status.
func (s *fuzzSetup) call(caller int, method, path, idemKey, body string, want int) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		r.Header.Set("Idempotency-Key", idemKey)
	}
	if a := s.w.auth[caller]; a != "" {
		r.Header.Set("Authorization", a)
	}
	rec := httptest.NewRecorder()
	s.w.handler.ServeHTTP(rec, r)
	if rec.Code != want && s.err == nil {
		s.err = fmt.Errorf("fuzz setup: %s %s: %d, want %d: %s %s", method, path, rec.Code, want, rec.Body, s.w.log.Take())
	}
	return rec
}

func (s *fuzzSetup) decode(rec *httptest.ResponseRecorder, v any) {
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil && s.err == nil {
		s.err = fmt.Errorf("fuzz setup: decode %s: %w", rec.Body, err)
	}
}

// org creates an organisation with rights in a domain and returns its ID.
func (s *fuzzSetup) org(input, domain, access string) string {
	var o struct{ ID string }
	s.decode(s.call(callerAdmin, "POST", "/v1/organisations", "", input, http.StatusCreated), &o)
	s.grant(o.ID, domain, access)
	return o.ID
}

func (s *fuzzSetup) grant(org, domain, access string) {
	s.call(callerAdmin, "POST", "/v1/organisations/"+org+"/permissions/grant", "",
		fmt.Sprintf(`{"domain":%q,"access":%s}`, domain, access), http.StatusOK)
}

// lastSeq returns the sequence number of the last event in the log,
// reading on from the last one seen.
func (w *fuzzWorld) lastSeq() (int64, error) { return lastSeq(w.ctx, w.store, w.seq) }

// lastSeq returns the sequence number of the last event of store's log,
// reading on from after.
func lastSeq(ctx context.Context, store itsm.Store, after int64) (int64, error) {
	last := after
	err := store.Read(ctx, func(tx itsm.ReadTx) error {
		for {
			es, err := tx.Events(last, itsm.MaxLimit)
			if err != nil || len(es) == 0 {
				return err
			}
			last = es[len(es)-1].Seq
		}
	})
	return last, err
}

// fill replaces the placeholders in s with the world's values.
func (w *fuzzWorld) fill(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	for k, v := range w.vars {
		s = strings.ReplaceAll(s, k, v)
	}
	if strings.Contains(s, "{etag}") {
		s = strings.ReplaceAll(s, "{etag}", w.current(callerDeskAgent, "/v1/incidents/"+w.vars["{inc}"]))
	}
	if strings.Contains(s, "{digest}") {
		tag := w.current(callerApprover, "/v1/followups/"+w.vars["{followup}"]+"/report")
		s = strings.ReplaceAll(s, "{digest}", strings.Trim(tag, `"`))
	}
	return s
}

// current returns the ETag a GET of path answers the caller now.
func (w *fuzzWorld) current(caller int, path string) string {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Authorization", w.auth[caller])
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, r)
	return rec.Header().Get("ETag")
}

// leaks are what a problem must not say unless the request said it first:
// the marks of a Go panic, a decoder's or a store's error passed through.
var leaks = []string{"runtime error", "goroutine", ".go:", "panic", "nil pointer", "interface conversion",
	"sql", "memdb", "json: ", "json.number", "strconv.", "reflect", "0xc0"}

// exercise sends the input as raw HTTP/1.1, parsed as the server's
// connection would parse it, and checks the answer. An input the HTTP
// parser refuses never reaches the handler and is skipped.
func (w *fuzzWorld) exercise(t *testing.T, in fuzzInput) {
	t.Helper()
	method, target := w.fill(in.method), w.fill(in.target)
	if in.query != "" {
		var q []string
		for _, pair := range strings.Split(in.query, "\n") {
			name, value, _ := strings.Cut(pair, "=")
			q = append(q, url.QueryEscape(name)+"="+url.QueryEscape(w.fill(value)))
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + strings.Join(q, "&")
	}
	body := []byte(w.fill(string(in.body)))
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: spoc.test\r\n", method, target)
	header := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&raw, "%s: %s\r\n", name, value)
		}
	}
	header("Authorization", w.auth[int(in.caller)%callerCount])
	header("Content-Type", w.fill(in.contentType))
	header("Accept", w.fill(in.accept))
	header("If-Match", w.fill(in.ifMatch))
	header("Idempotency-Key", w.fill(in.idemKey))
	fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n", len(body))
	raw.Write(body)
	if raw.Len()-len(body) > 64<<10 {
		return // over the server's MaxHeaderBytes
	}
	sent := raw.String()
	r, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil || !wireValid(r) {
		return
	}
	before := w.seq
	rec := httptest.NewRecorder()
	w.handler.ServeHTTP(rec, r)
	after, err := w.lastSeq()
	if err != nil {
		t.Fatal(err)
	}
	w.seq = after
	w.written = w.written || after != before
	got := rec.Body.String()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s\n--- request\n%s\n--- response %d %s\n%s\n--- log\n%s", fmt.Sprintf(format, args...), sent, rec.Code,
			rec.Header(), got, w.log.Take())
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		if after != before {
			fail("a %s appended events %d..%d", r.Method, before+1, after)
		}
	}
	if rec.Code >= 500 {
		fail("a server error")
		return
	}
	if rec.Code < 400 {
		w.log.Take()
		return
	}
	if after != before {
		fail("a refused request appended events %d..%d", before+1, after)
	}
	if mt, _, err := mime.ParseMediaType(rec.Header().Get("Content-Type")); err != nil || mt != problem.ContentType {
		fail("a refusal is not %s", problem.ContentType)
		return
	}
	var p struct {
		Status *int
		Code   string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		fail("the problem does not parse: %v", err)
		return
	}
	if p.Status == nil || *p.Status != rec.Code || p.Code == "" {
		fail("the problem's status or code is wrong")
	}
	lowGot, lowSent := strings.ToLower(got), strings.ToLower(sent)
	for _, l := range leaks {
		if strings.Contains(lowGot, l) && !strings.Contains(lowSent, l) {
			fail("the problem tells %q", l)
		}
	}
	w.log.Take()
}

// wireValid reports whether net/http's server would hand r to a handler: it
// refuses, after parsing, requests with more than one Host and with header
// names or values that are not allowed on the wire, and answers OPTIONS *
// itself.
func wireValid(r *http.Request) bool {
	if len(r.Header["Host"]) > 1 {
		return false
	}
	if r.RequestURI == "*" && r.Method == http.MethodOptions {
		return false // answered by the server itself, not its handler
	}
	for name, values := range r.Header {
		if name == "" || strings.ContainsFunc(name, func(c rune) bool {
			return c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c)
		}) {
			return false
		}
		for _, v := range values {
			if strings.ContainsFunc(v, func(c rune) bool { return (c < ' ' && c != '\t') || c == 0x7f }) {
				return false
			}
		}
	}
	return true
}
