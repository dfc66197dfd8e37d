package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// fakeTool writes a shell-script stand-in for a vendor tool.
func fakeTool(t *testing.T, name, body string) string {
	t.Helper()
	sh := testenv.LookPath(t, "sh", "dash")
	path := filepath.Join(t.TempDir(), name)
	if err := testenv.WriteExecutable(path, []byte("#!"+sh+"\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// noControlBytes fails when s holds a control byte other than newline: a
// tool's escapes must reach the user escaped.
func noControlBytes(t *testing.T, what, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c == 0x7f {
			t.Errorf("%s: byte 0x%02x at %d: %q", what, c, i, s)
			return
		}
	}
}

// migratesetup -c without --cfname runs cftool -l: a hung one (with a
// child holding its pipe) is ended by the bound, and the command says so
// and how to go on, instead of waiting for ever.
func TestMigratesetupRegisterHungCFTool(t *testing.T) {
	defer func(d time.Duration) { cftoolTimeout = d }(cftoolTimeout)
	cftoolTimeout = 300 * time.Millisecond
	cftool := fakeTool(t, "cftool", `sleep 600 & printf '\033[2Jhanging\n'; wait`)
	path := filepath.Join(t.TempDir(), "hostinfo")
	start := time.Now()
	r := runCLI(t, "", "migratesetup", "-c", "-i", "10.20.30.40", "--cftool", cftool, "--hostinfo", path)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %v", took)
	}
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "did not finish") || !strings.Contains(r.stderr, "--cfname NAME") ||
		!strings.Contains(r.stderr, `stdout "\x1b[2Jhanging"`) {
		t.Errorf("exit %d stderr %q; want 69, the timeout, cftool's words escaped and the hint", r.code, r.stderr)
	}
	noControlBytes(t, "stderr", r.stderr)
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the host information file was written (%v)", err)
	}
}

// --cftool and preflight's tool flags are paths too: a bare name is never
// searched on PATH, and an empty one is a usage error.
func TestToolFlagsAreNotSearchedOnPath(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	fake := fakeTool(t, "cftool", "touch "+ran+"\necho 'Node Number State Os Cpu'; echo 'cfhost9 1 UP Linux EM64T'")
	t.Setenv("PATH", filepath.Dir(fake)+":"+os.Getenv("PATH"))
	r := runCLI(t, "", "migratesetup", "-c", "-i", "10.20.30.40", "--cftool", "cftool", "--hostinfo", filepath.Join(dir, "hostinfo"))
	wd, _ := os.Getwd() // a relative path is the working folder's (issue 20)
	if r.code != exitUnavailable || !strings.Contains(r.stderr, filepath.Join(wd, "cftool")) {
		t.Errorf("exit %d stderr %q; want 69 for ./cftool", r.code, r.stderr)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the cftool on PATH was run")
	}
	for _, args := range [][]string{
		{"migratesetup", "-c", "-i", "10.20.30.40", "--cftool", "", "--hostinfo", filepath.Join(dir, "hostinfo")},
		{"preflight", "--sdtool", ""}, {"preflight", "--cftool", ""}, {"preflight", "--sfkvmtool", ""},
	} {
		if r := runCLI(t, "", args...); r.code != exitUsage || !strings.Contains(r.stderr, "empty path") {
			t.Errorf("%q: exit %d stderr %q; want 2", args, r.code, r.stderr)
		}
	}
}
