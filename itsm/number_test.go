package itsm_test

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestNewNumber(t *testing.T) {
	tests := []struct {
		prefix string
		seq    uint64
		want   string // "" when NewNumber must fail
	}{
		{"INC", 42, "INC0000042"},
		{"REQ", 1, "REQ0000001"},
		{"PB", 9999999, "PB9999999"},
		{"ABCDEFGH", 10000000, "ABCDEFGH10000000"},
		{"INC", 1<<64 - 1, "INC18446744073709551615"},
		{"INC", 0, ""},
		{"I", 1, ""},
		{"ABCDEFGHI", 1, ""},
		{"inc", 1, ""},
		{"IN1", 1, ""},
		{"IÑC", 1, ""},
		{"", 1, ""},
		{"", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.prefix+"/"+strconv.FormatUint(tt.seq, 10), func(t *testing.T) {
			n, err := itsm.NewNumber(tt.prefix, tt.seq)
			if tt.want == "" {
				wantCode(t, err, itsm.CodeInvalid)
				if !n.IsZero() {
					t.Errorf("NewNumber failed but returned %+v", n)
				}
				return
			}
			wantCode(t, err, "")
			if got := n.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if n.Prefix != tt.prefix || n.Seq != tt.seq {
				t.Errorf("NewNumber = %+v, want prefix %q seq %d", n, tt.prefix, tt.seq)
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in     string
		prefix string // "" when parsing must fail
		seq    uint64
	}{
		{"INC0000042", "INC", 42},
		{"INC0000001", "INC", 1},
		{"PB9999999", "PB", 9999999},
		{"ABCDEFGH12345678", "ABCDEFGH", 12345678},
		{"INC18446744073709551615", "INC", 1<<64 - 1},
		{"", "", 0},
		{"INC", "", 0},
		{"0000042", "", 0},
		{"inc0000042", "", 0},
		{"Inc0000042", "", 0},
		{"I0000042", "", 0},
		{"ABCDEFGHI0000042", "", 0},
		{"INC000042", "", 0},                // too few digits
		{"INC42", "", 0},                    // too few digits
		{"INC00000042", "", 0},              // leading zero beyond seven digits
		{"INC0000000", "", 0},               // sequence 0
		{"INC00000000", "", 0},              // both
		{"INC18446744073709551616", "", 0},  // overflow
		{"INC99999999999999999999", "", 0},  // overflow
		{"INC000000000000000000042", "", 0}, // leading zeros
		{" INC0000042", "", 0},
		{"INC0000042 ", "", 0},
		{"INC 0000042", "", 0},
		{"INC-0000042", "", 0},
		{"INC+0000042", "", 0},
		{"INC000004_2", "", 0},
		{"INC00000４2", "", 0}, // full-width digit
		{"INC0000042\n", "", 0},
		{"INC0000042A", "", 0},
		{"IN\u00c70000042", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := itsm.ParseNumber(tt.in)
			if tt.prefix == "" {
				wantCode(t, err, itsm.CodeInvalid)
				if !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
					t.Errorf("error %q does not name the value %q", err, tt.in)
				}
				if !n.IsZero() {
					t.Errorf("ParseNumber failed but returned %+v", n)
				}
				return
			}
			wantCode(t, err, "")
			if want := (itsm.Number{Prefix: tt.prefix, Seq: tt.seq}); n != want {
				t.Errorf("ParseNumber(%q) = %+v, want %+v", tt.in, n, want)
			}
			if got := n.String(); got != tt.in {
				t.Errorf("String() = %q, want the input %q", got, tt.in)
			}
		})
	}
}

func TestNumberZero(t *testing.T) {
	var n itsm.Number
	if !n.IsZero() || n.String() != "" {
		t.Errorf("zero Number: IsZero() = %t, String() = %q; want true, \"\"", n.IsZero(), n.String())
	}
	if mustNumber(t, "INC", 1).IsZero() {
		t.Error("INC0000001 IsZero() = true")
	}
}

func TestNumberText(t *testing.T) {
	type ticket struct {
		Number itsm.Number `json:"number"`
	}
	tests := []struct {
		in   ticket
		json string
	}{
		{ticket{mustNumber(t, "INC", 42)}, `{"number":"INC0000042"}`},
		{ticket{}, `{"number":""}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.in)
		if err != nil || string(b) != tt.json {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tt.in, b, err, tt.json)
			continue
		}
		var out ticket
		if err := json.Unmarshal(b, &out); err != nil || out != tt.in {
			t.Errorf("json.Unmarshal(%s) = %+v, %v; want %+v", b, out, err, tt.in)
		}
	}

	for _, bad := range []itsm.Number{{Prefix: "inc", Seq: 1}, {Prefix: "INC"}, {Seq: 5}} {
		_, err := bad.MarshalText()
		wantCode(t, err, itsm.CodeInvalid)
	}
	var n itsm.Number
	wantCode(t, n.UnmarshalText([]byte("inc0000042")), itsm.CodeInvalid)
	if err := json.Unmarshal([]byte(`{"number":"INC42"}`), &struct{ Number *itsm.Number }{}); err == nil {
		t.Error(`json.Unmarshal of "INC42" succeeded, want an error`)
	}
}

func TestNumberLongValueIsShortened(t *testing.T) {
	in := "INC" + strings.Repeat("9", 500)
	_, err := itsm.ParseNumber(in)
	wantCode(t, err, itsm.CodeInvalid)
	if msg := err.Error(); len(msg) > 200 || !strings.Contains(msg, "(503 bytes)") {
		t.Errorf("error %q: want the value shortened and its length named", msg)
	}
}

// FuzzParseNumber checks that each Number has exactly one spelling.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"INC0000042", "REQ10000000", "inc0000042", "INC00000042", "INC18446744073709551616", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := itsm.ParseNumber(s)
		if err != nil {
			if itsm.ErrorCode(err) != itsm.CodeInvalid {
				t.Fatalf("ParseNumber(%q): error %v has code %q, want invalid", s, err, itsm.ErrorCode(err))
			}
		} else {
			if got := n.String(); got != s {
				t.Fatalf("ParseNumber(%q).String() = %q", s, got)
			}
			if m, err := itsm.NewNumber(n.Prefix, n.Seq); err != nil || m != n {
				t.Fatalf("NewNumber(%q, %d) = %+v, %v; want %+v", n.Prefix, n.Seq, m, err, n)
			}
		}

		// Use the input as a prefix, with a sequence drawn from its bytes so
		// that both short and very wide sequences occur.
		var buf [8]byte
		copy(buf[:], s)
		seq := binary.LittleEndian.Uint64(buf[:]) >> (uint(len(s)) % 64)
		n, err = itsm.NewNumber(s, seq)
		if err != nil {
			return
		}
		back, err := itsm.ParseNumber(n.String())
		if err != nil || back != n {
			t.Fatalf("ParseNumber(%q) = %+v, %v; want %+v", n.String(), back, err, n)
		}
	})
}
