package search

import (
	"fmt"
	"testing"
)

// A compound that no document holds whole finds the documents that write
// its parts apart, through the index's terms and the rules of split.go.
func TestQueryCompoundsSplitAgainstTheIndex(t *testing.T) {
	ix := newIndex(t,
		doc("cal", "sv", "Dela din kalender", "Så delar du kalendern med kollegor."),
		doc("vpn", "sv", "VPN", "Koppla upp mot VPN hemifrån."),
		doc("parent", "sv", "Skolplattformen", "Som förälder loggar du in med BankID; inloggningen visar ditt barn."),
		doc("room", "nb", "Booke møterom", "Slik booker du et møterom i kalenderen."),
		doc("screen", "nb", "To skjermer", "Still inn oppløsningen på skjermen."),
		doc("reg", "nb", "Timeføring", "Fleksitid registreres i HR-systemet."),
		doc("slip", "nb", "Lønnsslipp", "Lønnsslippen ligger i selvbetjeningen."),
		doc("other", "sv", "Skrivare", "Om skrivaren inte skriver ut."),
	)
	for _, c := range []struct{ text, want string }{
		{"kalenderdelning", "cal"},          // -ning against the verb dela
		{"vpnuppkoppling", "vpn"},           // a particle verb's noun: koppla upp
		{"föräldrainloggning", "parent"},    // föräldra- is förälder without its e
		{"møteromsbooking", "room"},         // linking s, -ing against booke
		{"skjermoppløsning", "screen"},      // parts the index holds
		{"fleksitidsregistrering", "reg"},   // -ering against registrere
		{"lønns slipp", "slip"},             // written apart, indexed as one
		{"kalenderdelning skrivare", "cal"}, // the parts of the whole word
	} {
		res := search(t, ix, Query{Text: c.text + " "})
		if len(res.Hits) == 0 || res.Hits[0].ID != c.want {
			t.Errorf("%q: %v, want %s first", c.text, ids(res), c.want)
		}
	}
	// A document with every part outranks one with the head alone.
	ix = newIndex(t,
		doc("both", "sv", "Kamera", "Kameran har problem."),
		doc("head", "sv", "Problem", "Problem med ljudet."),
	)
	if got := ids(search(t, ix, Query{Text: "kameraproblem "})); fmt.Sprint(got) != "[both head]" {
		t.Errorf("kameraproblem: %v", got)
	}
}

// The rules of split.go each on their own, against a fixed vocabulary.
func TestSplitRules(t *testing.T) {
	v := vocabulary{terms: map[string]int{}}
	for _, w := range []string{"kalender", "dela", "koppla", "förälder", "inloggning", "kabel", "öppen", "registrere", "moln", "synka"} {
		for _, term := range analyzeWord(w) {
			v.terms[term]++
		}
	}
	for _, c := range []struct{ piece, want string }{
		{"delning", stem("dela")},
		{"uppkoppling", stem("koppla")},
		{"foraldra", analyzeWord("förälder")[0]},
		{"kablar", analyzeWord("kabel")[0]},
		{"oppna", analyzeWord("öppen")[0]},
		{"registrering", stem("registrere")},
		{"skrivare", ""},
	} {
		if got := v.resolve(c.piece); got != c.want {
			t.Errorf("resolve(%q) = %q, want %q", c.piece, got, c.want)
		}
	}
	if got := v.split("molnsynk"); fmt.Sprint(got) != fmt.Sprint([]string{"moln", "synk"}) {
		t.Errorf("split(molnsynk) = %v", got)
	}
	if got := v.split("kalenderdelning"); len(got) != 2 || got[0] != analyzeWord("kalender")[0] {
		t.Errorf("split(kalenderdelning) = %v", got)
	}
	if got := v.split("skrivarkabel"); got != nil {
		t.Errorf("split(skrivarkabel) = %v, but skrivar- is in no document", got)
	}
}

// The index's own count of terms follows every Put, replacement and Delete.
func TestTermCountsFollowEdits(t *testing.T) {
	ix := newIndex(t, doc("a", "sv", "Skrivare", "Kalender."), doc("b", "sv", "Skrivare", "Moln."))
	skriv, kal, moln := analyzeWord("skrivare")[0], analyzeWord("kalender")[0], analyzeWord("moln")[0]
	want := func(term string, n int) {
		t.Helper()
		ix.mu.RLock()
		defer ix.mu.RUnlock()
		if ix.terms[term] != n {
			t.Errorf("%s: %d documents, want %d", term, ix.terms[term], n)
		}
	}
	want(skriv, 2)
	want(kal, 1)
	if err := ix.Put(doc("a", "sv", "Moln", "Moln.")); err != nil {
		t.Fatal(err)
	}
	want(skriv, 1)
	want(kal, 0)
	want(moln, 2)
	if err := ix.Delete("a", "b", "absent"); err != nil {
		t.Fatal(err)
	}
	want(moln, 0)
	if len(ix.terms) != 0 {
		t.Errorf("terms left after deleting all: %v", ix.terms)
	}
}
