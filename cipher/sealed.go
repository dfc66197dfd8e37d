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

// The sealed format. A token is [SealedPrefix] followed by the base64url
// encoding, without padding, of
//
//	version (1 byte) | key id (4 bytes) | nonce (24 bytes) | ciphertext and tag
//
// The prefix names the format's family and stays "sfkvm1." for every
// version; the version is the first byte of the body.
//
// The ciphertext is XChaCha20-Poly1305 of the secret padded to a multiple of
// 16 bytes (a 0x80 byte, then 0 to 15 zero bytes: exactly the padding that
// pad makes, nothing else opens), so that a token shows the password's
// length only to the nearest 16 bytes. The key id is the first 4 bytes of
// SHA-256("sfkvm key id" | key): it lets Open say "another key" instead of
// "altered token", and says nothing useful about the key.
//
// The additional data, which the tag authenticates but the token does not
// carry, is
//
//	version 1: "sfkvm sealed" | version | key id
//	version 2: "sfkvm sealed" | version | key id | field(guest-name) | field(guest_IP) | field(guest_user)
//
// where field(s) is the length of s as 4 bytes big-endian, then s, and
// guest_IP is written as netip.Addr.String writes it. So a version-2 token
// opens only for the guest it was sealed for: moved to another guest's
// line of kvmguests.conf, it does not open. Version 1 bound no guest; Seal
// no longer makes it, and Open reads it only when asked
// ([OpenOptions].AllowVersion1), with a warning to reseal.
const (
	sealedVersion1 = 1
	sealedVersion  = 2 // what Seal makes
	keyIDSize      = 4
	sealedHeader   = 1 + keyIDSize
	sealPadBlock   = 16
	// KeySize is the size of a sealing key in bytes.
	KeySize = chacha20poly1305.KeySize
)

// Errors of Open, for errors.Is.
var (
	ErrMalformedToken = errors.New("not a well-formed sealed token")
	ErrTokenVersion   = errors.New("unknown sealed token version")
	ErrWrongKey       = errors.New("sealed with another key")
	ErrTokenAltered   = errors.New("sealed token does not authenticate (sealed for another guest, or altered or cut)")
	// ErrUnboundToken: a token of version 1, which is bound to no guest,
	// and the caller did not ask to open those.
	ErrUnboundToken = errors.New("sealed token of version 1 is not bound to its guest")
	// ErrNoGuestContext: Seal or Open was called without a complete
	// GuestContext.
	ErrNoGuestContext = errors.New("no complete guest context (guest-name, guest_IP and guest_user are all needed)")
)

// randReader is where nonces and keys come from. Tests replace it to pin
// tokens byte for byte.
var randReader io.Reader = rand.Reader

// Key is a key of sfkvm's sealed format. Make one with [NewKey],
// [CreateKeyFile] or [LoadKey]. It redacts itself in fmt and slog like a
// [Secret]. A Key is safe for concurrent use until Wipe.
type Key struct{ raw Secret }

