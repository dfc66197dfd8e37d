// Package token knows the shapes of the two kinds of token that can stand
// in kvmguests.conf's guest_passwd field, and nothing else: no
// encryption, no keys, no I/O, no dependencies. It is a leaf, so that a
// parser of kvmguests.conf (package kvmguests, an in-house tool) can tell
// the kinds apart without importing package cipher, which drives sfcipher
// on a pseudo-terminal and builds only on Unix.
//
//   - A vendor token, printed by PRIMECLUSTER's sfcipher -c: a non-empty,
//     even-length run of uppercase hexadecimal digits, such as
//     D0860AB04E1B8FA3 ([IsVendor]); sfcipher prints whole 8-byte blocks,
//     [VendorBlockDigits] digits each. Only these can be read by
//     PRIMECLUSTER.
//   - An sfkvm sealed token (package cipher's own format): [SealedPrefix],
//     lowercase so that it can never be taken for a vendor token, then
//     base64url without padding ([IsSealed]).
//
// A shape says nothing of whether a token opens, or with which key.
//
//	switch {
//	case token.IsVendor(s): // PRIMECLUSTER can read it
//	case token.IsSealed(s): // sfkvm's own; cipher.Open with the key file
//	case token.IsHex(s):    // hexadecimal, but not as sfcipher prints it
//	default:                // not a token at all (a plain-text password?)
//	}
package token
