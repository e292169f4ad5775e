package candidate

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTokens is the most key tokens a summary contributes: each is a group
// of its own, so the cap bounds the work per incident.
const MaxTokens = 6

// Token lengths outside minToken to maxToken runes are dropped: shorter ones
// are mostly noise ("pc", "ok"), longer ones mostly paths, addresses and
// pasted identifiers.
const (
	minToken = 3
	maxToken = 32
)

// stopWords are English and Swedish function words and the words of a
// service desk that every summary uses ("error", "fungerar"), which would
// otherwise make groups that say nothing about the fault.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		the and for with not are was were can cannot does doesnt don dont
		from this that have has had when after before into onto out off but
		all any you your our his her its their them they there here what
		which who why how new old get got getting please help urgent again
		still since also just only some more most very will would should
		could been being issue issues problem problems error errors fault
		user users need needs needed request work works working broken fails
		failed failing unable able
		och att det som ett för med till är inte kan har jag vid men
		den de vi ni han hon sig mig dig oss från när efter innan eller
		hos min mitt mina vår vårt våra er ert era ska skall kunna går gick
		fungerar fungera funkar fel felet problemet hjälp snälla igen
		fortfarande också bara någon något några alla inget ingen ej nej
		användare användaren behöver behov över under utan
	`) {
		stopWords[w] = true
	}
}

// Tokens normalises an incident's summary to its key tokens: words of
// letters, lower-cased rune by rune, without the words that hold a digit
// (ticket numbers, host names, error codes, dates), the stop words of
// English and Swedish and of the desk's own vocabulary, and words shorter
// than three or longer than 32 runes. Of the remaining distinct words the
// first MaxTokens in the summary are kept, returned sorted. Two summaries
// are similar when they share a key token; the detector groups incidents
// by each token within their service and category.
func Tokens(summary string) []string {
	var out []string
	for word := range strings.FieldsFuncSeq(summary, separator) {
		if len(out) == MaxTokens {
			break
		}
		tok, ok := keyWord(word)
		if ok && !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	slices.Sort(out)
	return out
}

// separator splits words on anything but letters, digits and marks (the
// marks keep a decomposed "å" in one word).
func separator(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

// keyWord lower-cases word and reports whether it is a key token.
func keyWord(word string) (string, bool) {
	n := utf8.RuneCountInString(word)
	if n < minToken || n > maxToken {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(word))
	for _, r := range word {
		if unicode.IsDigit(r) || r == utf8.RuneError {
			return "", false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	tok := b.String()
	return tok, !stopWords[tok]
}
