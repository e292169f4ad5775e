package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/routers"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/refserver/problem"
)

// readBody checks the body of a request before the contract's validation
// and the generated decoding see it: both read it with encoding/json,
// which takes the first of several values, the last of two members with
// one name and invalid UTF-8 as U+FFFD, so that two parsers (a proxy, an
// audit log, the client's own) could read one request two ways; and both
// ignore a body sent to an operation that takes none, so that a client
// would believe it said something nobody read. It answers the request
// itself and returns false when the body is refused: 400 when the
// operation takes no body and one came, 415 when it is not sent as
// application/json, 400 when it is not exactly one JSON value in UTF-8
// with distinct names in every object, 413 when it is over the server's
// limit. An empty body is left to the contract, which knows whether the
// operation requires one. On success r.Body reads the same bytes again.
func (a *API) readBody(w http.ResponseWriter, r *http.Request, route *routers.Route) bool {
	if route.Operation == nil || r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if route.Operation.RequestBody == nil {
		return a.noBody(w, r, route)
	}
	b, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		if !tooLarge(w, r, err) {
			problem.Write(w, r, a.log, itsm.Errorf(itsm.CodeInvalid, "the body cannot be read"))
		}
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	if len(b) == 0 {
		return true
	}
	if err := jsonMediaType(r.Header.Get("Content-Type")); err != nil {
		problem.Write(w, r, a.log, problem.MediaType(err.Error()))
		return false
	}
	// One spelling for what the contract and the generated code read.
	r.Header.Set("Content-Type", "application/json")
	if err := strictJSON(b); err != nil {
		at := problem.Place{Detail: err.Error(), Pointer: "/"}
		var de *duplicateError
		if errors.As(err, &de) {
			at.Pointer = de.pointer
		}
		problem.Write(w, r, a.log, problem.Invalid("the body is not one JSON value in UTF-8 with distinct names: "+err.Error(), at))
		return false
	}
	return true
}

// noBody refuses a request to an operation whose contract has no request
// body if one came, of even one byte and whatever its Content-Type: `{}`
// and white space too, so that the rule is "none" rather than a judgement
// of what a body says. A Content-Type without a body passes, as curl
// sends it with -H but no -d.
func (a *API) noBody(w http.ResponseWriter, r *http.Request, route *routers.Route) bool {
	var first [1]byte
	n, err := io.ReadFull(r.Body, first[:])
	if n == 0 && err == io.EOF {
		return true
	}
	if n == 0 {
		if !tooLarge(w, r, err) {
			problem.Write(w, r, a.log, itsm.Errorf(itsm.CodeInvalid, "the body cannot be read"))
		}
		return false
	}
	detail := fmt.Sprintf("%s %s takes no body; send the request without one", r.Method, route.Path)
	problem.Write(w, r, a.log, problem.Invalid(detail, problem.Place{Detail: "the operation takes no body", Pointer: "/"}))
	return false
}

// jsonMediaType accepts the Content-Type of a JSON body: application/json,
// with at most a charset parameter naming UTF-8, the only encoding JSON
// has between systems (RFC 8259, section 8.1).
func jsonMediaType(ct string) error {
	const want = "the body must be sent with Content-Type application/json"
	if strings.TrimSpace(ct) == "" {
		return errors.New(want + "; the request has no Content-Type")
	}
	media, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%s; %s is malformed", want, quoted(ct))
	}
	if media != "application/json" {
		return fmt.Errorf("%s, not %s", want, quoted(media))
	}
	for name, v := range params {
		if name != "charset" || !strings.EqualFold(v, "utf-8") {
			return fmt.Errorf("%s and no parameter but charset=utf-8, not %s=%s", want, quoted(name), quoted(v))
		}
	}
	return nil
}

// quoted quotes a client's value for a message, shortened.
func quoted(s string) string { return strconv.Quote(itsm.Printable(s, 64)) }

// duplicateError is a name given twice in one object.
type duplicateError struct {
	name    string
	pointer string // the object's JSON pointer
}

func (e *duplicateError) Error() string {
	return fmt.Sprintf("the object at %s has the name %s twice", e.pointer, quoted(e.name))
}

// strictJSON reports why b is not exactly one JSON value in UTF-8 whose
// objects each name a member once. Names are compared as decoded, so
// "a" and "\u0061" are one name, as they are to encoding/json.
func strictJSON(b []byte) error {
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return fmt.Errorf("it is not valid UTF-8 (byte %d)", i)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	// frame is an open object or array: where it is, an object's names so
	// far and whether a name comes next, an array's elements so far.
	type frame struct {
		pointer  string
		object   bool
		names    map[string]bool
		wantName bool
		name     string
		n        int
	}
	var stack []*frame
	escape := strings.NewReplacer("~", "~0", "/", "~1")
	for {
		tok, err := dec.Token()
		if err == io.EOF && len(stack) == 0 {
			return errors.New("it holds no JSON value")
		}
		if err != nil {
			return malformed(err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantName {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
			} else {
				// The decoder returns nothing but a string here.
				name, _ := tok.(string)
				if top.names[name] {
					p := top.pointer
					if p == "" {
						p = "/"
					}
					return &duplicateError{name: name, pointer: p}
				}
				top.names[name], top.name, top.wantName = true, name, false
				continue
			}
		} else if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			f := &frame{object: d == '{', wantName: d == '{', names: map[string]bool{}}
			switch {
			case top == nil:
			case top.object:
				f.pointer = top.pointer + "/" + escape.Replace(top.name)
			default:
				f.pointer = top.pointer + "/" + strconv.Itoa(top.n)
			}
			stack = append(stack, f)
			continue
		} else if ok && d == ']' {
			stack = stack[:len(stack)-1]
		}
		// A value ended: a scalar, or the object or array just closed.
		if len(stack) == 0 {
			break
		}
		if top = stack[len(stack)-1]; top.object {
			top.wantName = true
		} else {
			top.n++
		}
	}
	if rest := bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fmt.Errorf("it has %d bytes after the JSON value, which must come alone", len(rest))
	}
	return nil
}

// malformed says where a body stops being JSON, in words that name no Go
// package.
func malformed(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("it is not JSON (it ends in the middle of a value)")
	case errors.As(err, &se):
		return fmt.Errorf("it is not JSON (%s, at byte %d)", se.Error(), se.Offset)
	}
	return errors.New("it is not JSON")
}
