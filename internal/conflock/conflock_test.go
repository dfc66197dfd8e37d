//go:build unix

package conflock

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newFile makes a folder (0700) holding file, contents "old\n".
func newFile(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "etc")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(d, "kvmguests.conf")
	if err := os.WriteFile(f, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func owner(t *testing.T, cmd string) Owner {
	t.Helper()
	o, err := NewOwner(cmd, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// sh runs a script of this package as a host would; it returns stdout,
// stderr and the exit status.
func sh(t *testing.T, script string, args ...string) (string, string, int) {
	t.Helper()
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) is missing: apt-get install util-linux")
	}
	return run(t, exec.CommandContext(ctxT(t), "sh", append([]string{"-c", script, "sh"}, args...)...))
}

// run runs cmd; it returns stdout, stderr and the exit status.
func run(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return o.String(), e.String(), 0
	case errors.As(err, &ee):
		return o.String(), e.String(), ee.ExitCode()
	}
	t.Fatal(err)
	return "", "", -1
}

func shAcquire(t *testing.T, file, mode string, o Owner) (string, string, int) {
	lease := strconv.FormatInt(int64(time.Until(o.Expires).Seconds()), 10)
	return sh(t, AcquireScript, file, mode, o.Run, o.Command, o.Host, o.Boot, strconv.Itoa(o.PID), lease)
}

// The two implementations of the protocol refuse each other's live lock,
// name its holder, and release only their own.
func TestGoAndScriptAgree(t *testing.T) {
	f := newFile(t)
	a, b := owner(t, "rotate"), owner(t, "resume")
	if err := Acquire(ctxT(t), f, a); err != nil {
		t.Fatal(err)
	}
	if err := Acquire(ctxT(t), f, a); err != nil {
		t.Fatalf("taking its own lock again (renewing it): %v", err)
	}
	_, stderr, code := shAcquire(t, f, "lock", b)
	if code != ExitLocked || !strings.Contains(stderr, "run="+a.Run) {
		t.Fatalf("the script took a lock that Go holds: exit %d, stderr %q", code, stderr)
	}
	if _, _, code := sh(t, ReleaseScript, f, b.Run); code != ExitNotHeld {
		t.Fatalf("the script released another run's lock: exit %d", code)
	}
	if err := Release(f, a); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(Path(f)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Release left the lock file: %v", err)
	}
	stdout, stderr, code := shAcquire(t, f, "lock", b)
	if code != 0 || strings.TrimSpace(stdout) != SHA256([]byte("old\n")) {
		t.Fatalf("the script did not take a free lock: exit %d, %q %q", code, stdout, stderr)
	}
	var le *LockedError
	err := Acquire(ctxT(t), f, a)
	if !errors.As(err, &le) || le.By.Run != b.Run || le.By.PID != b.PID || !errors.Is(err, ErrLocked) {
		t.Fatalf("Go took a lock that the script holds: %v", err)
	}
	if !strings.Contains(err.Error(), "sfkvm resume (pid "+strconv.Itoa(b.PID)) {
		t.Errorf("the refusal does not name the holder: %v", err)
	}
	if err := Release(f, a); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Go released another run's lock: %v", err)
	}
	if _, stderr, code := sh(t, ReleaseScript, f, b.Run); code != 0 {
		t.Fatalf("release: exit %d: %s", code, stderr)
	}
	if _, err := os.Lstat(Path(f)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the release script left the lock file: %v", err)
	}
}

// A crashed run's lock does not stay for ever: it goes when its lease
// ends, and at once on its own host when its process is gone. A live one
// stays.
func TestStaleLocks(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		edit  func(*Owner)
		stale bool
	}{
		{"live", func(*Owner) {}, false},
		{"lease ended", func(o *Owner) { o.Expires = time.Now().Add(-time.Second) }, true},
		{"process gone on this boot", func(o *Owner) { o.PID = dead.Process.Pid }, true},
		{"process gone, another host's boot", func(o *Owner) { o.PID, o.Boot = dead.Process.Pid, "another-boot" }, false},
	}
	for _, c := range cases {
		for _, impl := range []string{"go", "sh"} {
			t.Run(c.name+"/"+impl, func(t *testing.T) {
				if BootID() == "" {
					t.Skip("no boot ID on this system")
				}
				f := newFile(t)
				held := owner(t, "rotate")
				c.edit(&held)
				if err := os.WriteFile(Path(f), held.Marshal(), 0o600); err != nil {
					t.Fatal(err)
				}
				taker := owner(t, "rotate")
				var took bool
				if impl == "go" {
					err := Acquire(ctxT(t), f, taker)
					if err != nil && !errors.Is(err, ErrLocked) {
						t.Fatal(err)
					}
					took = err == nil
				} else {
					_, stderr, code := shAcquire(t, f, "lock", taker)
					if code != 0 && code != ExitLocked {
						t.Fatalf("exit %d: %s", code, stderr)
					}
					took = code == 0
				}
				if took != c.stale {
					t.Fatalf("taken over: %v, want %v", took, c.stale)
				}
				b, _ := os.ReadFile(Path(f))
				if got, _ := ParseOwner(b); (got.Run == taker.Run) != c.stale {
					t.Errorf("the lock file names run %s after the attempt", got.Run)
				}
			})
		}
	}
}

