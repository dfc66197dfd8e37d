package sshcheck

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// A host that echoes the login password (in sudo's stderr, in a command's
// output) never gets it into an error, a report or the output returned.
func TestEchoedLoginPasswordScrubbed(t *testing.T) {
	l := newLab(t, sshtest.Config{Handler: func(c sshtest.Command) sshtest.Reply {
		return sshtest.Reply{Stdout: "got " + testPassword + "\n", Stderr: "sudo: bad password " + testPassword + "\n", ExitStatus: 1}
	}})
	l.know(t, l.srv.HostKeys()[0])
	c, err := l.prober(t, nil).Dial(ctxT(t), target("admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stdout, stderr, _, err := c.Run(ctxT(t), "cftool", "-l")
	if err != nil {
		t.Fatal(err)
	}
	_, oerr := c.Output(ctxT(t), "cftool", "-l")
	serr := c.CheckSudo(ctxT(t))
	for _, out := range []string{string(stdout), string(stderr), errText(oerr), errText(serr)} {
		if strings.Contains(out, testPassword) || !strings.Contains(out, PasswordRedacted) {
			t.Errorf("the password is not scrubbed (or was not echoed): %q", out)
		}
	}
	if !errors.Is(oerr, ErrCommandFailed) {
		t.Errorf("Output: %v", oerr)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
