package backend_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/itsm/backend"
)

func TestCursorRoundTrip(t *testing.T) {
	id := itsm.NewID()
	for _, v := range []string{"", "a", "Ørsta 😀", strings.Repeat("x", itsm.MaxValueSize)} {
		c := backend.NewCursor(v, id)
		if strings.ContainsAny(string(c), "+/=?&# ") {
			t.Errorf("cursor %q is not URL-safe", c)
		}
		gotV, gotID, err := backend.ParseCursor(c)
		if err != nil || gotV != v || gotID != id {
			t.Errorf("ParseCursor(NewCursor(%q, %s)) = %q, %s, %v", v, id, gotV, gotID, err)
		}
	}
}

func TestCursorRejectsForgeries(t *testing.T) {
	for _, c := range []itsm.Cursor{
		"",                                // empty: the start is "", not a position
		"!!!",                             // not base64
		"AAAA",                            // too short for an ID
		backend.NewCursor("x", itsm.ID{}), // zero ID
		itsm.Cursor(strings.Repeat("A", 2000)),
	} {
		if _, _, err := backend.ParseCursor(c); itsm.ErrorCode(err) != itsm.CodeInvalid {
			t.Errorf("ParseCursor(%.20q) err = %v, want invalid", c, err)
		}
	}
}

func FuzzParseCursor(f *testing.F) {
	f.Add(string(backend.NewCursor("value", itsm.MustParseID("01890a5d-ac96-774b-bcce-b302099a8057"))))
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		v, id, err := backend.ParseCursor(itsm.Cursor(s))
		if err != nil {
			if itsm.ErrorCode(err) != itsm.CodeInvalid {
				t.Fatalf("ParseCursor(%q) err = %v, want invalid", s, err)
			}
			return
		}
		// Whatever parses is a position a store could have returned, and
		// re-encodes to a cursor naming the same position.
		if id.IsZero() || len(v) > itsm.MaxValueSize || strings.IndexByte(v, 0) >= 0 {
			t.Fatalf("ParseCursor(%q) accepted %q, %s", s, v, id)
		}
		v2, id2, err := backend.ParseCursor(backend.NewCursor(v, id))
		if err != nil || v2 != v || id2 != id {
			t.Fatalf("re-encoding %q, %s gave %q, %s, %v", v, id, v2, id2, err)
		}
	})
}

