package pgstore

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spoc-itsm/spoc/itsm"
)

// The tests in this file need no server.

func TestSplitTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 23, 8, 0, 0, 123456789, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 999, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		at, nanos := splitTime(tm)
		if at.Nanosecond()%1000 != 0 || nanos < 0 || nanos > 999 || !at.Add(time.Duration(nanos)).Equal(tm) {
			t.Errorf("splitTime(%v) = %v, %d", tm, at, nanos)
		}
	}
}

func TestUniqueValue(t *testing.T) {
	for _, c := range []struct {
		pe          pgconn.PgError
		name, value string
		ok          bool
	}{
		{pgconn.PgError{ConstraintName: "entries_unique", Detail: "Key (kind, name, value)=(incident, number, INC, (1)) already exists."}, "number", "INC, (1)", true},
		{pgconn.PgError{ConstraintName: "entries_unique", Detail: "Schlüssel »(kind, name, value)=(a, b, c)« existiert bereits."}, "", "", false},
		{pgconn.PgError{ConstraintName: "records_pkey", Detail: "Key (kind, name, value)=(a, b, c) already exists."}, "", "", false},
	} {
		name, value, ok := uniqueValue(&c.pe)
		if name != c.name || value != c.value || ok != c.ok {
			t.Errorf("uniqueValue(%q) = %q, %q, %v", c.pe.Detail, name, value, ok)
		}
	}
}

func TestFlatten(t *testing.T) {
	r := itsm.Record{
		Unique: map[string]string{"number": "N1", "blank": ""},
		Index:  map[string][]string{"org": {"b", "", "a", "b"}, "none": {""}, "état": {"x"}},
	}
	names, vals, uniqs := flatten(r)
	if diff := cmp.Diff([]string{"number", "org", "org", "état"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"N1", "a", "b", "x"}, vals); diff != "" {
		t.Errorf("vals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{true, false, false, false}, uniqs); diff != "" {
		t.Errorf("uniqs (-want +got):\n%s", diff)
	}
	row := recordRow{names: names, vals: vals, uniqs: uniqs}
	got := row.record("k")
	if diff := cmp.Diff(map[string]string{"number": "N1"}, got.Unique); diff != "" {
		t.Errorf("Unique (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"org": {"a", "b"}, "état": {"x"}}, got.Index); diff != "" {
		t.Errorf("Index (-want +got):\n%s", diff)
	}
	if n, v, u := flatten(itsm.Record{}); n == nil || v == nil || u == nil {
		t.Error("flatten of no values returned nil slices, which pgx sends as NULL")
	}
}

func TestValidSchema(t *testing.T) {
	for s, want := range map[string]bool{
		"spoc": true, "_x": true, "a1_b": true, "": false, "1a": false, "A": false, "a-b": false, "pg_x": false, "pgx": true,
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk":  true,
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl": false,
	} {
		if validSchema(s) != want {
			t.Errorf("validSchema(%q) = %v", s, !want)
		}
	}
}
