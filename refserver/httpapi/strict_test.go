package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
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
		return c.send(http.MethodPost, "/v1/incidents", contentType, b)
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

// send sends a request as dana of the desk, with the body b (none if
// empty) and contentType if not empty, and returns the status and, for an
// error, the problem.
func (c *chain) send(method, path, contentType, b string) (int, api.Problem) {
	c.t.Helper()
	var rd io.Reader
	if b != "" {
		rd = strings.NewReader(b)
	}
	r, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+c.secrets["dana"])
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	resp, err := c.check.RoundTrip(r)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p api.Problem
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(raw, &p); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
			c.t.Errorf("%s %s: %d %s: not a problem: %s", method, path, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
		}
	}
	return resp.StatusCode, p
}

// TestOperationsWithoutBodyRefuseOne sends bodies to operations whose
// contract has no request body: each is refused with a problem saying the
// operation takes none, and changes nothing, since a client that sends
// one believes it says something the server would otherwise ignore. An
// optional body may still be sent or left out.
func TestOperationsWithoutBodyRefuseOne(t *testing.T) {
	c := newChain(t)
	inc := c.register("", "VPN drops", c.city)
	path := "/v1/incidents/" + inc.ID.String()
	for _, r := range []struct{ name, method, path, contentType, body string }{
		{"start with an object", http.MethodPost, path + "/start", "application/json", `{"note":"on it"}`},
		{"start with an empty object", http.MethodPost, path + "/start", "application/json", `{}`},
		{"start with null", http.MethodPost, path + "/start", "application/json", `null`},
		{"start with white space", http.MethodPost, path + "/start", "application/json", " \n"},
		{"start with a form", http.MethodPost, path + "/start", "application/x-www-form-urlencoded", "note=x"},
		{"start with text and no Content-Type", http.MethodPost, path + "/start", "", "x"},
		{"get with a body", http.MethodGet, path, "application/json", `{}`},
		{"list with a body", http.MethodGet, "/v1/incidents", "application/json", `{"state":"new"}`},
		{"revoke a token with a body", http.MethodDelete, "/v1/tokens/" + itsm.NewID().String(), "application/json", `{}`},
	} {
		status, p := c.send(r.method, r.path, r.contentType, r.body)
		if status != http.StatusBadRequest || p.Code != api.ErrorCodeInvalid || !strings.Contains(p.Detail, "takes no body") {
			t.Errorf("%s: %d %+v, want 400 saying the operation takes no body", r.name, status, p)
		}
	}
	got, err := c.agent.GetIncidentWithResponse(c.ctx, inc.ID.String())
	if err != nil || got.JSON200 == nil || got.JSON200.State != incident.StateRegistered || got.JSON200.Version != inc.Version {
		t.Fatalf("a refused start changed the incident: %v %s", err, body(got))
	}
	// No body passes, with a Content-Type or without one, as curl -X POST
	// -H 'Content-Type: application/json' sends it.
	if status, p := c.send(http.MethodPost, path+"/start", "application/json", ""); status != http.StatusOK {
		t.Fatalf("start without a body: %d %+v", status, p)
	}
	// An optional body may come or not.
	wait := func() {
		t.Helper()
		if status, p := c.send(http.MethodPost, path+"/wait", "application/json", `{"reason":"vendor"}`); status != http.StatusOK {
			t.Fatalf("wait: %d %+v", status, p)
		}
	}
	wait()
	if status, p := c.send(http.MethodPost, path+"/resume", "application/json", `{"note":"parts arrived"}`); status != http.StatusOK {
		t.Errorf("resume with a body: %d %+v", status, p)
	}
	wait()
	if status, p := c.send(http.MethodPost, path+"/resume", "", ""); status != http.StatusOK {
		t.Errorf("resume without a body: %d %+v", status, p)
	}
}

// TestInvisibleCharactersAreRefused sends a summary that would read
// backwards and a comment with a C1 control, escaped in JSON as a client
// would send them: each is refused with a 400 naming the field and the
// character, and the problem does not carry the character itself.
func TestInvisibleCharactersAreRefused(t *testing.T) {
	c := newChain(t)
	inc := c.register("", "VPN drops", c.city)
	for _, r := range []struct{ name, path, body, says string }{
		{"a summary with a right-to-left override", "/v1/incidents",
			`{"caller":{"person":"carl"},"channel":"phone","summary":"refund approved \u202edevorppa ton","impact":2,"urgency":2}`,
			"summary contains U+202E, a bidirectional formatting character"},
		{"a category with a zero-width space", "/v1/incidents",
			`{"caller":{"person":"carl"},"channel":"phone","summary":"VPN","category":"net\u200bwork","impact":2,"urgency":2}`,
			"category contains U+200B, an invisible character"},
		{"a comment with a next-line control", "/v1/incidents/" + inc.ID.String() + "/comment",
			`{"kind":"work_note","text":"line\u0085line"}`, "comment contains U+0085, a control character"},
	} {
		status, p := c.send(http.MethodPost, r.path, "application/json", r.body)
		msg := p.Detail + problemErrors(p)
		if status != http.StatusBadRequest || p.Code != api.ErrorCodeInvalid || !strings.Contains(msg, r.says) {
			t.Errorf("%s: %d %+v, want 400 saying %q", r.name, status, p, r.says)
		}
		if strings.ContainsAny(msg, "\u202e\u200b\u0085") {
			t.Errorf("%s: the problem repeats the character: %+q", r.name, msg)
		}
	}
	if got, err := c.agent.GetIncidentWithResponse(c.ctx, inc.ID.String()); err != nil || got.JSON200 == nil ||
		got.JSON200.Version != inc.Version {
		t.Errorf("a refused comment changed the incident: %v %s", err, body(got))
	}
}