// A lock file that is not sfkvm's is never taken over, by either side.
func TestGarbledLockRefused(t *testing.T) {
	f := newFile(t)
	if err := os.WriteFile(Path(f), []byte("someone's notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Acquire(ctxT(t), f, owner(t, "rotate")); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "someone's notes") {
		t.Fatalf("Go: %v", err)
	}
	if _, stderr, code := shAcquire(t, f, "lock", owner(t, "rotate")); code != ExitLocked || !strings.Contains(stderr, "not a lock of this sfkvm") {
		t.Fatalf("sh: exit %d: %s", code, stderr)
	}
}

// Of many takers at once, across both implementations, exactly one wins.
func TestOneWinner(t *testing.T) {
	f := newFile(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 12 {
		wg.Go(func() {
			o := owner(t, "rotate")
			var ok bool
			if i%2 == 0 {
				ok = Acquire(ctxT(t), f, o) == nil
			} else {
				_, _, code := shAcquire(t, f, "lock", o)
				ok = code == 0
			}
			mu.Lock()
			won += map[bool]int{true: 1}[ok]
			mu.Unlock()
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d takers won the lock, want 1", won)
	}
}

// Replace is a compare and swap on the file's contents, under the lock.
func TestReplaceCompareAndSwap(t *testing.T) {
	f := newFile(t)
	o := owner(t, "rotate")
	old := SHA256([]byte("old\n"))
	if err := Replace(ctxT(t), f, o, []byte("new\n"), old); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("a write without the lock: %v", err)
	}
	if err := Acquire(ctxT(t), f, o); err != nil {
		t.Fatal(err)
	}
	if err := Replace(ctxT(t), f, o, []byte("new\n"), old); err != nil {
		t.Fatal(err)
	}
	if err := Replace(ctxT(t), f, o, []byte("new\n"), old); err != nil {
		t.Fatalf("a file that already holds the data: %v", err)
	}
	// Another writer (an editor, an older sfkvm) replaced it meanwhile.
	if err := os.WriteFile(f, []byte("edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ce *ChangedError
	if err := Replace(ctxT(t), f, o, []byte("newer\n"), SHA256([]byte("new\n"))); !errors.As(err, &ce) || ce.Now != SHA256([]byte("edited\n")) {
		t.Fatalf("a changed file was replaced: %v", err)
	}
	if b, _ := os.ReadFile(f); string(b) != "edited\n" {
		t.Fatalf("the refused write changed the file: %q", b)
	}
	if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after Replace: %v %v", fi.Mode(), err)
	}
}

// What a write will need is proven before: the scripts refuse a folder
// that is a symbolic link or that others can write, a FIFO as the lock
// file, and check mode makes no lock.
func TestScriptChecksTheFolder(t *testing.T) {
	f := newFile(t)
	d := filepath.Dir(f)
	link := filepath.Join(filepath.Dir(d), "link")
	if err := os.Symlink(d, link); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := shAcquire(t, filepath.Join(link, "kvmguests.conf"), "check", owner(t, "rotate")); code != ExitPath || !strings.Contains(stderr, "symbolic link") {
		t.Errorf("symlinked folder: exit %d: %s", code, stderr)
	}
	if err := os.Chmod(d, 0o757); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := shAcquire(t, f, "check", owner(t, "rotate")); code != ExitPath || !strings.Contains(stderr, "mode 757") {
		t.Errorf("folder 0757: exit %d: %s", code, stderr)
	}
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := shAcquire(t, f, "check", owner(t, "rotate"))
	if code != 0 || strings.TrimSpace(stdout) != SHA256([]byte("old\n")) {
		t.Fatalf("check: exit %d: %q %q", code, stdout, stderr)
	}
	ents, _ := os.ReadDir(d)
	if len(ents) != 1 {
		t.Errorf("check mode left files: %v", ents)
	}
	if err := syscallMkfifo(Path(f)); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := shAcquire(t, f, "lock", owner(t, "rotate")); code != ExitPath || !strings.Contains(stderr, "not a regular file") {
		t.Errorf("FIFO lock file (script): exit %d: %s", code, stderr)
	}
	done := make(chan error, 1)
	go func() { done <- Acquire(ctxT(t), f, owner(t, "rotate")) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("FIFO lock file (Go): %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Acquire blocked on a FIFO lock file for 5 s")
	}
}
