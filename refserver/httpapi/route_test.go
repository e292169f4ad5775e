package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/internal/seqtest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/spoc-itsm/spoc/refserver/api"
)

// The route table must answer what gorillamux, which validate used before,
// answers: the tests here compare the two on the contract's every
// operation, on paths made to catch a segment matcher out, on the
// FuzzRequest seeds, and under FuzzRoute.

// routeMethods are the methods every path is tried with: the contract's,
// the ones it has no operation for, and spellings gorillamux must refuse
// alike (it compares methods case-sensitively).
var routeMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
	"QUERY", "get", "Post", "PROPFIND", "BREW"}

// routeSamples are path parameter values: plain, percent-encoded (a slash
// too, which must stay inside its segment), dot segments, unicode,
// characters that end the path or need escaping, and a long one.
var routeSamples = []string{"0190c2a4-7d5e-7b3a-9f00-1234567890ab", "INC-000042", "42", "x", "a%20b", "a%2Fb",
	"%2F", "%2f%2F", "..", ".", "%2E%2E", "%C3%A9t%C3%A9", "été", "%zz", "%", "{id}", "*", "~a_b-c", "a;b=c",
	"a:b@c", "a+b", "a,b", "%00", "a?b=c", "a#b", strings.Repeat("z", 4096)}

// routeTricky are whole request targets, not from one template.
var routeTricky = []string{"", "/", "//", "///", "*", "/v1", "/v1/", "//v1", "/v1//", "/v1//incidents",
	"//v1/incidents", "/v1/incidents/", "/v1/incidents//", "/v1/incidents//start", "/v1/incidents///start",
	"/v1/incidents/x/", "/v1/incidents/x//", "/v1/incidents/x/start/", "/v1/incidents/x//start",
	"/v1/incidents/../incidents", "/v1/incidents/x/../y", "/v1/./incidents", "/v1/incidents/./start",
	"/v1/incidents/%2e%2e/start", "/v1%2Fincidents", "/v1%2fincidents/x", "/v1/incidents%2Fx",
	"/v1/incidents/x%2Fstart", "/v1/incidents/x%2Fstart/start", "/%76%31/incidents", "/v1/%69ncidents/x",
	"/V1/INCIDENTS", "/v1/Incidents/x", "/v1/clocks/due", "/v1/clocks/due/", "/v1/clocks/x", "/v1/clocks",
	"/v1/clocks/due/x", "/v2/incidents", "/api/v1/incidents", "/v1/incidents/x/unknown", "/v1/x/y/z",
	"/v1/webhooks/h/dead-letters/1/retry", "/v1/webhooks/h/dead-letters//retry", "/v1/webhooks//dead-letters",
	"/v1/webhooks/h/dead-letters/1/retry/again", "/openapi.yaml", "/openapi%2Eyaml", "/openapi.yaml/",
	"/schemas/incident.delegated.json", "/schemas/", "/schemas/a/b", "/healthz", "/healthz/", "/metrics",
	"/readyz", "http://spoc.test/v1/me", "https://other.example/v1/incidents/x", "/v1/me?x=1", "/v1/me?",
	"/v1/me#frag", "/v1/me%3Fx", "/v1/me%23x", "/v1/me;x", "/v1/me%00", "/v1/me%", "/v1/me%zz",
	"/v1/incidents/é/start", "/v1/incidents/a b", "/v1/incidents/\x7f", "v1/me", "v1/incidents/x",
	"/v1/incidents/" + strings.Repeat("%41", 3000), "/v1" + strings.Repeat("/a", 1000),
	strings.Repeat("/", 500), "/v1/incidents/" + strings.Repeat("x/", 200) + "start"}

// routeContract returns gorillamux's router and the route table of the
// contract, both as New builds them.
func routeContract(tb testing.TB) (*openapi3.T, routers.Router, *routeTable) {
	tb.Helper()
	return routeDoc(tb, api.Spec())
}

