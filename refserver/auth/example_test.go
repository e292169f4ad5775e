package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/memstore"
	"github.com/spoc-itsm/spoc/refserver/auth"
)

// The first start makes an administrator token, which creates the desk,
// grants it rights and issues a token for one of its agents; the middleware
// then lets the agent in until the token is revoked.
func ExampleTokens() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()

	// SPOC_ADMIN_TOKEN is not set, so Bootstrap prints a new token (to a
	// buffer here, to the terminal in the server).
	var out bytes.Buffer
	if err := auth.Bootstrap(ctx, store, "", &out); err != nil {
		log.Fatal(err)
	}
	var adminSecret string
	for f := range strings.FieldsSeq(out.String()) {
		if strings.HasPrefix(f, auth.SecretPrefix) {
			adminSecret = f
		}
	}

	dir, err := auth.NewDirectory(ctx, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	tokens := auth.NewTokens(dir, nil)
	admin, _, err := tokens.Authenticate(ctx, adminSecret)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("administrator:", admin.Person, admin.Roles)

	desk, err := dir.Create(ctx, admin, itsm.Organisation{Name: "City Service Desk", Role: itsm.OrgDesk})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := dir.Grant(ctx, admin, desk.ID, itsm.DomainIncident, itsm.AccessRead|itsm.AccessWrite); err != nil {
		log.Fatal(err)
	}
	fmt.Println("desk rights:", dir.Permissions().Granted(desk.ID, itsm.DomainIncident))

	tok, secret, err := tokens.Issue(ctx, admin, auth.Request{
		Actor: itsm.Actor{Organisation: desk.ID, Person: "anna", Roles: []itsm.Role{itsm.RoleAgent}},
		Name:  "Anna's laptop"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("issued:", tok.Name, len(secret), "characters")

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, _ := auth.ActorFrom(r.Context())
		fmt.Fprintf(w, "hello %s", actor.Person)
	})
	h := auth.Middleware(tokens, hello, func(r *http.Request) bool { return r.URL.Path == "/healthz" })
	get := func() {
		r := httptest.NewRequest(http.MethodGet, "/v1/incidents", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"), strings.TrimSpace(rec.Body.String()))
	}
	get()
	if _, err := tokens.Revoke(ctx, admin, tok.ID); err != nil {
		log.Fatal(err)
	}
	get()

	// Output:
	// administrator: spoc-admin [admin]
	// desk rights: read|write
	// issued: Anna's laptop 48 characters
	// 200  hello anna
	// 401 Bearer realm="spoc", error="invalid_token" {"type":"https://spoc-itsm.github.io/problems/unauthenticated","title":"Unauthorized","status":401,"detail":"A valid bearer token is required.","instance":"/v1/incidents","code":"unauthenticated"}
}
