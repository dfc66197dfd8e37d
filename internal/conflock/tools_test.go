//go:build unix

package conflock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scriptTools are the programs the scripts may start: the ones the
// prelude checks for, and a few that every POSIX host has.
var scriptTools = []string{"flock", "mktemp", "dd", "sha256sum", "stat", "chown", "mv", "sync", "date",
	"id", "df", "awk", "cat", "head", "rm"}

// shOnly runs script with PATH holding scriptTools only.
func shOnly(t *testing.T, script string, args ...string) (string, string, int) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range scriptTools {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is missing: apt-get install coreutils util-linux gawk", tool)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	shell, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	cmd := exec.CommandContext(ctxT(t), shell, append([]string{"-c", script, "sh"}, args...)...)
	cmd.Env = []string{"PATH=" + bin, "LC_ALL=C"}
	return run(t, cmd)
}

// The scripts take the file's folder and name, and the lock's fields,
// apart in the shell: a run starts them on every host, and each program
// they started for that (dirname, basename, sed and head per field) was a
// fork and an exec there. With only scriptTools on PATH the whole
// protocol still works: take, refuse, guard, release.
func TestScriptsNeedOnlyTheirTools(t *testing.T) {
	f := newFile(t)
	a, b := owner(t, "rotate"), owner(t, "resume")
	acquire := func(o Owner) (string, string, int) {
		lease := strconv.FormatInt(int64(time.Until(o.Expires).Seconds()), 10)
		return shOnly(t, AcquireScript, f, "lock", o.Run, o.Command, o.Host, o.Boot, strconv.Itoa(o.PID), lease)
	}
	hash := SHA256([]byte("old\n"))
	if stdout, stderr, code := acquire(a); code != 0 || strings.TrimSpace(stdout) != hash {
		t.Fatalf("acquire: exit %d: %q %q", code, stdout, stderr)
	}
	if _, stderr, code := acquire(b); code != ExitLocked || !strings.Contains(stderr, "run="+a.Run) {
		t.Fatalf("another run took a live lock: exit %d: %s", code, stderr)
	}
	guard := "f=$1 run=$2\n" + GuardScript + `echo "$cur"`
	if stdout, stderr, code := shOnly(t, guard, f, a.Run); code != 0 || strings.TrimSpace(stdout) != hash {
		t.Errorf("guard of the holder: exit %d: %q %q", code, stdout, stderr)
	}
	if _, _, code := shOnly(t, guard, f, b.Run); code != ExitNotHeld {
		t.Errorf("guard of another run: exit %d, want %d", code, ExitNotHeld)
	}
	if _, _, code := shOnly(t, ReleaseScript, f, b.Run); code != ExitNotHeld {
		t.Errorf("another run released the lock: exit %d", code)
	}
	if _, stderr, code := shOnly(t, ReleaseScript, f, a.Run); code != 0 {
		t.Fatalf("release: exit %d: %s", code, stderr)
	}
	if _, err := os.Lstat(Path(f)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the release left the lock file: %v", err)
	}
	// A lock file whose last line has no newline (written by hand) is
	// read whole: its lease, long over, makes it stale.
	stale := "sfkvm-lock=1\nrun=hand\ncommand=rotate\nhost=h\nboot=another-boot\npid=1\nstarted=1\nexpires=2"
	if err := os.WriteFile(Path(f), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := acquire(b); code != 0 || strings.TrimSpace(stdout) != hash {
		t.Errorf("a lock whose lease ended was not taken over: exit %d: %q %q", code, stdout, stderr)
	}
}

// SplitPath agrees with dirname and basename on a file's path.
func TestSplitPath(t *testing.T) {
	for _, tc := range []struct{ f, want string }{
		{"/etc/opt/FJSVcluster/etc/kvmguests.conf", "/etc/opt/FJSVcluster/etc|kvmguests.conf"},
		{"/kvmguests.conf", "/|kvmguests.conf"},
		{"kvmguests.conf", ".|kvmguests.conf"},
		{"etc/kvmguests.conf", "etc|kvmguests.conf"},
		{"/etc/a b/it's", "/etc/a b|it's"},
		{"/etc/dir/", "/etc/dir|"},
	} {
		stdout, stderr, code := shOnly(t, "f=$1\n"+SplitPath+"\necho \"$d|$n\"", tc.f)
		if got := strings.TrimSuffix(stdout, "\n"); code != 0 || got != tc.want {
			t.Errorf("%q: %q (exit %d, %s), want %q", tc.f, got, code, stderr, tc.want)
		}
	}
}
