package cipher_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"golang.org/x/crypto/chacha20poly1305"
)

// Guests of the manual's example, at documentation addresses.
var (
	guest11 = cipher.GuestContext{Name: "guest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	guest12 = cipher.GuestContext{Name: "guest12", IP: netip.MustParseAddr("192.0.2.12"), User: "user2"}
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
	for _, pw := range []string{"", "a", "Passw0rd", "exactly-16-bytes", "fifteen-bytes!!", strings.Repeat("x", 100), "\x00\x80\xff binary", "\xc2"} {
		tok, err := k.Seal(cipher.SecretFromString(pw), guest11)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if !cipher.IsSealedToken(tok) || cipher.IsVendorToken(tok) || strings.ToUpper(tok) == tok {
			t.Errorf("token %q: wrong shape", tok)
		}
		got, err := k.Open(tok, guest11)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if string(got.Bytes()) != pw {
			t.Errorf("Open(Seal(%q)) = %q", pw, got.Bytes())
		}
		tok2, _ := k.Seal(cipher.SecretFromString(pw), guest11)
		if tok2 == tok {
			t.Errorf("two seals of one secret gave the same token: the nonce is not random")
		}
	}
}

// The pinned tokens: the key is the bytes 0..31, the nonce the bytes
// 0x40..0x57, the secret "Passw0rd". Any change to the format that would
// leave tokens already stored in files unreadable fails here.
const (
	pinnedV1 = "sfkvm1.AaZg3i9AQUJDREVGR0hJSktMTU5PUFFSU1RVVleEWHYDp9ALcg_0h76vnGWSxWv8syNsMTb6z6YRg6QvvA"
	pinnedV2 = "sfkvm1.AqZg3i9AQUJDREVGR0hJSktMTU5PUFFSU1RVVleEWHYDp9ALcg_0h76vnGWShLb_aKLKCH2XzshGRbyBqw"
)

func pinnedNonce() []byte {
	n := make([]byte, chacha20poly1305.NonceSizeX)
	for i := range n {
		n[i] = byte(0x40 + i)
	}
	return n
}

func TestSealedTokensArePinned(t *testing.T) {
	k := fuzzKey(t)
	restore := cipher.SetRandReader(bytes.NewReader(pinnedNonce()))
	tok, err := k.Seal(cipher.SecretFromString("Passw0rd"), guest11)
	restore()
	if err != nil {
		t.Fatal(err)
	}
	if tok != pinnedV2 {
		t.Errorf("Seal made\n%s\nwant the pinned version-2 token\n%s", tok, pinnedV2)
	}
	s, err := k.Open(pinnedV2, guest11)
	if err != nil || string(s.Bytes()) != "Passw0rd" {
		t.Errorf("the pinned version-2 token: %v", err)
	}

	// Version 1: refused unless asked, then opened with a warning.
	if _, err := k.Open(pinnedV1, guest11); !errors.Is(err, cipher.ErrUnboundToken) {
		t.Errorf("Open of a version-1 token: %v, want ErrUnboundToken", err)
	} else if !strings.Contains(err.Error(), "guest11") {
		t.Errorf("the refusal does not name the guest: %v", err)
	}
	s, warn, err := k.OpenWith(pinnedV1, guest11, cipher.OpenOptions{AllowVersion1: true})
	if err != nil || string(s.Bytes()) != "Passw0rd" {
		t.Fatalf("OpenWith(AllowVersion1) of the pinned version-1 token: %v", err)
	}
	if warn == nil || warn.Guest != guest11 || !strings.Contains(warn.String(), "version 1") || !strings.Contains(warn.String(), "guest11") {
		t.Errorf("warning %v: want a ResealWarning that names the guest", warn)
	}
	// A version-2 token gives no warning, with or without the option.
	if _, warn, err := k.OpenWith(pinnedV2, guest11, cipher.OpenOptions{AllowVersion1: true}); err != nil || warn != nil {
		t.Errorf("OpenWith of a version-2 token: warning %v, error %v", warn, err)
	}
}

// field is one field of the additional data as the package doc describes
// it: 4 bytes of length, big-endian, then the bytes.
func field(s string) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...) }

