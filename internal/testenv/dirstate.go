package testenv

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// DirState describes every entry under dir, one line each in name order:
// its path below dir, type and mode, owner, and the SHA-256 of a regular
// file's contents or a symbolic link's target. A FIFO or a device is never
// opened. Two calls compare equal when nothing under dir changed, which is
// how tests prove that a refused operation left the disk as it was.
func DirState(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", strings.TrimPrefix(p, dir), fi.Mode())
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			line += fmt.Sprintf(" uid=%d", st.Uid)
		}
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" sha256=%x", sha256.Sum256(b))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatalf("testenv.DirState(%s): %v", dir, err)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// NotRegularFiles makes, in dir, one of each kind of entry that a file
// sfkvm replaces or reads must never be: a FIFO, a symbolic link (to
// /dev/null), a folder and, as root, a character device (/dev/null's
// numbers). It returns their names.
func NotRegularFiles(t testing.TB, dir string) []string {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"fifo", "link", "folder"}
	if os.Geteuid() == 0 {
		if err := syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Fatalf("making a character device as root: %v", err)
		}
		names = append(names, "null")
	}
	return names
}
