package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/api"
	"github.com/spoc-itsm/spoc/refserver/client"
)

// TestNewSendsOnlyWhatIsSet checks, over real HTTP, what a call made with
// New puts on the wire: the bearer token, the parameters the caller set, and
// none of the zero values the generated code would send.
func TestNewSendsOnlyWhatIsSet(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[],"next":""}`))
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, "spoc_secret")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.ListIncidents(ctx, &api.ListIncidentsParams{State: "closed"}); err != nil {
		t.Fatal(err)
	}
	if got.URL.RawQuery != "state=closed" {
		t.Errorf("query %q, want state=closed alone", got.URL.RawQuery)
	}
	if a := got.Header.Get("Authorization"); a != "Bearer spoc_secret" {
		t.Errorf("authorization %q", a)
	}
	holder := itsm.NewID()
	if _, err := c.ListIncidents(ctx, &api.ListIncidentsParams{Holder: holder, Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if want := "holder=" + holder.String() + "&limit=5"; got.URL.RawQuery != want {
		t.Errorf("query %q, want %q", got.URL.RawQuery, want)
	}
	// The generated code alone sends every field, which is what New
	// repairs; if it ever stops doing so, OmitUnset can go.
	raw, err := client.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ListIncidents(ctx, &api.ListIncidentsParams{State: "closed"}); err != nil {
		t.Fatal(err)
	}
	if got.URL.RawQuery == "state=closed" {
		t.Log("the generated client no longer sends unset parameters; OmitUnset is no longer needed")
	}
}

func TestOmitUnsetDropsEmptyHeaders(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/v1/incidents/x/accept?after=0&major=false&state=open", nil)
	r.Header.Set("If-Match", "")
	r.Header.Set("Idempotency-Key", "")
	r.Header.Set("Spoc-Kept", "yes")
	if err := client.OmitUnset(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if r.URL.RawQuery != "state=open" {
		t.Errorf("query %q, want state=open", r.URL.RawQuery)
	}
	if _, ok := r.Header["If-Match"]; ok {
		t.Error("an empty If-Match was sent")
	}
	if _, ok := r.Header["Idempotency-Key"]; ok {
		t.Error("an empty Idempotency-Key was sent")
	}
	if r.Header.Get("Spoc-Kept") != "yes" {
		t.Error("a set header was dropped")
	}
}
