package sshcheck_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// lab starts an in-process guest for the examples and returns a prober
// that reaches "192.0.2.10:22" there, with known_hosts in a fresh folder.
func lab(cfg sshtest.Config, policy sshcheck.HostKeyPolicy) (*sshcheck.Prober, *sshtest.Server, string, func()) {
	srv, err := sshtest.Start(cfg)
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "sshcheck-example")
	knownHosts := filepath.Join(dir, ".ssh", "known_hosts")
	p, err := sshcheck.New(sshcheck.Options{
		KnownHostsFiles:       []string{knownHosts},
		GlobalKnownHostsFiles: []string{},
		HostKeyPolicy:         policy,
		DialContext:           sshtest.Routes{"192.0.2.10:22": srv.Addr()}.DialContext,
	})
	if err != nil {
		panic(err)
	}
	return p, srv, knownHosts, func() { srv.Close(); os.RemoveAll(dir) }
}

// Probe one guest: strict host keys, so a guest never contacted before
// fails with ErrHostKeyUnknown and the password is never sent.
func ExampleProber_Probe() {
	p, _, _, done := lab(sshtest.Config{Users: map[string]sshtest.User{"root": {Password: "pw"}}}, sshcheck.Strict)
	defer done()

	r := p.Probe(context.Background(), sshcheck.Target{Address: "192.0.2.10", User: "root", Password: cipher.SecretFromString("pw")})
	fmt.Println(r.OK(), errors.Is(r.Err, sshcheck.ErrHostKeyUnknown))
	// Output: false true
}

// Trust unknown host keys, as answering "yes" does: the key is recorded as
// one hashed line, and later strict probes accept the guest.
func ExampleTrustUnknown() {
	users := map[string]sshtest.User{"admin": {Password: "pw", Sudo: sshtest.SudoNoPassword}}
	p, srv, knownHosts, done := lab(sshtest.Config{Users: users}, sshcheck.TrustUnknown)
	defer done()
	t := sshcheck.Target{Address: "192.0.2.10", User: "admin", Password: cipher.SecretFromString("pw")}

	r := p.Probe(context.Background(), t)
	fmt.Println(r.Reason(), r.Trusted, r.SudoChecked)

	b, _ := os.ReadFile(knownHosts)
	fmt.Println(strings.Count(string(b), "\n"), strings.HasPrefix(string(b), "|1|"))

	strict, _ := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{knownHosts}, GlobalKnownHostsFiles: []string{},
		DialContext: sshtest.Routes{"192.0.2.10:22": srv.Addr()}.DialContext})
	fmt.Println(strict.Probe(context.Background(), t).Reason())
	// Output:
	// ok true true
	// 1 true
	// ok
}

// Probe many guests at once: one result per target, in order, whatever
// fails.
func ExampleProber_ProbeAll() {
	users := map[string]sshtest.User{
		"root":  {Password: "pw"},
		"admin": {Password: "pw", Sudo: sshtest.SudoNoPassword},
		"oper":  {Password: "pw", Sudo: sshtest.SudoRequireTTY},
	}
	p, _, _, done := lab(sshtest.Config{Users: users}, sshcheck.TrustUnknown)
	defer done()

	pw := cipher.SecretFromString("pw")
	results := p.ProbeAll(context.Background(), []sshcheck.Target{
		{Name: "cfguest11", Address: "192.0.2.10", User: "root", Password: pw},
		{Name: "cfguest12", Address: "192.0.2.10", User: "admin", Password: cipher.SecretFromString("wrong")},
		{Name: "cfguest13", Address: "192.0.2.10", User: "oper", Password: pw},
		{Name: "cfguest14", Address: "192.0.2.99", User: "root", Password: pw},
	})
	for _, r := range results {
		fmt.Printf("%s %s: %s\n", r.Target.Name, r.Target.User, r.Reason())
	}
	// Output:
	// cfguest11 root: ok
	// cfguest12 admin: authentication failed
	// cfguest13 oper: sudo needs a tty (requiretty)
	// cfguest14 root: connection refused
}

