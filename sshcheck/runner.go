package sshcheck

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Runner runs a command and reports its output and exit status. err is
// non-nil only when the command could not be started or did not finish (a
// non-zero exit is exitStatus with err == nil). *Client implements it; so
// does any local runner of the same shape, e.g. sdfacility's.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error)
}

var _ Runner = (*Client)(nil)

// Run runs name with args on the target: directly when logged in as root,
// else through `sudo -n --` (so it fails rather than prompt). Every word is
// quoted for the remote shell, so arguments reach the command unchanged
// (the login shell must be a POSIX shell such as sh or bash, as it is for
// root on the guests this package checks).
// The command is killed when ctx ends or after Options.CommandTimeout, and
// its output is capped by the default Limits (DefaultMaxStdout,
// DefaultMaxStderr): see RunLimited.
func (c *Client) Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error) {
	return c.RunLimited(ctx, Limits{}, name, args...)
}

// RunLimited runs a command like Run with caps of its own on stdout and
// stderr, e.g. the size limit of a file it reads with cat. A stream that
// goes over its cap ends the session at once; the error is an *Error of
// kind ErrOutputTooLarge naming the stream and the cap, and the output is
// not returned.
func (c *Client) RunLimited(ctx context.Context, lim Limits, name string, args ...string) (stdout, stderr []byte, exitStatus int, err error) {
	line, err := QuoteCommand(name, args...)
	if err != nil {
		return nil, nil, -1, err
	}
	if !c.target.IsRoot() {
		line = "LC_ALL=C sudo -n -- " + line
	}
	return c.runLine(ctx, line, lim)
}

// Output runs the command like Run and returns its stdout; a non-zero exit
// is an *Error of kind ErrCommandFailed with the exit status and stderr.
func (c *Client) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	stdout, stderr, status, err := c.Run(ctx, name, args...)
	if err != nil {
		return stdout, err
	}
	if status != 0 {
		line, _ := QuoteCommand(name, args...)
		return stdout, &Error{Kind: ErrCommandFailed, Address: c.target.HostPort(), Stage: StageCommand,
			Command: line, ExitStatus: status, Stderr: QuoteRemote(stderr)}
	}
	return stdout, nil
}

// commandTimedOut is the error of a command whose context ended (err, the
// context's error) before it finished, or before it was started.
func commandTimedOut(addr, line string, err error) *Error {
	return &Error{Kind: ErrTimeout, Address: addr, Stage: StageCommand, Err: fmt.Errorf("%s: %w", shortCommand(line), err)}
}

// runLine runs a command line as the remote shell reads it, with its
// output capped by lim.
func (c *Client) runLine(ctx context.Context, line string, lim Limits) (stdout, stderr []byte, exitStatus int, err error) {
	addr := c.target.HostPort()
	// A context already ended starts nothing: the command must not run on
	// the host after its caller gave up, and the cancel below, finding no
	// session yet, would close the whole connection.
	if err := ctx.Err(); err != nil {
		return nil, nil, -1, commandTimedOut(addr, line, err)
	}
	cancel := context.CancelFunc(func() {})
	if c.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	lim = lim.withDefaults()
	over := make(chan *cappedBuffer, 2)
	o := &cappedBuffer{stream: "stdout", max: lim.MaxStdout, over: over}
	e := &cappedBuffer{stream: "stderr", max: lim.MaxStderr, over: over}

	done := make(chan error, 1)
	var mu sync.Mutex
	var sess *ssh.Session
	go func() {
		s, err := c.client.NewSession()
		if err != nil {
			done <- err
			return
		}
		mu.Lock()
		sess = s
		mu.Unlock()
		defer s.Close()
		s.Stdout, s.Stderr = o, e
		if lim.stdin != nil {
			s.Stdin = lim.stdin
		}
		done <- s.Run(line)
	}()
	// kill ends the session without waiting for the remote side: a host
	// that keeps writing, or never answers the close, costs nothing more.
	kill := func() {
		mu.Lock()
		defer mu.Unlock()
		if sess != nil {
			sess.Signal(ssh.SIGKILL)
			sess.Close()
		} else {
			c.client.Close() // stuck opening a channel: the connection is wedged
		}
	}
	tooLarge := func(b *cappedBuffer) error {
		return &Error{Kind: ErrOutputTooLarge, Address: addr, Stage: StageCommand, Command: line,
			Stream: b.stream, Limit: b.max, ExitStatus: -1, Stderr: QuoteRemote(c.scrub(e.snapshot()))}
	}

	var runErr error
	select {
	case runErr = <-done:
	case b := <-over:
		kill()
		return nil, nil, -1, tooLarge(b)
	case <-ctx.Done():
		kill()
		return nil, nil, -1, commandTimedOut(addr, line, ctx.Err())
	}
	// The run may have ended by itself after a stream went over.
	for _, b := range []*cappedBuffer{o, e} {
		if b.overCap() {
			return nil, nil, -1, tooLarge(b)
		}
	}
	// Nothing the host printed keeps the login password.
	o.buf, e.buf = c.scrub(o.buf), c.scrub(e.buf)
	var exit *ssh.ExitError
	if errors.As(runErr, &exit) && exit.Signal() == "" && mustChangeBeforeCommands(o.buf, e.buf) {
		return nil, nil, -1, &Error{Kind: ErrPasswordExpired, Address: addr, Stage: StageSession, Command: line,
			ExitStatus: exit.ExitStatus(), Stderr: QuoteRemote(e.buf), Hint: passwordExpiredHint(c.target)}
	}
	switch {
	case runErr == nil:
		return o.buf, e.buf, 0, nil
	case errors.As(runErr, &exit) && exit.Signal() == "":
		return o.buf, e.buf, exit.ExitStatus(), nil
	case errors.As(runErr, &exit):
		return o.buf, e.buf, -1, &Error{Kind: ErrCommandFailed, Address: addr, Stage: StageCommand,
			Command: line, ExitStatus: -1, Stderr: QuoteRemote(e.buf), Err: fmt.Errorf("killed by signal %s", QuoteRemote([]byte(exit.Signal())))}
	}
	return o.buf, e.buf, -1, &Error{Kind: ErrConnection, Address: addr, Stage: StageCommand, Err: runErr}
}

