package candidate_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/problem/candidate"
)

func TestTokens(t *testing.T) {
	for in, want := range map[string][]string{
		"Outlook crashes when opening the calendar":        {"calendar", "crashes", "opening", "outlook"},
		"VPN fungerar inte på INC0012345, fel 0x80070005":  {"vpn"},
		"Skrivaren på plan 3 skriver inte ut":              {"plan", "skrivaren", "skriver"},
		"printer printer PRINTER jammed":                   {"jammed", "printer"},
		"a b cd":                                           nil,
		"one two three four five six seven eight nine ten": {"five", "four", "one", "six", "three", "two"},
	} {
		if got := candidate.Tokens(in); !slices.Equal(got, want) {
			t.Errorf("Tokens(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzTokens checks the normaliser's promises on any text: sorted distinct
// lower-case tokens of 3 to 32 letters without digits, at most MaxTokens,
// and the same tokens again from its own output.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"Outlook crashes", "VPN fungerar inte, fel 0x8007", "ÅÄÖ åäö İstanbul", "a\u0301bc", "\xff\xfeabc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := candidate.Tokens(s)
		if len(got) > candidate.MaxTokens || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("Tokens(%q) = %q: not a sorted set of at most %d", s, got, candidate.MaxTokens)
		}
		for _, tok := range got {
			if n := utf8.RuneCountInString(tok); n < 3 || n > 32 || strings.ContainsAny(tok, "0123456789") {
				t.Fatalf("Tokens(%q) has %q", s, tok)
			}
		}
		if again := candidate.Tokens(strings.Join(got, " ")); !slices.Equal(again, got) {
			t.Fatalf("Tokens(%q) = %q, but Tokens of that = %q", s, got, again)
		}
	})
}

// spike makes a year of a quiet group (one incident a week) with a burst
// of n in the last week, and a busy group beside it.
func spike(n int) []candidate.Incident {
	until := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	var out []candidate.Incident
	add := func(at time.Time, svc, summary string) {
		id := itsm.NewID()
		out = append(out, candidate.Incident{ID: id, Number: "INC" + id.String()[:8], Registered: at, Service: svc, Category: "applications", Summary: summary})
	}
	for w := 1; w <= 20; w++ {
		add(until.Add(-time.Duration(w)*7*24*time.Hour+time.Hour), "email", "mailbox full")
		for i := range 20 {
			add(until.Add(-time.Duration(w)*7*24*time.Hour+time.Duration(i)*time.Hour), "payroll", "slow report")
		}
	}
	for i := range n {
		add(until.Add(-time.Duration(i+1)*time.Hour), "email", "outlook calendar crashes")
	}
	return out
}

func source(in []candidate.Incident) candidate.Source {
	return func(yield func(candidate.Incident, error) bool) {
		for _, x := range in {
			if !yield(x, nil) {
				return
			}
		}
	}
}

func TestDetectGroupsAndDismissals(t *testing.T) {
	six := spike(6)
	cs, err := candidate.Detect(source(six), candidate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("got %d candidates, want the one burst: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.Key.Service != "email" || c.Count != 6 || len(c.Incidents) != 6 || c.BaselineCount != 0 || c.Key.Token == "" {
		t.Fatalf("candidate %+v, want 6 email incidents under one token with none before", c)
	}
	// No baseline: all 6 in the recent 1/13 of the time, p = 13^-6.
	if want := 1 / 4826809.0; c.PValue < want*0.999 || c.PValue > want*1.001 {
		t.Errorf("p-value %g, want %g", c.PValue, want)
	}
	// Too few for the minimum count.
	if cs, _ := candidate.Detect(source(spike(3)), candidate.Config{}); len(cs) != 0 {
		t.Errorf("3 incidents made candidates: %+v", cs)
	}

	d, err := candidate.Dismiss(c, "desk-lead", "a planned calendar upgrade", c.Window.To)
	if err != nil {
		t.Fatal(err)
	}
	again, err := candidate.Detect(source(six), candidate.Config{Dismissed: []candidate.Dismissal{d}})
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("the dismissed burst came back: %+v", again)
	}
	// A larger burst with new incidents is proposed again, with the new
	// ones alone.
	more := slices.Clone(six)
	for i := range 8 {
		id := itsm.NewID()
		more = append(more, candidate.Incident{ID: id, Number: "NEW" + string(rune('a'+i)), Registered: time.Date(2025, 6, 1, 10, i, 0, 0, time.UTC),
			Service: "email", Category: "applications", Summary: "outlook calendar crashes"})
	}
	later, err := candidate.Detect(source(more), candidate.Config{Dismissed: []candidate.Dismissal{d}})
	if err != nil {
		t.Fatal(err)
	}
	if len(later) != 1 || later[0].Count != 8 {
		t.Errorf("the larger burst gave %+v, want one candidate of the 8 new incidents", later)
	}

	for _, bad := range []struct{ by, reason string }{{"", "x"}, {"lead", ""}, {"lead", "bad\x00text"}} {
		if _, err := candidate.Dismiss(c, bad.by, bad.reason, time.Now()); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("Dismiss(%q, %q) = %v, want invalid", bad.by, bad.reason, err)
		}
	}
	for _, cfg := range []candidate.Config{{Window: time.Minute}, {Baseline: 10 * time.Hour, Window: 3 * time.Hour}, {FDR: 2}, {MinCount: -1}, {MinRatio: 0.5}, {Windows: -2}} {
		if _, err := candidate.Detect(source(nil), cfg); !itsm.IsCode(err, itsm.CodeInvalid) {
			t.Errorf("Detect with %+v = %v, want invalid", cfg, err)
		}
	}
}
