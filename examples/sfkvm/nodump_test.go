package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// blockedOnStdin starts cmd with a blocking pipe as stdin that the test
// holds open (so a command reading a password waits in read(0, ...)), and
// returns the pipe's write end; cleanup kills and reaps the process.
func blockedOnStdin(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	// A pipe of os.Pipe is non-blocking, and the child would wait in the Go
	// poller, not in read: make a plain one.
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(p[0]), "stdin-r"), os.NewFile(uintptr(p[1]), "stdin-w")
	cmd.Stdin = r
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() {
		w.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the command's stderr:\n%s", errb.String())
		}
	})
}

// waitReadingStdin waits until a thread of pid is in read(0, ...) (the
// first field of /proc/PID/task/TID/syscall is the call, the second its
// first argument): past the start of main, where the CLI protects itself.
// Reading another process's syscall file needs root.
func waitReadingStdin(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && strings.HasPrefix(string(b), fmt.Sprintf("%d 0x0 ", syscall.SYS_READ)) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d not reading its stdin after 20 s (threads' syscalls in %v)", pid, tasks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// coreLimit is the "Max core file size" line of /proc/PID/limits, its
// soft and hard values.
func coreLimit(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "Max core file size"); ok {
			f := strings.Fields(rest)
			if len(f) >= 2 {
				return f[0] + " " + f[1]
			}
		}
	}
	t.Fatalf("no core file size in /proc/%d/limits:\n%s", pid, b)
	return ""
}

// coresIn lists the core files kernel.core_pattern "core" (Debian's
// default) leaves in a folder.
func coresIn(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "core*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitExit waits for cmd to end, at most 20 s.
func waitExit(t *testing.T, cmd *exec.Cmd) syscall.WaitStatus {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.Sys().(syscall.WaitStatus)
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the process did not end within 20 s of its signal")
		return 0
	}
}

// cipherReadingPassword is cipher -c in sfkvm's own sealed format, which
// loads its key first and then waits for the password on stdin; the key
// file is made in dir and given to uid.
func cipherReadingPassword(t *testing.T, dir string, uid int) []string {
	t.Helper()
	key := filepath.Join(dir, "sfkvm.key")
	if r := runCLI(t, "", "cipher", "--new-key", key); r.code != exitOK {
		t.Fatalf("cipher --new-key: %+v", r)
	}
	if err := os.Chown(key, uid, uid); err != nil {
		t.Fatal(err)
	}
	return []string{"cipher", "-c", "--password-stdin", "--native", "--key", key,
		"--guest-name", "guest1", "--guest-ip", "192.0.2.1", "--guest-user", "root"}
}

// sharedTempDir is a temporary folder that other users may enter (a
// t.TempDir() sits in a folder that only root may enter).
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sfkvm-nodump-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A password being typed (cipher -c --password-stdin, blocked on its
// stdin after loading its key) in a shell that allowed core files: the CLI lowered RLIMIT_CORE
// to 0, soft and hard, and a SIGQUIT with GOTRACEBACK=crash (Go's way to a
// core dump) leaves no core file. A shell killed the same way in the same
// folder shows that this machine writes core files there at all.
func TestCLIWritesNoCoreDump(t *testing.T) {
	testenv.Root(t, "reading another process's /proc/PID/task/*/syscall")
	bin := cliBinary(t)

	control := t.TempDir()
	sh := exec.Command("/bin/sh", "-c", `ulimit -c unlimited && kill -QUIT $$`)
	sh.Dir = control
	sh.Run()
	shellDumped := sh.ProcessState != nil && sh.ProcessState.Sys().(syscall.WaitStatus).CoreDump()

	dir := t.TempDir()
	args := cipherReadingPassword(t, dir, 0)
	cmd := exec.Command("/bin/sh", append([]string{"-c", `ulimit -c unlimited && exec "$0" "$@"`, bin}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTRACEBACK=crash")
	blockedOnStdin(t, cmd)
	waitReadingStdin(t, cmd.Process.Pid)
	if got := coreLimit(t, cmd.Process.Pid); got != "0 0" {
		t.Errorf("the CLI's core file size limits are %q (soft, hard), want \"0 0\"", got)
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	ws := waitExit(t, cmd)
	if !ws.Signaled() {
		t.Errorf("after SIGQUIT with GOTRACEBACK=crash the CLI %v, want it killed by a signal", cmd.ProcessState)
	}
	if ws.CoreDump() || len(coresIn(t, dir)) > 0 {
		t.Errorf("the CLI dumped core (wait status %v, files %q)", cmd.ProcessState, coresIn(t, dir))
	}
	if !shellDumped {
		t.Logf("this machine wrote no core file for a shell either (kernel.core_pattern?): only the limits were checked")
	}
}

// The CLI is not dumpable: the kernel then gives the files in its
// /proc/PID to root (not the folder itself, which keeps the process's
// user), which a process of another user shows. Run as nobody, blocked
// reading a password, its /proc/PID/status belongs to root.
func TestCLIIsNotDumpable(t *testing.T) {
	testenv.Root(t, "running the CLI as another user")
	// The test binary's folder is root's alone; nobody needs one it can
	// enter.
	const nobody = 65534
	dir := sharedTempDir(t)
	args := cipherReadingPassword(t, dir, nobody)
	bin := filepath.Join(dir, "sfkvm")
	b, err := os.ReadFile(cliBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.WriteExecutable(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	blockedOnStdin(t, cmd)
	waitReadingStdin(t, cmd.Process.Pid)
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 0 {
		t.Errorf("/proc/PID/status of the CLI run as uid %d belongs to uid %d: it is dumpable (want root's)", nobody, st.Uid)
	}
}
