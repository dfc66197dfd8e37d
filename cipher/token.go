package cipher

import "github.com/sfkvm/sfkvm/cipher/token"

// SealedPrefix starts every token of sfkvm's own sealed format (see
// package cipher/token, where the shapes are defined).
const SealedPrefix = token.SealedPrefix

// IsVendorToken reports whether s has the shape of a token printed by the
// vendor's sfcipher: token.IsVendor, kept here beside the tool's driver.
func IsVendorToken(s string) bool { return token.IsVendor(s) }

// IsSealedToken reports whether s has the shape of a token of sfkvm's own
// sealed format: token.IsSealed, kept here beside Seal and Open.
func IsSealedToken(s string) bool { return token.IsSealed(s) }
