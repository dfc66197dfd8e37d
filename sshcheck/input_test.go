package sshcheck

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// catStdin answers "cat" with what it reads, as root or through sudo.
func catStdin(c sshtest.Command) sshtest.Reply {
	if len(c.Args) == 1 && c.Args[0] == "cat" {
		b, err := io.ReadAll(c.Stdin)
		if err != nil {
			return sshtest.Reply{Stderr: err.Error(), ExitStatus: 1}
		}
		return sshtest.Reply{Stdout: string(b)}
	}
	return sshtest.Builtin(c)
}

func TestRunInputSendsStdinNotArguments(t *testing.T) {
	const secret = "user1:n3w-Pa55word\n"
	for _, user := range []string{"root", "admin"} {
		c, srv := dialLab(t, user, catStdin, 5*time.Second)
		stdout, _, status, err := c.RunInput(ctxT(t), []byte(secret), "cat")
		if err != nil || status != 0 {
			t.Fatalf("%s: RunInput: %v, status %d", user, err, status)
		}
		if string(stdout) != secret {
			t.Errorf("%s: the command read %q, want %q", user, stdout, secret)
		}
		cmd := srv.Commands()[0]
		if strings.Contains(cmd.Line, "n3w") {
			t.Errorf("%s: the secret is on the command line %q", user, cmd.Line)
		}
		if cmd.Sudo != (user != "root") {
			t.Errorf("%s: ran through sudo = %v (%q)", user, cmd.Sudo, cmd.Line)
		}
	}
}

func TestRunWithoutInputReadsEnd(t *testing.T) {
	c, _ := dialLab(t, "root", catStdin, 5*time.Second)
	stdout, _, status, err := c.Run(ctxT(t), "cat")
	if err != nil || status != 0 || len(stdout) != 0 {
		t.Fatalf("Run cat: %q, status %d, %v; want nothing read", stdout, status, err)
	}
}
