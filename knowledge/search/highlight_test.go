package search

import (
	"strings"
	"testing"
)

func TestHighlightMarksWordsByTheirTerms(t *testing.T) {
	terms := map[string]bool{analyzeWord("lösenord")[0]: true}
	got := highlight("Lösenordsbyte & <lösenorden>", terms)
	if want := "<mark>Lösenordsbyte</mark> &amp; &lt;<mark>lösenorden</mark>&gt;"; got != want {
		t.Errorf("highlight = %q, want %q", got, want)
	}
}

func TestSnippetShowsTheFragmentWithMostMatches(t *testing.T) {
	terms := map[string]bool{analyzeWord("skrivare")[0]: true}
	filler := strings.Repeat("Något helt annat om kaffe. ", 20)
	body := filler + "Starta om skrivaren och töm skrivarens kö. " + filler
	got := snippet(body, terms)
	if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Errorf("a fragment from the middle should show where it cuts: %q", got)
	}
	if strings.Count(got, "<mark>") != 2 {
		t.Errorf("both matches should be in the fragment: %q", got)
	}
	if n := len(strings.NewReplacer("<mark>", "", "</mark>", "", "…", "").Replace(got)); n > snippetLength {
		t.Errorf("fragment of %d bytes, more than %d: %q", n, snippetLength, got)
	}
	// No match: the start of the body.
	if got := snippet(filler, terms); !strings.HasPrefix(got, "Något helt annat") || strings.Contains(got, "<mark>") {
		t.Errorf("snippet without a match: %q", got)
	}
	// A short body is shown whole.
	if got := snippet("Så byter du skrivare.", terms); got != "Så byter du <mark>skrivare</mark>." {
		t.Errorf("short body: %q", got)
	}
}
