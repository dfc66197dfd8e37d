//go:build unix

package kvmguests_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/conflock"
	"github.com/sfkvm/sfkvm/kvmguests"
)

// WriteFile is refused while another run (sfkvm rotate, say) holds the
// file's lock, and leaves no lock of its own behind.
func TestWriteFileTakesTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvmguests.conf")
	cfg, diags := kvmguests.ParseBytes([]byte(""), path, kvmguests.Options{})
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	if err := kvmguests.WriteFile(path, cfg, kvmguests.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(conflock.Path(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WriteFile left its lock: %v", err)
	}
	o, _ := conflock.NewOwner("rotate", time.Hour)
	if err := conflock.Acquire(context.Background(), path, o); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("# rotate's\n"), 0o600)
	if err := kvmguests.WriteFile(path, cfg, kvmguests.Options{}); !errors.Is(err, kvmguests.ErrLocked) {
		t.Fatalf("WriteFile under another run's lock: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "# rotate's\n" {
		t.Errorf("the refused write changed the file: %q", b)
	}
}
