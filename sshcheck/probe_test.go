package sshcheck

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

func TestProbeRootOK(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	l.know(t, l.srv.HostKeys()[0])
	r := l.prober(t, nil).Probe(ctxT(t), target("root"))
	if r.Err != nil {
		t.Fatalf("Probe: %v", r.Err)
	}
	if r.SudoChecked {
		t.Error("root must not run sudo")
	}
	if want := "SHA256:"; !strings.HasPrefix(r.Fingerprint, want) {
		t.Errorf("Fingerprint = %q", r.Fingerprint)
	}
	if n := l.srv.AuthAttempts("root"); n != 1 {
		t.Errorf("auth attempts = %d, want 1", n)
	}
}

func TestProbeSudoPolicies(t *testing.T) {
	for _, tc := range []struct {
		name string
		sudo sshtest.Sudo
		want error
	}{
		{"nopasswd", sshtest.SudoNoPassword, nil},
		{"password", sshtest.SudoPassword, ErrSudoNeedsPassword},
		{"not-in-sudoers", sshtest.SudoNotInSudoers, ErrSudoNeedsPassword},
		{"requiretty", sshtest.SudoRequireTTY, ErrSudoNeedsTTY},
		{"no-sudo", sshtest.SudoMissing, ErrSudoFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, sshtest.Config{Users: map[string]sshtest.User{"admin": {Password: testPassword, Sudo: tc.sudo}}})
			l.know(t, l.srv.HostKeys()[0])
			r := l.prober(t, nil).Probe(ctxT(t), target("admin"))
			if !errors.Is(r.Err, tc.want) || (tc.want == nil) != (r.Err == nil) {
				t.Fatalf("Probe: %v, want %v", r.Err, tc.want)
			}
			if !r.SudoChecked {
				t.Error("SudoChecked = false")
			}
			cmds := l.srv.Commands()
			if len(cmds) != 1 || cmds[0].Line != "LC_ALL=C sudo -n true" {
				t.Errorf("commands = %+v, want exactly LC_ALL=C sudo -n true", cmds)
			}
			if tc.want != nil {
				var e *Error
				if !errors.As(r.Err, &e) || e.Hint == "" || e.Stage != StageSudo {
					t.Errorf("error %#v lacks stage or hint", r.Err)
				}
			}
		})
	}
}

func TestUnknownHostKeyStrict(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	r := l.prober(t, nil).Probe(ctxT(t), target("root"))
	if !errors.Is(r.Err, ErrHostKeyUnknown) {
		t.Fatalf("Probe: %v, want unknown host key", r.Err)
	}
	if r.Fingerprint == "" || !strings.Contains(r.Err.Error(), r.Fingerprint) {
		t.Errorf("the error %q should show the fingerprint %q", r.Err, r.Fingerprint)
	}
	if e := (*Error)(nil); !errors.As(r.Err, &e) || e.Stage != StageHostKey {
		t.Errorf("stage of %v, want %q", r.Err, StageHostKey)
	}
	if n := l.srv.AuthAttempts("root"); n != 0 {
		t.Errorf("sent the password %d times to an unverified host", n)
	}
	if _, err := os.Stat(l.knownHosts); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("strict probe created %s (%v)", l.knownHosts, err)
	}
}

func TestChangedHostKeyNeverReplaced(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	old := mustKey(t, "ed25519").PublicKey()
	l.know(t, old)
	before, _ := os.ReadFile(l.knownHosts)
	for _, policy := range []HostKeyPolicy{Strict, TrustUnknown} {
		r := l.prober(t, func(o *Options) { o.HostKeyPolicy = policy }).Probe(ctxT(t), target("root"))
		var e *Error
		if !errors.As(r.Err, &e) || !errors.Is(r.Err, ErrHostKeyChanged) {
			t.Fatalf("policy %d: Probe: %v, want changed host key", policy, r.Err)
		}
		if e.KnownFingerprint != fingerprint(old) || e.Fingerprint != fingerprint(l.srv.HostKeys()[0]) {
			t.Errorf("fingerprints %s / %s", e.Fingerprint, e.KnownFingerprint)
		}
		if want := "ssh-keygen -R '" + guestAddr + "' -f '" + l.knownHosts + "'"; e.RemoveCommand != want {
			t.Errorf("RemoveCommand = %q, want %q", e.RemoveCommand, want)
		}
		if !strings.HasSuffix(e.KnownAt, ":1") {
			t.Errorf("KnownAt = %q", e.KnownAt)
		}
	}
	after, _ := os.ReadFile(l.knownHosts)
	if string(before) != string(after) {
		t.Errorf("known_hosts changed:\n%s\n->\n%s", before, after)
	}
	if n := l.srv.AuthAttempts("root"); n != 0 {
		t.Errorf("sent the password %d times to a changed host", n)
	}
}

