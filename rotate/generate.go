package rotate

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
)

// GenerateAlphabet is what Generate draws from: letters, digits and
// punctuation that PRIMECLUSTER's policy allows and that no shell, sudoers
// or chpasswd line treats specially.
const GenerateAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.+%@#"

// DefaultGenerateLength is the length of a generated password: 20
// characters of 64 give 120 bits.
const DefaultGenerateLength = 20

// Generate returns a new password of n characters (0 means
// DefaultGenerateLength) drawn uniformly from GenerateAlphabet with
// crypto/rand. It passes cipher.CheckPassword.
func Generate(n int) (cipher.Secret, error) {
	if n <= 0 {
		n = DefaultGenerateLength
	}
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24 and later)
	for i := range b {
		b[i] = GenerateAlphabet[int(b[i])%len(GenerateAlphabet)] // 256 is a multiple of 64: uniform
	}
	s := cipher.NewSecret(b) // it keeps b, and wipes it with Wipe
	if err := cipher.CheckPassword(s.Bytes()); err != nil {
		s.Wipe()
		return cipher.Secret{}, err
	}
	return s, nil
}

// ErrExists: the file to hold a generated password exists already;
// it is never overwritten (it may hold the only copy of a password).
var ErrExists = errors.New("exists already; it is never overwritten")

// WritePasswordFile writes pw and a newline to a new file at path, mode
// 0600 from its first byte, synced, through internal/safefile: its folder
// must be root's or the caller's and closed to others. An existing path
// is refused (ErrExists).
func WritePasswordFile(path string, pw cipher.Secret) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	b := append(append([]byte(nil), pw.Bytes()...), '\n')
	defer clear(b)
	return safefile.WriteFile(path, b)
}
