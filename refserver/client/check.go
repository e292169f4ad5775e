package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/problem"
)

// Check turns the result of a ...WithResponse call into the response and
// an error that is nil only for a 2xx answer:
//
//	inc, err := client.Check(c.GetIncidentWithResponse(ctx, id))
//
// For any other status the error is an *itsm.Error carrying the stable code
// of the server's problem, with the request, status and detail as its
// message (the title only when there is no detail, as the code says it); a 412 from If-Match wraps itsm.ErrStale, so errors.Is tells
// it from other conflicts, as on the server. A
// response the server sent without a problem body gets the code its status
// implies. The call's own error (a network failure, say) is returned as is.
func Check[R any](r R, err error) (R, error) {
	if err != nil {
		return r, err
	}
	hr, body := Parts(r)
	if hr == nil {
		return r, itsm.Errorf(itsm.CodeInternal, "client: %T is not a generated response", r)
	}
	if hr.StatusCode/100 == 2 {
		return r, nil
	}
	return r, ResponseError(hr, body)
}

// Parts returns the HTTP response and the body read from it that every
// generated response (GetIncidentResponse and the others) holds; nil for
// anything else.
func Parts(r any) (*http.Response, []byte) {
	// The generated types share these two fields but no method that
	// returns them.
	v := reflect.ValueOf(r)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, nil
	}
	hr, _ := v.Elem().FieldByName("HTTPResponse").Interface().(*http.Response)
	f := v.Elem().FieldByName("Body")
	if hr == nil || !f.IsValid() {
		return nil, nil
	}
	body, _ := f.Interface().([]byte)
	return hr, body
}

// ResponseError is the *itsm.Error of a response other than 2xx.
func ResponseError(hr *http.Response, body []byte) error {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Code   string `json:"code"`
	}
	if strings.HasPrefix(hr.Header.Get("Content-Type"), "application/problem+json") {
		_ = json.Unmarshal(body, &p)
	}
	code := itsm.Code(p.Code)
	if code == "" {
		code = codeOf(hr.StatusCode)
	}
	var msg string
	if hr.Request != nil {
		msg = hr.Request.Method + " " + hr.Request.URL.Path
	}
	msg += fmt.Sprintf(": %d", hr.StatusCode)
	switch {
	case p.Detail != "":
		// The error's code says what the title would ("forbidden" and
		// "Forbidden"): the refusal reads once.
		msg += ": " + p.Detail
	case p.Title != "":
		msg += " " + p.Title
	default:
		msg += " " + http.StatusText(hr.StatusCode)
	}
	msg = strings.TrimPrefix(msg, ": ")
	if hr.StatusCode == http.StatusPreconditionFailed {
		// As the server's own error was: a conflict caused by staleness,
		// which the detail has said already.
		return &itsm.Error{Code: itsm.CodeConflict, Err: stale(msg)}
	}
	return &itsm.Error{Code: code, Message: msg}
}

// stale is the text of a 412, which wraps itsm.ErrStale without saying it
// again.
type stale string

func (s stale) Error() string { return string(s) }
func (s stale) Unwrap() error { return itsm.ErrStale }

// codeOf is the code a status stands for when the body names none.
func codeOf(status int) itsm.Code {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return itsm.CodeInvalid
	case http.StatusUnauthorized:
		return problem.CodeUnauthenticated
	case http.StatusForbidden:
		return itsm.CodeForbidden
	case http.StatusNotFound:
		return itsm.CodeNotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return itsm.CodeConflict
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return itsm.CodeUnavailable
	}
	return itsm.CodeInternal
}
