package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/problem"
)

// Realm is the realm of the WWW-Authenticate challenge.
const Realm = "spoc"

// Middleware authenticates every request by its "Authorization: Bearer
// <token>" header and serves it with next, with the actor in its context
// (ActorFrom). Requests for which public reports true pass without a token
// and without an actor; a nil public makes every path need one.
//
// A missing or refused token gets 401 with a WWW-Authenticate challenge and
// one problem body (RFC 9457) whatever was wrong, so that the answer tells
// nothing about which tokens exist. A store that fails gets 503 or 500 with
// the problem package's fixed sentence, not the cause.
//
// Middleware leaves the Authorization header in the request, for handlers
// such as an OpenAPI validator that check it is there: handlers must not
// log request headers.
func Middleware(a *Tokens, next http.Handler, public func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public != nil && public(r) {
			next.ServeHTTP(w, r)
			return
		}
		secret, sent := bearer(r.Header)
		if secret == "" {
			unauthorized(w, r, sent)
			return
		}
		actor, token, err := a.Authenticate(r.Context(), secret)
		if itsm.IsCode(err, CodeUnauthenticated) {
			unauthorized(w, r, true)
			return
		}
		if err != nil {
			problem.Write(w, r, a.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithActor(r.Context(), actor, token)))
	})
}

// bearer returns the token of the request's one Authorization header with
// the Bearer scheme (in any case, as RFC 9110 has it), or "" and whether
// the request tried to send a bearer token at all.
func bearer(h http.Header) (secret string, sent bool) {
	vals := h.Values("Authorization")
	if len(vals) != 1 {
		return "", len(vals) > 0
	}
	scheme, rest, _ := strings.Cut(vals[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.Trim(rest, " ")
	if strings.ContainsAny(secret, " \t") {
		return "", true
	}
	return secret, true
}

// unauthorized answers 401. The challenge names invalid_token when the
// request sent a token (RFC 6750), which the caller knows anyway; the body
// is the same for every refusal.
func unauthorized(w http.ResponseWriter, r *http.Request, sent bool) {
	challenge := `Bearer realm="` + Realm + `"`
	if sent {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Cache-Control", "no-store")
	problem.Write(w, r, nil, &itsm.Error{Code: problem.CodeUnauthenticated, Message: "A valid bearer token is required."})
}

type contextKey struct{}

type principal struct {
	actor itsm.Actor
	token itsm.ID
}

// WithActor returns ctx carrying the actor and the ID of the token it was
// authenticated by, as Middleware passes them to handlers.
func WithActor(ctx context.Context, actor itsm.Actor, token itsm.ID) context.Context {
	return context.WithValue(ctx, contextKey{}, principal{actor, token})
}

// ActorFrom returns the actor Middleware authenticated, and false on a
// public path or outside Middleware.
func ActorFrom(ctx context.Context) (itsm.Actor, bool) {
	p, ok := ctx.Value(contextKey{}).(principal)
	return p.actor, ok
}

// TokenFrom returns the ID of the token the request was authenticated by,
// for audit logs.
func TokenFrom(ctx context.Context) (itsm.ID, bool) {
	p, ok := ctx.Value(contextKey{}).(principal)
	return p.token, ok
}
