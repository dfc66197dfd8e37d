package sdfacility

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
)

var (
	// ErrToolMissing: the command (sdtool, cftool) does not exist.
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

// IsToolMissing reports whether err says that the command does not exist.
func IsToolMissing(err error) bool {
	return errors.Is(err, ErrToolMissing) || errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist)
}

// IsCommandFailed reports whether a command ran and exited non-zero.
func IsCommandFailed(err error) bool { return errors.Is(err, ErrCommandFailed) }

// IsAgentFailed reports whether an agent read InitFailed or TestFailed.
func IsAgentFailed(err error) bool { return errors.Is(err, ErrAgentFailed) }

// IsTimeout reports whether the context's deadline ended the work (a wait
// that ran out, or a command that hung).
func IsTimeout(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

// IsNotReady reports whether a wait ended before every agent was ready.
func IsNotReady(err error) bool { return errors.Is(err, ErrNotReady) }
