package problem_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/problem"
)

func TestWrite(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
		detail string // a part the detail must hold, or "" for the internal sentence
	}{
		{itsm.Errorf(itsm.CodeNotFound, "incident INC0000001 not found"), 404, "not_found", "INC0000001"},
		{itsm.Errorf(itsm.CodeInvalid, "summary is empty"), 400, "invalid", "summary is empty"},
		{itsm.Errorf(itsm.CodeConflict, "cannot close INC0000002 (state delegated)"), 409, "conflict", "state delegated"},
		{fmt.Errorf("wrapped: %w", itsm.Errorf(itsm.CodeForbidden, "only the desk may close")), 403, "forbidden", "only the desk"},
		{itsm.Errorf(itsm.CodeConflict, "incident INC0000003 is at version 4, not 3: %w", itsm.ErrStale), 412, "conflict", "version 4"},
		{itsm.Errorf(itsm.CodeInvalid, "key %q registered INC0000004 with other content: %w", "k1", itsm.ErrKeyReused), 422, "invalid", "INC0000004"},
		{itsm.Errorf(itsm.CodeUnavailable, "sqlite /var/lib/spoc.db is busy"), 503, "unavailable", "try again later"},
		{itsm.Errorf(itsm.CodeInternal, "sql: /var/lib/spoc.db: disk I/O error"), 500, "internal", ""},
		{&itsm.Error{Code: problem.CodeUnauthenticated, Message: "the bearer token is not valid"}, 401, "unauthenticated", "not valid"},
		// The code is said once, by the problem, not again in the detail.
		{itsm.Wrap(itsm.CodeInvalid, itsm.Errorf(itsm.CodeNotFound, "organisation X is unknown"), "cannot issue a token"), 400, "invalid",
			"cannot issue a token: organisation X is unknown"},
		{itsm.Errorf(itsm.CodeForbidden, "cannot draft: %w", itsm.Errorf(itsm.CodeForbidden, "no report access")), 403, "forbidden",
			"cannot draft: no report access"},
		{errors.New("dial tcp 10.0.0.7:5432: connection refused"), 500, "internal", ""},
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/v1/incidents/x", nil)
		problem.Write(rec, r, nil, c.err)
		var d problem.Details
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if rec.Code != c.status || d.Status != c.status || d.Code != c.code || rec.Header().Get("Content-Type") != problem.ContentType ||
			d.Instance != "/v1/incidents/x" || d.Type != problem.TypeURI(c.code) || d.Title == "" {
			t.Errorf("%v: %d %s %+v", c.err, rec.Code, rec.Header().Get("Content-Type"), d)
		}
		if c.detail != "" && !strings.Contains(d.Detail, c.detail) {
			t.Errorf("%v: detail %q lacks %q", c.err, d.Detail, c.detail)
		}
		for _, code := range []string{"invalid", "forbidden", "not_found", "conflict", "unauthenticated"} {
			if strings.Contains(d.Detail, code+": ") {
				t.Errorf("%v: detail %q says %q, which the problem's code says already", c.err, d.Detail, code)
			}
		}
		if c.status >= 500 && (strings.Contains(d.Detail, "spoc.db") || strings.Contains(d.Detail, "10.0.0.7")) {
			t.Errorf("%v: internal detail leaked: %q", c.err, d.Detail)
		}
	}
}

