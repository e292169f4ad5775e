package itsm_test

import (
	"testing"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestPrintable(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"ok", 10, "ok"},
		{"  two\r\nlines\t and\x00 a NUL ", 40, "two lines and a NUL"},
		{"bad \xff byte", 20, "bad \uFFFD byte"},
		{"abcdef", 3, "abc…"},
		{"åäö", 3, "å…"}, // never cuts a rune in two
		{"", 5, ""},
	} {
		got := itsm.Printable(tc.in, tc.limit)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("Printable(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}
