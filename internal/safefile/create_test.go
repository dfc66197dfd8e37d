package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"golang.org/x/sys/unix"
)

func TestCreateNewWritesAPrivateFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "key")
	old := unix.Umask(0) // 0600 whatever the umask
	defer unix.Umask(old)
	if err := CreateFile(p, []byte("secret\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "secret\n" || fi.Mode() != 0o600 {
		t.Errorf("after CreateFile: %q mode %v, want \"secret\\n\" mode 0600", got, fi.Mode())
	}
	onlyFiles(t, dir, "key")
}

// Whatever is at the name, CreateNew leaves it as it was: a file, a link
// (even a dangling one, which O_CREAT would follow), a FIFO, a folder.
func TestCreateNewNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "file"), "old\n", 0o600)
	if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, filepath.Join(dir, "fifo"))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	before := testenv.DirState(t, dir)
	for _, name := range []string{"file", "dangling", "fifo", "sub"} {
		err := CreateFile(filepath.Join(dir, name), []byte("new\n"))
		var se *Error
		if !errors.Is(err, fs.ErrExist) || !errors.As(err, &se) || se.Path != filepath.Join(dir, name) {
			t.Errorf("CreateFile over %s = %v, want fs.ErrExist naming the path", name, err)
		}
	}
	if after := testenv.DirState(t, dir); after != before {
		t.Errorf("the folder changed:\nbefore %s\nafter  %s", before, after)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "file")); string(got) != "old\n" {
		t.Errorf("the file became %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dir, "target")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dangling link's target was created: %v", err)
	}
}

func TestCreateNewFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	defer func(f func(*os.File) error) { AfterWrite = f }(AfterWrite)
	AfterWrite = func(*os.File) error { return syscall.ENOSPC }
	if err := CreateFile(filepath.Join(dir, "key"), []byte("secret\n")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("CreateFile with a full disk = %v, want ENOSPC", err)
	}
	onlyFiles(t, dir)
}

func TestCreateNewRefusesAPathAsName(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, name := range []string{"", ".", "..", "a/b"} {
		if err := d.CreateNew(name, []byte("x")); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("CreateNew(%q) = %v, want fs.ErrInvalid", name, err)
		}
	}
}
