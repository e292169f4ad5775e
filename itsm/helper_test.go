package itsm_test

import (
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

// wantCode fails t unless err carries code; code "" asks for a nil error.
// Every failure the package reports must be an *itsm.Error, so it also
// insists on that.
func wantCode(t *testing.T, err error, code itsm.Code) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("err = nil, want code %q", code)
	}
	if _, ok := err.(*itsm.Error); !ok {
		t.Fatalf("err = %T %v, want *itsm.Error", err, err)
	}
	if got := itsm.ErrorCode(err); got != code {
		t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, code)
	}
}

// mustNumber returns the Number for prefix and seq, failing t on bad input so
// that a typo in a test fails at its source.
func mustNumber(t *testing.T, prefix string, seq uint64) itsm.Number {
	t.Helper()
	n, err := itsm.NewNumber(prefix, seq)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
