package sdfacility

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrToolMissing: the command (sdtool, cftool) itself does not exist:
	// not found in PATH, or no file at its path. A tool that is there but
	// cannot start (a script whose interpreter is missing) is not this
	// error. A Runner reports a missing tool by wrapping it.
	ErrToolMissing = errors.New("tool not found")
	// ErrCommandFailed: the command ran and exited non-zero.
	ErrCommandFailed = errors.New("command failed")
	// ErrAgentFailed: a shutdown agent reads InitFailed or TestFailed.
	ErrAgentFailed = errors.New("shutdown agent failed")
	// ErrNotReady: the wait ended (context deadline or cancel) before every
	// agent was ready.
	ErrNotReady = errors.New("shutdown facility not ready")
	// ErrUnrecognised: a command's output could not be understood.
	ErrUnrecognised = errors.New("output not recognised")
	// ErrMayBeDown: sdtool -b failed or did not finish: the shutdown
	// facility may now be down.
	ErrMayBeDown = errors.New("the shutdown facility may now be down")
	// ErrUnconfirmed: sdtool -s printed a table but exited non-zero, so
	// the facility is not confirmed running.
	ErrUnconfirmed = errors.New("sdtool -s printed a table but exited non-zero")
	// ErrOutputLimit: a command printed more than the runner keeps, and
	// was stopped there.
	ErrOutputLimit = errors.New("output over its limit")
)

// OutputLimitError is a command stopped because it printed more than
// LocalRunner keeps on one stream (MaxStdout or MaxStderr).
type OutputLimitError struct {
	Stream string // "stdout" or "stderr"
	Limit  int    // bytes kept
}

func (e *OutputLimitError) Error() string {
	return fmt.Sprintf("more than %d bytes on %s: the command was stopped", e.Limit, e.Stream)
}

func (e *OutputLimitError) Is(target error) bool { return target == ErrOutputLimit }

// CommandError is a command that could not run, did not finish, or exited
// non-zero. It keeps the raw output for the message and for callers.
type CommandError struct {
	Command    string
	Args       []string
	ExitStatus int    // meaningful when Err is nil
	Stdout     []byte // raw
	Stderr     []byte // raw
	// Err is set when the command was not started or did not finish (the
	// Runner's error: not found, context ended, connection lost).
	Err error
}

func (e *CommandError) commandLine() string {
	return strings.Join(append([]string{e.Command}, e.Args...), " ")
}

// Error names the command and what ended it, then quotes its stderr (or
// its stdout when stderr is empty), escaped and cut (see excerpt): the
// words are the tool's, the bytes are never passed raw to a terminal.
func (e *CommandError) Error() string {
	msg := fmt.Sprintf("%s: exit status %d", e.commandLine(), e.ExitStatus)
	if e.Err != nil {
		msg = fmt.Sprintf("%s: %v", e.commandLine(), e.Err)
	}
	if out := strings.TrimSpace(string(e.Stderr)); out != "" {
		return msg + ": stderr " + excerpt(out, maxExcerpt)
	}
	if out := strings.TrimSpace(string(e.Stdout)); out != "" {
		return msg + ": stdout " + excerpt(out, maxExcerpt)
	}
	return msg
}

// Unwrap returns the Runner's error, or ErrCommandFailed for a non-zero exit.
func (e *CommandError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return ErrCommandFailed
}

// StepError is a failed sdtool -e or -b (Err, a *CommandError), with what
// sdtool -s said right after it: Status, or StatusErr when it could not be
// read. Status is then the facility's state, not the one before the step.
type StepError struct {
	Err       *CommandError
	Status    *Status
	StatusErr error
}

// start reports whether the failed step is sdtool -b.
func (e *StepError) start() bool { return len(e.Err.Args) == 1 && e.Err.Args[0] == "-b" }

// Error is the command's error; for sdtool -b it says that the facility
// may now be down and what to run.
func (e *StepError) Error() string {
	if e.start() {
		return e.Err.Error() + "; the shutdown facility may now be down: sdtool -s shows it, sdtool -b starts it"
	}
	return e.Err.Error()
}

// Unwrap returns the *CommandError, and ErrMayBeDown for sdtool -b.
func (e *StepError) Unwrap() []error {
	if e.start() {
		return []error{e.Err, ErrMayBeDown}
	}
	return []error{e.Err}
}

// StatusError is sdtool -s that printed a table but exited non-zero. The
// exit codes are not public, so such a table is not read as "running":
// Status holds it (Running false, Agents as read).
type StatusError struct {
	Status *Status
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("sdtool -s exited %d after printing a table of %d agent(s): the shutdown facility is not confirmed running", e.Status.ExitStatus, len(e.Status.Agents))
	if out := strings.TrimSpace(e.Status.Stderr); out != "" {
		msg += ": stderr " + excerpt(out, maxExcerpt)
	}
	return msg
}

func (e *StatusError) Unwrap() error { return ErrUnconfirmed }

// AgentError names the node and agent whose initialisation or test failed.
type AgentError struct {
	Node, Agent string
	Column      string // "Init State", "Test State" or "SA State"
	State       string // the word read there
	Status      *Status
}

func (e *AgentError) Error() string {
	return fmt.Sprintf("shutdown agent %s on node %s failed: %s is %s", e.Agent, e.Node, e.Column, e.State)
}

func (e *AgentError) Is(target error) bool { return target == ErrAgentFailed }

// WaitError ends a wait that ran out; Last is the last status read (nil if
// none was).
type WaitError struct {
	Last *Status
	Err  error // the context's error
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("shutdown facility not ready when the wait ended (%v); last status: %s", e.Err, e.Last.Summary())
}

func (e *WaitError) Unwrap() []error { return []error{ErrNotReady, e.Err} }

// UnrecognisedError is output that a parser refused; Raw is kept whole.
type UnrecognisedError struct {
	Command string
	Raw     string
	Reason  string
}

func (e *UnrecognisedError) Error() string {
	return fmt.Sprintf("%s: %s: output was %s", e.Command, e.Reason, excerpt(e.Raw, maxExcerpt))
}

func (e *UnrecognisedError) Unwrap() error { return ErrUnrecognised }
