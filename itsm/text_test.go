package itsm_test

import (
	"strings"
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

func TestCheckLabel(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true},
		{"Second line", true},
		{"Nätverk – drift", true},
		{string(make([]byte, itsm.MaxLabel)), false}, // NULs are control characters
		{strings.Repeat("a", itsm.MaxLabel), true},
		{strings.Repeat("a", itsm.MaxLabel+1), false},
		{"two\nlines", false},
		{"tab\there", false},
		{"del\x7f", false},
		{"bad \xff byte", false},
	} {
		err := itsm.CheckLabel("name", tc.in)
		if (err == nil) != tc.ok || (err != nil && !itsm.IsCode(err, itsm.CodeInvalid)) {
			t.Errorf("CheckLabel(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}
