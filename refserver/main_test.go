package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/problem"
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
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), getenv, out, &syncWriter{w: &logs})
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

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

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
	dsn := os.Getenv("SPOC_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("SPOC_TEST_POSTGRES is not set; set it to a PostgreSQL URL to run this test")
	}
	base, stop := start(t, "--db", dsn)
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
	call := func(method, path string, body io.Reader) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
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
	if resp, body := call("GET", "/v1/me", nil); resp.StatusCode != 200 || !strings.Contains(body, `"person":"spoc-admin"`) {
		t.Errorf("/v1/me as the administrator: %d %s", resp.StatusCode, body)
	}
	if resp, body := call("POST", "/v1/organisations", strings.NewReader(`{"name":"Service Desk","role":"desk"}`)); resp.StatusCode != 201 {
		t.Errorf("create an organisation: %d %s", resp.StatusCode, body)
	}
	// A chunked body has no length to refuse up front: it is cut off at the
	// limit while it is read.
	big := io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("a", MaxBodyBytes)), strings.NewReader(`","role":"desk"}`))
	if resp, body := call("POST", "/v1/organisations", io.NopCloser(big)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked body over the limit: %d %.200s", resp.StatusCode, body)
	}
	if resp, body := call("GET", "/v1/calendars", nil); resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("an operation not served yet: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, base+"/openapi.yaml"); resp.StatusCode != 200 || !strings.HasPrefix(body, "openapi: 3.0.3") {
		t.Errorf("/openapi.yaml: %d %.40q", resp.StatusCode, body)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`spoc_http_requests_total{method="GET",route="GET /v1/me",status="200"} 1`,
		`spoc_http_requests_total{method="POST",route="POST /v1/organisations",status="201"} 1`,
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
