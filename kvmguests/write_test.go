package kvmguests

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

func mustParse(t *testing.T, s string) *Config {
	t.Helper()
	cfg, diags := ParseBytes([]byte(s), "t", Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

func TestWriteFileIsAtomicAnd0600(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0) // the file is 0600 whatever the umask
	defer syscall.Umask(old)
	path := filepath.Join(dir, "kvmguests.conf")
	writeReal(t, path, "old contents\n", 0o644, -1)

	// Watch the temporary file's mode at the moment its first byte exists.
	var seen fs.FileMode
	safefile.AfterWrite = func(f *os.File) error {
		fi, err := f.Stat()
		if err == nil {
			seen = fi.Mode().Perm()
		}
		return err
	}
	defer func() { safefile.AfterWrite = func(*os.File) error { return nil } }()

	if err := WriteFile(path, mustParse(t, good), Options{}); err != nil {
		t.Fatal(err)
	}
	if seen != 0o600 {
		t.Errorf("temporary file mode %04o while written, want 0600", seen)
	}
	b, _ := os.ReadFile(path)
	if string(b) != good {
		t.Errorf("contents = %q", b)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", fi.Mode().Perm())
	}
	assertNoTemp(t, dir)
}

func TestWriteFileFailureKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kvmguests.conf")
	writeReal(t, path, "previous\n", 0o600, -1)

	diskFull := errors.New("no space left on device")
	safefile.AfterWrite = func(*os.File) error { return diskFull }
	err := WriteFile(path, mustParse(t, good), Options{})
	safefile.AfterWrite = func(*os.File) error { return nil }
	if !errors.Is(err, diskFull) {
		t.Fatalf("err = %v, want the write failure", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous\n" {
		t.Errorf("previous file changed: %q", b)
	}
	assertNoTemp(t, dir)
}

func TestWriteFileRenameFailureKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kvmguests.conf")
	// A non-empty directory in the way: rename(2) fails for real.
	if err := os.MkdirAll(filepath.Join(path, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, mustParse(t, good), Options{}); err == nil {
		t.Fatal("WriteFile over a non-empty directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(path, "x")); err != nil {
		t.Errorf("what was there is gone: %v", err)
	}
	assertNoTemp(t, dir)
}

func TestWriteFileRefusesErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kvmguests.conf")
	writeReal(t, path, "previous\n", 0o600, -1)
	cfg, _ := ParseBytes([]byte("g1 h1 c1 n1 10.0.0.1 root hunter2\n"), "t", Options{})
	err := WriteFile(path, cfg, Options{})
	if !errors.Is(err, ErrPasswdNotToken) {
		t.Fatalf("err = %v, want passwd-not-token", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous\n" {
		t.Errorf("previous file changed: %q", b)
	}
	assertNoTemp(t, dir)
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "kvmguests.conf" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestWriteFileRefusesWhatIsNotAFile: a symbolic link at the path is not
// replaced (nor is the file it points to written), and neither is a FIFO;
// a folder that others can write is refused.
func TestWriteFileRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	writeReal(t, target, "previous\n", 0o600, -1)
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.conf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{link, fifo} {
		if err := WriteFile(path, mustParse(t, good), Options{}); !errors.Is(err, ErrNotRegular) {
			t.Errorf("WriteFile(%s) = %v, want ErrNotRegular", path, err)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "previous\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(open, "kvmguests.conf"), mustParse(t, good), Options{}); !errors.Is(err, safefile.ErrMode) {
		t.Errorf("WriteFile into a folder anyone can write = %v, want safefile.ErrMode", err)
	}
}
