package cipher

import (
	"bytes"
	"io"
)

// SetRandReader makes r the source of nonces and keys until the returned
// function is called, so that tests can pin tokens byte for byte. Tests
// that call it must not run in parallel.
func SetRandReader(r io.Reader) (restore func()) {
	old := randReader
	randReader = r
	return func() { randReader = old }
}

// SealRaw seals plain, as it is (no padding added), as a token of version
// v: for the tests of the rules that Open applies inside the ciphertext.
func SealRaw(k *Key, v byte, plain []byte, guest GuestContext) (string, error) {
	return k.seal(v, bytes.Clone(plain), guest)
}

// SetToolTrust changes where FindSfcipher looks before PATH, the folder
// from which CheckTool checks the folders above a tool below it, and the
// uid that must own them, until the returned function is called. Tests
// that call it must not run in parallel.
func SetToolTrust(dirs []string, root string, uid int) (restore func()) {
	oldDirs, oldRoot, oldUID := vendorDirs, trustRoot, trustedUID
	vendorDirs, trustRoot, trustedUID = dirs, root, uid
	return func() { vendorDirs, trustRoot, trustedUID = oldDirs, oldRoot, oldUID }
}
