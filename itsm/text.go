package itsm

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns the start of s, at most limit bytes, as one line of
// valid UTF-8 without control characters or bidirectional formatting
// characters and with runs of white space folded, ending in "…" when cut:
// for repeating in a message what others wrote, such as a webhook
// receiver's answer or a rejected header, without letting it reorder or
// hide the rest of the message.
func Printable(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
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
// name, at most MaxLabel bytes of valid UTF-8 without a character that
// shows other than it is stored: no control character (C0, DEL or C1,
// tab and line feed included), no bidirectional formatting character
// (which can make "exe.pdf" read "fdp.exe"), no line or paragraph
// separator, and no zero-width space, word joiner or byte-order mark
// (which make two labels that look alike route differently). The
// zero-width joiner and non-joiner pass: Persian, the Indic scripts and
// emoji need them. An empty label passes; whoever requires one says so.
// It returns an *Error with CodeInvalid naming the label as name and the
// character as U+XXXX, never the character itself.
func CheckLabel(name, v string) error {
	if len(v) > MaxLabel {
		return Errorf(CodeInvalid, "%s is %d bytes, more than %d", name, len(v), MaxLabel)
	}
	return checkRunes(name, v, true)
}

// CheckText accepts text of several lines, such as a description, a
// reason or a note, at most limit bytes of valid UTF-8: line feeds, tabs
// and carriage returns before a line feed pass, but no other control
// character and no bidirectional formatting character, for the reasons
// CheckLabel gives. Invisible characters other than these pass, since in
// prose they only hint at where to break a line or a word. An empty text
// passes; whoever requires one says so. It returns an *Error with
// CodeInvalid naming the text as name and the character as U+XXXX.
func CheckText(name, v string, limit int) error {
	if len(v) > limit {
		return Errorf(CodeInvalid, "%s is %d bytes, more than %d", name, len(v), limit)
	}
	return checkRunes(name, v, false)
}

// checkRunes refuses invalid UTF-8 and the characters CheckLabel (label)
// or CheckText refuse.
func checkRunes(name, v string, label bool) error {
	if !utf8.ValidString(v) {
		return Errorf(CodeInvalid, "%s is not valid UTF-8", name)
	}
	for i, r := range v {
		var what string
		switch {
		case !label && (r == '\n' || r == '\t' || r == '\r' && strings.HasPrefix(v[i+1:], "\n")):
			// The line ends and indentation of a text, also as a browser's
			// form sends them (CR LF).
		case !label && r == '\r':
			// A lone carriage return makes a terminal write the rest of
			// the line over what came before.
			what = "a control character, not before a line feed"
		case unicode.Is(unicode.Cc, r):
			what = "a control character"
		case unicode.Is(unicode.Bidi_Control, r):
			what = "a bidirectional formatting character"
		case !label:
			// In prose, invisible characters only hint where to break.
		case r == '\u2028' || r == '\u2029':
			what = "a line or paragraph separator"
		case r == '\u200b' || r == '\u2060' || r == '\ufeff':
			what = "an invisible character"
		}
		if what != "" {
			return Errorf(CodeInvalid, "%s contains U+%04X, %s", name, r, what)
		}
	}
	return nil
}

// TrimText trims *v of surrounding space, in place, so that what is
// stored is what was checked; refuses it empty when required; and checks
// it as CheckText does.
func TrimText(name string, v *string, required bool, limit int) error {
	*v = strings.TrimSpace(*v)
	if required && *v == "" {
		return Errorf(CodeInvalid, "%s is empty", name)
	}
	return CheckText(name, *v, limit)
}

// TrimLabel is TrimText for a one-line text, checked as CheckLabel does.
func TrimLabel(name string, v *string, required bool) error {
	*v = strings.TrimSpace(*v)
	if required && *v == "" {
		return Errorf(CodeInvalid, "%s is empty", name)
	}
	return CheckLabel(name, *v)
}
