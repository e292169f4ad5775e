package itsm_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

func TestCursorRoundTrip(t *testing.T) {
	id := itsm.NewID()
	for _, v := range []string{"", "a", "Ørsta 😀", strings.Repeat("x", itsm.MaxValueSize)} {
		c := itsm.NewCursor(v, id)
		if strings.ContainsAny(string(c), "+/=?&# ") {
			t.Errorf("cursor %q is not URL-safe", c)
		}
		gotV, gotID, err := c.Position()
		if err != nil || gotV != v || gotID != id {
			t.Errorf("NewCursor(%q, %s).Position() = %q, %s, %v", v, id, gotV, gotID, err)
		}
	}
}

func TestCursorRejectsForgeries(t *testing.T) {
	for _, c := range []itsm.Cursor{
		"",                             // empty: the start is "", not a position
		"!!!",                          // not base64
		"AAAA",                         // too short for an ID
		itsm.NewCursor("x", itsm.ID{}), // zero ID
		itsm.Cursor(strings.Repeat("A", 2000)),
	} {
		if _, _, err := c.Position(); itsm.ErrorCode(err) != itsm.CodeInvalid {
			t.Errorf("Cursor(%.20q).Position() err = %v, want invalid", c, err)
		}
	}
}

func FuzzCursorPosition(f *testing.F) {
	f.Add(string(itsm.NewCursor("value", itsm.MustParseID("01890a5d-ac96-774b-bcce-b302099a8057"))))
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		v, id, err := itsm.Cursor(s).Position()
		if err != nil {
			if itsm.ErrorCode(err) != itsm.CodeInvalid {
				t.Fatalf("Position(%q) err = %v, want invalid", s, err)
			}
			return
		}
		// Whatever parses is a position a store could have returned, and
		// re-encodes to a cursor naming the same position.
		if id.IsZero() || len(v) > itsm.MaxValueSize || strings.IndexByte(v, 0) >= 0 {
			t.Fatalf("Position(%q) accepted %q, %s", s, v, id)
		}
		v2, id2, err := itsm.NewCursor(v, id).Position()
		if err != nil || v2 != v || id2 != id {
			t.Fatalf("re-encoding %q, %s gave %q, %s, %v", v, id, v2, id2, err)
		}
	})
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		prefix, end string
		ok          bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"ab", "ac", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"Ø", "Ù", true}, // C3 98 -> C3 99
	} {
		end, ok := itsm.PrefixEnd(c.prefix)
		if end != c.end || ok != c.ok {
			t.Errorf("PrefixEnd(%q) = %q, %v; want %q, %v", c.prefix, end, ok, c.end, c.ok)
		}
	}
	// Every string with the prefix sorts below the end, and the end itself
	// does not have the prefix.
	rng := rand.New(rand.NewPCG(1, 1))
	for range 10000 {
		p := randBytes(rng, 3)
		end, ok := itsm.PrefixEnd(p)
		if !ok {
			continue
		}
		s := p + randBytes(rng, 4)
		if !(s < end) || strings.HasPrefix(end, p) {
			t.Fatalf("PrefixEnd(%q) = %q, but %q has the prefix and is not below it", p, end, s)
		}
	}
}

func randBytes(rng *rand.Rand, n int) string {
	b := make([]byte, rng.IntN(n+1))
	for i := range b {
		b[i] = []byte{0x00, 0x41, 0x7f, 0xfe, 0xff}[rng.IntN(5)]
	}
	return string(b)
}

func TestIndexIntSortsNumerically(t *testing.T) {
	ns := []int64{math.MinInt64, math.MinInt64 + 1, -1000, -1, 0, 1, 9, 10, 1000, math.MaxInt64 - 1, math.MaxInt64}
	var vs []string
	for _, n := range ns {
		v := itsm.IndexInt(n)
		if len(v) != 20 {
			t.Fatalf("IndexInt(%d) = %q, want 20 digits", n, v)
		}
		vs = append(vs, v)
	}
	if !slices.IsSorted(vs) {
		t.Fatalf("IndexInt values out of order: %v", vs)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for range 10000 {
		a, b := int64(rng.Uint64()), int64(rng.Uint64())
		if (a < b) != (itsm.IndexInt(a) < itsm.IndexInt(b)) {
			t.Fatalf("IndexInt order differs for %d and %d", a, b)
		}
	}
}

func TestIndexTimeSortsChronologically(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Skip(err)
	}
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, oslo)
	var prev string
	for i := range 2000 {
		tm := base.Add(time.Duration(i) * 997 * time.Millisecond * 13)
		v := itsm.IndexTime(tm)
		if v <= prev {
			t.Fatalf("IndexTime(%v) = %q, not after %q", tm, v, prev)
		}
		back, err := time.Parse(time.RFC3339Nano, v)
		if err != nil || !back.Equal(tm) {
			t.Fatalf("IndexTime(%v) = %q parses back as %v, %v", tm, v, back, err)
		}
		prev = v
	}
	if itsm.IndexTime(time.Time{}) != "" {
		t.Fatal("the zero time must not be indexed")
	}
}