func TestRevokedHostKey(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	l.know(t, l.srv.HostKeys()[0])
	appendLine(t, l.knownHosts, "@revoked * "+strings.TrimSpace(string(marshalAuthorized(l.srv.HostKeys()[0]))))
	r := l.prober(t, nil).Probe(ctxT(t), target("root"))
	var e *Error
	if !errors.As(r.Err, &e) || !errors.Is(r.Err, ErrHostKeyRevoked) {
		t.Fatalf("Probe: %v, want revoked", r.Err)
	}
	if !strings.HasSuffix(e.KnownAt, ":2") {
		t.Errorf("KnownAt = %q, want line 2", e.KnownAt)
	}
}

func TestAuthenticationOneAttempt(t *testing.T) {
	for _, ki := range []bool{false, true} {
		l := newLab(t, sshtest.Config{KeyboardInteractiveOnly: ki})
		l.know(t, l.srv.HostKeys()[0])
		p := l.prober(t, nil)

		tg := target("admin")
		tg.Password = cipher.SecretFromString("wrong")
		r := p.Probe(ctxT(t), tg)
		if !errors.Is(r.Err, ErrAuthFailed) {
			t.Fatalf("ki=%v: Probe: %v, want authentication failed", ki, r.Err)
		}
		if n := l.srv.AuthAttempts("admin"); n != 1 {
			t.Errorf("ki=%v: the server saw %d password attempts, want exactly 1", ki, n)
		}
		if strings.Contains(r.Err.Error(), "wrong") {
			t.Errorf("the error shows the password: %v", r.Err)
		}

		if r := p.Probe(ctxT(t), target("admin")); r.Err != nil {
			t.Errorf("ki=%v: right password: %v", ki, r.Err)
		}
	}
}

func TestRootLoginHint(t *testing.T) {
	l := newLab(t, sshtest.Config{Users: map[string]sshtest.User{}}) // like PermitRootLogin prohibit-password
	l.know(t, l.srv.HostKeys()[0])
	r := l.prober(t, nil).Probe(ctxT(t), target("root"))
	if !errors.Is(r.Err, ErrAuthFailed) || !strings.Contains(r.Hint(), "PermitRootLogin prohibit-password") {
		t.Fatalf("Probe: %v, hint %q", r.Err, r.Hint())
	}
}

func TestNoUsableMethod(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	l.know(t, l.srv.HostKeys()[0])
	tg := target("admin")
	tg.Password = nil
	r := l.prober(t, nil).Probe(ctxT(t), tg)
	if !errors.Is(r.Err, ErrNoUsableMethod) {
		t.Fatalf("Probe: %v, want no usable method", r.Err)
	}
	if n := l.srv.AuthAttempts("admin"); n != 0 {
		t.Errorf("auth attempts = %d", n)
	}
}

// A password source that fails ends the probe before any connection, with
// its own sentinel and stage, and keeps the source's error for errors.Is.
func TestPasswordSourceFailure(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	l.know(t, l.srv.HostKeys()[0])
	errSealed := errors.New("token altered")
	tg := target("admin")
	tg.Password = PasswordFunc(func(context.Context) ([]byte, error) { return nil, errSealed })
	r := l.prober(t, nil).Probe(ctxT(t), tg)
	var e *Error
	if !errors.Is(r.Err, ErrPasswordSource) || !errors.Is(r.Err, errSealed) || errors.Is(r.Err, ErrNoUsableMethod) || Kind(r.Err) != ErrPasswordSource {
		t.Fatalf("Probe: %v, want ErrPasswordSource wrapping the source's error", r.Err)
	}
	if errors.As(r.Err, &e); e.Stage != StagePassword {
		t.Errorf("stage = %q, want %q", e.Stage, StagePassword)
	}
	if n := l.srv.AuthAttempts("admin"); n != 0 {
		t.Errorf("auth attempts = %d, want none", n)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	l := newLab(t, sshtest.Config{})
	l.routes[guestAddr+":22"] = addr
	r := l.prober(t, nil).Probe(ctxT(t), target("root"))
	if !errors.Is(r.Err, ErrConnectionRefused) {
		t.Fatalf("Probe: %v, want connection refused", r.Err)
	}
	if e := (*Error)(nil); !errors.As(r.Err, &e) || e.Stage != StageDial {
		t.Errorf("stage of %v, want %q", r.Err, StageDial)
	}
}

func TestUnreachable(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	p := l.prober(t, func(o *Options) {
		o.DialContext = func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}
		}
	})
	if r := p.Probe(ctxT(t), target("root")); !errors.Is(r.Err, ErrUnreachable) {
		t.Fatalf("Probe: %v, want unreachable", r.Err)
	}
}

