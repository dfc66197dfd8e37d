package sdfacility

import (
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
// finish (not found, context ended, output over its limit, connection
// lost); a command that ran and exited non-zero reports it in exitStatus
// with err == nil.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error)
}

// Bounds of LocalRunner, used where its fields are zero.
const (
	// DefaultWaitDelay is how long LocalRunner waits for the output pipes
	// to close after the command ended or was killed.
	DefaultWaitDelay = 2 * time.Second
	// DefaultCommandTimeout bounds a command whose context has no deadline: the
	// vendor tools answer in seconds, and one that hangs must not hang
	// its caller for ever.
	DefaultCommandTimeout = time.Minute
	// DefaultMaxStdout is the most stdout kept: far more than any table
	// or name these tools print.
	DefaultMaxStdout = 1 << 20
	// DefaultMaxStderr is the most stderr kept: enough for any message.
	DefaultMaxStderr = 4 << 10
)

// LocalRunner runs commands on this machine with os/exec. Each command gets
// a process group of its own, and the whole group is killed (SIGKILL) when
// the context ends, so that a hung sdtool and anything it started go away
// together. The environment is this process's with LC_ALL=C, so that the
// vendor tools print the words this package parses.
//
// Every run is bounded. Without a deadline in its context it gets Timeout.
// A command that prints more than MaxStdout bytes on stdout or MaxStderr on
// stderr is killed (with its group) at that point: Run returns what it kept
// and an *[OutputLimitError].
//
// A command that exits while a child it left behind still holds its output
// open (a daemon that did not close stdout) is not killed: it may be the
// daemon the command was asked to start. After WaitDelay the pipes are
// closed and the command's exit status is returned.
type LocalRunner struct {
	// WaitDelay bounds the wait for the output pipes; DefaultWaitDelay if zero.
	WaitDelay time.Duration
	// CommandTimeout bounds a run whose context has no deadline;
	// DefaultCommandTimeout if zero. A deadline in the context is kept as
	// it is. (sshcheck.Options.CommandTimeout is the same knob.)
	CommandTimeout time.Duration
	// MaxStdout and MaxStderr cap the output kept, in bytes;
	// DefaultMaxStdout and DefaultMaxStderr if zero.
	MaxStdout, MaxStderr int
}

var _ Runner = LocalRunner{}

// Run implements Runner.
func (r LocalRunner) Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if _, ok := ctx.Deadline(); !ok {
		d := orDefault(r.CommandTimeout, DefaultCommandTimeout)
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, d, fmt.Errorf("no end after %v, the default bound of a command: %w", d, context.DeadlineExceeded))
		defer stop()
	}
	out := &cappedBuffer{stream: "stdout", max: orDefault(r.MaxStdout, DefaultMaxStdout), over: cancel}
	errOut := &cappedBuffer{stream: "stderr", max: orDefault(r.MaxStderr, DefaultMaxStderr), over: cancel}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.Env = cEnviron(os.Environ())
	setProcessGroup(cmd)
	cmd.WaitDelay = orDefault(r.WaitDelay, DefaultWaitDelay)
	runErr := cmd.Run()
	if cmd.ProcessState == nil { // never started
		if ctx.Err() != nil {
			// The caller's reason (an interrupt, say), not "context canceled".
			return out.buf, errOut.buf, -1, fmt.Errorf("not started: %w", context.Cause(ctx))
		}
		return out.buf, errOut.buf, -1, startError(cmd.Path, runErr) // Path: name as found in PATH
	}
	var limit *OutputLimitError
	if errors.As(context.Cause(ctx), &limit) {
		// Killed at the cap (or it ended just then): what it printed is cut.
		return out.buf, errOut.buf, -1, limit
	}
	code, signaled := exitCode(cmd.ProcessState)
	if signaled && ctx.Err() != nil {
		// Killed because the context ended: the command did not finish.
		// (One that exited on its own just before keeps its exit status.)
		return out.buf, errOut.buf, -1, fmt.Errorf("did not finish: %w", context.Cause(ctx))
	}
	return out.buf, errOut.buf, code, nil
}

// startError says why a command did not start. ErrToolMissing only when
// the tool itself is absent (not in PATH, or no file at its path): exec
// reports a missing script interpreter or loader with the same ENOENT,
// and then the tool is there and must be repaired, not installed.
func startError(name string, err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrToolMissing, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, statErr := os.Stat(name); errors.Is(statErr, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrToolMissing, err)
	}
	return fmt.Errorf("%s exists but cannot be started (its interpreter or a library it needs is missing): %w", name, err)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// cappedBuffer keeps at most max bytes. The write that would pass the cap
// keeps what fits, ends the run (over) and fails, so that os/exec stops
// copying and closes the pipe: a command that prints for ever is stopped,
// not buffered.
type cappedBuffer struct {
	stream string
	max    int
	buf    []byte
	over   context.CancelCauseFunc
	full   bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.full {
		return 0, ErrOutputLimit
	}
	if room := b.max - len(b.buf); len(p) > room {
		b.buf = append(b.buf, p[:room]...)
		b.full = true
		b.over(&OutputLimitError{Stream: b.stream, Limit: b.max})
		return room, ErrOutputLimit
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
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
