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