// NewKey returns a fresh random key.
func NewKey() (*Key, error) {
	b := make([]byte, KeySize)
	if _, err := io.ReadFull(randReader, b); err != nil {
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

func (k *Key) usable() bool { return k != nil && len(k.raw.Bytes()) == KeySize }

// additionalData is what the tag authenticates besides the ciphertext:
// the header (version and key id) and, from version 2, the guest.
func additionalData(header []byte, guest GuestContext) []byte {
	ad := append([]byte("sfkvm sealed"), header...)
	if header[0] == sealedVersion1 {
		return ad
	}
	return guest.appendTo(ad)
}

// minSealedLen is the length of the shortest well-formed token body: an
// empty secret still pads to one block.
const minSealedLen = sealedHeader + chacha20poly1305.NonceSizeX + sealPadBlock + chacha20poly1305.Overhead

// Seal encrypts secret into a token of the sealed format, version 2, bound
// to guest: it opens only with this key and the same guest-name, guest_IP
// and guest_user. Only sfkvm can read it; PRIMECLUSTER cannot, so it never
// belongs in a kvmguests.conf that a cluster uses.
func (k *Key) Seal(secret Secret, guest GuestContext) (string, error) {
	if !k.usable() {
		return "", errors.New("cipher: seal: no key (wiped or zero Key)")
	}
	if err := guest.check(); err != nil {
		return "", fmt.Errorf("cipher: seal: %w", err)
	}
	return k.seal(sealedVersion, pad(secret.Bytes()), guest)
}

// seal encrypts plain (which it wipes) as a token of version v.
func (k *Key) seal(v byte, plain []byte, guest GuestContext) (string, error) {
	defer wipe(plain)
	a, err := k.aead()
	if err != nil {
		return "", fmt.Errorf("cipher: seal: %w", err)
	}
	header := append([]byte{v}, k.id()...)
	raw := make([]byte, sealedHeader+a.NonceSize(), sealedHeader+a.NonceSize()+len(plain)+a.Overhead())
	copy(raw, header)
	nonce := raw[sealedHeader:]
	if _, err := io.ReadFull(randReader, nonce); err != nil {
		return "", fmt.Errorf("cipher: seal: nonce: %w", err)
	}
	raw = a.Seal(raw, nonce, plain, additionalData(header, guest))
	return SealedPrefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// OpenOptions change what Open accepts.
type OpenOptions struct {
	// AllowVersion1 opens tokens of version 1, which are bound to no
	// guest (a token moved to another guest's line opens there too). The
	// caller must show the *ResealWarning that comes back.
	AllowVersion1 bool
}

// ResealWarning is what opening a version-1 token returns besides the
// secret: the token opened, but it should be sealed again, so that it is
// bound to its guest.
type ResealWarning struct {
	Guest GuestContext // the guest whose line held the token
}

func (w *ResealWarning) String() string {
	return fmt.Sprintf("the sealed token of %s is of version 1, which is not bound to its guest: seal the password again for this guest", w.Guest)
}

// Open decrypts a token that Seal made with the same key for the same
// guest. Garbage, a token of an unknown version, a token sealed with
// another key, a token sealed for another guest and an altered or cut
// token are errors (ErrMalformedToken, ErrTokenVersion, ErrWrongKey,
// ErrTokenAltered), never a panic; a version-1 token is refused with
// ErrUnboundToken (see [Key.OpenWith]). The caller wipes the returned
// Secret.
func (k *Key) Open(token string, guest GuestContext) (Secret, error) {
	s, _, err := k.OpenWith(token, guest, OpenOptions{})
	return s, err
}

// OpenWith is Open with options. When it opens a version-1 token (only
// with AllowVersion1) warn is not nil, and the caller must show it.
func (k *Key) OpenWith(token string, guest GuestContext, opts OpenOptions) (s Secret, warn *ResealWarning, err error) {
	if !k.usable() {
		return Secret{}, nil, errors.New("cipher: open: no key (wiped or zero Key)")
	}
	if err := guest.check(); err != nil {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w", err)
	}
	if !IsSealedToken(token) {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w: it must be %q followed by base64url", ErrMalformedToken, SealedPrefix)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token[len(SealedPrefix):])
	if err != nil {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w: bad base64url (%v)", ErrMalformedToken, err)
	}
	if len(raw) >= 1 && raw[0] != sealedVersion && raw[0] != sealedVersion1 {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w %d (this sfkvm reads versions %d and %d)", ErrTokenVersion, raw[0], sealedVersion1, sealedVersion)
	}
	if len(raw) < minSealedLen {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w: %d bytes, at least %d expected (cut?)", ErrMalformedToken, len(raw), minSealedLen)
	}
	header := raw[:sealedHeader]
	if !bytes.Equal(header[1:], k.id()) {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w (token key id %x, this key %s)", ErrWrongKey, header[1:], k.ID())
	}
	if header[0] == sealedVersion1 {
		if !opts.AllowVersion1 {
			return Secret{}, nil, fmt.Errorf("cipher: open: %w (%s): seal the password again for this guest", ErrUnboundToken, guest)
		}
		warn = &ResealWarning{Guest: guest}
	}
	a, err := k.aead()
	if err != nil {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w", err)
	}
	nonce := raw[sealedHeader : sealedHeader+a.NonceSize()]
	body := raw[sealedHeader+a.NonceSize():]
	if (len(body)-a.Overhead())%sealPadBlock != 0 {
		return Secret{}, nil, fmt.Errorf("cipher: open: %w: the sealed part is %d bytes, not whole blocks of %d and a tag of %d (cut?)", ErrMalformedToken, len(body), sealPadBlock, a.Overhead())
	}
	plain, err := a.Open(nil, nonce, body, additionalData(header, guest))
	if err != nil {
		if header[0] == sealedVersion1 {
			return Secret{}, nil, fmt.Errorf("cipher: open: %w", ErrTokenAltered)
		}
		return Secret{}, nil, fmt.Errorf("cipher: open: %w: is it the token of %s?", ErrTokenAltered, guest)
	}
	n, ok := unpad(plain)
	if !ok {
		wipe(plain)
		return Secret{}, nil, fmt.Errorf("cipher: open: %w: bad padding", ErrMalformedToken)
	}
	return NewSecret(plain[:n:n]), warn, nil
}

// ForGuest returns an [Encrypter] that seals for guest, so that a Key can
// stand where the vendor's [Sfcipher] does. It checks the password policy
// first, like the vendor path does.
func (k *Key) ForGuest(guest GuestContext) Encrypter { return guestSealer{k, guest} }

type guestSealer struct {
	key   *Key
	guest GuestContext
}

func (g guestSealer) Encrypt(ctx context.Context, password []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	buf := append([]byte(nil), password...)
	s := NewSecret(buf)
	defer s.Wipe()
	return g.key.Seal(s, g.guest)
}

// pad returns a new buffer: b, 0x80, then zeros to a multiple of sealPadBlock.
func pad(b []byte) []byte {
	n := (len(b)/sealPadBlock + 1) * sealPadBlock
	out := make([]byte, n)
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

// unpad returns the length of the secret in a padded buffer. Only what pad
// makes is accepted: whole blocks, the last non-zero byte 0x80, and fewer
// than sealPadBlock zeros after it (so no block is padding only).
func unpad(b []byte) (int, bool) {
	if len(b) == 0 || len(b)%sealPadBlock != 0 {
		return 0, false
	}
	i := len(b) - 1
	for i >= 0 && b[i] == 0 {
		i--
	}
	if i < 0 || b[i] != 0x80 || len(b)-i > sealPadBlock {
		return 0, false
	}
	return i, true
}
