package search

import (
	_ "embed"
	"strings"
)

//go:embed lexicon.txt
var lexiconText string

//go:embed stopwords.txt
var stopwordsText string

// lexiconForms holds the folded words of lexicon.txt, which guard the
// stemmer's riskier endings; lexicon holds them, their stems and their
// forms without a final vowel (skrivar- in skrivarkö): a compound's parts
// are looked up there. stopwords holds the folded words of stopwords.txt.
var (
	lexiconForms = map[string]bool{}
	lexicon      = map[string]bool{}
	stopwords    = map[string]bool{}
	// marked maps the stem of a lexicon word written with + between its
	// parts to the stems of the parts.
	marked = map[string][]string{}
)

func init() {
	for _, w := range dataLines(stopwordsText) {
		stopwords[fold(w)] = true
	}
	words := dataLines(lexiconText)
	var compounds [][]string
	for _, line := range words {
		// fold drops the hyphen: "e-post" is one word in compounds (e-postadress).
		if w := fold(line); w != "" {
			lexiconForms[w] = true
		}
		if strings.Contains(line, "+") {
			var ps []string
			for _, p := range strings.Split(line, "+") {
				ps = append(ps, fold(p))
			}
			compounds = append(compounds, ps)
		}
	}
	for w := range lexiconForms {
		lexicon[w] = true
		lexicon[stem(w)] = true
		if n := len(w); n > minPart+1 && strings.IndexByte("ae", w[n-1]) >= 0 {
			lexicon[w[:n-1]] = true
		}
	}
	for _, ps := range compounds {
		whole := stem(strings.Join(ps, ""))
		for i, p := range ps[:len(ps)-1] {
			// the linking letter of tjänste+kort, nätverks+kabel
			if l := len(p) - 1; l >= minPart && strings.IndexByte(linking, p[l]) >= 0 && lexicon[p[:l]] {
				ps[i] = p[:l]
			}
		}
		marked[whole] = stemAll(ps)
	}
}

// dataLines returns the lines of an embedded data file without comments
// and blank lines.
func dataLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

const (
	minPart     = 3 // letters of the shortest part (nät, app, byt)
	minCompound = 6 // a stem shorter than this is never split
	maxParts    = 3 // before the head
	// linking holds the letters that may join two parts: the -s- of
	// lösenordsbyte and the vowels of tjänstekort, barnehage, kvinnoklinik.
	linking = "seao"
)

// compound splits a folded word into its parts and returns the stem of
// the whole word and the stems of its parts, or parts nil when it is not
// a compound of lexicon words. The head (the last part) is found first, in
// any inflected form, and stemmed as the word alone would be, so that the
// compound's stem ends like its head's: lösenordsbytet -> lösenords +
// byt, as byte -> byt. Before the head come lexicon words, each in its
// own form or its stem or without its final vowel (skol- in
// skolplattform, skrivar- in skrivarkö), joined by a linking s (lösenord-s-
// byte) or vowel (tjänst-e-kort). The longest head wins. A word that is
// itself in the lexicon is split only as the lexicon marks it
// (bruker+navn), since a known word is more often a word than a compound
// of short ones (skrivaren is not skriv + ären, datamaskin not data +
// maskin); another word is also split when its head is a known word of
// four or more letters after an unknown modifier (kund + tjänst), since the
// head is what it is about.
func compound(f string) (whole string, parts []string) {
	whole = stem(f)
	if len(f) < minCompound {
		return whole, nil
	}
	if lexicon[whole] {
		return whole, marked[whole]
	}
	partial := -1
	for k := minPart; k <= len(f)-minPart; k++ {
		head := stem(f[k:])
		if !lexicon[head] {
			continue
		}
		mod := f[:k]
		if ps := segment(mod); ps != nil {
			return mod + head, stemAll(append(ps, head))
		}
		if l := len(mod) - 1; l >= minPart && strings.IndexByte(linking, mod[l]) >= 0 {
			if ps := segment(mod[:l]); ps != nil {
				return mod + head, stemAll(append(ps, head))
			}
		}
		if partial < 0 && len(head) >= 4 {
			partial = k
		}
	}
	if partial < 0 {
		return whole, nil
	}
	mod, head := f[:partial], stem(f[partial:])
	m := mod
	if l := len(m) - 1; l >= minPart && strings.IndexByte(linking, m[l]) >= 0 {
		m = m[:l]
	}
	return mod + head, stemAll([]string{m, head})
}

// segment splits s into the fewest lexicon words, with linking letters
// between them, or returns nil.
func segment(s string) []string {
	if lexicon[s] {
		return []string{s}
	}
	var best []string
	var walk func(i int, acc []string)
	walk = func(i int, acc []string) {
		if best != nil && len(acc) >= len(best) || len(acc) >= maxParts {
			return
		}
		for j := len(s); j >= i+minPart; j-- {
			w := s[i:j]
			if !lexicon[w] {
				continue
			}
			next := append(acc[:len(acc):len(acc)], w)
			if j == len(s) {
				if best == nil || len(next) < len(best) {
					best = next
				}
				continue
			}
			walk(j, next)
			if strings.IndexByte(linking, s[j]) >= 0 && j+1 < len(s) {
				walk(j+1, next)
			}
		}
	}
	walk(0, nil)
	return best
}

func stemAll(parts []string) []string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		st := stem(p)
		if runeLen(st) < minPart {
			st = p
		}
		if !contains(out, st) {
			out = append(out, st)
		}
	}
	return out
}