// A slow PAM stack past the deadline is a timeout, not a wrong password.
func TestTimeoutDuringAuthIsNotWrongPassword(t *testing.T) {
	l := newLab(t, sshtest.Config{AuthDelay: 5 * time.Second})
	l.know(t, l.srv.HostKeys()[0])
	p := l.prober(t, func(o *Options) { o.HandshakeTimeout = time.Second })
	start := time.Now()
	r := p.Probe(ctxT(t), target("root"))
	if !errors.Is(r.Err, ErrTimeout) || errors.Is(r.Err, ErrAuthFailed) {
		t.Fatalf("Probe: %v, want timeout", r.Err)
	}
	var e *Error
	if errors.As(r.Err, &e); e.Stage != StageAuthPassword {
		t.Errorf("stage = %q, want auth password", e.Stage)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v, want about the 1s deadline", d)
	}
}

func TestBlackHoleReturnsAtDeadline(t *testing.T) {
	bh, err := sshtest.StartBlackHole("")
	if err != nil {
		t.Fatal(err)
	}
	defer bh.Close()
	l := newLab(t, sshtest.Config{})
	l.routes[guestAddr+":22"] = bh.Addr()
	p := l.prober(t, func(o *Options) { o.HandshakeTimeout = 300 * time.Millisecond })
	start := time.Now()
	r := p.Probe(ctxT(t), target("root"))
	if !errors.Is(r.Err, ErrTimeout) {
		t.Fatalf("Probe: %v, want timeout", r.Err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("took %v, want the 300ms deadline", d)
	}
	if bh.Accepted() != 1 {
		t.Errorf("black hole accepted %d connections, want 1 (a timeout is not retried)", bh.Accepted())
	}
}

func TestContextCancelEndsHandshake(t *testing.T) {
	bh, err := sshtest.StartBlackHole("")
	if err != nil {
		t.Fatal(err)
	}
	defer bh.Close()
	l := newLab(t, sshtest.Config{})
	l.routes[guestAddr+":22"] = bh.Addr()
	p := l.prober(t, func(o *Options) { o.HandshakeTimeout = time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	r := p.Probe(ctx, target("root"))
	if !errors.Is(r.Err, ErrTimeout) || !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("Probe: %v, want timeout caused by cancel", r.Err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v after cancel", d)
	}
}

func TestNoRetryOfHostKeyOrAuthFailures(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	dials := 0
	p := l.prober(t, func(o *Options) {
		o.DialContext = func(ctx context.Context, n, a string) (net.Conn, error) {
			dials++
			return l.routes.DialContext(ctx, n, a)
		}
	})
	p.Probe(ctxT(t), target("root")) // unknown key
	if dials != 1 {
		t.Errorf("unknown host key: %d dials, want 1", dials)
	}
	l.know(t, l.srv.HostKeys()[0])
	p2 := l.prober(t, func(o *Options) { o.DialContext = p.opts.DialContext })
	dials = 0
	tg := target("root")
	tg.Password = cipher.SecretFromString("wrong")
	if r := p2.Probe(ctxT(t), tg); !errors.Is(r.Err, ErrAuthFailed) || dials != 1 {
		t.Errorf("wrong password: %v after %d dials, want auth failed after 1", r.Err, dials)
	}
}

func TestPasswordRedacts(t *testing.T) {
	p := cipher.SecretFromString("hunter2")
	tg := Target{Address: "192.0.2.1", User: "u", Password: p}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := sprintf(verb, tg); strings.Contains(s, "hunter2") {
			t.Errorf("%s of a Target shows the password: %s", verb, s)
		}
	}
}

func TestFingerprintKeptOnAuthFailure(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	l.know(t, l.srv.HostKeys()[0])
	tg := target("root")
	tg.Password = cipher.SecretFromString("wrong")
	r := l.prober(t, nil).Probe(ctxT(t), tg)
	if !errors.Is(r.Err, ErrAuthFailed) || r.Fingerprint != fingerprint(l.srv.HostKeys()[0]) {
		t.Errorf("Probe: %v, fingerprint %q", r.Err, r.Fingerprint)
	}
}

func TestDefaultKnownHostsFromPasswordDatabase(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // as a careless sudo leaves it
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	home, err := homeDir()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.opts.KnownHostsFiles, []string{home + "/.ssh/known_hosts"}; len(got) != 1 || got[0] != want[0] || strings.HasPrefix(got[0], os.Getenv("HOME")) {
		t.Errorf("KnownHostsFiles = %q, want %q", got, want)
	}
	if g := p.opts.GlobalKnownHostsFiles; len(g) != 1 || g[0] != "/etc/ssh/ssh_known_hosts" {
		t.Errorf("GlobalKnownHostsFiles = %q", g)
	}
}
