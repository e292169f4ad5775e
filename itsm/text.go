package itsm

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns the start of s, at most limit bytes, as one line of
// valid UTF-8 without control characters and with runs of white space
// folded, ending in "…" when cut: for repeating in a message what others
// wrote, such as a webhook receiver's answer or a rejected header.
func Printable(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// MaxLabel is the longest label CheckLabel accepts, in bytes.
const MaxLabel = 300

// CheckLabel accepts short one-line text, such as a category or a group's
// name: valid UTF-8 without control characters, at most MaxLabel bytes. An
// empty label passes; whoever requires one says so. It returns an *Error
// with CodeInvalid naming the label as name.
func CheckLabel(name, v string) error {
	if len(v) > MaxLabel {
		return Errorf(CodeInvalid, "%s is %d bytes, more than %d", name, len(v), MaxLabel)
	}
	if !utf8.ValidString(v) {
		return Errorf(CodeInvalid, "%s is not valid UTF-8", name)
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return Errorf(CodeInvalid, "%s contains a control character", name)
	}
	return nil
}
