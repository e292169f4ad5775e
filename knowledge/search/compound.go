package search

import (
	_ "embed"
	"strings"
)

//go:embed lexicon.txt
var lexiconText string

//go:embed stopwords.txt
var stopwordsText string

// lexicon holds the folded forms and the stems of the words of
// lexicon.txt: a compound's parts are looked up here. stopwords holds the
// folded words of stopwords.txt.
var (
	lexicon   = map[string]bool{}
	stopwords = map[string]bool{}
)

func init() {
	for _, w := range dataLines(stopwordsText) {
		stopwords[fold(w)] = true
	}
	for _, line := range dataLines(lexiconText) {
		// "e-post" is two words to the tokenizer but one in compounds (e-postadress).
		w := fold(line)
		if w == "" {
			continue
		}
		lexicon[w] = true
		lexicon[stem(w)] = true
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
	maxParts    = 4
)

// splitCompound returns the stems of the parts of the compound whose stem
// is s, or nil when s is not a compound of lexicon words. It prefers the
// split into fewest parts (the longest words), skips a linking s between
// parts (lösenord-s-byte, nätverk-s-skrivare), and splits a word whose
// head is a known word of four or more letters even when the modifier
// before it is unknown (kund + tjänst), since the head is what the word
// is about. A word of the lexicon is never split: "lösenord" is not
// "lösen" + "ord".
func splitCompound(s string) []string {
	if len(s) < minCompound || lexicon[s] {
		return nil
	}
	if parts := segment(s, 0); parts != nil {
		return stemAll(parts)
	}
	// An unknown modifier before a known head.
	for i := minPart; i <= len(s)-4; i++ {
		if tail := segment(s, i); tail != nil && len(s)-i >= 4 {
			return stemAll(append([]string{s[:i]}, tail...))
		}
		if s[i] == 's' && i > minPart {
			// the unknown modifier's linking s
			if tail := segment(s, i+1); tail != nil {
				return stemAll(append([]string{s[:i]}, tail...))
			}
		}
	}
	return nil
}

// segment splits s[from:] into the fewest lexicon words (with linking s
// between them), or returns nil.
func segment(s string, from int) []string {
	var best []string
	var walk func(i int, acc []string)
	walk = func(i int, acc []string) {
		if best != nil && len(acc) >= len(best) || len(acc) >= maxParts {
			return
		}
		// Longest first: the first complete split found is usually the best.
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
			if s[j] == 's' && j+1 < len(s) {
				walk(j+1, next)
			}
		}
	}
	walk(from, nil)
	if best != nil && from == 0 && len(best) < 2 {
		return nil
	}
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
