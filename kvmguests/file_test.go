package kvmguests

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

// writeReal writes a real file with a real mode and owner.
func writeReal(t *testing.T, path, data string, mode fs.FileMode, uid int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	// chown clears the set-user-id bit: the mode comes after it.
	if uid >= 0 {
		if err := os.Chown(path, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func codes(ds diag.Diagnostics) []diag.Code {
	var cs []diag.Code
	for _, d := range ds {
		cs = append(cs, d.Code)
	}
	return cs
}

// TestReadFileMode: the mode must be exactly 0600, set-id and sticky bits
// included. It needs no root: a file of the caller's is also reported as
// not root's (file-owner), which this test leaves to TestReadFileOwner.
func TestReadFileMode(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		mode    fs.FileMode
		refused bool
	}{
		{0o600, false},
		{0o600 | fs.ModeSetuid, true}, // 04600
		{0o600 | fs.ModeSetgid, true}, // 02600
		{0o600 | fs.ModeSticky, true}, // 01600
		{0o644, true},
		{0o640, true},
		{0o400, true},
		{0o700, true},
	} {
		name := fmt.Sprintf("%04o", safefile.ModeBits(tc.mode))
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".conf")
			writeReal(t, path, good, tc.mode, -1)
			if fi, err := os.Stat(path); err != nil || fi.Mode() != tc.mode {
				t.Fatalf("the test could not make mode %v: %v %v", tc.mode, fi.Mode(), err)
			}
			for _, read := range readers {
				diags, guests, err := read.f(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				var mode []diag.Diagnostic
				for _, d := range diags {
					if d.Code == ErrFileMode {
						mode = append(mode, d)
					}
				}
				if got := len(mode) == 1; got != tc.refused || len(mode) > 1 {
					t.Errorf("%s: file-mode diagnostics %v, want refused=%v", read.name, mode, tc.refused)
				}
				if tc.refused && len(mode) == 1 && !strings.Contains(mode[0].Message, "mode is "+name+", want 0600") {
					t.Errorf("%s: message %q does not show mode %s", read.name, mode[0].Message, name)
				}
				if guests != 1 && read.name == "ReadFile" {
					t.Errorf("%s: %d guests, want 1 (contents are read even when the file is wrong)", read.name, guests)
				}
				diags, _, _ = read.f(path, Options{SkipFileChecks: true})
				if len(diags) != 0 {
					t.Errorf("%s with SkipFileChecks: %v", read.name, diags)
				}
			}
		})
	}
}

// TestReadFileOwner: the owner must be root. Giving a file to root and to
// another uid needs root.
func TestReadFileOwner(t *testing.T) {
	testenv.Root(t, "files owned by root and by another uid")
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		uid  int
		want []diag.Code
	}{
		{"root", 0, nil},
		{"uid-1000", 1000, []diag.Code{ErrFileOwner}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".conf")
			writeReal(t, path, good, 0o600, tc.uid)
			for _, read := range readers {
				diags, _, err := read.f(path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if got := codes(diags); !equalCodes(got, tc.want) {
					t.Errorf("%s: codes = %v, want %v (%v)", read.name, got, tc.want, diags)
				}
			}
		})
	}
}

// readers are ReadFile and CheckFile, which read and check a file the same
// way: each test of one runs on both.
var readers = []struct {
	name string
	f    func(string, Options) (diag.Diagnostics, int, error)
}{
	{"ReadFile", func(p string, o Options) (diag.Diagnostics, int, error) {
		cfg, d, err := ReadFile(p, o)
		return d, len(cfg.Guests()), err
	}},
	{"CheckFile", func(p string, o Options) (diag.Diagnostics, int, error) {
		d, err := CheckFile(p, o)
		return d, -1, err
	}},
}

// TestCheckFileAgreesWithReadFile: the same diagnostics for the same file,
// in place or through a symbolic link, with errors in it or not.
func TestCheckFileAgreesWithReadFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	writeReal(t, bad, good+"guest12 cfhost2 cluster1 cfguest12  10.20.30.51 user2 hunter2\n", 0o600, -1)
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink(bad, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, link} {
		for _, opts := range []Options{{}, {SkipFileChecks: true}} {
			_, want, err := ReadFile(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CheckFile(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) || !want.HasErrors() {
				t.Errorf("%s %+v: CheckFile\n%v\nReadFile\n%v", path, opts, got, want)
			}
		}
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

func equalCodes(a, b []diag.Code) bool {
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

// TestReadFileRefusesWhatIsNotAFile: a FIFO, a device or a folder where the
// file should be is refused, with or without the file checks, by ReadFile
// and CheckFile, and never blocks (a FIFO without a writer once hung check
// --no-perm in open).
func TestReadFileRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.conf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	linkToFIFO := filepath.Join(dir, "link.conf")
	if err := os.Symlink(fifo, linkToFIFO); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, linkToFIFO, "/dev/null", "/dev/zero", dir} {
		for _, opts := range []Options{{}, {SkipFileChecks: true}} {
			for _, read := range readers {
				within(t, func() {
					_, _, err := read.f(path, opts)
					if !errors.Is(err, ErrNotRegular) || !strings.HasPrefix(err.Error(), path+": is not a regular file (a ") {
						t.Errorf("%s(%s, %+v) = %v, want ErrNotRegular naming the path and what it is", read.name, path, opts, err)
					}
				})
			}
		}
	}
}

// within fails the test if f does not return in time.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked (a FIFO opened for reading without O_NONBLOCK?)")
	}
}
