package cipher

import (
	"bytes"
	"context"
	stdcipher "crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/crypto/chacha20poly1305"
)

// The sealed format, version 1. A token is [SealedPrefix] followed by the
// base64url encoding, without padding, of
//
//	version (1 byte, 0x01) | key id (4 bytes) | nonce (24 bytes) | ciphertext and tag
//
// The ciphertext is XChaCha20-Poly1305 of the secret padded to a multiple of
// 16 bytes (a 0x80 byte, then zero bytes), so that a token shows the
// password's length only to the nearest 16 bytes. The additional data is
// "sfkvm sealed" followed by the version and the key id, so neither can be
// changed without Open failing. The key id is the first 4 bytes of
// SHA-256("sfkvm key id" | key): it lets Open say "another key" instead of
// "altered token", and says nothing useful about the key.
const (
	sealedVersion = 1
	keyIDSize     = 4
	sealedHeader  = 1 + keyIDSize
	sealPadBlock  = 16
	// KeySize is the size of a sealing key in bytes.
	KeySize = chacha20poly1305.KeySize
)

// Errors of Open, for errors.Is.
var (
	ErrMalformedToken = errors.New("not a well-formed sealed token")
	ErrTokenVersion   = errors.New("unknown sealed token version")
	ErrWrongKey       = errors.New("sealed with another key")
	ErrTokenAltered   = errors.New("sealed token does not authenticate (altered or cut)")
)

// Key is a key of sfkvm's sealed format. Make one with [NewKey],
// [CreateKeyFile] or [LoadKey]. It redacts itself in fmt and slog like a
// [Secret]. A Key is safe for concurrent use until Wipe.
type Key struct{ raw Secret }

// NewKey returns a fresh random key.
func NewKey() (*Key, error) {
	b := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return nil, fmt.Errorf("cipher: new key: %w", err)
	}
	return &Key{NewSecret(b)}, nil
}

// keyFromBytes returns a key that owns b (which must be KeySize long).
func keyFromBytes(b []byte) *Key { return &Key{NewSecret(b)} }

// ID returns the key's 4-byte identifier as 8 lowercase hex digits, the
// same in every token that the key seals.
func (k *Key) ID() string { return fmt.Sprintf("%x", k.id()) }

func (k *Key) id() []byte {
	h := sha256.New()
	h.Write([]byte("sfkvm key id"))
	h.Write(k.raw.Bytes())
	return h.Sum(nil)[:keyIDSize]
}

// Wipe zeroes the key; the Key is unusable afterwards.
func (k *Key) Wipe() { k.raw.Wipe() }

// String returns a redacted form of the key.
func (k *Key) String() string { return "cipher.Key(" + Redacted + ")" }

// Format redacts the key for every fmt verb.
func (k *Key) Format(f fmt.State, verb rune) { io.WriteString(f, k.String()) }

// LogValue redacts the key in log/slog.
func (k *Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

func (k *Key) aead() (stdcipher.AEAD, error) { return chacha20poly1305.NewX(k.raw.Bytes()) }

// additionalData binds the header (version and key id) to the ciphertext.
func additionalData(header []byte) []byte {
	return append([]byte("sfkvm sealed"), header...)
}

// minSealedLen is the length of the shortest well-formed token body: an
// empty secret still pads to one block.
const minSealedLen = sealedHeader + chacha20poly1305.NonceSizeX + sealPadBlock + chacha20poly1305.Overhead

// Seal encrypts secret into a token of the sealed format. Only sfkvm (with
// this key) can read it; PRIMECLUSTER cannot, so it never belongs in a
// kvmguests.conf that a cluster uses.
func (k *Key) Seal(secret Secret) (string, error) {
	if k == nil || len(k.raw.Bytes()) != KeySize {
		return "", errors.New("cipher: seal: no key (wiped or zero Key)")
	}
	a, err := k.aead()
	if err != nil {
		return "", fmt.Errorf("cipher: seal: %w", err)
	}
	plain := pad(secret.Bytes())
	defer wipe(plain)
	header := append([]byte{sealedVersion}, k.id()...)
	raw := make([]byte, sealedHeader+a.NonceSize(), sealedHeader+a.NonceSize()+len(plain)+a.Overhead())
	copy(raw, header)
	nonce := raw[sealedHeader:]
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return "", fmt.Errorf("cipher: seal: nonce: %w", err)
	}
	raw = a.Seal(raw, nonce, plain, additionalData(header))
	return SealedPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// Open decrypts a token made by Seal with the same key. Garbage, a token of
// another version, a token sealed with another key and an altered or cut
// token are errors (ErrMalformedToken, ErrTokenVersion, ErrWrongKey,
// ErrTokenAltered), never a panic. The caller wipes the returned Secret.
func (k *Key) Open(token string) (Secret, error) {
	if k == nil || len(k.raw.Bytes()) != KeySize {
		return Secret{}, errors.New("cipher: open: no key (wiped or zero Key)")
	}
	if !IsSealedToken(token) {
		return Secret{}, fmt.Errorf("cipher: open: %w: it must be %q followed by base64url", ErrMalformedToken, SealedPrefix)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token[len(SealedPrefix):])
	if err != nil {
		return Secret{}, fmt.Errorf("cipher: open: %w: bad base64url (%v)", ErrMalformedToken, err)
	}
	if len(raw) >= 1 && raw[0] != sealedVersion {
		return Secret{}, fmt.Errorf("cipher: open: %w %d (this sfkvm reads version %d)", ErrTokenVersion, raw[0], sealedVersion)
	}
	if len(raw) < minSealedLen {
		return Secret{}, fmt.Errorf("cipher: open: %w: %d bytes, at least %d expected (cut?)", ErrMalformedToken, len(raw), minSealedLen)
	}
	header := raw[:sealedHeader]
	if !bytes.Equal(header[1:], k.id()) {
		return Secret{}, fmt.Errorf("cipher: open: %w (token key id %x, this key %s)", ErrWrongKey, header[1:], k.ID())
	}
	a, err := k.aead()
	if err != nil {
		return Secret{}, fmt.Errorf("cipher: open: %w", err)
	}
	nonce := raw[sealedHeader : sealedHeader+a.NonceSize()]
	plain, err := a.Open(nil, nonce, raw[sealedHeader+a.NonceSize():], additionalData(header))
	if err != nil {
		return Secret{}, fmt.Errorf("cipher: open: %w", ErrTokenAltered)
	}
	n, ok := unpad(plain)
	if !ok {
		wipe(plain)
		return Secret{}, fmt.Errorf("cipher: open: %w: bad padding", ErrTokenAltered)
	}
	return NewSecret(plain[:n:n]), nil
}

// Encrypt seals password, so that a Key is an [Encrypter] too. It checks
// the password policy first, like the vendor path does.
func (k *Key) Encrypt(ctx context.Context, password []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	buf := append([]byte(nil), password...)
	s := NewSecret(buf)
	defer s.Wipe()
	return k.Seal(s)
}

// pad returns a new buffer: b, 0x80, then zeros to a multiple of sealPadBlock.
func pad(b []byte) []byte {
	n := (len(b)/sealPadBlock + 1) * sealPadBlock
	out := make([]byte, n)
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

// unpad returns the length of the secret in a padded buffer.
func unpad(b []byte) (int, bool) {
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case 0:
			continue
		case 0x80:
			return i, true
		}
		return 0, false
	}
	return 0, false
}
