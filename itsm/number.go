package itsm

import (
	"strconv"
	"strings"
)

// Number is a master ticket number such as INC0000042: the one reference that
// follows a ticket through the desk and every supplier (SD-5), so people read
// it aloud, type it and paste it into other systems. It is a prefix naming the
// kind of ticket and a sequence number, zero-padded to at least seven digits.
//
// Each Number has exactly one spelling: ParseNumber accepts only what String
// returns. Use NewNumber or ParseNumber to make one; a Number built as a
// literal is not checked until it is marshalled. The zero Number means "not
// numbered yet".
type Number struct {
	// Prefix is 2 to 8 ASCII upper-case letters, such as "INC" or "REQ".
	Prefix string
	// Seq is the sequence number within the prefix, from 1.
	Seq uint64
}

const (
	minPrefix = 2
	maxPrefix = 8
	// numberDigits is the zero-padded width of Seq; wider sequences keep all
	// their digits.
	numberDigits = 7
)

// NewNumber returns the Number with prefix and seq, or an *Error with
// CodeInvalid when either is out of range.
func NewNumber(prefix string, seq uint64) (Number, error) {
	n := Number{Prefix: prefix, Seq: seq}
	if err := n.validate(); err != nil {
		return Number{}, err
	}
	return n, nil
}

func (n Number) validate() error {
	if !validPrefix(n.Prefix) {
		return Errorf(CodeInvalid, "number prefix %s is not 2 to 8 letters A-Z", quote(n.Prefix))
	}
	if n.Seq == 0 {
		return Errorf(CodeInvalid, "number %s: sequence must be 1 or more", n.Prefix)
	}
	return nil
}

func validPrefix(p string) bool {
	if len(p) < minPrefix || len(p) > maxPrefix {
		return false
	}
	for i := range len(p) {
		if !isUpper(p[i]) {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// ParseNumber parses the canonical form that String returns, such as
// INC0000042, and nothing else: no lower case, spaces, signs, fewer than seven
// digits or leading zeros beyond them. Errors are *Error with CodeInvalid and
// name the value.
func ParseNumber(s string) (Number, error) {
	i := 0
	for i < len(s) && isUpper(s[i]) {
		i++
	}
	prefix, digits := s[:i], s[i:]
	if i < minPrefix || i > maxPrefix {
		return Number{}, Errorf(CodeInvalid, "number %s does not start with 2 to 8 letters A-Z", quote(s))
	}
	for j := range len(digits) {
		if !isDigit(digits[j]) {
			return Number{}, Errorf(CodeInvalid, "number %s has something other than digits after the prefix", quote(s))
		}
	}
	switch {
	case len(digits) < numberDigits:
		return Number{}, Errorf(CodeInvalid, "number %s has fewer than %d digits", quote(s), numberDigits)
	case len(digits) > numberDigits && digits[0] == '0':
		return Number{}, Errorf(CodeInvalid, "number %s has a leading zero beyond %d digits", quote(s), numberDigits)
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		// Only overflow is left: the digits were checked above.
		return Number{}, Errorf(CodeInvalid, "number %s is too large", quote(s))
	}
	if seq == 0 {
		return Number{}, Errorf(CodeInvalid, "number %s: sequence must be 1 or more", quote(s))
	}
	return Number{Prefix: prefix, Seq: seq}, nil
}

// String returns the canonical form, such as INC0000042, or "" for the zero
// Number.
func (n Number) String() string {
	if n.IsZero() {
		return ""
	}
	seq := strconv.FormatUint(n.Seq, 10)
	if pad := numberDigits - len(seq); pad > 0 {
		seq = strings.Repeat("0", pad) + seq
	}
	return n.Prefix + seq
}

// IsZero reports whether n is the zero Number, that is, not numbered yet.
func (n Number) IsZero() bool { return n == Number{} }

// MarshalText encodes n as String does. The zero Number encodes as "" so that
// a ticket not numbered yet survives a JSON round trip; any other invalid
// Number is refused rather than written out in a form that cannot be read
// back.
func (n Number) MarshalText() ([]byte, error) {
	if n.IsZero() {
		return []byte{}, nil
	}
	if err := n.validate(); err != nil {
		return nil, err
	}
	return []byte(n.String()), nil
}

// UnmarshalText decodes what MarshalText produces: "" as the zero Number and
// anything else as strictly as ParseNumber.
func (n *Number) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*n = Number{}
		return nil
	}
	v, err := ParseNumber(string(text))
	if err != nil {
		return err
	}
	*n = v
	return nil
}
