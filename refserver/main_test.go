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

	"github.com/spoc-itsm/spoc/refserver/problem"
)

// lineWriter hands the first line written to it to a channel: the URL the
// server prints once it listens.
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
		if line, _, ok := strings.Cut(w.buf.String(), "\n"); ok {
			w.sent = true
			w.line <- line
		}
	}
	return len(b), nil
}

// start runs the server in-process on a free port and returns its base URL
// and a function that stops it and returns what run returned.
func start(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{line: make(chan string, 1)}
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, out, &syncWriter{w: &logs})
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
		return m, stop
	case err := <-done:
		cancel()
		t.Fatalf("the server stopped before listening: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the server did not print its URL within 30s")
	}
	return "", nil
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
	resp, body := get(t, base+"/v1/nothing-here")
	var p problem.Details
	if err := json.Unmarshal([]byte(body), &p); err != nil || resp.StatusCode != 404 ||
		resp.Header.Get("Content-Type") != problem.ContentType || p.Code != "not_found" || p.Instance != "/v1/nothing-here" {
		t.Errorf("unknown path: %d %s %q (%v)", resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
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
