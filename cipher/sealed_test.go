package cipher_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
)

func mustKey(t testing.TB) *cipher.Key {
	t.Helper()
	k, err := cipher.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustKey(t)
	for _, pw := range []string{"", "a", "Passw0rd", "exactly-16-bytes", strings.Repeat("x", 100), "\x00\x80\xff binary"} {
		tok, err := k.Seal(cipher.SecretFromString(pw))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if !cipher.IsSealedToken(tok) || cipher.IsVendorToken(tok) || strings.ToUpper(tok) == tok {
			t.Errorf("token %q: wrong shape", tok)
		}
		got, err := k.Open(tok)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if string(got.Bytes()) != pw {
			t.Errorf("Open(Seal(%q)) = %q", pw, got.Bytes())
		}
		tok2, _ := k.Seal(cipher.SecretFromString(pw))
		if tok2 == tok {
			t.Errorf("two seals of one secret gave the same token: the nonce is not random")
		}
	}
}

func TestSealedTokenHidesLengthToSixteenBytes(t *testing.T) {
	k := mustKey(t)
	a, _ := k.Seal(cipher.SecretFromString("a"))
	b, _ := k.Seal(cipher.SecretFromString("fifteen-bytes!!"))
	c, _ := k.Seal(cipher.SecretFromString("sixteen-bytes!!!"))
	if len(a) != len(b) || len(c) == len(b) {
		t.Errorf("token lengths %d %d %d: want the first two equal, the third longer", len(a), len(b), len(c))
	}
}

