// Package problem writes errors as RFC 9457 problem details
// (application/problem+json) carrying spoc's stable error codes, so that a
// client can act on the code and never has to parse a message.
package problem

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

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
}

// CodeUnauthenticated is the code of a request without valid credentials.
// It is not an itsm.Code: the domain never sees an unauthenticated caller.
const CodeUnauthenticated itsm.Code = "unauthenticated"

// statuses maps the stable codes to HTTP statuses.
var statuses = map[itsm.Code]int{
	itsm.CodeNotFound:    http.StatusNotFound,
	itsm.CodeInvalid:     http.StatusBadRequest,
	itsm.CodeConflict:    http.StatusConflict,
	itsm.CodeForbidden:   http.StatusForbidden,
	itsm.CodeUnavailable: http.StatusServiceUnavailable,
	itsm.CodeInternal:    http.StatusInternalServerError,
	CodeUnauthenticated:  http.StatusUnauthorized,
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

// From makes the details of err for the request r. The message of an
// *itsm.Error that blames the request (a 4xx) is meant for callers: it names
// the state and the actor a rule refused. The code is the problem's own
// member, so the detail says it nowhere: not "forbidden: ..." beside the
// title Forbidden, nor a cause's code again. A failure of the server (5xx)
// may carry paths, SQL or addresses in its cause, so its text is replaced.
func From(r *http.Request, err error) Details {
	code := itsm.ErrorCode(err)
	status := Status(code)
	if code == itsm.CodeConflict && errors.Is(err, itsm.ErrStale) {
		// The caller's If-Match named a version that is no longer current.
		status = http.StatusPreconditionFailed
	}
	if code == itsm.CodeInvalid && errors.Is(err, itsm.ErrKeyReused) {
		// Well-formed, but not the request the key was first sent with.
		status = http.StatusUnprocessableEntity
	}
	var e *itsm.Error
	detail := "The server failed to handle the request; the failure is in its log."
	if code == itsm.CodeUnavailable {
		detail = "The server cannot handle the request now; try again later."
	}
	if errors.As(err, &e) && status < 500 {
		detail = text(e)
	}
	d := Details{Type: TypeURI(string(code)), Title: http.StatusText(status), Status: status,
		Detail: detail, Code: string(code)}
	if r != nil {
		d.Instance = r.URL.Path
	}
	return d
}

// text is the message and cause of e without the codes that e.Error puts
// before each *itsm.Error in the chain, whether the cause is one itself
// (itsm.Wrap) or was formatted into e's text (itsm.Errorf with %w).
func text(e *itsm.Error) string {
	if e.Err == nil {
		return e.Message
	}
	cause := e.Err.Error()
	for _, inner := range causes(e.Err) {
		cause = strings.Replace(cause, inner.Error(), text(inner), 1)
	}
	if e.Message == "" {
		return cause
	}
	return e.Message + ": " + cause
}

// causes returns the *itsm.Error that err is or directly wraps.
func causes(err error) []*itsm.Error {
	if e, ok := err.(*itsm.Error); ok {
		return []*itsm.Error{e}
	}
	var wrapped []error
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		wrapped = []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		wrapped = u.Unwrap()
	}
	var out []*itsm.Error
	for _, w := range wrapped {
		if e, ok := w.(*itsm.Error); ok && e != nil {
			out = append(out, e)
		}
	}
	return out
}

// Write answers the request with the problem of err, logging internal
// failures with their cause.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	d := From(r, err)
	if d.Status >= 500 && log != nil {
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
