package itsm_test

import (
	"strings"
	"testing"
	"unicode"
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
		{"C1\u0085and\u202ebidi\u2066", 40, "C1 and bidi"},
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
		// C1 controls: NEL breaks a line, CSI starts a terminal sequence.
		{"next\u0085line", false},
		{"csi\u009b31m", false},
		{"\u009f", false},
		{"\u00a0no-break space is a space", true},
		// Bidirectional formatting characters make a label read other than
		// it is stored ("Trojan Source", CVE-2021-42574).
		{"invoice\u202efdp.exe", false},
		{"\u202aembedding", false},
		{"\u202boverride", false},
		{"pop\u202c", false},
		{"\u202doverride", false},
		{"\u2066isolate\u2069", false},
		{"\u2067isolate", false},
		{"\u2068isolate", false},
		{"mark\u200e", false},
		{"mark\u200f", false},
		{"arabic letter mark\u061c", false},
		// Invisible characters that make two labels look alike.
		{"net\u200bwork", false},
		{"net\u2060work", false},
		{"net\ufeffwork", false},
		{"\ufeffnetwork", false},
		// A label is one line.
		{"line\u2028separator", false},
		{"paragraph\u2029separator", false},
		// Joiners belong to scripts and emoji: Persian "mi-khâham" and a
		// family emoji keep them.
		{"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", true},
		{"\U0001F468\u200d\U0001F469\u200d\U0001F467", true},
		{"\u0915\u094d\u200d\u0937", true}, // Devanagari half form
		// Right-to-left text needs no control character.
		{"\u05e9\u05dc\u05d5\u05dd network", true},
		{"\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", true}, // England's flag: tag characters
	} {
		err := itsm.CheckLabel("name", tc.in)
		if (err == nil) != tc.ok || (err != nil && !itsm.IsCode(err, itsm.CodeInvalid)) {
			t.Errorf("CheckLabel(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true},
		{"Since Monday.\nThe VPN drops\tevery hour.\n", true},
		{"Windows line ends\r\nfrom a form\r\n", true},
		{"Avbrott i nätet – se ärende 42 🔥", true},
		{"\u05e9\u05dc\u05d5\u05dd, the ticket number is 42", true},
		{"zero\u200bwidth and \u00adsoft hyphen stay in prose", true},
		{strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false},
		{"bad \xff byte", false},
		{"NUL\x00", false},
		{"escape \x1b[2J clears a terminal", false},
		{"a lone\rcarriage return overwrites the line", false},
		{"ends in a carriage return\r", false},
		{"del\x7f", false},
		{"next\u0085line", false},
		{"vertical\vtab", false},
		{"form\ffeed", false},
		{"the fix is approved\u202e.devorppa ton", false},
		{"\u2067isolate\u2069", false},
		{"mark\u200f", false},
	} {
		err := itsm.CheckText("description", tc.in, 100)
		if (err == nil) != tc.ok || (err != nil && !itsm.IsCode(err, itsm.CodeInvalid)) {
			t.Errorf("CheckText(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

// A refusal names the field and the character as U+XXXX, and never
// repeats the character, which would do in the reader's log or terminal
// what it was refused for.
func TestCheckNamesTheCharacter(t *testing.T) {
	for _, tc := range []struct {
		label bool
		in    string
		says  string
	}{
		{true, "invoice\u202efdp.exe", "category contains U+202E, a bidirectional formatting character"},
		{true, "net\u200bwork", "category contains U+200B, an invisible character"},
		{true, "csi\u009b31m", "category contains U+009B, a control character"},
		{true, "two\nlines", "category contains U+000A, a control character"},
		{true, "two\u2028lines", "category contains U+2028, a line or paragraph separator"},
		{false, "a\u2066b", "category contains U+2066, a bidirectional formatting character"},
		{false, "a\x1bb", "category contains U+001B, a control character"},
		{false, "a\rb", "category contains U+000D, a control character, not before a line feed"},
	} {
		var err error
		if tc.label {
			err = itsm.CheckLabel("category", tc.in)
		} else {
			err = itsm.CheckText("category", tc.in, 100)
		}
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%+q: %v, want %q", tc.in, err, tc.says)
			continue
		}
		if msg := err.Error(); strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
			t.Errorf("%+q: the error %+q repeats the character", tc.in, msg)
		}
	}
}

// FuzzCheckText checks that CheckLabel and CheckText refuse with a message
// of printable text only, and that what CheckLabel accepts CheckText does.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"network", "invoice\u202efdp.exe", "net\u200bwork", "a\r\nb", "a\rb", "\u0085",
		"\U0001F468\u200d\U0001F469", "\xff", "\u2067x\u2069"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		label, text := itsm.CheckLabel("name", s), itsm.CheckText("name", s, itsm.MaxLabel)
		for _, err := range []error{label, text} {
			if err == nil {
				continue
			}
			if msg := err.Error(); !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
				t.Fatalf("%+q: the error %+q is not printable", s, msg)
			}
		}
		if label == nil && text != nil {
			t.Fatalf("%+q is a label but not a text: %v", s, text)
		}
	})
}

// TestTrimTextAndLabel: the value is trimmed in place, refused empty only
// when required, and checked as CheckText or CheckLabel checks it.
func TestTrimTextAndLabel(t *testing.T) {
	v := "  a note\n"
	if err := itsm.TrimText("note", &v, true, 10); err != nil || v != "a note" {
		t.Errorf("TrimText = %q, %v; want \"a note\", nil", v, err)
	}
	blank := " \t\n"
	if err := itsm.TrimText("note", &blank, false, 10); err != nil || blank != "" {
		t.Errorf("TrimText of blank, not required = %q, %v", blank, err)
	}
	for name, f := range map[string]func(*string) error{
		"required text":   func(v *string) error { return itsm.TrimText("note", v, true, 10) },
		"too long text":   func(v *string) error { *v = "  eleven byte  "; return itsm.TrimText("note", v, false, 10) },
		"required label":  func(v *string) error { return itsm.TrimLabel("title", v, true) },
		"label with a LF": func(v *string) error { *v = "a\nb"; return itsm.TrimLabel("title", v, false) },
	} {
		v := "   "
		if err := f(&v); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("%s: %v, want CodeInvalid", name, err)
		}
	}
	label := " Byt lösenord "
	if err := itsm.TrimLabel("title", &label, true); err != nil || label != "Byt lösenord" {
		t.Errorf("TrimLabel = %q, %v", label, err)
	}
}