// TestStatuses checks the one table from error to status: every code, and
// the refusals of HTTP itself that have statuses of their own.
func TestStatuses(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   itsm.Code
		detail string
		places int
	}{
		{itsm.ErrNotFound, 404, itsm.CodeNotFound, "", 0},
		{itsm.ErrInvalid, 400, itsm.CodeInvalid, "", 0},
		{itsm.ErrConflict, 409, itsm.CodeConflict, "", 0},
		{itsm.ErrForbidden, 403, itsm.CodeForbidden, "", 0},
		{itsm.ErrUnavailable, 503, itsm.CodeUnavailable, "try again later", 0},
		{itsm.Errorf(itsm.CodeUnsupported, "this server runs without webhooks"), 501, itsm.CodeUnsupported, "this server runs without webhooks", 0},
		{&itsm.Error{Code: problem.CodeUnauthenticated}, 401, problem.CodeUnauthenticated, "", 0},
		{problem.MethodNotAllowed("DELETE", "/v1/incidents"), 405, itsm.CodeInvalid, "DELETE is not allowed on /v1/incidents", 0},
		{problem.TooLarge(1024, ""), 413, itsm.CodeInvalid, "1024 bytes", 0},
		{problem.MediaType("send application/json"), 415, itsm.CodeInvalid, "send application/json", 0},
		{problem.Invalid("summary must be a string", problem.Place{Detail: "summary must be a string", Pointer: "/summary"}),
			400, itsm.CodeInvalid, "summary must be a string", 1},
		// A code the table lacks is a failure of the server: its text stays in the log.
		{&itsm.Error{Code: "strange", Message: "/var/lib/spoc.db"}, 500, "strange", "failed to handle the request", 0},
		// Wrapped, the refusals keep their status.
		{fmt.Errorf("validate: %w", problem.TooLarge(1, "")), 413, itsm.CodeInvalid, "1 bytes", 0},
	} {
		rec := httptest.NewRecorder()
		problem.Write(rec, httptest.NewRequest(http.MethodGet, "/v1/x", nil), nil, c.err)
		var d problem.Details
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if rec.Code != c.status || d.Status != c.status || d.Code != string(c.code) || d.Title != http.StatusText(c.status) ||
			!strings.Contains(d.Detail, c.detail) || len(d.Errors) != c.places {
			t.Errorf("%v: %d %+v, want %d %s %q", c.err, rec.Code, d, c.status, c.code, c.detail)
		}
		if problem.Status(c.code) != c.status && c.code != itsm.CodeInvalid {
			t.Errorf("Status(%s) = %d, want %d", c.code, problem.Status(c.code), c.status)
		}
	}
}

// TestClientClosed: a store that gave up because the request's client went
// away answers 499 and logs no failure; the same cancellation while the
// client waits (the server's own) and a deadline the server set stay 503
// failures in the log.
func TestClientClosed(t *testing.T) {
	gone, leave := context.WithCancel(context.Background())
	leave()
	expired, stop := context.WithDeadline(context.Background(), time.Now())
	defer stop()
	cancelled := itsm.Wrap(itsm.CodeUnavailable, context.Canceled, "sqlitestore: read")
	late := itsm.Wrap(itsm.CodeUnavailable, context.DeadlineExceeded, "pgstore: read")
	for _, c := range []struct {
		what   string
		ctx    context.Context
		err    error
		status int
		logged bool
	}{
		{"the client went away", gone, cancelled, problem.StatusClientClosed, false},
		{"the client went away, the error wrapped again", gone, fmt.Errorf("list: %w", cancelled), problem.StatusClientClosed, false},
		{"the server cancelled while the client waits", context.Background(), cancelled, 503, true},
		{"the server's deadline passed", expired, late, 503, true},
		{"the client went away but the store failed of its own", gone, itsm.Errorf(itsm.CodeInternal, "disk I/O error"), 500, true},
	} {
		var logs bytes.Buffer
		rec := httptest.NewRecorder()
		r := httptest.NewRequestWithContext(c.ctx, http.MethodGet, "/v1/incidents", nil)
		problem.Write(rec, r, slog.New(slog.NewJSONHandler(&logs, nil)), c.err)
		var d problem.Details
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if rec.Code != c.status || d.Status != c.status || strings.Contains(d.Detail, "sqlitestore") {
			t.Errorf("%s: %d %+v, want %d", c.what, rec.Code, d, c.status)
		}
		if failed := strings.Contains(logs.String(), `"level":"ERROR"`); failed != c.logged {
			t.Errorf("%s: logged %q, want an error logged: %v", c.what, logs.String(), c.logged)
		}
	}
	if problem.ClientGone(httptest.NewRequestWithContext(expired, http.MethodGet, "/", nil)) {
		t.Error("ClientGone holds for a request past the server's deadline")
	}
}