// routeDoc returns gorillamux's router and the route table of the
// document spec.
func routeDoc(tb testing.TB, spec []byte) (*openapi3.T, routers.Router, *routeTable) {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		tb.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	g, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	tab, err := newRouteTable(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return doc, g, tab
}

// routeRequests returns the requests a target can become: as the server's
// HTTP parser reads it, when it can, and as a URL whose path is the target
// itself, escaped or not, which reaches paths no parser delivers.
func routeRequests(method, target string) []*http.Request {
	var out []*http.Request
	raw := method + " " + target + " HTTP/1.1\r\nHost: spoc.test\r\n\r\n"
	if r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw))); err == nil {
		out = append(out, r)
	}
	out = append(out, &http.Request{Method: method, URL: &url.URL{Path: target}})
	if p, err := url.PathUnescape(target); err == nil {
		out = append(out, &http.Request{Method: method, URL: &url.URL{Path: p, RawPath: target}})
	}
	return out
}

// sameRoute tells how the route table's answer to r differs from
// gorillamux's, or returns nil.
func sameRoute(g routers.Router, tab *routeTable, r *http.Request) error {
	gr, gp, gerr := g.FindRoute(r)
	tr, tp, terr := tab.FindRoute(r)
	describe := func(route *routers.Route, params map[string]string, err error) string {
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%s %s %v", route.Method, route.Path, params)
	}
	differ := fmt.Errorf("%s %q (escaped %q): table %s, gorillamux %s", r.Method, r.URL.Path, r.URL.EscapedPath(),
		describe(tr, tp, terr), describe(gr, gp, gerr))
	switch {
	case terr != gerr:
		return differ
	case (tr == nil) != (gr == nil), tr != nil && *tr != *gr:
		return differ
	case (tp == nil) != (gp == nil), !maps.Equal(tp, gp):
		return differ
	}
	return nil
}

// fill puts value in place of every parameter of a template.
func fill(template, value string) string {
	var b strings.Builder
	for i, seg := range strings.Split(template, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if strings.HasPrefix(seg, "{") {
			b.WriteString(value)
		} else {
			b.WriteString(seg)
		}
	}
	return b.String()
}

// TestRouteTableServesEveryOperation checks that each operation of the
// contract is found at its path, with its parameters as sent, and that
// every other method there is 405: what validate relies on, stated apart
// from gorillamux so that the differential tests cannot pass on a table
// that finds nothing.
func TestRouteTableServesEveryOperation(t *testing.T) {
	doc, _, tab := routeContract(t)
	ops := 0
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for _, value := range []string{"0190c2a4-7d5e-7b3a-9f00-1234567890ab", "a%2Fb", "%C3%A9"} {
			for _, method := range routeMethods {
				r := routeRequests(method, fill(path, value))[0]
				route, params, err := tab.FindRoute(r)
				if item.GetOperation(method) == nil {
					if err != routers.ErrMethodNotAllowed {
						t.Errorf("%s %s: %v, want 405", method, r.URL.Path, err)
					}
					continue
				}
				if err != nil || route.Path != path || route.Method != method || route.Operation != item.GetOperation(method) {
					t.Errorf("%s %s: %+v %v, want the operation of %s", method, r.URL.Path, route, err, path)
					continue
				}
				if strings.Count(path, "{") != len(params) {
					t.Errorf("%s %s: params %v", method, r.URL.Path, params)
				}
				for name, v := range params {
					if !strings.Contains(path, "{"+name+"}") || v != value {
						t.Errorf("%s %s: params %v, want each %q", method, r.URL.Path, params, value)
					}
				}
				ops++
			}
		}
	}
	if want := 3 * len(doc.Paths.Map()); ops < want {
		t.Errorf("%d operations found, want at least %d", ops, want)
	}
}

