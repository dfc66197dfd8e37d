package kvmguests

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// writeReal writes a real file with a real mode and owner.
func writeReal(t *testing.T, path, data string, mode fs.FileMode, uid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask
		t.Fatal(err)
	}
	if uid >= 0 {
		if err := os.Chown(path, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
}

func codes(ds Diagnostics) []Code {
	var cs []Code
	for _, d := range ds {
		cs = append(cs, d.Code)
	}
	return cs
}

func TestReadFileChecksTheFile(t *testing.T) {
	testenv.Root(t, "files owned by root and by another uid")
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		mode fs.FileMode
		uid  int
		want []Code
	}{
		{"root-0600", 0o600, 0, nil},
		{"file-mode/0644", 0o644, 0, []Code{ErrFileMode}},
		{"file-mode/0400", 0o400, 0, []Code{ErrFileMode}},
		{"file-owner/uid-1000", 0o600, 1000, []Code{ErrFileOwner}},
		{"file-mode-and-owner", 0o640, 1000, []Code{ErrFileMode, ErrFileOwner}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".conf")
			os.MkdirAll(filepath.Dir(path), 0o700)
			writeReal(t, path, good, tc.mode, tc.uid)
			cfg, diags, err := ReadFile(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(diags); !equalCodes(got, tc.want) {
				t.Errorf("codes = %v, want %v (%v)", got, tc.want, diags)
			}
			if len(cfg.Guests()) != 1 {
				t.Errorf("guests = %d, want 1 (contents are read even when the file is wrong)", len(cfg.Guests()))
			}
			_, diags, _ = ReadFile(path, Options{SkipFileChecks: true})
			if len(diags) != 0 {
				t.Errorf("SkipFileChecks: %v", diags)
			}
		})
	}
}

func TestReadFileSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.conf")
	writeReal(t, target, good, 0o600, -1)
	link := filepath.Join(dir, "kvmguests.conf")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, diags, err := ReadFile(link, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) == 0 || diags[0].Code != ErrFileSymlink || diags[0].Line != 0 {
		t.Fatalf("diags = %v, want file-symlink first", diags)
	}
	if got := diags[0].Error(); got != link+": error: file-symlink: is a symbolic link; the file must be a regular file in place (a link can be redirected)" {
		t.Errorf("message = %q", got)
	}
}

func TestReadFileMissing(t *testing.T) {
	_, _, err := ReadFile(filepath.Join(t.TempDir(), "none.conf"), Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	_, _, err = ReadFile(t.TempDir(), Options{SkipFileChecks: true})
	if err == nil {
		t.Fatal("reading a directory succeeded")
	}
}

func equalCodes(a, b []Code) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReadFileFIFO: a pipe where the file should be is reported and not
// read (reading it could block for ever).
func TestReadFileFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvmguests.conf")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 || diags[0].Code != ErrFileMode || len(cfg.Guests()) != 0 {
		t.Errorf("diags = %v", diags)
	}
}
