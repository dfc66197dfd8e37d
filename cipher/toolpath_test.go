package cipher_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

// The vendor's folders come before PATH: a sfcipher early on PATH does
// not get the password when the vendor's is installed.
func TestFindSfcipherVendorFoldersFirst(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "opt-bin"), filepath.Join(dir, "opt-sf-bin")
	onPath := filepath.Join(dir, "path-bin")
	for _, d := range []string{first, second, onPath} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	defer cipher.SetToolTrust([]string{first, second}, testRoot, os.Geteuid())()
	pathFake := sfciphertest.Install(t, onPath, sfciphertest.Exit1, "TestSfcipherHelper")
	t.Setenv("PATH", onPath)
	if got, err := cipher.FindSfcipher(); err != nil || got != pathFake {
		t.Fatalf("no vendor tool: FindSfcipher() = %q, %v; want the one on PATH, %s", got, err, pathFake)
	}
	secondFake := sfciphertest.Install(t, second, sfciphertest.OK, "TestSfcipherHelper")
	if got, err := cipher.FindSfcipher(); err != nil || got != secondFake {
		t.Fatalf("FindSfcipher() = %q, %v; want %s", got, err, secondFake)
	}
	firstFake := sfciphertest.Install(t, first, sfciphertest.OK, "TestSfcipherHelper")
	if got, err := cipher.FindSfcipher(); err != nil || got != firstFake {
		t.Fatalf("FindSfcipher() = %q, %v; want %s", got, err, firstFake)
	}
	// The zero Sfcipher runs the vendor's, not the one on PATH (which
	// would exit 1).
	if tok, err := (&cipher.Sfcipher{}).Encrypt(context.Background(), []byte("pw")); err != nil || tok != sfciphertest.Token([]byte("pw")) {
		t.Errorf("zero Sfcipher: %q, %v", tok, err)
	}
	// The first one found is the one checked: an untrusted vendor tool
	// is refused, not passed over for the one on PATH.
	os.Chmod(firstFake, 0o777)
	if _, err := cipher.FindSfcipher(); !errors.Is(err, cipher.ErrUntrustedTool) {
		t.Errorf("untrusted vendor tool: %v, want ErrUntrustedTool", err)
	}
}

// TestCheckTool: every rule, each in a tree of its own under the test's
// trusted folder.
func TestCheckTool(t *testing.T) {
	testenv.Root(t, "chown to another user")
	const other = 4242 // a uid that owns nothing here
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, dir, tool string) string // returns the path to check
		file   string                                      // the failing file or folder, relative to dir; "" if the check passes
		reason string
	}{
		{"trusted", func(t *testing.T, dir, tool string) string { return tool }, "", ""},
		{"group-writable tool", chmod("bin/sfcipher", 0o775), "bin/sfcipher", "writable by group or others"},
		{"world-writable tool", chmod("bin/sfcipher", 0o757), "bin/sfcipher", "writable by group or others"},
		{"tool not executable", chmod("bin/sfcipher", 0o644), "bin/sfcipher", "not executable"},
		{"tool of another user", chown("bin/sfcipher", other), "bin/sfcipher", "owned by uid 4242"},
		{"folder group-writable", chmod("bin", 0o775), "bin", "writable by group or others"},
		{"folder above group-writable", chmod(".", 0o775), "", "writable by group or others"},
		{"folder world-writable and sticky, like /tmp", chmod("bin", os.ModeSticky|0o777), "bin", "writable by group or others"},
		{"folder of another user", chown("bin", other), "bin", "owned by uid 4242"},
		{"a folder named sfcipher", func(t *testing.T, dir, tool string) string {
			d := filepath.Join(dir, "bin", "dir")
			must(t, os.Mkdir(d, 0o755))
			return d
		}, "bin/dir", "not a regular file"},
		{"trusted link to a trusted tool", func(t *testing.T, dir, tool string) string {
			link := filepath.Join(dir, "link")
			must(t, os.Symlink(tool, link))
			return link
		}, "", ""},
		{"trusted link to a tool in a writable folder", func(t *testing.T, dir, tool string) string {
			bad := filepath.Join(dir, "bad")
			must(t, os.Mkdir(bad, 0o755))
			must(t, os.Chmod(bad, 0o777))
			must(t, os.Rename(tool, filepath.Join(bad, "sfcipher")))
			link := filepath.Join(dir, "bin", "sfcipher")
			must(t, os.Symlink("../bad/sfcipher", link))
			return link
		}, "bad", "writable by group or others"},
		{"link in a writable folder to a trusted tool: the real path counts", func(t *testing.T, dir, tool string) string {
			bad := filepath.Join(dir, "bad")
			must(t, os.Mkdir(bad, 0o755))
			must(t, os.Chmod(bad, 0o777))
			link := filepath.Join(bad, "sfcipher")
			must(t, os.Symlink(tool, link))
			return link
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			must(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
			tool := sfciphertest.Install(t, filepath.Join(dir, "bin"), sfciphertest.OK, "TestSfcipherHelper")
			path := tc.setup(t, dir, tool)
			got, err := cipher.CheckTool(path)
			if tc.reason == "" {
				real, _ := filepath.EvalSymlinks(path)
				if err != nil || got != real {
					t.Fatalf("CheckTool(%s) = %q, %v; want %q", path, got, err, real)
				}
				return
			}
			var ue *cipher.UntrustedToolError
			if !errors.As(err, &ue) || !errors.Is(err, cipher.ErrUntrustedTool) {
				t.Fatalf("CheckTool(%s) = %q, %v; want an *UntrustedToolError", path, got, err)
			}
			if want := filepath.Join(dir, tc.file); ue.File != want || ue.Path != path || !strings.Contains(ue.Reason, tc.reason) {
				t.Errorf("%+v: want file %s, reason ~%q", ue, want, tc.reason)
			}
			if !strings.Contains(err.Error(), ue.File) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("message %q does not say which file and why", err)
			}
		})
	}
	if _, err := cipher.CheckTool(filepath.Join(t.TempDir(), "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing tool: %v, want ErrNotExist", err)
	}
}