func TestValidateAcceptsTheEdges(t *testing.T) {
	r := itsm.Record{
		Kind:   "a" + strings.Repeat("z", 63),
		ID:     itsm.NewID(),
		Body:   []byte(`{}`),
		Unique: map[string]string{"n": strings.Repeat("é", itsm.MaxValueSize/2)},
		Index:  map[string][]string{"x.y-z_0": make([]string, itsm.MaxIndexValues-1)},
	}
	if err := backend.ValidateRecord(r); err != nil {
		t.Fatalf("ValidateRecord at the limits: %v", err)
	}
	r.Kind += "z"
	if err := backend.ValidateRecord(r); itsm.ErrorCode(err) != itsm.CodeInvalid || !strings.Contains(err.Error(), "record kind") {
		t.Fatalf("a 65-byte kind: err = %v, want invalid naming the kind", err)
	}
	e := itsm.Event{Type: "incident.major_declared", Kind: "incident", Subject: itsm.NewID(), Time: time.Now()}
	if err := backend.ValidateEvent(e); err != nil {
		t.Fatalf("ValidateEvent: %v", err)
	}
	e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := backend.ValidateEvent(e); itsm.ErrorCode(err) != itsm.CodeInvalid {
		t.Fatalf("an event in year 10000: err = %v, want invalid", err)
	}
	if n, err := backend.ValidateQuery(itsm.Query{Kind: "incident", Index: "state", Match: itsm.MatchRange}); err != nil || n != itsm.DefaultLimit {
		t.Fatalf("ValidateQuery = %d, %v", n, err)
	}
	if n, err := backend.ValidateEventsOf("incident", itsm.NewID(), itsm.MaxLimit); err != nil || n != itsm.MaxLimit {
		t.Fatalf("ValidateEventsOf = %d, %v", n, err)
	}
	for _, c := range []struct {
		kind    string
		subject itsm.ID
		limit   int
		want    string
	}{
		{"", itsm.NewID(), 0, "event kind"},
		{"Incident", itsm.NewID(), 0, "event kind"},
		{"incident", itsm.ID{}, 0, "subject must not be zero"},
		{"incident", itsm.NewID(), -1, "limit"},
		{"incident", itsm.NewID(), itsm.MaxLimit + 1, "limit"},
	} {
		if _, err := backend.ValidateEventsOf(c.kind, c.subject, c.limit); itsm.ErrorCode(err) != itsm.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ValidateEventsOf(%q, %s, %d): err = %v, want invalid naming %q", c.kind, c.subject, c.limit, err, c.want)
		}
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
		err := backend.ValidateRecord(c.r)
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
	es := backend.Entries(r)
	want := []backend.IndexEntry{
		{Name: "number", Value: "INC0000001", Unique: true},
		{Name: "org", Value: "a"},
		{Name: "org", Value: "b"},
		{Name: "state", Value: "open"},
	}
	if !slices.Equal(es, want) {
		t.Fatalf("Entries = %v, want %v", es, want)
	}
	var back itsm.Record
	back.Index = map[string][]string{"stale": {"x"}}
	backend.SetEntries(&back, es)
	if len(back.Unique) != 1 || back.Unique["number"] != "INC0000001" || len(back.Index) != 2 ||
		!slices.Equal(back.Index["org"], []string{"a", "b"}) || !slices.Equal(back.Index["state"], []string{"open"}) {
		t.Fatalf("SetEntries gave Unique %v, Index %v", back.Unique, back.Index)
	}
	_ = append(back.Index["org"], "appended")
	if !slices.Equal(back.Index["state"], []string{"open"}) {
		t.Fatalf("appending to one name's values changed another's: %v", back.Index["state"])
	}
	if backend.Entries(itsm.Record{Index: map[string][]string{"x": {""}}}) != nil {
		t.Fatal("a record with only empty values has entries")
	}
	backend.SetEntries(&back, nil)
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
		err := backend.ValidateEvent(itsm.Event{Type: typ, Time: time.Unix(1, 0)})
		if (err == nil) != ok {
			t.Errorf("ValidateEvent(type %q) = %v, want ok %v", typ, err, ok)
		}
	}
}

// Get and Delete check a bare kind with ValidateKind; it must refuse exactly
// the kinds a record cannot have.
func TestValidateKindAgreesWithValidateRecord(t *testing.T) {
	for _, kind := range []string{"incident", "a", "a" + strings.Repeat("z", 63), "x.y-z_0",
		"", "Incident", "1x", "_x", "a" + strings.Repeat("z", 64), "a\x00", "ä", "a b"} {
		r := itsm.Record{Kind: kind, ID: itsm.NewID(), Body: []byte("{}")}
		kindErr, recordErr := backend.ValidateKind(kind), backend.ValidateRecord(r)
		if (kindErr == nil) != (recordErr == nil) {
			t.Errorf("kind %q: ValidateKind = %v, ValidateRecord = %v", kind, kindErr, recordErr)
		}
		if kindErr != nil && itsm.ErrorCode(kindErr) != itsm.CodeInvalid {
			t.Errorf("kind %q: ValidateKind = %v, want invalid", kind, kindErr)
		}
	}
}

// A rejected value is repeated in the message only in part, so that a
// hostile input does not flood the logs.
func TestErrorsRepeatABoundedPartOfTheInput(t *testing.T) {
	huge := strings.Repeat("\x01", 100000)
	errs := []error{
		backend.ValidateKind(huge),
		backend.ValidateEvent(itsm.Event{Type: huge, Time: time.Unix(1, 0)}),
		backend.ValidateRecord(itsm.Record{Kind: "incident", ID: itsm.NewID(), Body: []byte("{}"), Index: map[string][]string{"x": {"\xff" + huge[:400]}}}),
	}
	_, _, err := backend.ParseCursor(itsm.Cursor(huge))
	errs = append(errs, err)
	for i, err := range errs {
		if itsm.ErrorCode(err) != itsm.CodeInvalid || len(err.Error()) > 400 {
			t.Errorf("error %d: %d bytes, code %q: %.100s", i, len(err.Error()), itsm.ErrorCode(err), err)
		}
	}
}
