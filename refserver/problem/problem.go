// Package problem writes errors as RFC 9457 problem details
// (application/problem+json) carrying spoc's stable error codes, so that a
// client can act on the code and never has to parse a message.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/spoc-itsm/spoc/itsm"
)

// ContentType is the media type of a problem body.
const ContentType = "application/problem+json"

// Details is the body of an error response.
type Details struct {
	// Type is a URI naming the kind of problem; spoc uses one per code.
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail explains this occurrence for people. Internal failures get a
	// fixed sentence: their causes stay in the server's log.
	Detail string `json:"detail,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// Code is the stable itsm error code, or "unauthenticated".
	Code string `json:"code"`
	// Errors are the places where a request does not match the contract.
	Errors []Place `json:"errors,omitempty"`
}

// Place is one place where a request is wrong: a member of the body (by
// JSON Pointer), a query or path parameter, or a header.
type Place struct {
	Detail    string `json:"detail"`
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Header    string `json:"header,omitempty"`
}

// CodeUnauthenticated is the code of a request without valid credentials.
// It is not an itsm.Code: the domain never sees an unauthenticated caller.
const CodeUnauthenticated itsm.Code = "unauthenticated"

// statuses maps the stable codes to HTTP statuses. It is the server's one
// table from code to status: handlers return errors, and the refusals of
// HTTP itself that need a status of their own (405, 413, 415) are made by
// MethodNotAllowed, TooLarge and MediaType below.
var statuses = map[itsm.Code]int{
	itsm.CodeNotFound:    http.StatusNotFound,
	itsm.CodeInvalid:     http.StatusBadRequest,
	itsm.CodeConflict:    http.StatusConflict,
	itsm.CodeForbidden:   http.StatusForbidden,
	itsm.CodeUnavailable: http.StatusServiceUnavailable,
	itsm.CodeUnsupported: http.StatusNotImplemented,
	itsm.CodeInternal:    http.StatusInternalServerError,
	CodeUnauthenticated:  http.StatusUnauthorized,
}

// StatusClientClosed is the status of a request whose client went away
// before it was answered, in the log and the metrics: HTTP has none, and
// 499 is the one proxies use. It is no 5xx, so that alerts on 5xx see only
// the server's own failures.
const StatusClientClosed = 499

// ClientGone reports whether the client of r went away: it closed its
// connection or reset its stream, which cancels the request's context. A
// deadline the server set expires with context.DeadlineExceeded instead,
// and is the server's doing.
func ClientGone(r *http.Request) bool {
	return r != nil && errors.Is(r.Context().Err(), context.Canceled)
}

// Status returns the HTTP status of an error code.
func Status(c itsm.Code) int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// TypeURI is the type of the problems with code c.
func TypeURI(code string) string { return "https://spoc-itsm.github.io/problems/" + code }

// refusal is the cause of an invalid request that HTTP has a status of its
// own for, or that names the places where the request is wrong. Its text
// is the whole message, so that the *itsm.Error around it adds nothing.
type refusal struct {
	status int
	msg    string
	places []Place
}

func (r *refusal) Error() string { return r.msg }

// invalid is an invalid request (itsm.CodeInvalid) answered with status.
func invalid(status int, msg string, places []Place) error {
	return &itsm.Error{Code: itsm.CodeInvalid, Err: &refusal{status: status, msg: msg, places: places}}
}

// MethodNotAllowed refuses a method the resource does not take: 405.
func MethodNotAllowed(method, path string) error {
	return invalid(http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s", method, path), nil)
}

// TooLarge refuses a body over the limit of limit bytes: 413. msg says
// so; "" says it in general words.
func TooLarge(limit int64, msg string) error {
	if msg == "" {
		msg = fmt.Sprintf("the body is longer than the %d bytes accepted", limit)
	}
	return invalid(http.StatusRequestEntityTooLarge, msg, nil)
}

// MediaType refuses a body sent as a media type the operation does not
// take: 415.
func MediaType(msg string) error { return invalid(http.StatusUnsupportedMediaType, msg, nil) }

// Invalid refuses a request that is malformed (400) and says where, in
// the problem's errors member.
func Invalid(msg string, places ...Place) error {
	return invalid(http.StatusBadRequest, msg, places)
}

// From makes the details of err for the request r. The message of an
// *itsm.Error that blames the request is meant for callers: it names the
// state and the actor a rule refused. The code is the problem's own
// member, so the detail says it nowhere (itsm.Error.Text). A failure of
// the server (5xx but unsupported) may carry paths, SQL or addresses in
// its cause, so its text is replaced.
func From(r *http.Request, err error) Details {
	code := itsm.ErrorCode(err)
	status := Status(code)
	var ref *refusal
	switch {
	case errors.Is(err, context.Canceled) && ClientGone(r):
		// The store gave up because the client did: no failure of the
		// server's, and no one reads the answer.
		status = StatusClientClosed
	case code == itsm.CodeConflict && errors.Is(err, itsm.ErrStale):
		// The caller's If-Match named a version that is no longer current.
		status = http.StatusPreconditionFailed
	case code == itsm.CodeInvalid && errors.Is(err, itsm.ErrKeyReused):
		// Well-formed, but not the request the key was first sent with.
		status = http.StatusUnprocessableEntity
	case code == itsm.CodeInvalid && errors.As(err, &ref):
		status = ref.status
	}
	var e *itsm.Error
	detail := "The server failed to handle the request; the failure is in its log."
	switch {
	case code == itsm.CodeUnavailable:
		detail = "The server cannot handle the request now; try again later."
	case (status < 500 || code == itsm.CodeUnsupported) && errors.As(err, &e):
		// An operation not offered is the server's own sentence, no
		// failure with a cause to hide.
		detail = e.Text()
	}
	title := http.StatusText(status)
	if status == StatusClientClosed {
		title = "Client Closed Request"
		detail = "The client went away before the request was answered."
	}
	d := Details{Type: TypeURI(string(code)), Title: title, Status: status,
		Detail: detail, Code: string(code)}
	if ref != nil {
		d.Errors = ref.places
	}
	if r != nil {
		d.Instance = r.URL.Path
	}
	return d
}

// Write answers the request with the problem of err, logging the server's
// failures (5xx) with their cause; an operation the server does not offer
// (501, unsupported) is no failure, and neither is a request its client
// abandoned (StatusClientClosed), which the request log tells.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	d := From(r, err)
	if d.Status >= 500 && d.Code != string(itsm.CodeUnsupported) && log != nil {
		log.Error("request failed", "path", d.Instance, "code", d.Code, "err", err)
	}
	Send(w, d)
}

// Send writes d as the response.
func Send(w http.ResponseWriter, d Details) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(d.Status)
	_ = json.NewEncoder(w).Encode(d)
}

// NoAsterisk answers a request for "*" (the asterisk form of RFC 9112,
// meant for OPTIONS, which net/http's server answers itself) with a
// problem, where http.ServeMux would answer an empty 400 that a client
// expecting problem+json cannot read.
func NoAsterisk(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.RequestURI == "*" {
			Write(w, r, log, itsm.Errorf(itsm.CodeInvalid, "%s * is not a request for a resource", r.Method))
			return
		}
		next.ServeHTTP(w, r)
	})
}
