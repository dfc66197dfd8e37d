package sshcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// holdReleaseWait bounds Release's wait for the command to end after its
// input ended; the session is closed then, whatever the command does.
const holdReleaseWait = 5 * time.Second

// Held is a command that Hold left running on the target. It keeps what it
// holds (a lock) until Release, Client.Close, or the end of the
// connection: the command then reads the end of its input.
type Held struct {
	sess  *ssh.Session
	stdin io.WriteCloser
	done  <-chan error
	once  sync.Once
	err   error
}

// Release ends the command's input and waits, at most 5 s, for it to
// end; then the session is closed. It returns nil when the command exited
// 0. Calling it again returns the first answer.
func (h *Held) Release() error {
	h.once.Do(func() {
		h.stdin.Close()
		select {
		case err := <-h.done:
			h.err = err
		case <-time.After(holdReleaseWait):
			h.sess.Signal(ssh.SIGKILL)
			h.err = fmt.Errorf("sshcheck: the held command did not end within %v of the end of its input", holdReleaseWait)
		}
		h.sess.Close()
	})
	return h.err
}

// Hold runs a command that holds something for as long as the caller
// wants, typically `flock FILE -c 'echo READY; exec cat >/dev/null'`:
// name with args, through `sudo -n --` unless root, as Run. Its stdin
// stays open. Once the command prints the line ready on stdout, Hold
// returns it as a *Held (stdout and stderr are then nil). If it exits
// first, Hold returns its output and exit status as Run does, and a nil
// *Held.
//
// The wait for ready is bounded by ctx and Options.CommandTimeout. Once
// held, the command outlives ctx: only Release, Close and the end of the
// connection end it, so that it can be held through work done on a
// context of its own. What it prints after ready is read and dropped.
func (c *Client) Hold(ctx context.Context, ready string, name string, args ...string) (h *Held, stdout, stderr []byte, exitStatus int, err error) {
	line, err := QuoteCommand(name, args...)
	if err != nil {
		return nil, nil, nil, -1, err
	}
	if !c.target.IsRoot() {
		line = "LC_ALL=C sudo -n -- " + line
	}
	addr := c.target.HostPort()
	if err := ctx.Err(); err != nil { // starts nothing, as runLine
		return nil, nil, nil, -1, commandTimedOut(addr, line, err)
	}
	cancel := context.CancelFunc(func() {})
	if c.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	lim := Limits{}.withDefaults()
	over := make(chan *cappedBuffer, 2)
	o := &readyWriter{ready: []byte(ready + "\n"), seen: make(chan struct{}),
		cappedBuffer: cappedBuffer{stream: "stdout", max: lim.MaxStdout, over: over}}
	e := &cappedBuffer{stream: "stderr", max: lim.MaxStderr, over: over}

	opened := make(chan *ssh.Session, 1)
	openErr := make(chan error, 1)
	go func() {
		s, err := c.client.NewSession()
		if err != nil {
			openErr <- err
			return
		}
		opened <- s
	}()
	var s *ssh.Session
	select {
	case s = <-opened:
	case err := <-openErr:
		return nil, nil, nil, -1, &Error{Kind: ErrConnection, Address: addr, Stage: StageCommand, Err: err}
	case <-ctx.Done():
		c.client.Close() // stuck opening a channel: the connection is wedged
		return nil, nil, nil, -1, commandTimedOut(addr, line, ctx.Err())
	}
	s.Stdout, s.Stderr = o, e
	in, err := s.StdinPipe()
	if err == nil {
		err = s.Start(line)
	}
	if err != nil {
		s.Close()
		return nil, nil, nil, -1, &Error{Kind: ErrConnection, Address: addr, Stage: StageCommand, Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	kill := func() {
		s.Signal(ssh.SIGKILL)
		s.Close()
	}
	tooLarge := func(b *cappedBuffer) error {
		return &Error{Kind: ErrOutputTooLarge, Address: addr, Stage: StageCommand, Command: line,
			Stream: b.stream, Limit: b.max, ExitStatus: -1, Stderr: QuoteRemote(c.scrub(e.snapshot()))}
	}
	select {
	case <-o.seen:
		return &Held{sess: s, stdin: in, done: done}, nil, nil, 0, nil
	case b := <-over:
		kill()
		return nil, nil, nil, -1, tooLarge(b)
	case <-ctx.Done():
		kill()
		return nil, nil, nil, -1, commandTimedOut(addr, line, ctx.Err())
	case runErr := <-done:
		s.Close()
		for _, b := range []*cappedBuffer{&o.cappedBuffer, e} {
			if b.overCap() {
				return nil, nil, nil, -1, tooLarge(b)
			}
		}
		out, errOut := c.scrub(o.snapshot()), c.scrub(e.snapshot())
		var exit *ssh.ExitError
		switch {
		case o.isSeen(): // ready, and ended at once: nothing is held
			return nil, out, errOut, -1, &Error{Kind: ErrCommandFailed, Address: addr, Stage: StageCommand,
				Command: line, ExitStatus: -1, Stderr: QuoteRemote(errOut), Err: errors.New("it ended as soon as it was ready: nothing is held")}
		case runErr == nil:
			return nil, out, errOut, 0, nil
		case errors.As(runErr, &exit) && exit.Signal() == "":
			return nil, out, errOut, exit.ExitStatus(), nil
		case errors.As(runErr, &exit):
			return nil, out, errOut, -1, &Error{Kind: ErrCommandFailed, Address: addr, Stage: StageCommand,
				Command: line, ExitStatus: -1, Stderr: QuoteRemote(errOut), Err: fmt.Errorf("killed by signal %s", QuoteRemote([]byte(exit.Signal())))}
		}
		return nil, out, errOut, -1, &Error{Kind: ErrConnection, Address: addr, Stage: StageCommand, Err: runErr}
	}
}

// readyWriter keeps stdout as a cappedBuffer does until the line ready
// shows, closes seen then, and drops what follows.
type readyWriter struct {
	cappedBuffer
	ready []byte
	seen  chan struct{}
}

// ReadFrom is readyWriter's own: cappedBuffer's would bypass Write.
func (r *readyWriter) ReadFrom(src io.Reader) (int64, error) { return readGrowing(r, src) }

func (r *readyWriter) Write(p []byte) (int, error) {
	if r.isSeen() {
		return len(p), nil
	}
	n, err := r.cappedBuffer.Write(p)
	b := r.snapshot()
	if bytes.HasPrefix(b, r.ready) || bytes.Contains(b, append([]byte{'\n'}, r.ready...)) {
		close(r.seen)
	}
	return n, err
}

func (r *readyWriter) isSeen() bool {
	select {
	case <-r.seen:
		return true
	default:
		return false
	}
}
