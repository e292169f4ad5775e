package search

import "strings"

// The query side of compounds. A document's terms come from the built-in
// lexicon alone (decision 113); a query may also be read against what the
// index holds, since that changes no document's terms. Users write
// compounds that no article contains whole (kalenderdelning, skärm-
// upplösning, møteromsbooking) while the articles write their parts
// apart (dela kalendern, oppløsning på skjermen), and write apart what
// an article writes as one word (lønns slipp). The functions here find
// those parts among the index's terms, by general rules of Swedish and
// Norwegian word formation, never by a list of words.

// particles are the Swedish and Norwegian verb particles that a
// nominalised particle verb puts first: uppkoppling is koppla upp,
// avstängning stänga av, innlogging logge inn. Folded.
var particles = []string{"upp", "opp", "in", "inn", "ut", "av", "pa", "till", "til", "om", "ner", "ned", "bort", "fram", "over", "under", "tillbaka", "tilbake", "igen", "igjen", "sam"}

// resolve returns the indexed term that a piece s of a folded query word
// stands for, or "" when the index holds none. It tries, in order:
//   - the piece's stem, and the piece as written (the index holds skol of
//     skola, and so the skol- of skolplattform);
//   - without a linking s (mötesrums-);
//   - an action noun in -ning or -ing as its verb (delning: dela,
//     registrering: registrere), since the articles say what to do;
//   - a stem whose last vowel the inflection dropped, with it (föräldra-:
//     förälder, kablar: kabel, öppna: öppen);
//   - a particle verb's noun without its particle (uppkoppling: koppla).
func (v vocabulary) resolve(s string) string {
	if t := v.resolveWord(s); t != "" {
		return t
	}
	if l := len(s) - 1; l >= minPart && s[l] == 's' {
		if t := v.resolveWord(s[:l]); t != "" {
			return t
		}
	}
	for _, p := range particles {
		if rest, ok := strings.CutPrefix(s, p); ok && len(rest) > minPart {
			if t := v.resolveWord(rest); t != "" {
				return t
			}
		}
	}
	return ""
}

func (v vocabulary) resolveWord(s string) string {
	if len(s) < minPart {
		return ""
	}
	st := stem(s)
	if runeLen(st) >= minPart && v.known(st) {
		return st
	}
	if v.known(s) {
		return s
	}
	for _, end := range []string{"ning", "ing"} {
		base, ok := strings.CutSuffix(s, end)
		if !ok || len(base) < minPart {
			continue
		}
		for _, verb := range []string{base + "a", base + "e", base} {
			if t := stem(verb); runeLen(t) >= minPart && v.known(t) {
				return t
			}
		}
		break
	}
	if t := restoreVowel(st); t != "" && v.known(t) {
		return t
	}
	return ""
}

// restoreVowel returns the stem of a word whose last e the inflection
// dropped before a final l, n or r (kabel, kablar; öppen, öppna;
// förälder, föräldrar; vinter, vintrar), given the stem of the form
// without it; "" if the stem does not end so.
func restoreVowel(st string) string {
	n := len(st)
	if n < 4 || strings.IndexByte("lnr", st[n-1]) < 0 {
		return ""
	}
	c := st[n-2]
	if strings.IndexByte("aeiouy", c) >= 0 || c == st[n-1] || !strings.ContainsAny(st[:n-2], "aeiouy") {
		return ""
	}
	return stem(st[:n-1] + "e" + st[n-1:])
}

// split splits a folded word that the index does not hold into the
// fewest pieces (two or three) that each resolve to an indexed term,
// joined directly or by a linking letter, and returns those terms; nil
// if there is no such split. Among splits of as many pieces, the longest
// last piece wins (the head of a compound is what it is about).
func (v vocabulary) split(f string) []string {
	if len(f) < minCompound {
		return nil
	}
	memo := map[string]string{}
	res := func(s string) string {
		t, ok := memo[s]
		if !ok {
			t = v.resolve(s)
			memo[s] = t
		}
		return t
	}
	// head first: the longest head that resolves, with a modifier of one
	// piece, then of two.
	for pieces := 2; pieces <= 3; pieces++ {
		for k := minPart; k <= len(f)-minPart; k++ {
			head := res(f[k:])
			if head == "" {
				continue
			}
			if mods := v.modifiers(f[:k], pieces-1, res); mods != nil {
				return dedupe(append(mods, head))
			}
		}
	}
	return nil
}

// modifiers splits the part of a compound before its head into n pieces
// that resolve, a linking letter allowed after each.
func (v vocabulary) modifiers(m string, n int, res func(string) string) []string {
	if n == 1 {
		if t := res(m); t != "" {
			return []string{t}
		}
		if l := len(m) - 1; l >= minPart && strings.IndexByte(linking, m[l]) >= 0 {
			if t := res(m[:l]); t != "" {
				return []string{t}
			}
		}
		return nil
	}
	for k := len(m) - minPart; k >= minPart; k-- {
		last := v.modifiers(m[k:], 1, res)
		if last == nil {
			continue
		}
		if first := v.modifiers(m[:k], n-1, res); first != nil {
			return append(first, last...)
		}
	}
	return nil
}

func dedupe(terms []string) []string {
	out := terms[:0]
	for _, t := range terms {
		if !contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// joined returns the indexed term of two adjacent query words written as
// one word, directly or with a linking s (lønns slipp: lønnsslipp,
// dubbel sidig: dubbelsidig), or "".
func (v vocabulary) joined(a, b string) string {
	for _, w := range []string{a + b, a + "s" + b} {
		if a[len(a)-1] == 's' && w != a+b {
			continue
		}
		if st, _ := compound(w); v.known(st) {
			return st
		}
	}
	return ""
}