// Run a command on a guest: as root directly, as any other user through
// `sudo -n --`. Arguments arrive unchanged; a non-zero exit is a status,
// not an error.
func ExampleClient_Run() {
	users := map[string]sshtest.User{"admin": {Password: "pw", Sudo: sshtest.SudoNoPassword}}
	script := sshtest.Script{"cftool -l": {Stdout: "Node     Number State       Os      Cpu\ncfguest11 1      UP          Linux   EM64T\n"}}
	p, srv, _, done := lab(sshtest.Config{Users: users, Handler: script.Handler}, sshcheck.TrustUnknown)
	defer done()

	c, err := p.Dial(context.Background(), sshcheck.Target{Address: "192.0.2.10", User: "admin", Password: cipher.SecretFromString("pw")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	stdout, _, status, err := c.Run(context.Background(), "cftool", "-l")
	fmt.Println(strings.Fields(strings.Split(string(stdout), "\n")[1])[0], status, err)
	fmt.Println(srv.Commands()[0].Line)
	// Output:
	// cfguest11 0 <nil>
	// LC_ALL=C sudo -n -- cftool -l
}

// Open is Probe that keeps the login: the checks of a probe (host key,
// password, sudo -n true), then commands on the same connection, one
// login in all, as preflight does for every guest.
func ExampleProber_Open() {
	users := map[string]sshtest.User{"admin": {Password: "pw", Sudo: sshtest.SudoNoPassword}}
	script := sshtest.Script{"cftool -c": {Stdout: "cluster1\n"}}
	p, srv, _, done := lab(sshtest.Config{Users: users, Handler: script.Handler}, sshcheck.TrustUnknown)
	defer done()

	r, c := p.Open(context.Background(), sshcheck.Target{Address: "192.0.2.10", User: "admin", Password: cipher.SecretFromString("pw")})
	if c == nil {
		fmt.Println(r.Reason())
		return
	}
	defer c.Close()
	out, _ := c.Output(context.Background(), "cftool", "-c")
	fmt.Println(r.Reason(), r.SudoChecked, strings.TrimSpace(string(out)))
	fmt.Println("logins:", srv.AuthAttempts("admin"))
	// Output:
	// ok true cluster1
	// logins: 1
}

// Step 5: does root on the guest know the host 198.51.100.1's key?
func ExampleGuestKnowsHost() {
	script := sshtest.Script{
		"ssh-keygen -F 198.51.100.1 -f /root/.ssh/known_hosts":   {Stdout: "# Host 198.51.100.1 found: line 1\n"},
		"ssh-keygen -F 198.51.100.2 -f /root/.ssh/known_hosts":   {ExitStatus: 1},
		"ssh-keygen -F 198.51.100.2 -f /etc/ssh/ssh_known_hosts": {ExitStatus: 1},
	}
	p, _, _, done := lab(sshtest.Config{Users: map[string]sshtest.User{"root": {Password: "pw"}}, Handler: script.Handler}, sshcheck.TrustUnknown)
	defer done()

	c, err := p.Dial(context.Background(), sshcheck.Target{Address: "192.0.2.10", User: "root", Password: cipher.SecretFromString("pw")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for _, host := range []string{"198.51.100.1", "198.51.100.2"} {
		file, err := sshcheck.GuestKnowsHost(context.Background(), c, host, 22)
		fmt.Printf("%s %q %v\n", host, file, err)
	}
	// Output:
	// 198.51.100.1 "/root/.ssh/known_hosts" <nil>
	// 198.51.100.2 "" <nil>
}

// QuoteCommand makes the one line that a remote POSIX shell splits back
// into exactly these words.
func ExampleQuoteCommand() {
	line, err := sshcheck.QuoteCommand("ssh-keygen", "-F", "[192.0.2.1]:2222", "it's", "")
	fmt.Println(line, err)
	// Output: ssh-keygen -F '[192.0.2.1]:2222' 'it'\''s' '' <nil>
}

// Kind names a failure for a report, whatever wraps it.
func ExampleKind() {
	err := fmt.Errorf("guest1: %w", &sshcheck.Error{Kind: sshcheck.ErrSudoNeedsTTY, Address: "192.0.2.10:22"})
	fmt.Println(sshcheck.Kind(err), errors.Is(err, sshcheck.ErrSudoNeedsTTY))
	// Output: sudo needs a tty (requiretty) true
}

// Read a file through a guest with a cap of its own: a guest that answers
// with more than the cap ends in ErrOutputTooLarge as soon as the cap is
// passed; its session is closed, not drained.
func ExampleClient_RunLimited() {
	script := sshtest.Script{"cat -- /etc/opt/FJSVcluster/etc/kvmguests.conf": {Stdout: strings.Repeat("#\n", 40000)}}
	p, _, _, done := lab(sshtest.Config{Users: map[string]sshtest.User{"root": {Password: "pw"}}, Handler: script.Handler}, sshcheck.TrustUnknown)
	defer done()

	c, err := p.Dial(context.Background(), sshcheck.Target{Address: "192.0.2.10", User: "root", Password: cipher.SecretFromString("pw")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, _, _, err = c.RunLimited(context.Background(), sshcheck.Limits{MaxStdout: 64 << 10}, "cat", "--", "/etc/opt/FJSVcluster/etc/kvmguests.conf")
	var e *sshcheck.Error
	fmt.Println(errors.Is(err, sshcheck.ErrOutputTooLarge), errors.As(err, &e) && e.Stream == "stdout", e.Limit)
	// Output: true true 65536
}

// Text from a guest is shown quoted, escaped and cut: no escape sequence
// reaches the terminal.
func ExampleQuoteRemote() {
	fmt.Println(sshcheck.QuoteRemote([]byte("\x1b]0;owned\x07\x1b[31msudo: no tty\n")))
	fmt.Println(len(sshcheck.QuoteRemote([]byte(strings.Repeat("x", 5000)))))
	// Output:
	// "\x1b]0;owned\a\x1b[31msudo: no tty"
	// 308
}
