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
