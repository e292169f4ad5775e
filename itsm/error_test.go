package itsm_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *itsm.Error
		want string
	}{
		{"code only", &itsm.Error{Code: itsm.CodeNotFound}, "not_found"},
		{"message", &itsm.Error{Code: itsm.CodeInvalid, Message: "bad"}, "invalid: bad"},
		{"cause", &itsm.Error{Code: itsm.CodeUnavailable, Err: io.EOF}, "unavailable: EOF"},
		{"message and cause", &itsm.Error{Code: itsm.CodeUnavailable, Message: "read", Err: io.EOF}, "unavailable: read: EOF"},
		{"no code", &itsm.Error{Message: "oops"}, "internal: oops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantText string
		wantCode itsm.Code
		wraps    error // must be reachable through errors.Is, if set
	}{
		{
			name:     "plain",
			err:      itsm.Errorf(itsm.CodeInvalid, "impact %d is out of range", 7),
			wantText: "invalid: impact 7 is out of range",
			wantCode: itsm.CodeInvalid,
		},
		{
			name:     "%v does not wrap",
			err:      itsm.Errorf(itsm.CodeConflict, "save: %v", io.EOF),
			wantText: "conflict: save: EOF",
			wantCode: itsm.CodeConflict,
		},
		{
			name:     "%w wraps",
			err:      itsm.Errorf(itsm.CodeUnavailable, "load ticket: %w", io.ErrUnexpectedEOF),
			wantText: "unavailable: load ticket: unexpected EOF",
			wantCode: itsm.CodeUnavailable,
			wraps:    io.ErrUnexpectedEOF,
		},
		{
			name:     "two %w wrap both",
			err:      itsm.Errorf(itsm.CodeUnavailable, "%w and %w", io.EOF, fs.ErrClosed),
			wantText: "unavailable: EOF and file already closed",
			wantCode: itsm.CodeUnavailable,
			wraps:    fs.ErrClosed,
		},
		{
			name:     "%w of nil",
			err:      itsm.Errorf(itsm.CodeInvalid, "cause: %w", nil),
			wantText: "invalid: cause: %!w(<nil>)",
			wantCode: itsm.CodeInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.wantText {
				t.Errorf("Error() = %q, want %q", got, tt.wantText)
			}
			wantCode(t, tt.err, tt.wantCode)
			if tt.wraps != nil && !errors.Is(tt.err, tt.wraps) {
				t.Errorf("errors.Is(%v, %v) = false, want true", tt.err, tt.wraps)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	if err := itsm.Wrap(itsm.CodeUnavailable, nil, "commit"); err != nil {
		t.Fatalf("Wrap(nil) = %v, want nil", err)
	}
	err := itsm.Wrap(itsm.CodeUnavailable, fs.ErrClosed, "commit ticket %s", "INC0000001")
	if got, want := err.Error(), "unavailable: commit ticket INC0000001: file already closed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wantCode(t, err, itsm.CodeUnavailable)
	if !errors.Is(err, fs.ErrClosed) {
		t.Error("errors.Is(err, fs.ErrClosed) = false, want true")
	}
	if !errors.Is(err, itsm.ErrUnavailable) {
		t.Error("errors.Is(err, ErrUnavailable) = false, want true")
	}
}

func TestSentinels(t *testing.T) {
	sentinels := map[itsm.Code]error{
		itsm.CodeNotFound:    itsm.ErrNotFound,
		itsm.CodeInvalid:     itsm.ErrInvalid,
		itsm.CodeConflict:    itsm.ErrConflict,
		itsm.CodeForbidden:   itsm.ErrForbidden,
		itsm.CodeUnavailable: itsm.ErrUnavailable,
	}
	for code, sentinel := range sentinels {
		t.Run(string(code), func(t *testing.T) {
			wantCode(t, sentinel, code)
			if got := sentinel.Error(); got != string(code) {
				t.Errorf("Error() = %q, want %q", got, code)
			}
			err := itsm.Errorf(code, "record %d", 1)
			wrapped := fmt.Errorf("service: %w", fmt.Errorf("store: %w", err))
			for other, s := range sentinels {
				if got, want := errors.Is(wrapped, s), other == code; got != want {
					t.Errorf("errors.Is(%v, %v) = %t, want %t", wrapped, s, got, want)
				}
			}
			if got := itsm.ErrorCode(wrapped); got != code {
				t.Errorf("ErrorCode(%v) = %q, want %q", wrapped, got, code)
			}
			if !itsm.IsCode(wrapped, code) {
				t.Errorf("IsCode(%v, %q) = false, want true", wrapped, code)
			}
		})
	}
}

func TestIsMatchesOnlySentinels(t *testing.T) {
	a := itsm.Errorf(itsm.CodeNotFound, "ticket a")
	b := itsm.Errorf(itsm.CodeNotFound, "ticket b")
	if errors.Is(a, b) {
		t.Errorf("errors.Is(%v, %v) = true: errors with messages must not match by code alone", a, b)
	}
	if !errors.Is(a, a) {
		t.Errorf("errors.Is(a, a) = false, want true")
	}
	if !errors.Is(a, &itsm.Error{Code: itsm.CodeNotFound}) {
		t.Error("a code-only *Error does not match like the sentinel")
	}
	if !errors.Is(&itsm.Error{Message: "no code"}, &itsm.Error{Code: itsm.CodeInternal}) {
		t.Error("an *Error without code does not match CodeInternal")
	}
	if errors.Is(io.EOF, itsm.ErrNotFound) {
		t.Error("a plain error matches ErrNotFound")
	}
}

func TestErrorCode(t *testing.T) {
	nested := itsm.Errorf(itsm.CodeConflict, "save: %w", itsm.Errorf(itsm.CodeNotFound, "ticket"))
	tests := []struct {
		name string
		err  error
		want itsm.Code
	}{
		{"nil", nil, ""},
		{"plain error", io.EOF, itsm.CodeInternal},
		{"wrapped plain error", fmt.Errorf("x: %w", io.EOF), itsm.CodeInternal},
		{"empty code", &itsm.Error{Message: "x"}, itsm.CodeInternal},
		{"direct", itsm.ErrForbidden, itsm.CodeForbidden},
		{"wrapped", fmt.Errorf("x: %w", itsm.ErrForbidden), itsm.CodeForbidden},
		{"joined", errors.Join(io.EOF, itsm.ErrConflict), itsm.CodeConflict},
		{"outermost wins", nested, itsm.CodeConflict},
		{"nil *Error in chain", fmt.Errorf("x: %w", (*itsm.Error)(nil)), itsm.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := itsm.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
			if tt.want != "" && !itsm.IsCode(tt.err, tt.want) {
				t.Errorf("IsCode(%v, %q) = false, want true", tt.err, tt.want)
			}
		})
	}
	// The inner code stays visible to errors.Is even though the outer code
	// is the one reported.
	if !errors.Is(nested, itsm.ErrNotFound) || !errors.Is(nested, itsm.ErrConflict) {
		t.Errorf("errors.Is does not see both codes of %v", nested)
	}
	if itsm.IsCode(nested, itsm.CodeNotFound) {
		t.Errorf("IsCode(%v, not_found) = true, want false (outermost only)", nested)
	}
}

func TestNilError(t *testing.T) {
	// A nil *Error stored in an error is a classic bug; inspecting it must
	// not panic.
	var e *itsm.Error
	err := fmt.Errorf("x: %w", e)
	if errors.Is(err, itsm.ErrNotFound) {
		t.Error("errors.Is(nil *Error, ErrNotFound) = true")
	}
	if got := itsm.ErrorCode(err); got != itsm.CodeInternal {
		t.Errorf("ErrorCode = %q, want internal", got)
	}
	if got := e.Error(); got != "<nil *itsm.Error>" {
		t.Errorf("Error() = %q", got)
	}
}

// TestErrorSaysItsCodeOnce wraps refusals in the ways the services do and
// checks that the text says one code, the outermost, while errors.Is and
// errors.As still reach every cause.
func TestErrorSaysItsCodeOnce(t *testing.T) {
	inner := itsm.Errorf(itsm.CodeForbidden, "no report access")
	stale := itsm.Errorf(itsm.CodeConflict, "version 3 is not 4: %w", itsm.ErrStale)
	tests := []struct {
		name string
		err  error
		want string
		is   []error
	}{
		{"Errorf %w", itsm.Errorf(itsm.CodeForbidden, "cannot draft: %w", inner),
			"forbidden: cannot draft: no report access", []error{itsm.ErrForbidden}},
		{"Errorf %v", itsm.Errorf(itsm.CodeForbidden, "cannot draft: %v", inner),
			"forbidden: cannot draft: no report access", []error{itsm.ErrForbidden}},
		{"Wrap", itsm.Wrap(itsm.CodeInvalid, inner, "cannot issue a token"),
			"invalid: cannot issue a token: no report access", []error{itsm.ErrInvalid, itsm.ErrForbidden}},
		{"Wrap without message", &itsm.Error{Code: itsm.CodeForbidden, Err: inner},
			"forbidden: no report access", []error{itsm.ErrForbidden}},
		{"twice", itsm.Errorf(itsm.CodeConflict, "approve: %w", itsm.Errorf(itsm.CodeConflict, "draft: %w", stale)),
			"conflict: approve: draft: version 3 is not 4: it changed since the caller read it", []error{itsm.ErrConflict, itsm.ErrStale}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			for _, target := range tt.is {
				if !errors.Is(tt.err, target) {
					t.Errorf("errors.Is(%v, %v) = false", tt.err, target)
				}
			}
			var e *itsm.Error
			if !errors.As(tt.err, &e) || e.Text() != tt.want[len(e.Code)+2:] {
				t.Errorf("Text() of %v = %q", tt.err, e.Text())
			}
		})
	}
	if !errors.Is(itsm.Errorf(itsm.CodeForbidden, "cannot draft: %w", inner), inner) {
		t.Error("the cause Errorf wrapped is not reachable")
	}
}

// TestWrapOfAWrapper gives a code to an error that wraps a coded one
// without being one, as a store's or a retry loop's wrapper does: the
// inner code is not said again.
func TestWrapOfAWrapper(t *testing.T) {
	err := itsm.Wrap(itsm.CodeInvalid, fmt.Errorf("token: %w", itsm.Errorf(itsm.CodeNotFound, "no organisation X")), "cannot issue")
	if got, want := err.Error(), "invalid: cannot issue: token: no organisation X"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// CheckVersion passes the version asked for, or none asked, and refuses
// another as a conflict wrapping ErrStale.
func TestCheckVersion(t *testing.T) {
	wantCode(t, itsm.CheckVersion("incident", "INC0000042", 3, 0), "")
	wantCode(t, itsm.CheckVersion("incident", "INC0000042", 3, 3), "")
	err := itsm.CheckVersion("incident", "INC0000042", 3, 2)
	wantCode(t, err, itsm.CodeConflict)
	if !errors.Is(err, itsm.ErrStale) || !strings.Contains(err.Error(), "INC0000042 is at version 3, not 2") {
		t.Fatalf("CheckVersion = %v, want a stale conflict naming both versions", err)
	}
}
