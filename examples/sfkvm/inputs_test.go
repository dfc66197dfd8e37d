package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/kvmguests"
)

// runWithin runs the CLI and fails the test if it does not end in time: no
// input may block a command (a FIFO without a writer once hung check
// --no-perm, compare and preflight for ever). The bound tells "for ever"
// from "slow", not a speed: 10 s was crossed at a load average of 40.
func runWithin(t *testing.T, args ...string) cliResult {
	t.Helper()
	done := make(chan cliResult, 1)
	go func() { done <- runCLI(t, "", args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(blockedAfter):
		t.Fatalf("sfkvm %s blocked: no result in %v (an input that is not a regular file was waited on?)", strings.Join(args, " "), blockedAfter)
		return cliResult{}
	}
}

// blockedAfter is how long runWithin waits for a command before calling it
// blocked.
const blockedAfter = 60 * time.Second

// TestInputsThatAreNotFiles: check (with and without --no-perm) and
// compare (on either side) refuse a FIFO, a device, a folder and a file
// over the cap with exit 66 and a message naming the path and what it is,
// without blocking and without reading it (compare once read /dev/zero up
// to 7.6 GB).
func TestInputsThatAreNotFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.conf")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, kvmguests.MaxSize+1); err != nil { // sparse
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, says string }{
		{fifo, fifo + ": is not a regular file (a FIFO)"},
		{"/dev/zero", "/dev/zero: is not a regular file (a character device)"},
		{dir, dir + ": is not a regular file (a folder)"},
		{big, "reading " + big + ": larger than 64 MiB: not a kvmguests.conf"},
	} {
		for _, args := range [][]string{
			{"check", "-f", tc.path},
			{"check", "--no-perm", "-f", tc.path},
			{"check", "--no-perm", "--format=json", "-f", tc.path},
			{"compare", "testdata/ok.conf", tc.path},
			{"compare", tc.path, "testdata/ok.conf"},
			{"compare", "--format=json", "testdata/ok.conf", "testdata/ok.conf", tc.path},
		} {
			r := runWithin(t, args...)
			if r.code != exitNoInput || !strings.Contains(r.stderr, tc.says) || r.stdout != "" {
				t.Errorf("sfkvm %s: exit %d, stdout %q, stderr %q; want 66 and %q", strings.Join(args, " "), r.code, r.stdout, r.stderr, tc.says)
			}
		}
	}
}

// TestCheckJSONShowsNoPasswordLength: a plain-text password typed by
// mistake is shown as every token is, without its length.
func TestCheckJSONShowsNoPasswordLength(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvmguests.conf")
	conf := "guest11 cfhost1 cluster1 cfguest11 10.20.30.50 user1 MyPassw0rd\n" +
		"guest12 cfhost2 cluster1 cfguest12 10.20.30.51 user2 D0860AB04E1B8FA3\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "check", "--no-perm", "--format=json", "-f", path)
	var rep kvmguests.CheckReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Guests) != 2 {
		t.Fatalf("report: %v\n%s", err, r.stdout)
	}
	for _, g := range rep.Guests {
		if g.Password != "<token>" {
			t.Errorf("line %d: guest_passwd shown as %q, want <token>", g.Line, g.Password)
		}
	}
	if out := r.stdout + r.stderr; strings.Contains(out, "MyPassw0rd") || strings.Contains(out, "10 chars") || strings.Contains(out, "16 chars") {
		t.Errorf("the output shows a password or its length:\n%s", out)
	}
}

// TestSecretFilesOpenedAsSecrets: --host-password-file and --key go through
// the one guarded open of secrets: a FIFO is refused at once, a symbolic
// link, set-id bits or group and other bits are refused (77).
func TestSecretFilesOpenedAsSecrets(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("hunter2\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(secret("target", 0o600), link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		code int
		says string
	}{
		{fifo, exitNoInput, "is not a regular file (a FIFO)"},
		{link, exitNoPerm, "(a symbolic link)"},
		{secret("setuid", 0o600|os.ModeSetuid), exitNoPerm, "mode 4600"},
		{secret("group", 0o640), exitNoPerm, "mode 0640"},
	} {
		r := runWithin(t, "preflight", "--hosts", "127.0.0.1", "--host-password-file", tc.path)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.path) || !strings.Contains(r.stderr, tc.says) || strings.Contains(r.stderr+r.stdout, "hunter2") {
			t.Errorf("--host-password-file %s: exit %d, stderr %q; want %d and %q", tc.path, r.code, r.stderr, tc.code, tc.says)
		}
	}
	for _, args := range [][]string{{"preflight", "--key", fifo}, {"probe", "--no-perm", "-f", "testdata/noguests.conf", "--key", fifo}} {
		if r := runWithin(t, args...); r.code != exitNoInput || !strings.Contains(r.stderr, "not a regular file (a FIFO)") {
			t.Errorf("%s: exit %d, stderr %q; want 66, not a regular file", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}

// TestPasswordFileOfAnotherUser: a 0600 password file that belongs to
// another user (who could change it under us) is refused.
func TestPasswordFileOfAnotherUser(t *testing.T) {
	testenv.Root(t, "to give a file to another user")
	p := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(p, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	r := runWithin(t, "preflight", "--hosts", "127.0.0.1", "--host-password-file", p)
	if r.code != exitNoPerm || !strings.Contains(r.stderr, "is owned by another user (uid 65534") {
		t.Errorf("exit %d, stderr %q; want 77, owned by another user", r.code, r.stderr)
	}
}