// TestCheckToolFromTheRealRoot: with the production settings, the check
// starts at /, and a tool under /tmp (world-writable, sticky) is refused
// there, while a tool of the system passes.
func TestCheckToolFromTheRealRoot(t *testing.T) {
	defer cipher.SetToolTrust(nil, "/", 0)()
	fake := sfciphertest.Install(t, t.TempDir(), sfciphertest.OK, "TestSfcipherHelper")
	_, err := cipher.CheckTool(fake)
	var ue *cipher.UntrustedToolError
	if !errors.As(err, &ue) {
		t.Fatalf("CheckTool(%s): %v, want an *UntrustedToolError", fake, err)
	}
	if fi, serr := os.Stat("/tmp"); serr == nil && fi.Mode().Perm()&0o002 != 0 && strings.HasPrefix(fake, "/tmp/") && os.Geteuid() == 0 {
		if ue.File != "/tmp" {
			t.Errorf("the failing folder is %s, want /tmp: %v", ue.File, err)
		}
	}
	sh, err := cipher.CheckTool("/bin/sh")
	if err != nil || !strings.HasPrefix(sh, "/") {
		t.Errorf("CheckTool(/bin/sh) = %q, %v; a tool of the system must pass", sh, err)
	}
}

// Encrypt checks a tool named in Path too, and never runs one that fails.
func TestSfcipherRefusesAnUntrustedTool(t *testing.T) {
	dir := t.TempDir()
	fake := sfciphertest.Install(t, dir, sfciphertest.OK, "TestSfcipherHelper")
	ran := filepath.Join(dir, "ran")
	wrapper := filepath.Join(dir, "sfcipher-wrapper")
	must(t, testenv.WriteExecutable(wrapper, []byte("#!/bin/sh\ntouch "+ran+"\nexec "+fake+" \"$@\"\n"), 0o755))
	must(t, os.Chmod(dir, 0o777))
	_, err := (&cipher.Sfcipher{Path: wrapper}).Encrypt(context.Background(), []byte("Passw0rd"))
	if !errors.Is(err, cipher.ErrUntrustedTool) {
		t.Errorf("Encrypt with a tool in a world-writable folder: %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the untrusted tool ran")
	}
	must(t, os.Chmod(dir, 0o755))
	if tok, err := (&cipher.Sfcipher{Path: wrapper}).Encrypt(context.Background(), []byte("Passw0rd")); err != nil || tok != sfciphertest.Token([]byte("Passw0rd")) {
		t.Errorf("the same tool, trusted: %q, %v", tok, err)
	}
}

func chmod(rel string, mode os.FileMode) func(*testing.T, string, string) string {
	return func(t *testing.T, dir, tool string) string {
		must(t, os.Chmod(filepath.Join(dir, rel), mode))
		return tool
	}
}

func chown(rel string, uid int) func(*testing.T, string, string) string {
	return func(t *testing.T, dir, tool string) string {
		must(t, os.Lchown(filepath.Join(dir, rel), uid, -1))
		return tool
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