func TestOpenRefuses(t *testing.T) {
	k := mustKey(t)
	other := mustKey(t)
	tok, err := k.Seal(cipher.SecretFromString("Passw0rd, two blocks")) // 20 bytes
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, cipher.SealedPrefix))
	reencode := func(b []byte) string { return cipher.SealedPrefix + base64.RawURLEncoding.EncodeToString(b) }
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return reencode(b)
	}
	withVersion := func(v byte) string {
		b := bytes.Clone(raw)
		b[0] = v
		return reencode(b)
	}
	for _, tc := range []struct {
		name  string
		key   *cipher.Key
		token string
		want  error
		or    error // another acceptable error, where the cut lands by chance
	}{
		{"vendor token", k, "D0860AB04E1B8FA3", cipher.ErrMalformedToken, nil},
		{"empty", k, "", cipher.ErrMalformedToken, nil},
		{"prefix only", k, cipher.SealedPrefix, cipher.ErrMalformedToken, nil},
		{"not base64url", k, cipher.SealedPrefix + "ab+/", cipher.ErrMalformedToken, nil},
		{"bad base64 length", k, cipher.SealedPrefix + "abcde", cipher.ErrMalformedToken, nil},
		// One base64 character less leaves a decodable length; strict decoding
		// refuses it unless the dropped bits happen to be zero (1 in 16).
		{"cut by one character", k, tok[:len(tok)-1], cipher.ErrMalformedToken, cipher.ErrTokenAltered},
		{"cut by three bytes", k, reencode(raw[:len(raw)-3]), cipher.ErrTokenAltered, nil},
		{"cut to the header", k, tok[:len(cipher.SealedPrefix)+20], cipher.ErrMalformedToken, nil},
		{"wrong key", other, tok, cipher.ErrWrongKey, nil},
		{"version 2", k, withVersion(2), cipher.ErrTokenVersion, nil},
		{"key id changed", k, flip(1), cipher.ErrWrongKey, nil},
		{"nonce changed", k, flip(10), cipher.ErrTokenAltered, nil},
		{"ciphertext changed", k, flip(len(raw) - 20), cipher.ErrTokenAltered, nil},
		{"tag changed", k, flip(len(raw) - 1), cipher.ErrTokenAltered, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.key.Open(tc.token)
			if !errors.Is(err, tc.want) && (tc.or == nil || !errors.Is(err, tc.or)) {
				t.Fatalf("Open: %v (secret len %d), want %v", err, s.Len(), tc.want)
			}
			if strings.Contains(err.Error(), "Passw0rd") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestKeyRedactsItselfAndWipes(t *testing.T) {
	k := fuzzKey(t) // the bytes 0, 1, ..., 31
	type holder struct {
		key *cipher.Key
		val cipher.Key
	}
	out := fmt.Sprintf("%v %s %x %X %#v %+v %#v %v", k, k, k, k, k, holder{k, *k}, holder{k, *k}, &holder{k, *k})
	for _, leak := range []string{"1 2 3 4 5", "0102030405", "AAECAwQF", "\x01\x02"} {
		if strings.Contains(out, leak) {
			t.Errorf("key printed: %s", out)
		}
	}
	if got := fmt.Sprintf("%v", k); got != "cipher.Key([REDACTED])" {
		t.Errorf("%%v of a Key = %s", got)
	}
	if len(k.ID()) != 8 {
		t.Errorf("ID() = %q", k.ID())
	}
	k.Wipe()
	if _, err := k.Seal(cipher.SecretFromString("x")); err == nil {
		t.Error("Seal with a wiped key succeeded")
	}
	if _, err := k.Open("sfkvm1.AAAA"); err == nil {
		t.Error("Open with a wiped key succeeded")
	}
}

// fuzzKey is a fixed key for the fuzz targets, so that seeds made with it
// open.
func fuzzKey(t testing.TB) *cipher.Key {
	t.Helper()
	k, err := cipher.ReadKey(strings.NewReader("sfkvm-key 1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"), "fuzz key")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// FuzzOpen: any string is refused with one of Open's errors or opens; it
// never panics, and what opens seals and opens again to the same bytes.
func FuzzOpen(f *testing.F) {
	k := fuzzKey(f)
	f.Fuzz(func(t *testing.T, token string) {
		s, err := k.Open(token)
		if err != nil {
			if !errors.Is(err, cipher.ErrMalformedToken) && !errors.Is(err, cipher.ErrTokenVersion) &&
				!errors.Is(err, cipher.ErrWrongKey) && !errors.Is(err, cipher.ErrTokenAltered) {
				t.Fatalf("Open(%q): unexpected error %v", token, err)
			}
			return
		}
		tok, err := k.Seal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := k.Open(tok)
		if err != nil || !again.Equal(s) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

// FuzzSealOpen: every secret round-trips and gives a sealed, never a
// vendor-shaped, token.
func FuzzSealOpen(f *testing.F) {
	k := fuzzKey(f)
	f.Add([]byte("Passw0rd"))
	f.Fuzz(func(t *testing.T, secret []byte) {
		tok, err := k.Seal(cipher.NewSecret(bytes.Clone(secret)))
		if err != nil {
			t.Fatal(err)
		}
		if !cipher.IsSealedToken(tok) || cipher.IsVendorToken(tok) {
			t.Fatalf("token %q has the wrong shape", tok)
		}
		s, err := k.Open(tok)
		if err != nil || !bytes.Equal(s.Bytes(), secret) {
			t.Fatalf("Open(Seal(%q)): %v", secret, err)
		}
	})
}

func TestKeyIsAnEncrypterThatChecksThePolicy(t *testing.T) {
	var enc cipher.Encrypter = mustKey(t)
	tok, err := enc.Encrypt(context.Background(), []byte("Passw0rd"))
	if err != nil || !cipher.IsSealedToken(tok) {
		t.Fatalf("Encrypt: %q, %v", tok, err)
	}
	if _, err := enc.Encrypt(context.Background(), []byte("Pass;word")); !errors.Is(err, cipher.ErrForbiddenCharacter) {
		t.Errorf("Encrypt of a password against the policy: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := enc.Encrypt(ctx, []byte("Passw0rd")); !errors.Is(err, context.Canceled) {
		t.Errorf("Encrypt with an ended context: %v", err)
	}
}
