package sshcheck

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// awkward arguments that a careless runner would mangle.
var awkward = []string{"", " ", "a b", "it's", `"quoted"`, "$HOME", "`id`", "a;b", "x=y", "-n", "--", "*", "new\nline", "back\\slash", "ünïcödé", "'", "''"}

// echoArgs answers every command with its arguments, one per line of NULs.
func echoArgs(c sshtest.Command) sshtest.Reply {
	if len(c.Args) > 0 && c.Args[0] == "args" {
		return sshtest.Reply{Stdout: strings.Join(c.Args[1:], "\x00")}
	}
	if len(c.Args) > 0 && c.Args[0] == "fail" {
		return sshtest.Reply{Stderr: "it failed\n", ExitStatus: 3}
	}
	if len(c.Args) > 0 && c.Args[0] == "hang" {
		return sshtest.Reply{Hang: true}
	}
	return sshtest.Builtin(c)
}

func dialLab(t *testing.T, user string, handler sshtest.Handler, timeout time.Duration) (*Client, *sshtest.Server) {
	t.Helper()
	l := newLab(t, sshtest.Config{Handler: handler})
	l.know(t, l.srv.HostKeys()[0])
	c, err := l.prober(t, func(o *Options) { o.CommandTimeout = timeout }).Dial(ctxT(t), target(user))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, l.srv
}

func TestRunPassesArgumentsUnchanged(t *testing.T) {
	for _, user := range []string{"root", "admin"} {
		c, srv := dialLab(t, user, echoArgs, 5*time.Second)
		stdout, _, status, err := c.Run(ctxT(t), "args", awkward...)
		if err != nil || status != 0 {
			t.Fatalf("%s: Run: %v, status %d", user, err, status)
		}
		if got := strings.Split(string(stdout), "\x00"); !slices.Equal(got, awkward) {
			t.Errorf("%s: the command received %q, want %q", user, got, awkward)
		}
		cmd := srv.Commands()[0]
		if cmd.Sudo != (user != "root") {
			t.Errorf("%s: ran through sudo = %v (%q)", user, cmd.Sudo, cmd.Line)
		}
		if user != "root" && !strings.HasPrefix(cmd.Line, "LC_ALL=C sudo -n -- ") {
			t.Errorf("%s: line %q, want sudo -n --", user, cmd.Line)
		}
	}
}

func TestRunExitStatusIsNotAnError(t *testing.T) {
	c, _ := dialLab(t, "root", echoArgs, 5*time.Second)
	_, stderr, status, err := c.Run(ctxT(t), "fail")
	if err != nil || status != 3 || string(stderr) != "it failed\n" {
		t.Errorf("Run(fail) = %q, %d, %v; want stderr, 3, nil", stderr, status, err)
	}
	_, _, status, err = c.Run(ctxT(t), "no-such-tool")
	if err != nil || status != 127 {
		t.Errorf("Run(no-such-tool) = %d, %v; want 127, nil", status, err)
	}
}

func TestRunTimeoutKillsCommand(t *testing.T) {
	c, _ := dialLab(t, "root", echoArgs, 300*time.Millisecond)
	start := time.Now()
	_, _, _, err := c.Run(ctxT(t), "hang")
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run(hang): %v, want timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	// The connection survives a killed command.
	if _, _, status, err := c.Run(ctxT(t), "true"); err != nil || status != 0 {
		t.Errorf("Run(true) after a timeout: %d, %v", status, err)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	cancel()
	if _, _, _, err := c.Run(ctx, "true"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with an ended context: %v", err)
	}
}

func TestRunRefusesNUL(t *testing.T) {
	c, srv := dialLab(t, "root", echoArgs, time.Second)
	if _, _, _, err := c.Run(ctxT(t), "args", "a\x00b"); err == nil {
		t.Error("Run accepted a NUL byte")
	}
	if n := len(srv.Commands()); n != 0 {
		t.Errorf("%d commands reached the server", n)
	}
}

// The quoting holds against a real POSIX shell, not only our test parser.
func TestQuoteCommandWithSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	line, err := QuoteCommand("printf", append([]string{`%s\0`}, awkward...)...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sh, "-c", line).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", line, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !slices.Equal(got, awkward) {
		t.Errorf("sh saw %q, want %q", got, awkward)
	}
}