// TestSealedAdditionalDataIsTheDocumentedOne opens a token with
// x/crypto directly, with the additional data written out here from the
// documentation: a change of what the tag covers fails.
func TestSealedAdditionalDataIsTheDocumentedOne(t *testing.T) {
	k := fuzzKey(t)
	tok, err := k.Seal(cipher.SecretFromString("Passw0rd"), guest11)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, cipher.SealedPrefix))
	header, nonce, body := raw[:5], raw[5:29], raw[29:]
	if header[0] != 2 || fmt.Sprintf("%x", header[1:]) != k.ID() {
		t.Fatalf("header %x: want version 2 and key id %s", header, k.ID())
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	a, _ := chacha20poly1305.NewX(key)
	ad := func(name, ip, user string) []byte {
		b := append([]byte("sfkvm sealed"), header...)
		return append(append(append(b, field(name)...), field(ip)...), field(user)...)
	}
	plain, err := a.Open(nil, nonce, body, ad("guest11", "192.0.2.11", "user1"))
	if err != nil {
		t.Fatalf("the token does not open with the documented additional data: %v", err)
	}
	if want := append([]byte("Passw0rd\x80"), make([]byte, 7)...); !bytes.Equal(plain, want) {
		t.Errorf("plaintext %x, want %x", plain, want)
	}
	for _, wrong := range [][3]string{
		{"192.0.2.11", "guest11", "user1"}, // fields in another order
		{"guest11", "user1", "192.0.2.11"},
		{"user1", "192.0.2.11", "guest11"},
		{"guest11", "192.0.2.11", ""}, // a field dropped
		{"guest11", "", "user1"},
		{"", "192.0.2.11", "user1"},
	} {
		if _, err := a.Open(nil, nonce, body, ad(wrong[0], wrong[1], wrong[2])); err == nil {
			t.Errorf("the token opens with the additional data of %q", wrong)
		}
	}
}

// TestSealedTokenOpensOnlyForItsGuest: swapping two guests' tokens in
// kvmguests.conf must not give each the other's password.
func TestSealedTokenOpensOnlyForItsGuest(t *testing.T) {
	k := mustKey(t)
	tok11, _ := k.Seal(cipher.SecretFromString("password-of-11"), guest11)
	tok12, _ := k.Seal(cipher.SecretFromString("password-of-12"), guest12)
	if _, err := k.Open(tok12, guest11); !errors.Is(err, cipher.ErrTokenAltered) {
		t.Errorf("guest12's token opened for guest11: %v", err)
	}
	if _, err := k.Open(tok11, guest12); !errors.Is(err, cipher.ErrTokenAltered) {
		t.Errorf("guest11's token opened for guest12: %v", err)
	}
	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	for _, tc := range []struct {
		name        string
		sealed, use cipher.GuestContext
	}{
		{"another name", guest11, cipher.GuestContext{Name: "guest12", IP: guest11.IP, User: "user1"}},
		{"another IP", guest11, cipher.GuestContext{Name: "guest11", IP: ip("192.0.2.12"), User: "user1"}},
		{"another user", guest11, cipher.GuestContext{Name: "guest11", IP: guest11.IP, User: "root"}},
		{"name and user swapped", cipher.GuestContext{Name: "a", IP: guest11.IP, User: "b"}, cipher.GuestContext{Name: "b", IP: guest11.IP, User: "a"}},
		{"the IPv4-mapped form of the IP", guest11, cipher.GuestContext{Name: "guest11", IP: ip("::ffff:192.0.2.11"), User: "user1"}},
		// Without lengths, both would be "g11.2.3.4u": the boundaries count.
		{"a boundary moved", cipher.GuestContext{Name: "g1", IP: ip("1.2.3.4"), User: "u"}, cipher.GuestContext{Name: "g", IP: ip("11.2.3.4"), User: "u"}},
		{"a boundary moved into the user", cipher.GuestContext{Name: "g", IP: ip("1.2.3.4"), User: "1u"}, cipher.GuestContext{Name: "g", IP: ip("1.2.3.41"), User: "u"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := k.Seal(cipher.SecretFromString("Passw0rd"), tc.sealed)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Open(tok, tc.sealed); err != nil {
				t.Fatalf("does not open for its own guest: %v", err)
			}
			s, err := k.Open(tok, tc.use)
			if !errors.Is(err, cipher.ErrTokenAltered) {
				t.Fatalf("opened for %v: %v (secret len %d)", tc.use, err, s.Len())
			}
			if !strings.Contains(err.Error(), tc.use.Name) {
				t.Errorf("error %q does not name the guest it was opened for", err)
			}
		})
	}
	// The same address spelt otherwise is the same guest.
	g := cipher.GuestContext{Name: "g6", IP: ip("2001:db8::1"), User: "u"}
	tok, _ := k.Seal(cipher.SecretFromString("Passw0rd"), g)
	g.IP = ip("2001:DB8:0:0::0001")
	if _, err := k.Open(tok, g); err != nil {
		t.Errorf("another spelling of the same IPv6 address: %v", err)
	}
}

