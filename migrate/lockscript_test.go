package migrate_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/migrate"
)

// lockHere starts LockScript with the real sh and flock(1) on file, and
// waits for its SFKVM-LOCKED; release ends its input, as the end of
// sfkvm's SSH session does, and waits for it.
func lockHere(t *testing.T, env []string, file, holder string) (release func() error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", migrate.LockScript, "sh", file, holder)
	cmd.Env = env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if s != "SFKVM-LOCKED\n" {
			cmd.Wait()
			t.Fatalf("the lock script printed %q, stderr %q", s, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lock script printed nothing in 10 s")
	}
	return func() error {
		in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			return errors.New("the holder did not end within 10 s of the end of its input")
		}
	}
}

// tryLockHere runs LockScript on file with its input at its end and
// returns its exit status and stderr.
func tryLockHere(t *testing.T, env []string, file string) (int, string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", migrate.LockScript, "sh", file, "the second")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if x, ok := err.(*exec.ExitError); ok {
		return x.ExitCode(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// The script a node runs, with the real sh and flock(1): one holder at a
// time, the second told who holds it (exit 75), the lock free again once
// the holder's input ends; a node without flock exits 127.
func TestLockScriptWithRealFlock(t *testing.T) {
	_, err := exec.LookPath("flock")
	testenv.Need(t, err == nil, "flock(1)", "apt-get install util-linux")
	file := filepath.Join(t.TempDir(), "sfkvm-migrate-cluster1.lock")
	env := os.Environ()
	release := lockHere(t, env, file, "sfkvm migrate guest11 to host2 on host1 (pid 42)")
	status, stderr := tryLockHere(t, env, file)
	if status != 75 || stderr != "held by sfkvm migrate guest11 to host2 on host1 (pid 42)\n" {
		t.Errorf("a second taker: exit %d, stderr %q; want 75 naming the holder", status, stderr)
	}
	if err := release(); err != nil {
		t.Errorf("the holder after the end of its input: %v, want exit 0", err)
	}
	// Free again: the second takes it at once.
	release = lockHere(t, env, file, "the third")
	if err := release(); err != nil {
		t.Error(err)
	}

	// PATH without flock(1): only sh's own folder's tools.
	bin := t.TempDir()
	for _, tool := range []string{"sh", "cat", "head", "tr", "printf"} {
		if p, err := exec.LookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(bin, tool))
		}
	}
	noFlock := []string{"PATH=" + bin}
	status, stderr = tryLockHere(t, noFlock, filepath.Join(t.TempDir(), "x.lock"))
	if status != 127 || !strings.Contains(stderr, "flock: not found") {
		t.Errorf("without flock(1): exit %d, stderr %q; want 127 saying so", status, stderr)
	}
}
