package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// TempRoot gives the binary a folder of its own, and SharedTempDir is
// still the folder every binary shares: the one TMPDIR named before.
func TestSharedTempDirOutlivesTempRoot(t *testing.T) {
	base := t.TempDir()
	t.Setenv("TMPDIR", base)
	saved := sharedTemp
	t.Cleanup(func() { sharedTemp = saved })
	done := TempRoot()
	own := os.TempDir()
	if filepath.Dir(own) != base {
		t.Errorf("TempRoot's folder %s is not in %s", own, base)
	}
	if got := SharedTempDir(); got != base {
		t.Errorf("SharedTempDir() = %q after TempRoot, want %q", got, base)
	}
	done()
	if _, err := os.Stat(own); !os.IsNotExist(err) {
		t.Errorf("TempRoot's folder is still there: %v", err)
	}
}
