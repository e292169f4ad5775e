package passwordreset

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/spoc-itsm/spoc/itsm"
)

// Parameters of the hashes of answers.
const (
	// DefaultIterations is the PBKDF2-SHA256 iteration count of new
	// hashes when the configuration names none: OWASP's recommendation
	// for PBKDF2-HMAC-SHA256 (2023).
	DefaultIterations = 600_000
	// MinIterations is the least count a configuration may name, so that
	// a slip cannot make the hashes cheap to guess; tests run with it.
	MinIterations = 1_000
	// saltSize and hashSize are in bytes.
	saltSize = 16
	hashSize = 32
)

// Normalise returns the form of an answer that is compared: compatibility
// caseless (Unicode's D146: "Ö" typed as one character or as "O" and a
// combining diaeresis, "ß" and "SS", a full-width "Ａ" and "a" are alike),
// with runs of white space made one space and none at either end, in
// NFC. Normalising twice changes nothing more.
func Normalise(answer string) string {
	fold := cases.Fold()
	s := norm.NFKD.String(fold.String(norm.NFKD.String(fold.String(norm.NFD.String(answer)))))
	return norm.NFC.String(strings.Join(strings.Fields(s), " "))
}

// checkAnswer checks one answer to question as given and returns it
// normalised; an error names the question, never the answer.
func checkAnswer(question, answer string) (string, error) {
	if err := itsm.CheckLabel("the answer to control question "+question, answer); err != nil {
		return "", err
	}
	n := Normalise(answer)
	if n == "" {
		return "", itsm.Errorf(itsm.CodeInvalid, "the answer to control question %s is empty", question)
	}
	return n, nil
}

// hashed is one answer as stored: never the answer, only its PBKDF2-SHA256
// hash with the salt and count it was made with.
type hashed struct {
	Question   string `json:"question"`
	Iterations int    `json:"iterations"`
	Salt       []byte `json:"salt"`
	Hash       []byte `json:"hash"`
}

// hashAnswer hashes a normalised answer with a new random salt.
func hashAnswer(question, normalised string, iterations int) (hashed, error) {
	h := hashed{Question: question, Iterations: iterations, Salt: make([]byte, saltSize)}
	rand.Read(h.Salt) // never fails (crypto/rand)
	var err error
	h.Hash, err = derive(normalised, h.Salt, iterations)
	return h, err
}

// matches reports whether a normalised answer is the one h was made of, in
// time that does not depend on where they differ.
func (h hashed) matches(normalised string) (bool, error) {
	got, err := derive(normalised, h.Salt, h.Iterations)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, h.Hash) == 1, nil
}

func derive(normalised string, salt []byte, iterations int) ([]byte, error) {
	k, err := pbkdf2.Key(sha256.New, normalised, salt, iterations, hashSize)
	return k, itsm.Wrap(itsm.CodeInternal, err, "hash a control answer")
}
