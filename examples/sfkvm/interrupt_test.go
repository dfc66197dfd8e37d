package main

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// interruptAt runs the built CLI (bin with args, stdin) in a process group
// of its own, waits until it reaches the step that the hook paused at
// key, sends SIGINT to the group (Ctrl-C at a terminal), lets the step go
// on half a second later (the run must finish what it started), and
// returns the exit code and what it printed. A run still going a minute
// after the signal fails the test, naming stage.
func interruptAt(t *testing.T, h *faultHook, key, stage, bin, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	h.pause(t, key)
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	h.waitReached(t, key, done)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	time.Sleep(500 * time.Millisecond)
	h.release(t, key, "ok")
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("%s: still running a minute after SIGINT", stage)
	}
	return cmd.ProcessState.ExitCode(), o.String(), e.String()
}
