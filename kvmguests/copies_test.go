package kvmguests

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCompareFilesRefusesWhatIsNotAFile: compare reads its inputs as check
// does: a device (/dev/zero once grew compare to 7.6 GB), a FIFO (it once
// blocked), a folder, or a file over MaxSize is refused, on either side,
// without blocking and without reading it.
func TestCompareFilesRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.conf")
	writeReal(t, ok, good, 0o600, -1)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.conf")
	writeReal(t, big, "", 0o600, -1)
	if err := os.Truncate(big, MaxSize+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want error
		says string
	}{
		{"/dev/zero", ErrNotRegular, "/dev/zero: is not a regular file (a character device)"},
		{fifo, ErrNotRegular, fifo + ": is not a regular file (a FIFO)"},
		{dir, ErrNotRegular, dir + ": is not a regular file (a folder)"},
		{big, ErrTooLarge, "reading " + big + ": larger than 64 MiB"},
		{filepath.Join(dir, "none"), os.ErrNotExist, filepath.Join(dir, "none")},
	} {
		within(t, func() {
			for _, pair := range [][2]string{{ok, tc.path}, {tc.path, ok}} {
				if _, err := CompareFiles(pair[0], pair[1]); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("CompareFiles(%s, %s) = %v, want %v saying %q", pair[0], pair[1], err, tc.want, tc.says)
				}
			}
			if _, err := ReadCopy(tc.path); !errors.Is(err, tc.want) {
				t.Errorf("ReadCopy(%s) = %v, want %v", tc.path, err, tc.want)
			}
		})
	}
}

func TestCompareFiles(t *testing.T) {
	dir := t.TempDir()
	a, same, other, link := filepath.Join(dir, "a"), filepath.Join(dir, "same"), filepath.Join(dir, "other"), filepath.Join(dir, "link")
	writeReal(t, a, good, 0o644, -1)
	writeReal(t, same, good, 0o600, -1)
	writeReal(t, other, strings.Replace(good, "cfhost1", "cfhost2", 1), 0o600, -1)
	if err := os.Symlink(same, link); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{same, link} {
		if c, err := CompareFiles(a, b); err != nil || !c.Identical || c.Diff != "" || c.A != a || c.B != b {
			t.Errorf("CompareFiles(%s, %s) = %+v, %v; want identical", a, b, c, err)
		}
	}
	c, err := CompareFiles(a, other)
	if err != nil || c.Identical || !strings.Contains(c.Diff, "--- "+a+"\n+++ "+other+"\n@@ -1 +1 @@\n-guest11 cfhost1 ") || strings.Contains(c.Diff, "D0860AB04E1B8FA3") {
		t.Errorf("CompareFiles(a, other) = %+v, %v", c, err)
	}
	cp, err := ReadCopy(a)
	if err != nil || cp.Name != a || string(cp.Data) != good {
		t.Errorf("ReadCopy = %+v, %v", cp, err)
	}
}
