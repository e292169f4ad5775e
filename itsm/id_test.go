package itsm_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestNewID(t *testing.T) {
	a, b := itsm.NewID(), itsm.NewID()
	if a.IsZero() || a == b {
		t.Fatalf("NewID() = %s, %s: want two distinct non-zero IDs", a, b)
	}
	// Version 7 puts the version nibble at the start of the third group.
	if s := a.String(); s[14] != '7' {
		t.Errorf("NewID() = %s, want version 7", s)
	}
	// Version 7 IDs sort by creation time (to the millisecond, and within a
	// millisecond by the counter package uuid keeps).
	if a.String() >= b.String() {
		t.Errorf("NewID() gave %s then %s: not increasing", a, b)
	}
}

func TestParseID(t *testing.T) {
	const canonical = "01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6f"
	tests := []struct {
		in   string
		want string // String() of the result; "" when parsing must fail
	}{
		{canonical, canonical},
		{strings.ToUpper(canonical), canonical},
		{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"},
		{"", ""},
		{"01936f3a7b2c7d4e8f101a2b3c4d5e6f", ""},
		{"{" + canonical + "}", ""},
		{"urn:uuid:" + canonical, ""},
		{" " + canonical, ""},
		{canonical + " ", ""},
		{"01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6g", ""},
		{"01936f3a+7b2c-7d4e-8f10-1a2b3c4d5e6f", ""},
		{strings.Repeat("x", 200), ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, err := itsm.ParseID(tt.in)
			if tt.want == "" {
				wantCode(t, err, itsm.CodeInvalid)
				if len(tt.in) < 64 && !strings.Contains(err.Error(), `"`+tt.in+`"`) {
					t.Errorf("error %q does not name the value", err)
				}
				return
			}
			wantCode(t, err, "")
			if got := id.String(); got != tt.want {
				t.Errorf("ParseID(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseIDLongValueIsShortened(t *testing.T) {
	_, err := itsm.ParseID(strings.Repeat("x", 1000))
	wantCode(t, err, itsm.CodeInvalid)
	if msg := err.Error(); len(msg) > 200 || !strings.Contains(msg, "(1000 bytes)") {
		t.Errorf("error %q: want the value shortened and its length named", msg)
	}
}

func TestMustParseID(t *testing.T) {
	const s = "01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6f"
	if got := itsm.MustParseID(s).String(); got != s {
		t.Errorf("MustParseID(%q) = %s", s, got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParseID(\"bad\") did not panic")
		}
	}()
	itsm.MustParseID("bad")
}

func TestIDText(t *testing.T) {
	type record struct {
		ID    itsm.ID `json:"id"`
		Owner itsm.ID `json:"owner"`
	}
	in := record{ID: itsm.MustParseID("01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6f")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6f","owner":"00000000-0000-0000-0000-000000000000"}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
	// A map keyed by ID uses the text form for its keys too.
	m := map[itsm.ID]int{in.ID: 1}
	if b, err := json.Marshal(m); err != nil || string(b) != `{"01936f3a-7b2c-7d4e-8f10-1a2b3c4d5e6f":1}` {
		t.Errorf("json.Marshal(map) = %s, %v", b, err)
	}

	for _, bad := range []string{`{"id":""}`, `{"id":"nope"}`, `{"id":[1,2]}`} {
		var r record
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("json.Unmarshal(%s) succeeded, want an error", bad)
		}
	}
	var id itsm.ID
	wantCode(t, id.UnmarshalText([]byte("nope")), itsm.CodeInvalid)
}

func TestIDIsZero(t *testing.T) {
	if !(itsm.ID{}).IsZero() {
		t.Error("ID{}.IsZero() = false")
	}
	if itsm.NewID().IsZero() {
		t.Error("NewID().IsZero() = true")
	}
}