// TestRouteTableMatchesGorillamux compares the table with gorillamux on
// every path template filled with each sample, and on variants of it
// (trailing slash, doubled slash, a segment more or less, a prefix),
// with every method.
func TestRouteTableMatchesGorillamux(t *testing.T) {
	if seqtest.Race() {
		// One goroutine over pure functions: the race detector has nothing
		// to find, and this was 166 s of CI's race run; the ordinary run
		// compares every request.
		t.Skip("route table comparison skipped under the race detector: single-goroutine, checked by the ordinary run")
	}
	doc, g, tab := routeContract(t)
	n := 0
	check := func(method, target string) {
		for _, r := range routeRequests(method, target) {
			if err := sameRoute(g, tab, r); err != nil {
				t.Error(err)
			}
			n++
		}
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for i, value := range routeSamples {
			p := fill(path, value)
			targets := []string{p}
			if i < 3 {
				targets = append(targets, p+"/", p+"//", strings.Replace(p, "/", "//", 2), "/"+p, p+"/x",
					p[:strings.LastIndex(p, "/")], "/v2"+p, strings.ToUpper(p), p+"?q=1", p+"%2F")
			}
			for _, target := range targets {
				for _, method := range routeMethods {
					check(method, target)
				}
			}
		}
	}
	for _, target := range routeTricky {
		for _, method := range routeMethods {
			check(method, target)
		}
	}
	t.Logf("%d requests compared", n)
}

// TestRouteTableOverlaps compares the table with gorillamux on a path that
// both of two templates match, for every such pair of the contract. Where
// two templates overlap, gorillamux answers the one with fewer parameters,
// then the one greater in byte order, while the table prefers a literal
// segment at the first place they differ; the two agree on concrete paths
// over templated ones (/v1/clocks/due) but not always otherwise
// (/a/{x}/c and /a/b/{y}), so a contract that gains such a pair fails here.
func TestRouteTableOverlaps(t *testing.T) {
	_, g, tab := routeContract(t)
	t.Logf("%d overlapping pairs of templates in the contract", routeOverlaps(t, g, tab))
	// The other contract has such pairs, so that this test is seen to
	// compare them.
	_, g, tab = routeDoc(t, []byte(routeSpec))
	if n := routeOverlaps(t, g, tab); n < 3 {
		t.Errorf("%d overlapping pairs in routeSpec, want at least 3", n)
	}
}

// routeOverlaps compares the table with gorillamux on a path that both of
// two templates match, for every such pair of the table's contract, and
// returns how many pairs there are.
func routeOverlaps(t *testing.T, g routers.Router, tab *routeTable) int {
	t.Helper()
	var paths []string
	tab.root.walk(nil, func(segs []string) { paths = append(paths, "/"+strings.Join(segs, "/")) })
	pairs := 0
	for i, a := range paths {
		for _, b := range paths[i+1:] {
			sa, sb := strings.Split(a, "/"), strings.Split(b, "/")
			if len(sa) != len(sb) {
				continue
			}
			witness := make([]string, len(sa))
			overlap := true
			for k := range sa {
				pa, pb := sa[k] == "{}", sb[k] == "{}"
				switch {
				case pa && pb:
					witness[k] = "p"
				case pa:
					witness[k] = sb[k]
				case pb:
					witness[k] = sa[k]
				case sa[k] == sb[k]:
					witness[k] = sa[k]
				default:
					overlap = false
				}
			}
			if !overlap {
				continue
			}
			pairs++
			for _, method := range routeMethods {
				for _, r := range routeRequests(method, strings.Join(witness, "/")) {
					if err := sameRoute(g, tab, r); err != nil {
						t.Errorf("%s and %s: %v", a, b, err)
					}
				}
			}
		}
	}
	return pairs
}

// walk calls f with the segments of every template under n, "{}" standing
// for a parameter: the full paths, server bases included, that the table
// matches.
func (n *routeNode) walk(segs []string, f func([]string)) {
	if n.end != nil {
		f(segs)
	}
	for seg, child := range n.literals {
		child.walk(append(slices.Clip(segs), seg), f)
	}
	if n.param != nil {
		n.param.walk(append(slices.Clip(segs), "{}"), f)
	}
}

