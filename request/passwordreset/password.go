package passwordreset

import (
	"crypto/rand"
	"strings"
)

// alphabet is what new passwords are made of: letters and digits without
// those read one for another (0 O o, 1 l I), so that a person can type
// what a mail shows. 56 characters: about 5.8 bits each.
const alphabet = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// Limits of Config.PasswordLength.
const (
	DefaultPasswordLength = 20 // about 116 bits
	MinPasswordLength     = 16
	MaxPasswordLength     = 64
)

// newPassword returns n characters of alphabet drawn uniformly with
// crypto/rand, with at least one digit, one lower-case and one upper-case
// letter, as directories commonly require: a draw without all three is
// drawn again, which keeps the accepted passwords uniform.
func newPassword(n int) string {
	const limit = 256 - 256%len(alphabet) // bytes at or above it would favour the first characters
	var b strings.Builder
	buf := make([]byte, 2*n)
	for {
		b.Reset()
		for b.Len() < n {
			rand.Read(buf) // never fails (crypto/rand)
			for _, c := range buf {
				if int(c) < limit && b.Len() < n {
					b.WriteByte(alphabet[int(c)%len(alphabet)])
				}
			}
		}
		p := b.String()
		if strings.ContainsAny(p, alphabet[:8]) && strings.ContainsAny(p, alphabet[8:32]) && strings.ContainsAny(p, alphabet[32:]) {
			return p
		}
	}
}
