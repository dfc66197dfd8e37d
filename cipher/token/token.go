package token

import "strings"

// SealedPrefix starts every token of sfkvm's own sealed format. It is
// lowercase, so a sealed token can never be mistaken for (or deployed as) a
// token of the vendor's sfcipher, which is uppercase hexadecimal.
const SealedPrefix = "sfkvm1."

// VendorBlockDigits is how many hexadecimal digits sfcipher prints per
// 8-byte block: a vendor token's length is a multiple of it.
const VendorBlockDigits = 16

// IsVendor reports whether s has the shape of a token printed by the
// vendor's sfcipher: a non-empty, even-length run of uppercase hexadecimal
// digits. Only such tokens can be read by PRIMECLUSTER.
func IsVendor(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !upperHex[s[i]] {
			return false
		}
	}
	return true
}

// upperHex marks the digits of an sfcipher token. A table lookup, because
// kvmguests checks one token per line of files with many lines.
var upperHex = func() (t [256]bool) {
	for _, c := range "0123456789ABCDEF" {
		t[c] = true
	}
	return t
}()

// IsHex reports whether s is a non-empty run of hexadecimal digits of
// either case, of any length: what a vendor token mangled by hand (lower
// case, a digit lost) still looks like.
func IsHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// IsSealed reports whether s has the shape of a token of sfkvm's own
// sealed format: SealedPrefix, then at least one character of the
// base64url alphabet without padding. It says nothing of whether it opens
// with a given key.
func IsSealed(s string) bool {
	rest, ok := strings.CutPrefix(s, SealedPrefix)
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
