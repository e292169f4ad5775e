package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// TestCheck answers one call with each kind of response and checks the
// error Check makes of it: none for 2xx, the problem's code otherwise, the
// status's code when there is no problem body, and staleness for 412.
func TestCheck(t *testing.T) {
	var status int
	var ctype, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, "spoc_secret")
	if err != nil {
		t.Fatal(err)
	}
	problem := func(code, title, detail string, status int) string {
		return fmt.Sprintf(`{"type":"about:blank","title":%q,"status":%d,"detail":%q,"code":%q}`, title, status, detail, code)
	}
	cases := []struct {
		status      int
		ctype, body string
		is          error // nil: no error
		stale       bool
		says        string
	}{
		{200, "application/json", `{"actor":{"organisation":"` + itsm.NewID().String() + `","person":"p"},"organisation":{}}`, nil, false, ""},
		{404, "application/problem+json", problem("not_found", "Not Found", "no incident INC0000009", 404), itsm.ErrNotFound, false,
			"not_found: GET /v1/me: 404: no incident INC0000009"},
		{412, "application/problem+json", problem("conflict", "Precondition Failed", "it changed", 412), itsm.ErrConflict, true, "412"},
		{409, "application/problem+json", problem("conflict", "Conflict", "closed already", 409), itsm.ErrConflict, false, "closed already"},
		{403, "application/problem+json", problem("forbidden", "Forbidden", "", 403), itsm.ErrForbidden, false, "403 Forbidden"},
		{502, "text/html", "<h1>bad gateway</h1>", itsm.ErrUnavailable, false, "502 Bad Gateway"},
		{400, "text/plain", "nope", itsm.ErrInvalid, false, "400"},
		// A body the generated code cannot decode fails the call itself.
		{500, "application/problem+json", "{truncated", nil, false, "invalid character"},
	}
	for _, tc := range cases {
		status, ctype, body = tc.status, tc.ctype, tc.body
		r, err := client.Check(c.GetMeWithResponse(context.Background()))
		if r == nil && err == nil {
			t.Fatalf("%d: no response and no error", tc.status)
		}
		switch {
		case tc.is == nil && tc.says == "" && err != nil:
			t.Errorf("%d: %v, want no error", tc.status, err)
		case tc.is != nil && !errors.Is(err, tc.is):
			t.Errorf("%d: %v, want %v", tc.status, err, tc.is)
		case errors.Is(err, itsm.ErrStale) != tc.stale:
			t.Errorf("%d: %v is stale: %v, want %v", tc.status, err, !tc.stale, tc.stale)
		case tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)):
			t.Errorf("%d: %q does not say %q", tc.status, err, tc.says)
		}
	}

	// The call's own failure passes through untouched.
	srv.Close()
	var coded *itsm.Error
	if _, err := client.Check(c.GetMeWithResponse(context.Background())); err == nil || errors.As(err, &coded) {
		t.Errorf("a closed server: %v, want the transport's error", err)
	}
	if _, err := client.Check("not a response", nil); !errors.Is(err, &itsm.Error{Code: itsm.CodeInternal}) {
		t.Errorf("a value that is not a generated response: %v", err)
	}
}
