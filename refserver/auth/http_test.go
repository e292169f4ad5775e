package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

// seen records what the handler behind the middleware got.
type seen struct {
	called bool
	actor  itsm.Actor
	hasAct bool
	token  itsm.ID
}

func serve(t *testing.T, tokens *auth.Tokens) (http.Handler, *seen) {
	t.Helper()
	s := new(seen)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.called = true
		s.actor, s.hasAct = auth.ActorFrom(r.Context())
		s.token, _ = auth.TokenFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})
	public := func(r *http.Request) bool {
		return r.URL.Path == "/healthz" || strings.HasPrefix(r.URL.Path, "/schemas/")
	}
	return auth.Middleware(tokens, next, public), s
}

func call(h http.Handler, path string, authorization ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for _, a := range authorization {
		r.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// Wrong, malformed, empty, revoked and expired tokens, and a token whose
// organisation was removed, are refused alike: the same error from
// Authenticate and the same 401 body from the middleware.
func TestRefusalsAreAlike(t *testing.T) {
	for name, b := range backends() {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, b(t)(t))
			good, goodSecret := w.issue(w.deskAgent, time.Time{})
			revoked, revokedSecret := w.issue(w.supplierAgent, time.Time{})
			if _, err := w.tokens.Revoke(w.ctx, w.admin, revoked.ID); err != nil {
				t.Fatal(err)
			}
			_, expiredSecret := w.issue(w.deskAgent, start.Add(time.Minute))
			gone := w.create("Gone Supplier", itsm.OrgSupplier)
			_, goneSecret := w.issue(itsm.Actor{Organisation: gone.ID, Person: "gus@gone"}, time.Time{})
			if _, _, err := w.tokens.Authenticate(w.ctx, goneSecret); err != nil {
				t.Fatalf("before removal: %v", err)
			}
			if err := w.dir.Remove(w.ctx, w.admin, gone.ID); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(time.Minute)

			// One character off, still well formed.
			other := "A"
			if goodSecret[5] == 'A' {
				other = "B"
			}
			flipped := goodSecret[:5] + other + goodSecret[6:]
			refused := map[string]string{
				"wrong":         auth.NewSecret(),
				"one character": flipped,
				"malformed":     "spoc_not-a-token",
				"not spoc":      "hello",
				"too long":      goodSecret + "A",
				"too short":     goodSecret[:len(goodSecret)-1],
				"upper case":    strings.ToUpper(goodSecret),
				"no prefix":     strings.TrimPrefix(goodSecret, "spoc_"),
				"empty":         "",
				"revoked":       revokedSecret,
				"expired":       expiredSecret,
				"org removed":   goneSecret,
			}
			for why, secret := range refused {
				actor, id, err := w.tokens.Authenticate(w.ctx, secret)
				if !errors.Is(err, auth.ErrUnauthenticated) || !itsm.IsCode(err, auth.CodeUnauthenticated) ||
					err.Error() != auth.ErrUnauthenticated.Error() || !id.IsZero() || actor.Person != "" {
					t.Errorf("%s: %v %v %v, want exactly ErrUnauthenticated", why, actor, id, err)
				}
			}

			h, s := serve(t, w.tokens)
			var body string
			for why, secret := range refused {
				rec := call(h, "/v1/incidents", "Bearer "+secret)
				if rec.Code != http.StatusUnauthorized || s.called {
					t.Fatalf("%s: status %d, handler called %v", why, rec.Code, s.called)
				}
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="spoc"`) {
					t.Errorf("%s: WWW-Authenticate %q", why, got)
				}
				if body == "" {
					body = rec.Body.String()
				}
				if rec.Body.String() != body {
					t.Errorf("%s: body\n%s\nwant the same as the others:\n%s", why, rec.Body, body)
				}
			}
			checkProblem(t, body)
			// The good token passes through the same middleware.
			if rec := call(h, "/v1/incidents", "Bearer "+goodSecret); rec.Code != http.StatusNoContent || s.actor.Person != w.deskAgent.Person || s.token != good.ID {
				t.Fatalf("good token: %d %+v", rec.Code, s)
			}
		})
	}
}

// checkProblem checks that body is the 401 problem and says nothing more.
func checkProblem(t *testing.T, body string) {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if p["type"] != "https://spoc-itsm.github.io/problems/unauthenticated" || p["title"] != "Unauthorized" ||
		p["status"] != float64(401) || p["code"] != "unauthenticated" {
		t.Errorf("problem %v", p)
	}
	for k := range p {
		switch k {
		case "type", "title", "status", "code", "detail", "instance":
		default:
			t.Errorf("problem has %q: %v", k, p)
		}
	}
	if d, _ := p["detail"].(string); d != "A valid bearer token is required." {
		t.Errorf("detail %q", d)
	}
}

func TestMiddleware(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t)(t))
	good, secret := w.issue(w.supplierAgent, time.Time{})
	h, s := serve(t, w.tokens)

	// Public paths pass without a token, and without an actor.
	for _, auth := range [][]string{nil, {"Bearer nonsense"}} {
		*s = seen{}
		rec := call(h, "/healthz", auth...)
		if rec.Code != http.StatusNoContent || !s.called || s.hasAct {
			t.Errorf("public path with %v: %d %+v", auth, rec.Code, s)
		}
	}
	for _, c := range []struct {
		why       string
		headers   []string
		challenge string
	}{
		{"no header", nil, `Bearer realm="spoc"`},
		{"another scheme", []string{"Basic " + secret}, `Bearer realm="spoc"`},
		{"no scheme", []string{secret}, `Bearer realm="spoc"`},
		{"the scheme alone", []string{"Bearer"}, `Bearer realm="spoc", error="invalid_token"`},
		{"the scheme and a space", []string{"Bearer "}, `Bearer realm="spoc", error="invalid_token"`},
		{"two tokens", []string{"Bearer " + secret + " " + secret}, `Bearer realm="spoc", error="invalid_token"`},
		{"two headers", []string{"Bearer " + secret, "Bearer " + secret}, `Bearer realm="spoc", error="invalid_token"`},
		{"a wrong token", []string{"Bearer " + auth.NewSecret()}, `Bearer realm="spoc", error="invalid_token"`},
	} {
		*s = seen{}
		rec := call(h, "/v1/incidents", c.headers...)
		if rec.Code != http.StatusUnauthorized || s.called {
			t.Errorf("%s: %d, handler called %v", c.why, rec.Code, s.called)
			continue
		}
		if got := rec.Header().Get("WWW-Authenticate"); got != c.challenge {
			t.Errorf("%s: WWW-Authenticate %q, want %q", c.why, got, c.challenge)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q", c.why, ct)
		}
		checkProblem(t, rec.Body.String())
	}
	// A good token, with the scheme in any case: the actor is in the context.
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		*s = seen{}
		rec := call(h, "/v1/incidents", scheme+" "+secret)
		if rec.Code != http.StatusNoContent || !s.called || !s.hasAct || s.actor.Person != w.supplierAgent.Person ||
			s.actor.Organisation != w.supplier.ID || s.token != good.ID {
			t.Errorf("%s: %d %+v", scheme, rec.Code, s)
		}
	}
	if _, ok := auth.ActorFrom(context.Background()); ok {
		t.Error("an actor outside the middleware")
	}
}

// flakyStore fails every read, once down, with a cause that names
// internals.
type flakyStore struct {
	itsm.Store
	down atomic.Bool
}

func (s *flakyStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	if s.down.Load() {
		return itsm.Errorf(itsm.CodeUnavailable, "sqlite /var/lib/secret/spoc.db is busy")
	}
	return s.Store.Read(ctx, fn)
}

// A failing store is the server's fault, not the caller's: 503 without the
// cause, not 401.
func TestMiddlewareStoreDown(t *testing.T) {
	w := newWorld(t, backends()["memstore"](t)(t))
	_, secret := w.issue(w.deskAgent, time.Time{})
	store := &flakyStore{Store: w.store}
	dir, err := auth.NewDirectory(w.ctx, store, w.clock)
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(dir, nil)
	h, s := serve(t, tokens)
	if rec := call(h, "/v1/incidents", "Bearer "+secret); rec.Code != http.StatusNoContent {
		t.Fatalf("store up: %d", rec.Code)
	}
	store.down.Store(true)
	// Past the freshness window, so that the token must be read again.
	w.clock.Advance(auth.DefaultFreshness)
	if _, _, err := tokens.Authenticate(w.ctx, secret); !itsm.IsCode(err, itsm.CodeUnavailable) {
		t.Fatalf("authenticate on a failing store: %v", err)
	}
	*s = seen{}
	rec := call(h, "/v1/incidents", "Bearer "+secret)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusServiceUnavailable || s.called || strings.Contains(string(body), "/var/lib") || !strings.Contains(string(body), `"unavailable"`) {
		t.Errorf("%d %s", rec.Code, body)
	}
}