// fuzzSeedTarget returns the target of a FuzzRequest seed file: the third
// value of its "go test fuzz v1" encoding, a quoted string.
func fuzzSeedTarget(t *testing.T, file string) (method, target string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a go test fuzz v1 file", file)
	}
	value := func(line string) string {
		q, ok := strings.CutPrefix(strings.TrimSpace(line), "string(")
		if !ok || !strings.HasSuffix(q, ")") {
			t.Fatalf("%s: %q is not a string value", file, line)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
		if err != nil {
			t.Fatalf("%s: %q: %v", file, line, err)
		}
		return s
	}
	return value(lines[2]), value(lines[3])
}

// TestRouteTableFuzzRequestSeeds compares the table with gorillamux on the
// targets of FuzzRequest's seeds, with their placeholders left and filled,
// with every method.
func TestRouteTableFuzzRequestSeeds(t *testing.T) {
	_, g, tab := routeContract(t)
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzRequest", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no FuzzRequest seeds: %v", err)
	}
	for _, file := range files {
		seedMethod, target := fuzzSeedTarget(t, file)
		filled := target
		for _, name := range []string{"city", "desk", "supA", "supB", "token", "agreement", "inc", "inc2", "hook", "followup"} {
			filled = strings.ReplaceAll(filled, "{"+name+"}", "0190c2a4-7d5e-7b3a-9f00-1234567890ab")
		}
		filled = strings.ReplaceAll(filled, "{number}", "INC-000001")
		for _, method := range append([]string{seedMethod}, routeMethods...) {
			for _, tg := range []string{target, filled} {
				for _, r := range routeRequests(method, tg) {
					if err := sameRoute(g, tab, r); err != nil {
						t.Errorf("%s: %v", filepath.Base(file), err)
					}
				}
			}
		}
	}
}

