package sshcheck

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// holder answers "hold": it prints READY, then reads its input to the end
// and tells ended; "busy" exits 75 with a message, before any READY.
func holder(ended chan<- string) sshtest.Handler {
	return func(c sshtest.Command) sshtest.Reply {
		if len(c.Args) == 1 && c.Args[0] == "busy" {
			return sshtest.Reply{Stderr: "held by someone else\n", ExitStatus: 75}
		}
		if len(c.Args) != 1 || c.Args[0] != "hold" {
			return sshtest.Builtin(c)
		}
		return sshtest.Reply{Stdout: "READY\n", Stream: func(stdout, _ io.Writer) {
			_, err := io.Copy(io.Discard, c.Stdin)
			if err != nil {
				ended <- "error: " + err.Error()
				return
			}
			ended <- "eof"
		}}
	}
}

func TestHoldKeepsUntilRelease(t *testing.T) {
	for _, user := range []string{"root", "admin"} {
		ended := make(chan string, 1)
		c, srv := dialLab(t, user, holder(ended), time.Second)
		ctx, cancel := context.WithCancel(ctxT(t))
		h, _, stderr, status, err := c.Hold(ctx, "READY", "hold")
		if err != nil || h == nil {
			t.Fatalf("%s: Hold: %v, status %d, %q", user, err, status, stderr)
		}
		if cmd := srv.Commands()[0]; cmd.Sudo != (user != "root") {
			t.Errorf("%s: ran through sudo = %v (%q)", user, cmd.Sudo, cmd.Line)
		}
		// Neither the end of ctx nor the command timeout (1 s) ends it.
		cancel()
		select {
		case e := <-ended:
			t.Fatalf("%s: the held command ended (%s) before Release", user, e)
		case <-time.After(1500 * time.Millisecond):
		}
		if err := h.Release(); err != nil {
			t.Errorf("%s: Release: %v", user, err)
		}
		select {
		case e := <-ended:
			if e != "eof" {
				t.Errorf("%s: the held command ended with %s, want the end of its input", user, e)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the held command did not end after Release", user)
		}
	}
}

func TestHoldEndsWithTheConnection(t *testing.T) {
	ended := make(chan string, 1)
	c, _ := dialLab(t, "root", holder(ended), time.Second)
	h, _, _, _, err := c.Hold(ctxT(t), "READY", "hold")
	if err != nil || h == nil {
		t.Fatalf("Hold: %v", err)
	}
	c.Close()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the held command outlived the connection")
	}
}

func TestHoldReturnsAnExitBeforeReady(t *testing.T) {
	c, _ := dialLab(t, "admin", holder(nil), time.Second)
	h, _, stderr, status, err := c.Hold(ctxT(t), "READY", "busy")
	if err != nil || h != nil || status != 75 || string(stderr) != "held by someone else\n" {
		t.Fatalf("Hold busy: held %v, status %d, stderr %q, %v; want exit 75 and its message", h != nil, status, stderr, err)
	}
	h, _, _, status, err = c.Hold(ctxT(t), "READY", "flock")
	if err != nil || h != nil || status != 127 {
		t.Fatalf("Hold of a missing command: held %v, status %d, %v; want 127", h != nil, status, err)
	}
}

func TestHoldGivesUpWithoutReady(t *testing.T) {
	c, _ := dialLab(t, "root", sshtest.Script{"mute": {Hang: true}}.Handler, 300*time.Millisecond)
	start := time.Now()
	h, _, _, _, err := c.Hold(ctxT(t), "READY", "mute")
	if h != nil || err == nil || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Hold of a mute command: held %v, %v; want a timeout", h != nil, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("it gave up after %v, want about the 300 ms command timeout", d)
	}
}