func FuzzQuoteCommand(f *testing.F) {
	for _, a := range awkward {
		f.Add("cmd", a, "x")
	}
	f.Fuzz(func(t *testing.T, name, a, b string) {
		line, err := QuoteCommand(name, a, b)
		if strings.ContainsRune(name+a+b, 0) {
			if err == nil {
				t.Fatal("accepted NUL")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		env, args, err := sshtest.SplitCommand(line)
		if err != nil || len(env) != 0 || !slices.Equal(args, []string{name, a, b}) {
			t.Fatalf("QuoteCommand(%q, %q, %q) = %q, read back as %v %q (%v)", name, a, b, line, env, args, err)
		}
	})
}

func TestGuestKnowsHost(t *testing.T) {
	script := sshtest.Script{
		"ssh-keygen -F 198.51.100.7 -f /root/.ssh/known_hosts":          {Stdout: "# Host 198.51.100.7 found: line 3\n|1|x|y ssh-ed25519 AAAA\n"},
		"ssh-keygen -F 198.51.100.8 -f /root/.ssh/known_hosts":          {ExitStatus: 1},
		"ssh-keygen -F 198.51.100.8 -f /etc/ssh/ssh_known_hosts":        {Stdout: "# Host 198.51.100.8 found: line 1\n198.51.100.8 ssh-rsa AAAA\n"},
		"ssh-keygen -F [198.51.100.9]:2222 -f /root/.ssh/known_hosts":   {ExitStatus: 255, Stderr: "Cannot stat /root/.ssh/known_hosts: No such file or directory\n"},
		"ssh-keygen -F [198.51.100.9]:2222 -f /etc/ssh/ssh_known_hosts": {ExitStatus: 1},
		"ssh-keygen -F 198.51.100.10 -f /root/.ssh/known_hosts":         {ExitStatus: 255, Stderr: "permission denied\n"},
	}
	for _, user := range []string{"root", "admin"} {
		c, _ := dialLab(t, user, script.Handler, 5*time.Second)
		for _, tc := range []struct {
			host string
			port int
			want string
			err  error
		}{
			{"198.51.100.7", 22, GuestRootKnownHosts, nil},
			{"198.51.100.8", 0, GuestGlobalKnownHosts, nil},
			{"198.51.100.9", 2222, "", nil},
			{"198.51.100.10", 22, "", ErrCommandFailed},
		} {
			got, err := GuestKnowsHost(ctxT(t), c, tc.host, tc.port)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("%s: GuestKnowsHost(%s, %d) = %q, %v; want %q, %v", user, tc.host, tc.port, got, err, tc.want, tc.err)
			}
		}
	}
}

func TestProbeAllOrderAndIsolation(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	l.know(t, l.srv.HostKeys()[0])
	bh, err := sshtest.StartBlackHole("")
	if err != nil {
		t.Fatal(err)
	}
	defer bh.Close()
	for _, a := range []string{"192.0.2.11", "192.0.2.12", "192.0.2.13"} {
		l.routes[a+":22"] = bh.Addr() // three hung guests
	}
	targets := []Target{
		target("root"),
		{Name: "hung1", Address: "192.0.2.11", User: "root", Password: cipher.SecretFromString("x")},
		{Name: "nowhere", Address: "192.0.2.99", User: "root", Password: cipher.SecretFromString("x")},
		{Name: "hung2", Address: "192.0.2.12", User: "root", Password: cipher.SecretFromString("x")},
		target("admin"),
		{Name: "hung3", Address: "192.0.2.13", User: "root", Password: cipher.SecretFromString("x")},
	}
	var progress []int
	p := l.prober(t, func(o *Options) {
		o.HandshakeTimeout = 600 * time.Millisecond
		o.Parallel = 4
		o.Progress = func(done, total int, r Result) {
			if total != len(targets) {
				t.Errorf("total = %d", total)
			}
			progress = append(progress, done)
		}
	})
	start := time.Now()
	results := p.ProbeAll(ctxT(t), targets)
	elapsed := time.Since(start)
	want := []error{nil, ErrTimeout, ErrConnectionRefused, ErrTimeout, nil, ErrTimeout}
	for i, r := range results {
		if r.Target.Address != targets[i].Address || r.Target.User != targets[i].User {
			t.Errorf("result %d is for %v, want %v", i, r.Target, targets[i])
		}
		if !errors.Is(r.Err, want[i]) || (want[i] == nil) != (r.Err == nil) {
			t.Errorf("result %d: %v, want %v", i, r.Err, want[i])
		}
	}
	// Three hung guests at four at once cost one timeout, not three (1.8s).
	if elapsed > 1500*time.Millisecond {
		t.Errorf("took %v, want about one 600ms timeout", elapsed)
	}
	if !slices.Equal(progress, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("progress calls %v", progress)
	}
}

func TestOutputTypesNonZeroExit(t *testing.T) {
	c, _ := dialLab(t, "root", echoArgs, 5*time.Second)
	out, err := c.Output(ctxT(t), "echo", "hi")
	if err != nil || string(out) != "hi\n" {
		t.Errorf("Output(echo hi) = %q, %v", out, err)
	}
	_, err = c.Output(ctxT(t), "fail")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrCommandFailed) || e.ExitStatus != 3 || e.Stderr != `"it failed"` {
		t.Errorf("Output(fail) = %#v", err)
	}
}

// TestRunAfterTheContextEnded: a command asked for (Run, Hold) once its
// context has ended is not started on the host (a run already cancelled must change
// nothing there), and the connection stays usable: before, the session
// was opened anyway, and the cancel, finding no session yet, closed the
// whole connection. The first lab also showed the command run: a
// cancelled site host's preflight came back OK under load.
func TestRunAfterTheContextEnded(t *testing.T) {
	c, srv := dialLab(t, "root", echoArgs, 5*time.Second)
	for _, ended := range []func() context.Context{
		func() context.Context { ctx, cancel := context.WithCancel(context.Background()); cancel(); return ctx },
		func() context.Context {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		},
	} {
		ctx := ended()
		_, _, status, err := c.Run(ctx, "echo", "ran")
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, ctx.Err()) || status != -1 {
			t.Errorf("Run with %v: status %d, err %v; want ErrTimeout wrapping it", ctx.Err(), status, err)
		}
		if _, _, _, _, err := c.Hold(ctx, "held", "echo", "held"); !errors.Is(err, ErrTimeout) || !errors.Is(err, ctx.Err()) {
			t.Errorf("Hold with %v: %v; want ErrTimeout wrapping it", ctx.Err(), err)
		}
	}
	stdout, _, _, err := c.Run(ctxT(t), "echo", "after")
	if err != nil || string(stdout) != "after\n" {
		t.Fatalf("the connection after the refused runs: %q, %v", stdout, err)
	}
	if got := srv.Commands(); len(got) != 1 || got[0].Line != "echo after" {
		t.Errorf("commands the host ran: %+v; want only echo after", got)
	}
}
