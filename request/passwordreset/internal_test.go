package passwordreset

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestNewPassword: the length asked, only the alphabet's characters, a
// digit and letters of both cases in each, and no two alike.
func TestNewPassword(t *testing.T) {
	if len(alphabet) != 56 || strings.ContainsAny(alphabet, "0Oo1lI") || alphabet[:8] != "23456789" ||
		alphabet[8:32] != "abcdefghijkmnpqrstuvwxyz" || alphabet[32:] != "ABCDEFGHJKLMNPQRSTUVWXYZ" {
		t.Fatalf("alphabet %q", alphabet)
	}
	for _, c := range alphabet {
		if strings.Count(alphabet, string(c)) != 1 {
			t.Fatalf("%q twice in the alphabet", c)
		}
	}
	seen := map[string]bool{}
	for n := MinPasswordLength; n <= MaxPasswordLength; n++ {
		p := newPassword(n)
		if len(p) != n || strings.Trim(p, alphabet) != "" || seen[p] ||
			!strings.ContainsAny(p, "23456789") || p == strings.ToLower(p) || p == strings.ToUpper(p) {
			t.Fatalf("newPassword(%d) = %q", n, p)
		}
		seen[p] = true
	}
}

// TestNewPasswordUniform: over many draws every character of the alphabet
// comes about as often as the others (a biased draw, such as one taking a
// byte modulo 56 without rejection, makes the first ones come 25% more
// often than the rest).
func TestNewPasswordUniform(t *testing.T) {
	counts := map[rune]int{}
	const draws = 4000
	for range draws {
		for _, c := range newPassword(MaxPasswordLength) {
			counts[c]++
		}
	}
	mean := float64(draws*MaxPasswordLength) / float64(len(alphabet))
	for _, c := range alphabet {
		if d := float64(counts[c])/mean - 1; d > 0.08 || d < -0.08 {
			t.Errorf("%q drawn %d times, %.1f%% from the mean %.0f", c, counts[c], 100*d, mean)
		}
	}
}

// FuzzAnswer: normalising is idempotent and yields one line without
// spaces at either end; a hash of one answer matches another exactly when
// their normal forms are equal; an error never repeats an answer.
func FuzzAnswer(f *testing.F) {
	f.Add("Östra skolan", "ostra skolan")
	f.Fuzz(func(t *testing.T, enrolled, given string) {
		a, err := checkAnswer("q", enrolled)
		if err != nil {
			if len(enrolled) > 3 && strings.Contains(err.Error(), enrolled) {
				t.Fatalf("%q repeats the answer", err)
			}
			return
		}
		if Normalise(a) != a || a != strings.TrimSpace(a) || strings.ContainsAny(a, "\n\r\t") || !utf8.ValidString(a) {
			t.Fatalf("Normalise(%q) = %q, not a fixed point of one line", enrolled, a)
		}
		h, err := hashAnswer("q", a, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := checkAnswer("q", given)
		if err != nil {
			return
		}
		got, err := h.matches(b)
		if err != nil || got != (a == b) {
			t.Fatalf("%q (%q) against %q (%q): match %v (%v)", enrolled, a, given, b, got, err)
		}
	})
}

// TestNormalise: what a person may type differently and still mean the
// same answer is alike; other letters are not.
func TestNormalise(t *testing.T) {
	for _, p := range [][2]string{
		{"O\u0308stra skolan", "Östra  SKOLAN"},
		{"Straße", "STRASSE"},
		{"ＡＢＣ１２３", "abc123"},
		{"ΟΔΟΣ", "οδος"},
		{"ﬁsk", "fisk"},
		{" Hunden\u00a0Quixotte\t", "hunden \u2003 quixotte"},
		{"\u212a\u212b", "kå"},
	} {
		if a, b := Normalise(p[0]), Normalise(p[1]); a != b {
			t.Errorf("%q is %q, %q is %q", p[0], a, p[1], b)
		}
	}
	for _, p := range [][2]string{{"Östra", "Ostra"}, {"Åsa", "Asa"}, {"a b", "ab"}, {"skola 1", "skola 2"}} {
		if Normalise(p[0]) == Normalise(p[1]) {
			t.Errorf("%q and %q are alike", p[0], p[1])
		}
	}
}

// BenchmarkHashAnswer measures one hash at DefaultIterations, the cost of
// each answer at enrolment and at every verification, and reports it as a
// ratio to a hash at MinIterations timed in the same run: about
// DefaultIterations/MinIterations when the cost is all in the iterations.
func BenchmarkHashAnswer(b *testing.B) {
	hash := func(iterations int) {
		if _, err := hashAnswer("q", "kvarnbyskolan", iterations); err != nil {
			b.Fatal(err)
		}
	}
	const baseRuns = 200
	start := time.Now()
	for range baseRuns {
		hash(MinIterations)
	}
	base := time.Since(start) / baseRuns
	for b.Loop() {
		hash(DefaultIterations)
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x-min-iterations")
}
