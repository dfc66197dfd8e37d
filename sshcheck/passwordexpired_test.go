package sshcheck

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
)

// pamChangeNow is the round Linux-PAM asks after accepting an expired
// password, as OpenSSH 9.2 on Debian 12 shows it.
const pamChangeNow = "You are required to change your password immediately (password expired).\nChanging password for admin.\nCurrent password: "

// Keyboard-interactive: the password is accepted, then PAM asks for a
// change. That is an expired password, not a wrong one, and the password
// is not sent again.
func TestExpiredPasswordKeyboardInteractive(t *testing.T) {
	l := newLab(t, sshtest.Config{
		Users:                   map[string]sshtest.User{"admin": {Password: testPassword, Sudo: sshtest.SudoNoPassword}},
		KeyboardInteractiveOnly: true,
		Challenge: func(_ string, ask ssh.KeyboardInteractiveChallenge, check func(string) error) error {
			a, err := ask("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return err
			}
			if err := check(a[0]); err != nil {
				return err
			}
			if _, err := ask("", "", []string{pamChangeNow}, []bool{false}); err != nil {
				return err
			}
			return errors.New("not changed")
		},
	})
	l.know(t, l.srv.HostKeys()[0])
	r := l.prober(t, nil).Probe(ctxT(t), target("admin"))
	if !errors.Is(r.Err, ErrPasswordExpired) || Kind(r.Err) != ErrPasswordExpired {
		t.Fatalf("Probe: %v, want ErrPasswordExpired", r.Err)
	}
	for _, s := range []string{"the password was accepted", "sent once"} {
		if !strings.Contains(r.Err.Error(), s) {
			t.Errorf("error %q does not say %q", r.Err, s)
		}
	}
	if !strings.Contains(r.Hint(), "chage -l admin") || r.Reason() != "password expired" {
		t.Errorf("reason %q, hint %q", r.Reason(), r.Hint())
	}
	if n := l.srv.AuthAttempts("admin"); n != 1 {
		t.Errorf("%d password answers, want 1", n)
	}
}

// Password authentication: sshd lets the user in, then runs no command.
func TestExpiredPasswordNoCommand(t *testing.T) {
	refuse := func(sshtest.Command) sshtest.Reply {
		return sshtest.Reply{Stderr: "WARNING: Your password has expired.\nPassword change required but no TTY available.\n", ExitStatus: 1}
	}
	l := newLab(t, sshtest.Config{Handler: refuse})
	l.know(t, l.srv.HostKeys()[0])
	p := l.prober(t, nil)
	r := p.Probe(ctxT(t), target("admin"))
	var e *Error
	if !errors.As(r.Err, &e) || e.Kind != ErrPasswordExpired || e.Stage != StageSession || !strings.Contains(e.Stderr, "no TTY") {
		t.Fatalf("Probe: %#v, want ErrPasswordExpired at the session", r.Err)
	}
	c, err := p.Dial(ctxT(t), target("root"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, _, err := c.Run(ctxT(t), "id", "-u"); !errors.Is(err, ErrPasswordExpired) {
		t.Errorf("Run as root: %v, want ErrPasswordExpired", err)
	}
	// The same words from a command that printed something are its own.
	l2 := newLab(t, sshtest.Config{Handler: func(sshtest.Command) sshtest.Reply {
		return sshtest.Reply{Stdout: "log line\n", Stderr: "grep: Password change required but no TTY available\n", ExitStatus: 1}
	}})
	l2.know(t, l2.srv.HostKeys()[0])
	c2, err := l2.prober(t, nil).Dial(ctxT(t), target("root"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, _, status, err := c2.Run(ctxT(t), "grep", "x"); err != nil || status != 1 {
		t.Errorf("a command that printed: %d, %v; want exit 1 and no error", status, err)
	}
}

// Real OpenSSH and PAM: a password that must be changed (chage -d 0) and
// one that expired are ErrPasswordExpired, with password and with
// keyboard-interactive authentication, and sshd logs no failed password.
func TestSSHDExpiredPassword(t *testing.T) {
	chage := testenv.LookPath(t, "chage", "passwd")
	for _, kbd := range []bool{false, true} {
		srv := sshdtest.Start(t, sshdtest.Config{KbdInteractiveOnly: kbd})
		u := sshdtest.TestUsers(t)
		for _, args := range [][]string{{"-d", "0", u.NoPasswd}, {"-d", "2020-01-01", "-M", "30", u.TTY}} {
			if out, err := exec.Command(chage, args...).CombinedOutput(); err != nil {
				t.Fatalf("chage %v: %v\n%s", args, err, out)
			}
		}
		kh := filepath.Join(t.TempDir(), "known_hosts")
		appendLine(t, kh, srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519"))
		results := realProber(t, kh, Strict).ProbeAll(ctxT(t), []Target{localTarget(srv, u.NoPasswd, u.Password), localTarget(srv, u.TTY, u.Password)})
		for _, r := range results {
			if !errors.Is(r.Err, ErrPasswordExpired) || !strings.Contains(r.Hint(), "chage -l "+r.Target.User) {
				t.Errorf("keyboard-interactive %v, %s: %v (hint %q); want ErrPasswordExpired", kbd, r.Target.User, r.Err, r.Hint())
			}
		}
		if n := strings.Count(srv.Log(), "Failed password"); n != 0 {
			t.Errorf("sshd logged %d failed passwords", n)
		}
	}
}