func TestValidateAcceptsTheEdges(t *testing.T) {
	r := itsm.Record{
		Kind:   "a" + strings.Repeat("z", 63),
		ID:     itsm.NewID(),
		Body:   []byte(`{}`),
		Unique: map[string]string{"n": strings.Repeat("é", itsm.MaxValueSize/2)},
		Index:  map[string][]string{"x.y-z_0": make([]string, itsm.MaxIndexValues-1)},
	}
	if err := itsm.ValidateRecord(r); err != nil {
		t.Fatalf("ValidateRecord at the limits: %v", err)
	}
	r.Kind += "z"
	if err := itsm.ValidateRecord(r); itsm.ErrorCode(err) != itsm.CodeInvalid || !strings.Contains(err.Error(), "record kind") {
		t.Fatalf("a 65-byte kind: err = %v, want invalid naming the kind", err)
	}
	e := itsm.Event{Type: "incident.major_declared", Kind: "incident", Subject: itsm.NewID(), Time: time.Now()}
	if err := itsm.ValidateEvent(e); err != nil {
		t.Fatalf("ValidateEvent: %v", err)
	}
	e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := itsm.ValidateEvent(e); itsm.ErrorCode(err) != itsm.CodeInvalid {
		t.Fatalf("an event in year 10000: err = %v, want invalid", err)
	}
	if n, err := itsm.ValidateQuery(itsm.Query{Kind: "incident", Index: "state", Match: itsm.MatchRange}); err != nil || n != itsm.DefaultLimit {
		t.Fatalf("ValidateQuery = %d, %v", n, err)
	}
}

func TestValidateErrorsNameTheProblem(t *testing.T) {
	id := itsm.NewID()
	for _, c := range []struct {
		r    itsm.Record
		want string
	}{
		{itsm.Record{Kind: "incident", ID: id, Body: []byte("{")}, "body: not valid JSON"},
		{itsm.Record{Kind: "incident", ID: id, Body: []byte("{}"), Index: map[string][]string{"state": {"a\x00"}}}, "index state"},
		{itsm.Record{Kind: "incident", ID: id, Body: []byte("{}"), Unique: map[string]string{"Number": "x"}}, `unique index name "Number"`},
		{itsm.Record{Kind: "incident", ID: id, Body: []byte("{}"), Unique: map[string]string{"n": "x"}, Index: map[string][]string{"n": nil}}, "both unique and not"},
	} {
		err := itsm.ValidateRecord(c.r)
		if itsm.ErrorCode(err) != itsm.CodeInvalid || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), id.String()) {
			t.Errorf("ValidateRecord: err = %v, want invalid mentioning %q and the id", err, c.want)
		}
	}
}

func TestEntriesRoundTrip(t *testing.T) {
	r := itsm.Record{
		Unique: map[string]string{"number": "INC0000001", "external": ""},
		Index:  map[string][]string{"org": {"b", "a", "b", ""}, "state": {"open"}, "none": {""}, "nil": nil},
	}
	es := r.Entries()
	want := []itsm.IndexEntry{
		{Name: "number", Value: "INC0000001", Unique: true},
		{Name: "org", Value: "a"},
		{Name: "org", Value: "b"},
		{Name: "state", Value: "open"},
	}
	if !slices.Equal(es, want) {
		t.Fatalf("Entries() = %v, want %v", es, want)
	}
	var back itsm.Record
	back.Index = map[string][]string{"stale": {"x"}}
	back.SetEntries(es)
	if len(back.Unique) != 1 || back.Unique["number"] != "INC0000001" || len(back.Index) != 2 ||
		!slices.Equal(back.Index["org"], []string{"a", "b"}) || !slices.Equal(back.Index["state"], []string{"open"}) {
		t.Fatalf("SetEntries gave Unique %v, Index %v", back.Unique, back.Index)
	}
	_ = append(back.Index["org"], "appended")
	if !slices.Equal(back.Index["state"], []string{"open"}) {
		t.Fatalf("appending to one name's values changed another's: %v", back.Index["state"])
	}
	if (itsm.Record{Index: map[string][]string{"x": {""}}}).Entries() != nil {
		t.Fatal("a record with only empty values has entries")
	}
	back.SetEntries(nil)
	if back.Unique != nil || back.Index != nil {
		t.Fatal("SetEntries(nil) left maps behind")
	}
}

func TestEventTypes(t *testing.T) {
	for typ, ok := range map[string]bool{
		"incident.registered": true, "incident.major_declared": true, "a.b.c": true, "a1.b_2": true,
		"": false, "incident": false, "incident.": false, ".registered": false, "incident..x": false,
		"Incident.x": false, "incident.1x": false, "incident._x": false, "incident.x-y": false,
	} {
		err := itsm.ValidateEvent(itsm.Event{Type: typ, Time: time.Unix(1, 0)})
		if (err == nil) != ok {
			t.Errorf("ValidateEvent(type %q) = %v, want ok %v", typ, err, ok)
		}
	}
}
