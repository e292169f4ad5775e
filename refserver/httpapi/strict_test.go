package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/refserver/api"
)

// TestBodiesAreStrictJSON sends registrations that encoding/json would
// read one way or another: each is refused with a problem saying what is
// wrong, and registers nothing.
func TestBodiesAreStrictJSON(t *testing.T) {
	c := newChain(t)
	const reg = `{"caller":{"person":"carl"},"channel":"phone","summary":"VPN drops","impact":2,"urgency":2}`
	post := func(contentType, b string) (int, api.Problem) {
		t.Helper()
		r, err := http.NewRequest(http.MethodPost, c.base+"/v1/incidents", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+c.secrets["dana"])
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		resp, err := c.check.RoundTrip(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var p api.Problem
		if resp.StatusCode >= 400 {
			if err := json.Unmarshal(raw, &p); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%d %s: not a problem: %s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
			}
		}
		return resp.StatusCode, p
	}
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		says                    string
	}{
		{"trailing data", "application/json", reg + ` x`, 400, "after the JSON value"},
		{"trailing comma", "application/json", reg + `,`, 400, "after the JSON value"},
		{"two objects", "application/json", reg + reg, 400, "after the JSON value"},
		{"two objects on lines", "application/json", reg + "\n" + reg + "\n", 400, "after the JSON value"},
		{"a duplicate name", "application/json", `{"summary":"x",` + reg[1:], 400, `"summary" twice`},
		{"a duplicate nested name", "application/json", strings.Replace(reg, `"carl"`, `"carl","person":"eve"`, 1), 400, `"person" twice`},
		{"a duplicate name spelt with an escape", "application/json", `{"summ\u0061ry":"x",` + reg[1:], 400, `"summary" twice`},
		{"invalid UTF-8", "application/json", strings.Replace(reg, "VPN", "VPN \xff", 1), 400, "UTF-8"},
		{"a byte-order mark", "application/json", "\ufeff" + reg, 400, ""},
		{"no Content-Type", "", reg, 415, "application/json"},
		{"text/plain", "text/plain", reg, 415, "text/plain"},
		{"form", "application/x-www-form-urlencoded", reg, 415, ""},
		{"another charset", "application/json; charset=latin1", reg, 415, "charset"},
		{"a malformed Content-Type", "application/json; charset", reg, 415, ""},
		{"json-seq", "application/json-seq", reg, 415, ""},
	} {
		status, p := post(c.contentType, c.body)
		if status != c.status || p.Code != api.ErrorCodeInvalid || !strings.Contains(p.Detail+problemErrors(p), c.says) {
			t.Errorf("%s: %d %+v, want %d saying %q", c.name, status, p, c.status, c.says)
		}
	}
	// What the contract allows passes, parameters and case as RFC 9110
	// has them; the first incident is the first registered.
	for i, ct := range []string{"application/json", "Application/JSON; charset=UTF-8", `application/json;charset="utf-8"`} {
		status, p := post(ct, reg)
		if status != http.StatusCreated {
			t.Fatalf("%s: %d %+v", ct, status, p)
		}
		got, err := c.agent.GetIncidentWithResponse(c.ctx, "INC000000"+string(rune('1'+i)))
		if err != nil || got.JSON200 == nil {
			t.Fatalf("the registration with %s is not INC000000%d: %v %s", ct, i+1, err, body(got))
		}
	}
}

// problemErrors joins the details of a problem's errors.
func problemErrors(p api.Problem) string {
	var s []string
	for _, e := range p.Errors {
		s = append(s, e.Detail)
	}
	return strings.Join(s, "; ")
}