func TestSealAndOpenNeedTheWholeGuest(t *testing.T) {
	k := mustKey(t)
	tok, _ := k.Seal(cipher.SecretFromString("Passw0rd"), guest11)
	for _, g := range []cipher.GuestContext{
		{},
		{IP: guest11.IP, User: "user1"},
		{Name: "guest11", User: "user1"},
		{Name: "guest11", IP: guest11.IP},
	} {
		if _, err := k.Seal(cipher.SecretFromString("Passw0rd"), g); !errors.Is(err, cipher.ErrNoGuestContext) {
			t.Errorf("Seal for %#v: %v, want ErrNoGuestContext", g, err)
		}
		if _, _, err := k.OpenWith(tok, g, cipher.OpenOptions{AllowVersion1: true}); !errors.Is(err, cipher.ErrNoGuestContext) {
			t.Errorf("Open for %#v: %v, want ErrNoGuestContext", g, err)
		}
		if _, _, err := k.OpenWith(pinnedV1, g, cipher.OpenOptions{AllowVersion1: true}); !errors.Is(err, cipher.ErrNoGuestContext) {
			t.Errorf("Open of a version-1 token for %#v: %v, want ErrNoGuestContext", g, err)
		}
	}
}

func TestSealedTokenHidesLengthToSixteenBytes(t *testing.T) {
	k := mustKey(t)
	a, _ := k.Seal(cipher.SecretFromString("a"), guest11)
	b, _ := k.Seal(cipher.SecretFromString("fifteen-bytes!!"), guest11)
	c, _ := k.Seal(cipher.SecretFromString("sixteen-bytes!!!"), guest11)
	if len(a) != len(b) || len(c) == len(b) {
		t.Errorf("token lengths %d %d %d: want the first two equal, the third longer", len(a), len(b), len(c))
	}
}

