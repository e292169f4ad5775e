// Package archtest keeps the dependency arrows of docs/architecture.md
// pointing one way: itsm <- sla <- domain packages <- refserver and examples,
// with storage backends that import only itsm and itsm/backend, and drivers
// that only they import. It also keeps docs/requirements.md honest: it cites
// only tests that exist, and explains every requirement ID the repository
// cites.
package archtest

import (
	"encoding/json"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/spoc-itsm/spoc"

// allowed lists, for each package, the spoc packages it may import outside
// its tests. A package missing here may import any spoc package except a
// storage backend (see TestOnlyHostsChooseABackend).
var allowed = map[string][]string{
	"itsm":             {},
	"itsm/backend":     {"itsm"}, // what backends need beyond the Store interface
	"itsm/memstore":    {"itsm", "itsm/backend"},
	"itsm/sqlitestore": {"itsm", "itsm/backend"},
	"itsm/pgstore":     {"itsm", "itsm/backend"},
	"itsm/storetest":   {"itsm", "itsm/backend", "internal/asynctest"},
	// The JSON Schema machinery every package's published schemas share.
	"itsm/schema": {"itsm"},
	// The address policy of connections that others aim (webhooks): net
	// alone, for the server and any embedding application's notifiers.
	"itsm/netguard": {},
	// The lease one of several processes on one database holds in a
	// record (webhook delivery, the demo's seeding): the store alone.
	"itsm/lease": {"itsm"},
	// Following the event log into a view a package keeps in memory (a
	// search index, an impact graph): the store alone.
	"itsm/follow":      {"itsm"},
	"sla":              {"itsm"},
	"sla/report":       {"itsm", "itsm/schema", "sla"},
	"sla/followup":     {"itsm", "itsm/schema", "sla", "sla/report"},
	"sla/report/synth": {"itsm", "sla", "sla/report"},
	// incident turns its store into report tickets (input from a running
	// system), so it may build on sla/report; sla/report never learns of it.
	// Who holds an incident is the support chain's holding model.
	"incident": {"itsm", "itsm/schema", "sla", "sla/report", "chain"},
	// The support chain's holding model (groups, holders, custody, the
	// rules of the chain and the clocks measured along it), which incident
	// and request, and problem next, build on: so it must not know them.
	"chain": {"itsm", "itsm/schema", "sla"},
	// Requests: the catalogue and the authority lists are registers of
	// their own; orders and tasks build on both and on the chain, and turn
	// into report tickets as incidents do.
	"request/catalogue": {"itsm", "itsm/schema", "chain"},
	"request/authority": {"itsm", "itsm/schema", "sla"},
	"request":           {"itsm", "itsm/schema", "sla", "sla/report", "chain", "request/catalogue", "request/authority"},
	// The detector of candidate problems reads report tickets, as reports do.
	"problem/candidate": {"itsm", "sla", "sla/report"},
	// Problems are held along the chain; their incidents are linked,
	// told and resolved through incident's commands, in the problem's
	// transaction, so problem builds on incident and never the reverse.
	"problem": {"itsm", "itsm/schema", "sla", "chain", "incident", "problem/candidate", "sla/report"},
	// The knowledge search index is store-independent: it knows documents
	// and queries, and of spoc only the error codes.
	"knowledge/search": {"itsm"},
	// Markdown to safe HTML and plain text knows nothing of spoc.
	"knowledge/markdown": {},
	// The reader of suppliers' inventory files (CSV, XLSX) knows no
	// domain, only the error codes its refusals carry to HTTP.
	"cmdb/sheet": {"itsm"},
	// The knowledge base follows problem's known errors into articles and
	// checks through incident's service that a use names a real incident;
	// neither knows it.
	"knowledge": {"itsm", "itsm/schema", "itsm/follow", "chain", "incident", "problem", "knowledge/search", "knowledge/markdown"},
	// The CMDB: its model, items and history over the store, rights per
	// organisation as the chain has them, and the impact graph (pure, of
	// IDs) kept as a projection of the log by itsm/follow. It knows no
	// ticket domain: incidents, problems and requests reach it through
	// itsm.ConfigItems. Imports read suppliers' files through cmdb/sheet,
	// which knows nothing of the CMDB.
	"cmdb": {"itsm", "itsm/schema", "itsm/follow", "chain", "cmdb/impact", "cmdb/sheet"},
	// The relevance collection and its baselines measure the search index
	// through its public API only.
	"internal/searchtest": {"knowledge/search"},
	// The tests' configuration database stores its items through the
	// Store interface and answers itsm.ConfigItems, as cmdb does, so that
	// the ticket domains test their checks without importing cmdb.
	"internal/itemtest": {"itsm"},
	// The CMDB's failure-propagation graph is pure computation over IDs:
	// the cmdb package feeds it, and it knows nothing of items or stores.
	"cmdb/impact": {"itsm"},
	// Mail knows no domain; the password reset is a host's fulfiller built
	// on request's interfaces, which request never learns of.
	"mail":                  {"itsm"},
	"mail/smtp":             {"itsm", "mail"},
	"request/passwordreset": {"itsm", "itsm/schema", "mail", "request"},
	// Domain packages know nothing of HTTP; a notifier that posts to a URL
	// lives in a subpackage named after what it wraps.
	"incident/httpnotify": {"itsm", "incident"},
	// The reference server's libraries: problems, tokens and directory,
	// webhooks. The generated api and client build on them and on the
	// domain, whose types are the contract's.
	"refserver/problem": {"itsm"},
	"refserver/auth":    {"itsm", "refserver/problem"},
	"refserver/webhook": {"itsm", "itsm/lease", "itsm/netguard", "incident", "incident/httpnotify"},
	// A supplier's program imports the client and nothing of the server.
	"refserver/client": {"itsm", "refserver/api", "refserver/problem"},
	// The demo seeds the present only through the public API, as any client
	// could; its history is imported through the incident library on the
	// server's store, with the server's register (auth) and stored
	// agreements (httpapi), as a desk moving to spoc would load its past.
	// Its catalogue is defined through the API too, in the request
	// packages' types, which are the contract's. Its article past review is
	// imported through the knowledge library, as the history is. Its CMDB
	// is seeded through the API too, in the cmdb package's types, which are
	// the contract's.
	"refserver/demo": {"itsm", "itsm/lease", "incident", "sla", "sla/report", "request/catalogue", "request/authority",
		"knowledge", "cmdb", "refserver/api", "refserver/auth", "refserver/client", "refserver/httpapi"},
}

// drivers may be imported only by the backend named after them.
var drivers = map[string]string{
	"github.com/hashicorp/go-memdb": "itsm/memstore",
	"modernc.org/sqlite":            "itsm/sqlitestore",
	"github.com/jackc/pgx/v5":       "itsm/pgstore",
}

// hosts are the programs that may pick a storage backend.
var hosts = []string{"examples/", "refserver", "cmd/",
	// The tests' opener of every backend: it chooses them all, for tests
	// only (internal/ keeps it out of embedders' reach).
	"internal/backendtest"}

type pkg struct {
	ImportPath string
	Imports    []string
}

func list(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func TestImportsPointOneWay(t *testing.T) {
	for _, p := range list(t) {
		ok, listed := allowed[p.ImportPath]
		if !listed {
			continue
		}
		for _, imp := range p.Imports {
			rel, spoc := strings.CutPrefix(imp, module+"/")
			if spoc && !slices.Contains(ok, rel) {
				t.Errorf("%s imports %s; it may import only %v", p.ImportPath, rel, ok)
			}
		}
	}
}

func TestDriversStayInTheirBackend(t *testing.T) {
	for _, p := range list(t) {
		for _, imp := range p.Imports {
			for driver, owner := range drivers {
				if (imp == driver || strings.HasPrefix(imp, driver+"/")) && p.ImportPath != owner {
					t.Errorf("%s imports %s, which only %s may use", p.ImportPath, imp, owner)
				}
			}
		}
	}
}

func TestOnlyHostsChooseABackend(t *testing.T) {
	for _, p := range list(t) {
		host := slices.ContainsFunc(hosts, func(h string) bool { return strings.HasPrefix(p.ImportPath, h) })
		for _, imp := range p.Imports {
			rel, _ := strings.CutPrefix(imp, module+"/")
			if slices.Contains(slices.Collect(maps.Values(drivers)), rel) && !host {
				t.Errorf("%s imports the backend %s; only programs choose one, libraries take an itsm.Store", p.ImportPath, rel)
			}
		}
	}
}

// TestOnlyBackendsUseTheBackendKit keeps itsm/backend out of library users'
// way: the backends and their conformance suite build on it, and everyone
// else stores records through an itsm.Store alone.
func TestOnlyBackendsUseTheBackendKit(t *testing.T) {
	users := append(slices.Collect(maps.Values(drivers)), "itsm/storetest")
	for _, p := range list(t) {
		if slices.Contains(p.Imports, module+"/itsm/backend") && !slices.Contains(users, p.ImportPath) {
			t.Errorf("%s imports itsm/backend; only the backends %v use it", p.ImportPath, users)
		}
	}
}

// domain packages decide; they do not talk HTTP or SQL, so that every
// embedding application can carry them over any transport and store.
var domain = []string{"itsm", "sla", "sla/report", "sla/followup", "incident"}

func TestDomainKnowsNoTransport(t *testing.T) {
	for _, p := range list(t) {
		if !slices.Contains(domain, p.ImportPath) {
			continue
		}
		for _, imp := range p.Imports {
			if imp == "net/http" || imp == "database/sql" || strings.HasPrefix(imp, "net/http/") {
				t.Errorf("%s imports %s; domain packages know no transport", p.ImportPath, imp)
			}
		}
	}
}

// testHelper reports whether the package at rel (relative to the module)
// is one of the internal helpers of tests, such as internal/backendtest:
// they open every backend, skip, sleep and poll, which no library or
// program may do.
func testHelper(rel string) bool {
	return strings.HasPrefix(rel, "internal/") && strings.HasSuffix(rel, "test") && rel != "internal/archtest"
}

// TestTestHelpersStayInTests: the internal/…test packages are imported
// only by tests (go list leaves test imports out of Imports) and by one
// another.
func TestTestHelpersStayInTests(t *testing.T) {
	var helpers []string
	for _, p := range list(t) {
		if testHelper(p.ImportPath) {
			helpers = append(helpers, p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			rel, spoc := strings.CutPrefix(imp, module+"/")
			// storetest is a harness itself, run only under go test by
			// the backends' tests; it shares their goroutine helpers.
			if p.ImportPath == "itsm/storetest" && rel == "internal/asynctest" {
				continue
			}
			if spoc && testHelper(rel) {
				t.Errorf("%s imports the test helper %s outside its tests", p.ImportPath, rel)
			}
		}
	}
	for _, want := range []string{"internal/asynctest", "internal/backendtest", "internal/pgtest", "internal/schematest", "internal/searchtest"} {
		if !slices.Contains(helpers, want) {
			t.Errorf("go list did not list the test helper %s; found %v", want, helpers)
		}
	}
}
