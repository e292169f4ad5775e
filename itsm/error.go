package itsm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Code is the stable, machine-readable kind of an Error. Codes are part of
// the public contract: the reference server maps them to HTTP statuses and
// embedders branch on them, so their string values never change.
type Code string

// The codes of Error. Each says what the caller can do about the failure, not
// where it happened.
const (
	// CodeNotFound: the record does not exist (or the actor may not know it
	// does).
	CodeNotFound Code = "not_found"
	// CodeInvalid: the input is malformed or breaks a rule; retrying the same
	// input fails again.
	CodeInvalid Code = "invalid"
	// CodeConflict: the record changed since it was read, or its state does
	// not allow the command; reload and decide again.
	CodeConflict Code = "conflict"
	// CodeForbidden: the actor's organisation or roles do not allow it.
	CodeForbidden Code = "forbidden"
	// CodeUnavailable: a dependency such as the store is down or busy; the
	// same request may succeed later.
	CodeUnavailable Code = "unavailable"
	// CodeUnsupported: this installation does not offer the operation at
	// all, such as a server run without follow-ups; the same request fails
	// until its operator configures it, however often it is retried.
	CodeUnsupported Code = "unsupported"
	// CodeInternal: a bug or an error that carries no code.
	CodeInternal Code = "internal"
)

// Sentinels for errors.Is. Any *Error matches the sentinel of its code, so
// callers can write errors.Is(err, itsm.ErrNotFound) however deeply err is
// wrapped.
var (
	ErrNotFound    error = &Error{Code: CodeNotFound}
	ErrInvalid     error = &Error{Code: CodeInvalid}
	ErrConflict    error = &Error{Code: CodeConflict}
	ErrForbidden   error = &Error{Code: CodeForbidden}
	ErrUnavailable error = &Error{Code: CodeUnavailable}
	ErrUnsupported error = &Error{Code: CodeUnsupported}
)

// ErrStale is the cause of a conflict with a precondition the caller set:
// the record changed since the version (or digest) the caller read. Such
// errors have CodeConflict and wrap ErrStale, so that a server can answer 412
// Precondition Failed where a plain conflict is 409.
var ErrStale = errors.New("it changed since the caller read it")

// CheckVersion refuses a command on a record at version v whose caller
// asked to find it at version want (HTTP's If-Match); want 0 asks for
// nothing. what and name name the record in the error ("incident",
// "INC0000042"), which has CodeConflict and wraps ErrStale. Every service's
// IfVersion checks through it.
func CheckVersion(what, name string, v, want int64) error {
	if want == 0 || v == want {
		return nil
	}
	return &Error{Code: CodeConflict, Err: fmt.Errorf("%s %s is at version %d, not %d: %w", what, name, v, want, ErrStale)}
}

// ErrKeyReused is the cause of a refusal of a request that repeats an
// idempotency key the caller used before for a request with other content:
// it is not a retry, and answering it with what the first request made
// would hide the mistake. Such errors have CodeInvalid and wrap
// ErrKeyReused, so that a server can answer 422 Unprocessable Content where
// other invalid input is 400.
var ErrKeyReused = errors.New("the idempotency key was used before for a request with other content")

// Error is an error with a stable code, so that every layer (domain, store,
// server) can tell a missing record from a bad request from an outage without
// parsing messages.
type Error struct {
	// Code is the kind of failure; empty means CodeInternal.
	Code Code
	// Message describes the failure for people; it is not stable.
	Message string
	// Err is the cause, if any. It stays reachable through errors.Is and
	// errors.As and is appended to Message by Error.
	Err error
}

// Error formats the error as "code: message: cause", leaving out the parts
// that are empty. The code is said once, the outermost's, which is the one
// ErrorCode reports: a cause that is an *Error itself (Wrap), or one that
// Errorf formatted, appears as its Text, so that a refusal never reads
// "forbidden: forbidden: ...".
func (e *Error) Error() string {
	if e == nil {
		// A nil *Error returned as an error is a bug; say so rather than
		// panic in the middle of logging it.
		return "<nil *itsm.Error>"
	}
	if t := e.Text(); t != "" {
		return string(e.code()) + ": " + t
	}
	return string(e.code())
}