func TestOpenRefuses(t *testing.T) {
	k := mustKey(t)
	other := mustKey(t)
	tok, err := k.Seal(cipher.SecretFromString("Passw0rd, two blocks"), guest11) // 20 bytes
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
		{"base64 with padding", k, tok + "==", cipher.ErrMalformedToken, nil},
		{"bad base64 length", k, cipher.SealedPrefix + "abcde", cipher.ErrMalformedToken, nil},
		// One base64 character less leaves a decodable length; strict decoding
		// refuses it unless the dropped bits happen to be zero (1 in 16).
		{"cut by one character", k, tok[:len(tok)-1], cipher.ErrMalformedToken, nil},
		{"cut by three bytes", k, reencode(raw[:len(raw)-3]), cipher.ErrMalformedToken, nil},
		{"cut by a whole block", k, reencode(raw[:len(raw)-16]), cipher.ErrTokenAltered, nil},
		{"one byte added", k, reencode(append(bytes.Clone(raw), 0)), cipher.ErrMalformedToken, nil},
		{"cut to the header", k, tok[:len(cipher.SealedPrefix)+20], cipher.ErrMalformedToken, nil},
		{"wrong key", other, tok, cipher.ErrWrongKey, nil},
		{"version 0", k, withVersion(0), cipher.ErrTokenVersion, nil},
		{"version 3", k, withVersion(3), cipher.ErrTokenVersion, nil},
		{"version 2 made 1", k, withVersion(1), cipher.ErrUnboundToken, nil},
		{"key id changed", k, flip(1), cipher.ErrWrongKey, nil},
		{"nonce changed", k, flip(10), cipher.ErrTokenAltered, nil},
		{"ciphertext changed", k, flip(len(raw) - 20), cipher.ErrTokenAltered, nil},
		{"tag changed", k, flip(len(raw) - 1), cipher.ErrTokenAltered, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.key.Open(tc.token, guest11)
			if !errors.Is(err, tc.want) && (tc.or == nil || !errors.Is(err, tc.or)) {
				t.Fatalf("Open: %v (secret len %d), want %v", err, s.Len(), tc.want)
			}
			if strings.Contains(err.Error(), "Passw0rd") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	// A version-2 token whose version byte says 1 does not open as version
	// 1 either: the version is authenticated.
	if _, _, err := k.OpenWith(withVersion(1), guest11, cipher.OpenOptions{AllowVersion1: true}); !errors.Is(err, cipher.ErrTokenAltered) {
		t.Errorf("version byte changed to 1, opened as version 1: %v", err)
	}
}

// TestOpenRefusesBadPadding: the rules inside the ciphertext, checked on
// tokens that authenticate (made with the key, but not by Seal).
func TestOpenRefusesBadPadding(t *testing.T) {
	k := mustKey(t)
	zeros := func(n int) []byte { return make([]byte, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	pw := []byte("Passw0rd")
	for _, tc := range []struct {
		name  string
		plain []byte
		want  error // nil: opens to open
		open  string
	}{
		{"what Seal makes", cat(pw, []byte{0x80}, zeros(7)), nil, "Passw0rd"},
		{"marker in the last byte", cat([]byte("fifteen-bytes!!"), []byte{0x80}), nil, "fifteen-bytes!!"},
		{"one block of padding only", cat([]byte{0x80}, zeros(15)), nil, ""},
		{"not whole blocks", cat(pw, []byte{0x80}, zeros(8)), cipher.ErrMalformedToken, ""},
		{"one block short of data: empty plaintext", nil, cipher.ErrMalformedToken, ""},
		{"no marker", cat(pw, zeros(8)), cipher.ErrMalformedToken, ""},
		{"all zeros", zeros(16), cipher.ErrMalformedToken, ""},
		{"another marker byte", cat(pw, []byte{0x81}, zeros(7)), cipher.ErrMalformedToken, ""},
		{"a byte after the marker", cat(pw, []byte{0x80, 1}, zeros(6)), cipher.ErrMalformedToken, ""},
		{"no padding at all", cat([]byte("sixteen-bytes!!!")), cipher.ErrMalformedToken, ""},
		{"a whole block of zeros more", cat(pw, []byte{0x80}, zeros(7+16)), cipher.ErrMalformedToken, ""},
		{"marker at the end of the block before", cat([]byte("fifteen-bytes!!"), []byte{0x80}, zeros(16)), cipher.ErrMalformedToken, ""},
	} {
		for _, v := range []byte{1, 2} {
			t.Run(fmt.Sprintf("%s/version %d", tc.name, v), func(t *testing.T) {
				tok, err := cipher.SealRaw(k, v, tc.plain, guest11)
				if err != nil {
					t.Fatal(err)
				}
				s, _, err := k.OpenWith(tok, guest11, cipher.OpenOptions{AllowVersion1: true})
				if tc.want == nil {
					if err != nil || string(s.Bytes()) != tc.open {
						t.Fatalf("Open: %q, %v; want %q", s.Bytes(), err, tc.open)
					}
					return
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("Open: %v (secret len %d), want %v", err, s.Len(), tc.want)
				}
			})
		}
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
	if _, err := k.Seal(cipher.SecretFromString("x"), guest11); err == nil {
		t.Error("Seal with a wiped key succeeded")
	}
	if _, err := k.Open("sfkvm1.AAAA", guest11); err == nil {
		t.Error("Open with a wiped key succeeded")
	}
}

// fuzzKey is a fixed key (the bytes 0..31) for the fuzz targets and the
// pinned tokens, so that seeds made with it open.
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
	f.Add(pinnedV1)
	f.Add(pinnedV2)
	f.Fuzz(func(t *testing.T, token string) {
		s, _, err := k.OpenWith(token, guest11, cipher.OpenOptions{AllowVersion1: true})
		if err != nil {
			if !errors.Is(err, cipher.ErrMalformedToken) && !errors.Is(err, cipher.ErrTokenVersion) &&
				!errors.Is(err, cipher.ErrWrongKey) && !errors.Is(err, cipher.ErrTokenAltered) {
				t.Fatalf("Open(%q): unexpected error %v", token, err)
			}
			return
		}
		tok, err := k.Seal(s, guest11)
		if err != nil {
			t.Fatal(err)
		}
		again, err := k.Open(tok, guest11)
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
		tok, err := k.Seal(cipher.NewSecret(bytes.Clone(secret)), guest11)
		if err != nil {
			t.Fatal(err)
		}
		if !cipher.IsSealedToken(tok) || cipher.IsVendorToken(tok) {
			t.Fatalf("token %q has the wrong shape", tok)
		}
		s, err := k.Open(tok, guest11)
		if err != nil || !bytes.Equal(s.Bytes(), secret) {
			t.Fatalf("Open(Seal(%q)): %v", secret, err)
		}
	})
}

func TestKeyForGuestIsAnEncrypterThatChecksThePolicy(t *testing.T) {
	k := mustKey(t)
	enc := k.ForGuest(guest11)
	tok, err := enc.Encrypt(context.Background(), []byte("Passw0rd"))
	if err != nil || !cipher.IsSealedToken(tok) {
		t.Fatalf("Encrypt: %q, %v", tok, err)
	}
	if s, err := k.Open(tok, guest11); err != nil || string(s.Bytes()) != "Passw0rd" {
		t.Errorf("the token does not open for its guest: %v", err)
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
