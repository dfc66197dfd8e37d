package sdfacility

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Runner runs one command to its end. It is the one outside effect of this
// package, so that the same calls work locally ([LocalRunner]), over SSH (a
// runner from another package with the same method, no import needed), or
// against a simulation (package sdtest).
//
// err is non-nil only when the command could not be started or did not
// finish (not found, context ended, connection lost); a command that ran
// and exited non-zero reports it in exitStatus with err == nil.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error)
}

// DefaultWaitDelay is how long LocalRunner waits for the output pipes to
// close after the command ended or was killed.
const DefaultWaitDelay = 2 * time.Second

// LocalRunner runs commands on this machine with os/exec. Each command gets
// a process group of its own, and the whole group is killed (SIGKILL) when
// the context ends, so that a hung sdtool and anything it started go away
// together. The environment is this process's with LC_ALL=C, so that the
// vendor tools print the words this package parses.
//
// A command that exits while a child it left behind still holds its output
// open (a daemon that did not close stdout) is not killed: after WaitDelay
// the pipes are closed and its exit status is returned.
type LocalRunner struct {
	// WaitDelay bounds the wait for the output pipes; DefaultWaitDelay if zero.
	WaitDelay time.Duration
}

var _ Runner = LocalRunner{}

// Run implements Runner.
func (r LocalRunner) Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = cEnviron(os.Environ())
	setProcessGroup(cmd)
	cmd.WaitDelay = r.WaitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = DefaultWaitDelay
	}
	runErr := cmd.Run()
	if cmd.ProcessState == nil { // never started
		if errors.Is(runErr, exec.ErrNotFound) || errors.Is(runErr, fs.ErrNotExist) {
			runErr = fmt.Errorf("%w: %w", ErrToolMissing, runErr)
		}
		return out.Bytes(), errOut.Bytes(), -1, runErr
	}
	code, signaled := exitCode(cmd.ProcessState)
	if signaled && ctx.Err() != nil {
		// Killed because the context ended: the command did not finish.
		// (One that exited on its own just before keeps its exit status.)
		return out.Bytes(), errOut.Bytes(), -1, fmt.Errorf("%s did not finish: %w", name, context.Cause(ctx))
	}
	return out.Bytes(), errOut.Bytes(), code, nil
}

// exitCode is the exit status, or 128+signal (as a shell reports it) for a
// command killed by a signal.
func exitCode(ps *os.ProcessState) (code int, signaled bool) {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), true
	}
	return ps.ExitCode(), false
}

// cEnviron returns env with every LC_ALL entry replaced by LC_ALL=C.
func cEnviron(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LC_ALL=") {
			out = append(out, kv)
		}
	}
	return append(out, "LC_ALL=C")
}