// FuzzRoute compares the table with gorillamux on arbitrary methods and
// targets.
func FuzzRoute(f *testing.F) {
	_, g, tab := routeContract(f)
	f.Fuzz(func(t *testing.T, method, target string) {
		for _, r := range routeRequests(method, target) {
			if err := sameRoute(g, tab, r); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// routeSpec is a contract with servers' base paths, paths that overlap (a
// concrete one beside a templated one, and /api/clocks/due, which the
// first server's /clocks/due claims first), and a path with a server of
// its own: what this contract lacks but the table reads.
const routeSpec = `openapi: 3.0.3
info: {title: routes, version: "1"}
servers:
  - url: /api/
  - url: /
paths:
  /clocks/due:
    get: {responses: {"200": {description: ok}}}
  /clocks/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get: {responses: {"200": {description: ok}}}
    post: {responses: {"200": {description: ok}}}
  /clocks/{id}/due:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    put: {responses: {"200": {description: ok}}}
  /{a}/{b}/{c}:
    parameters:
      - {name: a, in: path, required: true, schema: {type: string}}
      - {name: b, in: path, required: true, schema: {type: string}}
      - {name: c, in: path, required: true, schema: {type: string}}
    delete: {responses: {"200": {description: ok}}}
  /api/clocks/due:
    patch: {responses: {"200": {description: ok}}}
  /v2/only:
    servers: [{url: /v2base}]
    get: {responses: {"200": {description: ok}}}
`

// TestRouteTableOtherContract compares the table with gorillamux on a
// contract with what this one lacks: two servers with base paths, a path
// with its own server, a concrete path beside a templated one, and a
// template of parameters only, where a literal segment must win and the
// method then decides between the operation and 405.
func TestRouteTableOtherContract(t *testing.T) {
	_, g, tab := routeDoc(t, []byte(routeSpec))
	targets := []string{"/clocks/due", "/api/clocks/due", "/api/clocks/x", "/clocks/x", "/clocks/due/due",
		"/api/clocks/due/due", "/clocks/x/due", "/api/clocks/x/y", "/a/b/c", "/api/clocks", "/api/", "/api",
		"/v2base/v2/only", "/v2/only", "/api/v2/only", "/clocks//due", "/clocks/%2F/due", "/x/y/z/"}
	for _, target := range targets {
		for _, method := range routeMethods {
			for _, r := range routeRequests(method, target) {
				if err := sameRoute(g, tab, r); err != nil {
					t.Error(err)
				}
			}
		}
	}
	// The literal wins over {id}, and then lacks POST: 405, not /clocks/{id}.
	r := routeRequests("POST", "/api/clocks/due")[0]
	if _, _, err := tab.FindRoute(r); err != routers.ErrMethodNotAllowed {
		t.Errorf("POST /api/clocks/due: %v, want 405", err)
	}
	if route, params, err := tab.FindRoute(routeRequests("PUT", "/api/clocks/due/due")[0]); err != nil ||
		route.Path != "/clocks/{id}/due" || params["id"] != "due" || route.Server.URL != "/api/" {
		t.Errorf("PUT /api/clocks/due/due: %+v %v %v", route, params, err)
	}
}

// TestRouteTablePrefersLiteral shows where the table and gorillamux part:
// templates that overlap with their literal segments in different places.
// The table answers the template whose first differing segment is
// literal, as OpenAPI's concrete-over-templated rule reads; gorillamux
// answers the one greater in byte order, where '{' sorts after letters.
// TestRouteTableOverlaps keeps such pairs out of the contract.
func TestRouteTablePrefersLiteral(t *testing.T) {
	_, g, tab := routeDoc(t, []byte(`openapi: 3.0.3
info: {title: routes, version: "1"}
paths:
  /a/{x}/c:
    parameters: [{name: x, in: path, required: true, schema: {type: string}}]
    get: {responses: {"200": {description: ok}}}
  /a/b/{y}:
    parameters: [{name: y, in: path, required: true, schema: {type: string}}]
    get: {responses: {"200": {description: ok}}}
`))
	r := routeRequests("GET", "/a/b/c")[0]
	route, params, err := tab.FindRoute(r)
	if err != nil || route.Path != "/a/b/{y}" || params["y"] != "c" {
		t.Errorf("GET /a/b/c: %+v %v %v, want /a/b/{y}", route, params, err)
	}
	if gr, _, _ := g.FindRoute(r); gr != nil {
		t.Logf("gorillamux answers %s", gr.Path)
	}
}

// TestRouteTableRefuses checks that a contract the table would not match
// as gorillamux does is refused when New builds it, rather than served
// differently.
func TestRouteTableRefuses(t *testing.T) {
	for name, c := range map[string]struct{ servers, path string }{
		"part of a segment":  {"", "/books/{id}.json"},
		"regular expression": {"", "/books/{id:[0-9]+}"},
		"host":               {"servers: [{url: 'https://spoc.example/api'}]", "/books/{id}"},
		"server variable": {"servers: [{url: '/{base}', variables: {base: {default: api}}}]",
			"/books/{id}"},
		"path server host": {"", "/books/{id}"},
	} {
		t.Run(name, func(t *testing.T) {
			pathServers := ""
			if name == "path server host" {
				pathServers = "\n    servers: [{url: 'http://spoc.example/'}]"
			}
			spec := fmt.Sprintf(`openapi: 3.0.3
info: {title: routes, version: "1"}
%s
paths:
  %s:%s
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    get: {responses: {"200": {description: ok}}}
`, c.servers, c.path, pathServers)
			doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := newRouteTable(doc); err == nil {
				t.Errorf("%s: built, want refused", c.path)
			} else {
				t.Log(err)
			}
		})
	}
}

// routeRecorder is the RouteSetter of TestValidateSameAnswers: it puts the
// route validate names in a header of the answer.
type routeRecorder struct{ http.ResponseWriter }

func (w routeRecorder) SetRoute(pattern string) { w.Header().Set("X-Route", pattern) }

// TestValidateSameAnswers serves validate with the table and with
// gorillamux over loopback and sends both the same raw requests, the
// targets written on the wire as they are: each must get the same status,
// route and body, from 404 and 405 through the contract's 400 to the
// handler behind.
func TestValidateSameAnswers(t *testing.T) {
	doc, g, tab := routeContract(t)
	a := &API{log: slog.New(slog.DiscardHandler)}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.EscapedPath())
	})
	serve := func(router routers.Router) string {
		h := validate(router, a, next)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(routeRecorder{w}, r)
		}))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	tabAddr, gAddr := serve(tab), serve(g)
	var targets []string
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, value := range []string{"0190c2a4-7d5e-7b3a-9f00-1234567890ab", "42", "a%2Fb", "..", "%C3%A9"} {
			targets = append(targets, fill(path, value), fill(path, value)+"/")
		}
	}
	for _, target := range routeTricky {
		// A target the server's parser refuses never reaches validate, and
		// the server closes the connection after its 400.
		if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: spoc.test\r\n\r\n"))); err == nil {
			targets = append(targets, target)
		}
	}
	type answer struct {
		status      int
		route, body string
	}
	// ask sends the requests on one connection, as a keep-alive client.
	ask := func(addr string, reqs []string) []answer {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		var out []answer
		for _, req := range reqs {
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%q: %v", req, err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, answer{resp.StatusCode, resp.Header.Get("X-Route"), string(b)})
		}
		return out
	}
	var reqs []string
	for _, target := range targets {
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
			reqs = append(reqs, method+" "+target+" HTTP/1.1\r\nHost: spoc.test\r\nContent-Length: 0\r\n\r\n")
		}
	}
	got, want := ask(tabAddr, reqs), ask(gAddr, reqs)
	statuses := map[int]int{}
	for i := range reqs {
		if got[i] != want[i] {
			t.Errorf("%q: table %+v, gorillamux %+v", strings.SplitN(reqs[i], "\r\n", 2)[0], got[i], want[i])
		}
		statuses[got[i].status]++
	}
	// Each kind of answer must have come up, or the comparison proves less
	// than it says.
	for _, status := range []int{200, 400, 404, 405} {
		if statuses[status] == 0 {
			t.Errorf("no request answered %d: %v", status, statuses)
		}
	}
	t.Logf("%d requests, statuses %v", len(reqs), statuses)
}

