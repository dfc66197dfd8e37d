package cipher_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
)

// TestLoadKeyOpensLikeEverySecret: LoadKey goes through the one guarded
// open of secrets (safefile.OpenPrivate), so its rules hold here too: a
// set-id or sticky bit is refused, with this package's sentinel.
func TestLoadKeyOpensLikeEverySecret(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if _, err := cipher.CreateKeyFile(good); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o600 | os.ModeSetuid, 0o600 | os.ModeSetgid, 0o600 | os.ModeSticky} {
		if err := os.Chmod(good, mode); err != nil {
			t.Fatal(err)
		}
		_, err := cipher.LoadKey(good)
		var ke *cipher.KeyFileError
		if !errors.Is(err, cipher.ErrKeyFileMode) || !errors.As(err, &ke) || ke.Path != good {
			t.Errorf("LoadKey of a key file with mode %v: %v, want a KeyFileError with ErrKeyFileMode", mode, err)
		}
	}
}
