package cipher

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// ErrSecretWiped is Password's error for a Secret that was wiped (or never
// held anything): there is no password left to give.
var ErrSecretWiped = errors.New("the secret was wiped")

// Redacted is what a Secret shows of itself wherever it is printed,
// marshalled or logged.
const Redacted = "[REDACTED]"

// Secret holds a password (or any other secret) as bytes that redact
// themselves in fmt (every verb, %#v included), JSON and log/slog, and that
// can be wiped. Other packages take a Secret as their password source.
//
// A Secret is a small handle: copies share the same bytes, so Wipe on any
// copy wipes them all. The zero Secret is empty.
//
// The bytes sit two pointers deep. A Secret in an unexported struct field
// is printed by fmt through reflection, without its methods; fmt follows
// one pointer at the top level (and for a bad verb such as %s on a
// pointer), but shows a pointer found inside that as an address. Two
// levels keep the bytes out of every such path.
type Secret struct{ p *secretBytes }

type secretBytes struct{ b *[]byte }

// NewSecret returns a Secret that owns b: it does not copy it, so that Wipe
// zeroes the caller's buffer too. The caller must not keep using b.
func NewSecret(b []byte) Secret { return Secret{&secretBytes{&b}} }

// SecretFromString returns a Secret holding a copy of s. Go strings cannot
// be wiped, so prefer NewSecret with bytes read from the source directly.
func SecretFromString(s string) Secret { return NewSecret([]byte(s)) }

// Bytes returns the secret's bytes (not a copy): valid until Wipe, never to
// be kept or printed. It is nil for the zero Secret and after Wipe.
func (s Secret) Bytes() []byte {
	if s.p == nil || s.p.b == nil {
		return nil
	}
	return *s.p.b
}

// Len returns the number of bytes of the secret.
func (s Secret) Len() int { return len(s.Bytes()) }

// Equal reports whether two secrets hold the same bytes, in time that does
// not depend on where they differ.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare(s.Bytes(), o.Bytes()) == 1
}

// Wipe zeroes the secret's bytes and forgets them. Safe on the zero Secret
// and more than once.
func (s Secret) Wipe() {
	if s.p == nil || s.p.b == nil {
		return
	}
	wipe(*s.p.b)
	s.p.b = nil
}

// Password returns a copy of the secret's bytes, which the caller wipes
// after use: with it a Secret is the password source of
// sshcheck.Target (sshcheck.PasswordSource, satisfied structurally: cipher
// does not import sshcheck), from file to wire with no conversion. A wiped
// or zero Secret is ErrSecretWiped.
func (s Secret) Password(context.Context) ([]byte, error) {
	b := s.Bytes()
	if b == nil {
		return nil, ErrSecretWiped
	}
	return bytes.Clone(b), nil
}

// String returns [Redacted].
func (s Secret) String() string { return Redacted }

// GoString returns a redacted Go-syntax form, for %#v.
func (s Secret) GoString() string { return "cipher.Secret(" + Redacted + ")" }

// Format redacts the secret for every fmt verb (%v %s %q %x %X %d ...).
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, s.GoString())
	case verb == 'q':
		io.WriteString(f, `"`+Redacted+`"`)
	default:
		io.WriteString(f, Redacted)
	}
}

// MarshalJSON returns the JSON string "[REDACTED]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns [Redacted], for encoders that use encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue redacts the secret in log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// wipe zeroes b. clear is not removed by the compiler, since b escapes.
func wipe(b []byte) { clear(b) }
