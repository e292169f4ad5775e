package search

import "strings"

// suffix is one inflectional ending of Swedish, Norwegian (Bokmål and
// Nynorsk) or English, written folded (see fold), with the shortest stem it
// may leave and, where the ending is only an ending after some letters,
// the letters it must (after) or must not (notAfter) follow. A guarded
// ending is stripped only when what remains is a word of the lexicon: the
// single letters -n and -t end definite forms (kontot, kameran, datorn)
// but also countless stems (telefon, minut), and only a dictionary tells
// them apart.
type suffix struct {
	end      string
	min      int    // letters the stem keeps at least
	after    string // the letter before the ending must be one of these ("" = any)
	notAfter string // ... or must not be one of these
	guarded  bool
}

// The endings come in stages, tried in order, at most one ending of each
// stage, longest first within a stage: a genitive or passive -s, then a
// definite ending, then a plural, verb or adjective ending, then a final
// vowel. Every form of a word thus reaches the same stem:
// skrivarnas -> skrivarna -> skriv; skrivaren -> skrivar -> skriv;
// skrivare -> skriv; kontots -> kontot -> konto. The stem is not a
// dictionary form (skrivare and skriva share "skriv"): only equality
// between the two sides of a search matters.
//
// Snowball's Swedish and Norwegian stemmers strip only inside a region
// after the first vowel-consonant pair and know no definite endings after
// a vowel, which leaves the short IT words whole ("kontot", "datorn" keep
// their endings); these rules use a minimum stem length and the lexicon.
var stages = [][]suffix{
	// genitive, passive and English plural -s, but not of -ss, -xs, -us
	{{end: "s", min: 4, notAfter: "sxzu"}},
	// definite endings: sv -en/-et/-na/-arna/-erna/-orna, nb -ene, nn
	// -ane, and -n/-t after a vowel or r when the rest is a known word.
	{
		{end: "erna", min: 3}, {end: "arna", min: 3}, {end: "orna", min: 3}, {end: "erne", min: 3},
		{end: "ene", min: 3}, {end: "ane", min: 3},
		{end: "en", min: 3}, {end: "et", min: 3},
		{end: "na", min: 3, after: "eo"}, // kontona, äpplena (not datamaskina)
		{end: "n", min: 3, after: "aeiouyr", guarded: true},
		{end: "t", min: 3, guarded: true},
	},
	// plural, verb, participle, comparative and action-noun endings
	{
		{end: "ande", min: 3}, {end: "ende", min: 3}, {end: "aste", min: 3},
		{end: "ade", min: 3}, {end: "are", min: 3},
		{end: "ningar", min: 4}, {end: "ingar", min: 4}, {end: "inger", min: 4},
		{end: "ning", min: 4}, {end: "ing", min: 4},
		{end: "arar", min: 3}, {end: "ere", min: 3},
		{end: "ar", min: 3}, {end: "er", min: 3},
		// -or is the plural of an -a word (skolor, kopior), but -tor and
		// -sor end loan words (dator, processor), which keep it.
		{end: "or", min: 3, notAfter: "ts"},
		// (not the past -de, -te: möte, byte and videomöte would part)
		{end: "at", min: 3}, {end: "ad", min: 3},
	},
	// a final vowel: the indefinite -a/-e of nouns and verbs (mejla, märke, byte)
	{{end: "a", min: 3}, {end: "e", min: 3}},
}

// stem reduces a folded word by the rules of stages. Words with digits
// (model numbers, "win11") keep their form.
func stem(w string) string {
	if strings.ContainsAny(w, "0123456789") {
		return w
	}
	orig := w
	for _, st := range stages {
		w = stripStage(w, st)
	}
	// An ending after m or n doubles it (långsam, långsamma; tunn, tunna).
	if w != orig && (strings.HasSuffix(w, "mm") || strings.HasSuffix(w, "nn")) && len(w) > 4 {
		w = w[:len(w)-1]
	}
	return w
}

func stripStage(w string, stage []suffix) string {
	n := runeLen(w)
	for _, sf := range stage {
		if !strings.HasSuffix(w, sf.end) || n-len(sf.end) < sf.min {
			continue
		}
		rest := w[:len(w)-len(sf.end)]
		last := rest[len(rest)-1]
		if sf.after != "" && strings.IndexByte(sf.after, last) < 0 {
			continue
		}
		if sf.notAfter != "" && strings.IndexByte(sf.notAfter, last) >= 0 {
			continue
		}
		if sf.guarded && !lexiconForms[rest] {
			continue
		}
		return rest
	}
	return w
}