// CheckSudo runs `LC_ALL=C sudo -n true` and tells apart the ways it fails.
// It returns nil at once for root.
func (c *Client) CheckSudo(ctx context.Context) error {
	if c.target.IsRoot() {
		return nil
	}
	const line = "LC_ALL=C sudo -n true"
	_, stderr, status, err := c.runLine(ctx, line, Limits{})
	if err != nil {
		return err
	}
	if status == 0 {
		return nil
	}
	if err := c.SudoRefusal(line, status, stderr); err != nil {
		return err
	}
	return &Error{Kind: ErrSudoFailed, Stage: StageSudo, Address: c.target.HostPort(), Command: line, ExitStatus: status,
		Stderr: QuoteRemote(stderr), Hint: "sudo -n true failed on the guest; see its stderr"}
}

// SudoRefusal returns the error CheckSudo gives when stderr and status are
// sudo's own refusal to run a command (a password needed, the user not in
// sudoers, a tty needed), and nil for anything else. A command that sudo
// refused never started, so a caller that runs its one command through
// `sudo -n --` (Run, RunInput) learns from it what a `sudo -n true` first
// would have told, without that second command on the guest: rotate's
// chpasswd does. The error is an *Error at StageSudo (errors.As).
func (c *Client) SudoRefusal(command string, status int, stderr []byte) error {
	if c.target.IsRoot() || status != 1 {
		return nil
	}
	e := &Error{Address: c.target.HostPort(), Stage: StageSudo, Command: command, ExitStatus: status, Stderr: QuoteRemote(stderr)}
	u := c.target.User
	switch msg := string(stderr); {
	case strings.Contains(msg, "sudo: a password is required"):
		// sudo says the same when the user is not in sudoers at all.
		e.Kind = ErrSudoNeedsPassword
		e.Hint = fmt.Sprintf("add `%s ALL=(root) NOPASSWD: ALL` to sudoers on the guest (visudo -f /etc/sudoers.d/%s); sudo prints the same when %s is not in sudoers", u, u, u)
	case strings.Contains(msg, "must have a tty to run sudo"):
		e.Kind = ErrSudoNeedsTTY
		e.Hint = fmt.Sprintf("sudoers has requiretty: add `Defaults:%s !requiretty` on the guest", u)
	default:
		return nil
	}
	return e
}

// QuoteCommand returns name and args as one line for a POSIX shell, each
// word single-quoted unless it is made only of characters that no shell
// treats specially. A NUL byte cannot be passed and is an error.
func QuoteCommand(name string, args ...string) (string, error) {
	var b strings.Builder
	for i, w := range append([]string{name}, args...) {
		if strings.IndexByte(w, 0) >= 0 {
			return "", fmt.Errorf("sshcheck: argument %d contains a NUL byte", i)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteWord(w))
	}
	return b.String(), nil
}

// safeChars are never special to a POSIX shell, anywhere in a word. "="
// is left out: a first word with one would be a variable assignment.
const safeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+,"

func quoteWord(w string) string {
	if w != "" && strings.Trim(w, safeChars) == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
