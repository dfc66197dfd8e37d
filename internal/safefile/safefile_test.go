package safefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"golang.org/x/sys/unix"
)

// within fails the test if f does not return in time: a FIFO must never
// block an open.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked (a FIFO opened for reading without O_NONBLOCK?)")
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask, set-id bits included
		t.Fatal(err)
	}
}

func TestOpenRegularRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	link := filepath.Join(dir, "link")
	regular := filepath.Join(dir, "regular")
	write(t, regular, "x\n", 0o644)
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		nofollow   bool
		want       error
	}{
		{"fifo", fifo, false, ErrNotRegular},
		{"character device", "/dev/null", false, ErrNotRegular},
		{"folder", dir, false, ErrNotRegular},
		{"symlink with nofollow", link, true, ErrSymlink},
		{"missing", filepath.Join(dir, "nope"), false, os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			within(t, func() {
				f, err := OpenRegular(tc.path, tc.nofollow)
				if err == nil {
					f.Close()
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("OpenRegular(%s) = %v, want %v", tc.path, err, tc.want)
				}
			})
		})
	}
	f, err := OpenRegular(link, false)
	if err != nil {
		t.Fatalf("a symlink to a regular file, followed: %v", err)
	}
	f.Close()
}

func TestOpenPrivateRules(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		mode os.FileMode
		want error
	}{
		{"0600", 0o600, nil},
		{"0400", 0o400, nil},
		{"group readable", 0o640, ErrMode},
		{"other readable", 0o604, ErrMode},
		{"setuid", 0o600 | os.ModeSetuid, ErrMode},
		{"setgid", 0o600 | os.ModeSetgid, ErrMode},
		{"sticky", 0o600 | os.ModeSticky, ErrMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			write(t, p, "secret\n", tc.mode)
			f, err := OpenPrivate(p)
			if err == nil {
				f.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("OpenPrivate(mode %v) = %v, want %v", tc.mode, err, tc.want)
			}
			if err != nil && bytes.Contains([]byte(err.Error()), []byte("secret")) {
				t.Errorf("the error shows the contents: %v", err)
			}
		})
	}
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	within(t, func() {
		if _, err := OpenPrivate(fifo); !errors.Is(err, ErrNotRegular) {
			t.Errorf("OpenPrivate(FIFO) = %v, want ErrNotRegular", err)
		}
	})
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "0600"), link); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPrivate(link); !errors.Is(err, ErrSymlink) {
		t.Errorf("OpenPrivate(symlink) = %v, want ErrSymlink", err)
	}
}

func TestOpenPrivateRefusesAnotherOwner(t *testing.T) {
	testenv.Root(t, "to give a file to another user")
	p := filepath.Join(t.TempDir(), "pw")
	write(t, p, "secret\n", 0o600)
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPrivate(p); !errors.Is(err, ErrOwner) {
		t.Errorf("OpenPrivate(owned by nobody) = %v, want ErrOwner", err)
	}
}

func TestOpenDirRules(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o775); err != nil {
		t.Fatal(err)
	}
	// Writable by others but not by its group: each of the two bits is
	// refused on its own.
	others := filepath.Join(base, "others")
	if err := os.Mkdir(others, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(others, 0o757); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	write(t, file, "", 0o600)
	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"a folder", real, nil},
		{"relative", "real", ErrRelative},
		{"symlink", link, ErrSymlink},
		{"group writable", open, ErrMode},
		{"writable by others, not by group", others, ErrMode},
		{"a file", file, ErrNotDir},
		{"missing", filepath.Join(base, "nope"), os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := OpenDir(tc.path)
			if err == nil {
				d.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("OpenDir(%s) = %v, want %v", tc.path, err, tc.want)
			}
		})
	}
}

func TestOpenDirRefusesAnotherOwner(t *testing.T) {
	testenv.Root(t, "to give a folder to another user")
	d := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(d); !errors.Is(err, ErrOwner) {
		t.Errorf("OpenDir(owned by nobody) = %v, want ErrOwner", err)
	}
}

func TestReplaceWritesPrivateFileAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "conf")
	write(t, p, "old\n", 0o644)
	old := unix.Umask(0) // the new file is 0600 whatever the umask
	defer unix.Umask(old)
	if err := WriteFile(p, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "new\n" || fi.Mode() != 0o600 {
		t.Errorf("after WriteFile: %q mode %v, want \"new\\n\" mode 0600", got, fi.Mode())
	}
	onlyFiles(t, dir, "conf")
}

func TestReplaceRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	names := testenv.NotRegularFiles(t, dir)
	before := testenv.DirState(t, dir)
	for _, name := range names {
		err := WriteFile(filepath.Join(dir, name), []byte("x"))
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("WriteFile over %s = %v, want ErrNotRegular", name, err)
		}
	}
	if after := testenv.DirState(t, dir); after != before {
		t.Errorf("the folder changed:\nbefore %s\nafter  %s", before, after)
	}
}

func TestReplaceFailureLeavesTheOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "conf")
	write(t, p, "old\n", 0o600)
	defer func(f func(*os.File) error) { AfterWrite = f }(AfterWrite)
	AfterWrite = func(*os.File) error { return syscall.ENOSPC }
	if err := WriteFile(p, []byte("new\n")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteFile with a full disk = %v, want ENOSPC", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old\n" {
		t.Errorf("the old file became %q", got)
	}
	onlyFiles(t, dir, "conf")
}

// A folder renamed away after OpenDir, and another put at its path, must
// not receive the write: Replace works on the folder it opened.
func TestReplaceIsRelativeToTheOpenedFolder(t *testing.T) {
	base := t.TempDir()
	orig := filepath.Join(base, "etc")
	if err := os.Mkdir(orig, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(orig)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	moved := filepath.Join(base, "moved")
	if err := os.Rename(orig, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(orig, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := d.Replace("conf", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(moved, "conf")); err != nil {
		t.Errorf("the opened folder did not get the file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(orig, "conf")); err == nil {
		t.Error("the folder now at the path got the file")
	}
}

func TestReplaceRefusesAPathAsName(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, name := range []string{"", ".", "..", "../x", "a/b"} {
		if err := d.Replace(name, []byte("x")); err == nil {
			t.Errorf("Replace(%q) accepted", name)
		}
	}
}

func onlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(want) {
		t.Errorf("folder holds %q, want %q (a temporary file left behind?)", got, want)
	}
}