// Text is the message and cause of e without its code, "message: cause",
// for a reader who learns the code elsewhere, such as the code member of
// an HTTP problem beside its detail. Causes that are *Error say no code
// either.
func (e *Error) Text() string {
	if e == nil {
		return ""
	}
	s := e.Message
	if e.Err != nil {
		cause := textOf(e.Err)
		if s != "" && cause != "" {
			s += ": "
		}
		s += cause
	}
	return s
}

// textOf is err's text, without the code when err is an *Error or
// directly wraps one whose text it repeats (as fmt.Errorf's %w does).
func textOf(err error) string {
	if e, ok := err.(*Error); ok && e != nil {
		return e.Text()
	}
	s := err.Error()
	var wrapped []error
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		wrapped = []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		wrapped = u.Unwrap()
	}
	for _, w := range wrapped {
		if e, ok := w.(*Error); ok && e != nil {
			s = strings.Replace(s, e.Error(), e.Text(), 1)
		}
	}
	return s
}

// uncoded formats an *Error as its Text and stays it for errors.Is and
// errors.As, so that Errorf can put a cause into a message without its
// code, whether the verb is %w or %v.
type uncoded struct{ e *Error }

func (u uncoded) Error() string { return u.e.Text() }
func (u uncoded) Unwrap() error { return u.e }

// Unwrap returns the cause, so that errors.Is and errors.As see through e.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// Is makes e match the code-only sentinel of its code (ErrNotFound and the
// others, or any *Error with a Code and nothing else). Two errors that carry
// messages are not equal merely because they share a code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e != nil && t != nil && t.Message == "" && t.Err == nil && t.code() == e.code()
}

func (e *Error) code() Code {
	if e.Code == "" {
		return CodeInternal
	}
	return e.Code
}

// Errorf returns an *Error with the code and a message formatted as by
// fmt.Errorf. When the format wraps errors with %w they stay reachable through
// errors.Is and errors.As; the whole formatted text then becomes the cause
// (Err) and Message stays empty, so the text is not printed twice. An *Error
// among the arguments is formatted without its code (as by Text): the code
// of the result is the one said.
func Errorf(code Code, format string, args ...any) error {
	copied := false
	for i, a := range args {
		if e, ok := a.(*Error); ok && e != nil {
			if !copied {
				// Leave the caller's slice alone.
				args, copied = append([]any(nil), args...), true
			}
			args[i] = uncoded{e}
		}
	}
	err := fmt.Errorf(format, args...)
	if wraps(err) {
		return &Error{Code: code, Err: err}
	}
	return &Error{Code: code, Message: err.Error()}
}

// wraps reports whether fmt.Errorf wrapped at least one error (one %w gives
// Unwrap() error, several give Unwrap() []error).
func wraps(err error) bool {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return u.Unwrap() != nil
	case interface{ Unwrap() []error }:
		return len(u.Unwrap()) > 0
	}
	return false
}

// Wrap gives err a code and some context, for errors from outside spoc such
// as a database driver's. It returns nil when err is nil, so that a store can
// write return itsm.Wrap(itsm.CodeUnavailable, tx.Commit(), "commit").
func Wrap(code Code, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the outermost *Error in err's chain: "" for
// nil and CodeInternal for an error that carries no code, so that the caller
// can map any error to a response without a special case.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e.code()
	}
	return CodeInternal
}

// IsCode reports whether ErrorCode(err) is code. Unlike errors.Is with a
// sentinel, it looks only at the outermost *Error, which is the code a
// response would carry.
func IsCode(err error, code Code) bool { return ErrorCode(err) == code }

// maxQuoted bounds how much of a rejected value an error message repeats, so
// that a hostile or broken input does not flood the logs.
const maxQuoted = 64

// quote quotes s for an error message, shortening it beyond maxQuoted bytes.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:maxQuoted]) + "... (" + strconv.Itoa(len(s)) + " bytes)"
}
