package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/sqlitestore"
	"github.com/spoc-itsm/spoc/refserver/auth"
	"github.com/spoc-itsm/spoc/refserver/httpapi"
)

// stallingStore holds every Read, once armed, until the Read's context
// ends, and then lets the store underneath answer that context, as a slow
// database does for a client that stops waiting.
type stallingStore struct {
	itsm.Store
	armed atomic.Bool
	// stalled receives when a Read is held.
	stalled chan struct{}
}

func (s *stallingStore) Read(ctx context.Context, fn func(itsm.ReadTx) error) error {
	if s.armed.Load() {
		select {
		case s.stalled <- struct{}{}:
		default:
		}
		<-ctx.Done()
	}
	return s.Store.Read(ctx, fn)
}

// syncBuffer is a bytes.Buffer that the server's goroutines write to while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// TestServerLogsAnAbandonedRequestAs499: a client that stops waiting while
// the store holds its request is logged at Info with status 499 and
// client_gone, counted under 499, and no error is logged: alerts on 5xx
// and on errors see only the server's own failures. That holds for the API
// and for the readiness probe.
func TestServerLogsAnAbandonedRequestAs499(t *testing.T) {
	ctx := context.Background()
	inner, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "spoc.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	secret := auth.NewSecret()
	if err := auth.Bootstrap(ctx, inner, secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	store := &stallingStore{Store: inner, stalled: make(chan struct{}, 1)}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	st, err := httpapi.Build(ctx, store, log, httpapi.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	// The knowledge base's follower reads the store every second; stopped
	// now, so that the Read held is the request's, not the follower's.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// The token is read once and then served from memory, so that the
	// held Read is the operation's own.
	st.Directory.SetFreshness(time.Hour)
	srv := newServer(store, log)
	srv.api = st.Handler
	// served receives when the server has finished a request, logged and
	// counted it.
	served := make(chan struct{}, 1)
	h := srv.handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		served <- struct{}{}
	}))
	t.Cleanup(ts.Close)
	do := func(ctx context.Context, path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	await := func(what string) {
		t.Helper()
		select {
		case <-served:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: the server did not finish the request within 30s", what)
		}
	}
	if resp, err := do(ctx, "/v1/tokens"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list tokens: %v %v", resp, err)
	}
	await("list tokens")

	for _, c := range []struct{ path, route string }{
		{"/v1/tokens", "GET /v1/tokens"},
		{"/readyz", "GET /readyz"},
	} {
		store.armed.Store(true)
		cctx, cancel := context.WithCancel(ctx)
		gave := make(chan error, 1)
		go func() {
			_, err := do(cctx, c.path)
			gave <- err
		}()
		<-store.stalled
		cancel()
		if err := <-gave; !errors.Is(err, context.Canceled) {
			t.Errorf("%s: the client's call: %v, want context.Canceled", c.path, err)
		}
		await(c.path)
		store.armed.Store(false)

		var line map[string]any
		for _, rec := range logs.records(t) {
			if rec["level"] == "ERROR" || rec["level"] == "WARN" {
				t.Errorf("%s: logged %v", c.path, rec)
			}
			if rec["msg"] == "request" && rec["route"] == c.route {
				line = rec
			}
		}
		if line == nil || line["level"] != "INFO" || line["status"] != 499.0 || line["client_gone"] != true {
			t.Errorf("%s: the request's log line is %v, want level INFO, status 499 and client_gone true", c.path, line)
		}
	}

	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	_, _ = metrics.ReadFrom(resp.Body)
	resp.Body.Close()
	await("metrics")
	for _, want := range []string{
		`spoc_http_requests_total{method="GET",route="GET /v1/tokens",status="499"} 1`,
		`spoc_http_requests_total{method="GET",route="GET /readyz",status="499"} 1`,
	} {
		if !strings.Contains(metrics.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics.String(), `status="503"`) {
		t.Errorf("metrics count a 503:\n%s", grepLines(metrics.String(), "spoc_http_requests_total"))
	}
}