// routeBenchCases are the lookups BenchmarkRouteLookup times: the
// server's benchmark's GET, the template gorillamux tries last, a
// mismatched method and a path that matches nothing.
var routeBenchCases = []struct{ name, method, target string }{
	{"GetIncident", "GET", "/v1/incidents/0190c2a4-7d5e-7b3a-9f00-1234567890ab"},
	{"RetryDeadLetter", "POST", "/v1/webhooks/0190c2a4-7d5e-7b3a-9f00-1234567890ab/dead-letters/7/retry"},
	{"Coordinate", "POST", "/v1/incidents/0190c2a4-7d5e-7b3a-9f00-1234567890ab/coordinate"},
	{"MethodNotAllowed", "PUT", "/v1/incidents"},
	{"NotFound", "GET", "/v1/nothing/here"},
}

// BenchmarkRouteLookup times one lookup by the table and by gorillamux;
// the table's sub-benchmark also reports x_gorillamux, gorillamux's time
// per lookup over the table's, gorillamux timed right after for as long.
func BenchmarkRouteLookup(b *testing.B) {
	_, g, tab := routeContract(b)
	for _, c := range routeBenchCases {
		r := routeRequests(c.method, c.target)[0]
		if err := sameRoute(g, tab, r); err != nil {
			b.Fatal(err)
		}
		for _, side := range []struct {
			name   string
			router routers.Router
		}{{"table", tab}, {"gorillamux", g}} {
			b.Run(c.name+"/"+side.name, func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				start := time.Now()
				for b.Loop() {
					_, _, _ = side.router.FindRoute(r)
					n++
				}
				own := time.Since(start)
				if side.name != "table" {
					return
				}
				// As long as the table took, not as many lookups: those would
				// take the slower router minutes.
				m := 0
				start = time.Now()
				for m == 0 || time.Since(start) < own {
					for range 10 {
						_, _, _ = g.FindRoute(r)
					}
					m += 10
				}
				b.ReportMetric(float64(time.Since(start))/float64(m)/(float64(own)/float64(n)), "x_gorillamux")
			})
		}
	}
}
