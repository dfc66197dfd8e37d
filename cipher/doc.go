// Package cipher holds the rules for the guest_passwd tokens of
// kvmguests.conf (steps 1.2 and 1.3 of PRIMECLUSTER's F.2.2 procedure).
//
// Only tokens printed by the vendor's sfcipher -c can be read by
// PRIMECLUSTER: an even-length run of uppercase hexadecimal digits such as
// D0860AB04E1B8FA3 ([IsVendorToken]). sfkvm's own sealed format
// ([IsSealedToken], prefix [SealedPrefix]) exists for tests, the demo and
// in-house credential stores; its shape can never be mistaken for the
// vendor's.
package cipher
