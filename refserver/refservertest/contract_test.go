package refservertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/refserver/refservertest"
)

// recorder is a testing.TB that keeps what Errorf reports.
type recorder struct {
	*testing.T
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestContractCheck: a response that breaks the contract, and a 5xx, are
// reported; a 501 only when not allowed; a path outside the contract is
// passed through; every operation answered is counted.
func TestContractCheck(t *testing.T) {
	var status int
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctype := "application/json"
		if status >= 400 {
			ctype = "application/problem+json"
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		path     string
		status   int
		body     string
		allow501 bool
		want     string // "" for no report
	}{
		{"/v1/me", 200, `{"not":"a me"}`, false, "does not match the contract"},
		{"/v1/me", 500, `{}`, false, "500"},
		{"/v1/me", 501, `{}`, false, "501"},
		{"/v1/me", 501, `{"type":"https://spoc-itsm.github.io/problems/internal","title":"Not Implemented","status":501,"code":"internal"}`, true, ""},
		{"/nowhere", 200, `anything`, false, ""},
	} {
		status, body = tc.status, tc.body
		rec := &recorder{T: t}
		check := refservertest.NewContractCheck(rec, nil, tc.allow501)
		resp, err := (&http.Client{Transport: check}).Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := strings.Join(rec.errs, "\n")
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s %d: reported %s", tc.path, tc.status, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s %d: reported %q, want %q", tc.path, tc.status, got, tc.want)
		}
		if ops := check.Operations(); tc.path == "/v1/me" && ops["GET /v1/me"] != 1 {
			t.Errorf("%s: operations %v", tc.path, ops)
		}
	}
}
