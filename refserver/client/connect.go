package client

import (
	"context"
	"net/http"
	"strings"
)

// New returns a client of the spoc server at baseURL (such as
// "https://desk.example/") that authenticates every request with the bearer
// token and leaves out the optional parameters a call did not set (see
// OmitUnset). Further options come after those two, so a caller can add its
// own http.Client or request editors.
func New(baseURL, token string, opts ...ClientOption) (*ClientWithResponses, error) {
	return NewClientWithResponses(baseURL, append([]ClientOption{
		WithRequestEditorFn(Bearer(token)), WithRequestEditorFn(OmitUnset),
	}, opts...)...)
}

// Bearer returns a request editor that authenticates with token.
func Bearer(token string) RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// unset are the spellings of a Go zero value in a query, lower-cased: the
// models keep optional parameters as values, not pointers, so the
// generated code sends every field of a Params struct, set or not, the
// zero time.Time too.
var unset = map[string]bool{"": true, "0": true, "false": true, "00000000-0000-0000-0000-000000000000": true,
	"0001-01-01t00:00:00z": true}

// OmitUnset is a request editor that removes the query parameters holding a
// zero value and the headers holding an empty one (If-Match,
// Idempotency-Key), so that a call sends only what its caller set. The server
// reads an absent parameter as the zero value, so nothing changes in meaning,
// but the contract refuses some zero values outright (an empty caller, a
// limit of 0, the nil UUID as a holder).
func OmitUnset(_ context.Context, r *http.Request) error {
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		for k, vs := range q {
			if len(vs) == 1 && unset[strings.ToLower(vs[0])] {
				q.Del(k)
			}
		}
		r.URL.RawQuery = q.Encode()
	}
	for k, vs := range r.Header {
		if len(vs) == 1 && vs[0] == "" {
			r.Header.Del(k)
		}
	}
	return nil
}
