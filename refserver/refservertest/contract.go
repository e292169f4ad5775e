package refservertest

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/spoc-itsm/spoc/refserver/api"
)

// ContractCheck is an http.RoundTripper for the clients of a test: it
// validates every response to an operation of refserver/openapi.yaml
// against the contract with kin-openapi, and fails the test on a 5xx. Its
// router is kin-openapi's own, independent of the server's.
type ContractCheck struct {
	t        testing.TB
	router   routers.Router
	next     http.RoundTripper
	allow501 bool

	mu   sync.Mutex
	seen map[string]int // "METHOD /path" of the contract -> responses
}

// NewContractCheck returns a check that sends through next
// (http.DefaultTransport when nil). With allow501, a 501 does not fail the
// test: a server built without some services answers their operations so.
func NewContractCheck(t testing.TB, next http.RoundTripper, allow501 bool) *ContractCheck {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	if next == nil {
		next = http.DefaultTransport
	}
	return &ContractCheck{t: t, router: router, next: next, allow501: allow501, seen: map[string]int{}}
}

// RoundTrip implements http.RoundTripper.
func (c *ContractCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if resp.StatusCode >= 500 && !(c.allow501 && resp.StatusCode == http.StatusNotImplemented) {
		c.t.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		// Not an operation of the contract: nothing to validate against.
		return resp, nil
	}
	c.mu.Lock()
	c.seen[req.Method+" "+route.Path]++
	c.mu.Unlock()
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		c.t.Errorf("%s %s: the %d response does not match the contract: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, b)
	}
	return resp, nil
}

// Operations returns how many responses each operation of the contract
// ("GET /v1/incidents/{id}") gave so far.
func (c *ContractCheck) Operations() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.seen)
}
