package sshcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

// Integration tests against real OpenSSH sshd and sudo on 127.0.0.1, with
// accounts made by scripts/testusers.sh.

func realProber(t *testing.T, knownHosts string, policy HostKeyPolicy) *Prober {
	t.Helper()
	p, err := New(Options{KnownHostsFiles: []string{knownHosts}, GlobalKnownHostsFiles: []string{},
		HostKeyPolicy: policy, HandshakeTimeout: 20 * time.Second, CommandTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func localTarget(s *sshdtest.Server, user, password string) Target {
	return Target{Name: user, Address: "127.0.0.1", Port: s.Port, User: user, Password: cipher.SecretFromString(password)}
}

func TestSSHDPasswordLogin(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Config{})
	u := sshdtest.TestUsers(t)
	// Only the RSA key is known, as after `ssh-keyscan -t rsa`: the trap.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	appendLine(t, kh, srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-rsa"))
	p := realProber(t, kh, Strict)

	targets := []Target{
		localTarget(srv, u.NoPasswd, u.Password),
		localTarget(srv, u.Passwd, u.Password),
		localTarget(srv, u.None, u.Password),
		localTarget(srv, u.TTY, u.Password),
		localTarget(srv, u.NoPasswd, "wrong-"+u.Password),
		localTarget(srv, "root", u.Password),
	}
	want := []error{nil, ErrSudoNeedsPassword, ErrSudoNeedsPassword, ErrSudoNeedsTTY, ErrAuthFailed, ErrAuthFailed}
	results := p.ProbeAll(ctxT(t), targets)
	for i, r := range results {
		if !errors.Is(r.Err, want[i]) || (want[i] == nil) != (r.Err == nil) {
			t.Errorf("%s: %v, want %v", targets[i].User, r.Err, want[i])
		}
		if r.Err != nil && strings.Contains(r.Err.Error(), u.Password) {
			t.Errorf("%s: the error shows the password", targets[i].User)
		}
	}
	if h := results[5].Hint(); !strings.Contains(h, "PermitRootLogin prohibit-password") {
		t.Errorf("root hint %q", h)
	}
	// One attempt each: sshd logged one failure for the wrong password.
	if n := srv.CountLog("Failed password for " + u.NoPasswd + " "); n != 1 {
		t.Errorf("sshd logged %d failed passwords for %s, want 1", n, u.NoPasswd)
	}
}

func TestSSHDKeyboardInteractiveOnly(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Config{KbdInteractiveOnly: true})
	u := sshdtest.TestUsers(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	appendLine(t, kh, srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519"))
	p := realProber(t, kh, Strict)

	results := p.ProbeAll(ctxT(t), []Target{localTarget(srv, u.NoPasswd, u.Password), localTarget(srv, u.TTY, "wrong")})
	if results[0].Err != nil {
		t.Errorf("keyboard-interactive login: %v", results[0].Err)
	}
	if !errors.Is(results[1].Err, ErrAuthFailed) {
		t.Errorf("wrong password: %v, want authentication failed", results[1].Err)
	}
	if n := srv.CountLog("Failed keyboard-interactive/pam for " + u.TTY + " "); n != 1 {
		t.Errorf("sshd logged %d keyboard-interactive failures, want exactly 1:\n%s", n, srv.Log())
	}
}

// A key recorded under TrustUnknown is accepted by OpenSSH's own client
// with StrictHostKeyChecking=yes, and a key absent from the file is not.
func TestSSHDTrustedKeyAcceptedByOpenSSH(t *testing.T) {
	sshBin := testenv.LookPath(t, "ssh", "openssh-client")
	keygen := testenv.LookPath(t, "ssh-keygen", "openssh-client")
	srv := sshdtest.Start(t, sshdtest.Config{})
	u := sshdtest.TestUsers(t)
	kh := filepath.Join(t.TempDir(), "ssh", "known_hosts")

	r := realProber(t, kh, TrustUnknown).Probe(ctxT(t), localTarget(srv, u.NoPasswd, u.Password))
	if r.Err != nil || !r.Trusted {
		t.Fatalf("Probe: %v (trusted %v)", r.Err, r.Trusted)
	}
	name := fmt.Sprintf("[127.0.0.1]:%d", srv.Port)
	if out, err := exec.Command(keygen, "-F", name, "-f", kh).CombinedOutput(); err != nil || !strings.Contains(string(out), "found") {
		t.Errorf("ssh-keygen -F %s: %v\n%s", name, err, out)
	}

	// Log in with a key of the test user, so that no password is involved.
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	authorize(t, u.NoPasswd, key+".pub")
	ssh := func(knownHosts string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, sshBin, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", "UserKnownHostsFile="+knownHosts, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
			"-i", key, "-p", fmt.Sprint(srv.Port), u.NoPasswd+"@127.0.0.1", "echo", "logged-in").CombinedOutput()
		return string(out), err
	}
	if out, err := ssh(kh); err != nil || !strings.Contains(out, "logged-in") {
		t.Errorf("OpenSSH with the trusted key: %v\n%s", err, out)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	if out, err := ssh(empty); err == nil || !strings.Contains(out, "Host key verification failed") {
		t.Errorf("OpenSSH without the key should refuse: %v\n%s", err, out)
	}
}

func authorize(t *testing.T, user, pubFile string) {
	t.Helper()
	pub, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	home := "/home/" + user
	if err := os.MkdirAll(home+"/.ssh", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(home+"/.ssh/authorized_keys", pub, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chown", "-R", user+":", home+"/.ssh").CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
}

// A changed key fails and is left alone; the suggested command removes
// it, after which the key can be trusted again.
func TestSSHDChangedKey(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Config{})
	u := sshdtest.TestUsers(t)
	other := sshdtest.Start(t, sshdtest.Config{HostKeyTypes: []string{"ed25519"}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	appendLine(t, kh, other.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519"))

	r := realProber(t, kh, TrustUnknown).Probe(ctxT(t), localTarget(srv, u.NoPasswd, u.Password))
	var e *Error
	if !errors.As(r.Err, &e) || !errors.Is(r.Err, ErrHostKeyChanged) {
		t.Fatalf("Probe: %v, want changed host key", r.Err)
	}
	if e.Fingerprint != fingerprint(srv.HostKeys["ssh-ed25519"]) || e.KnownFingerprint != fingerprint(other.HostKeys["ssh-ed25519"]) {
		t.Errorf("fingerprints: server %s known %s", e.Fingerprint, e.KnownFingerprint)
	}
	if lines := readLines(t, kh); len(lines) != 1 {
		t.Errorf("known_hosts changed: %q", lines)
	}
	// Run the suggested removal (it is quoted for a shell).
	if out, err := exec.Command("sh", "-c", e.RemoveCommand).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", e.RemoveCommand, err, out)
	}
	if r := realProber(t, kh, TrustUnknown).Probe(ctxT(t), localTarget(srv, u.NoPasswd, u.Password)); r.Err != nil || !r.Trusted {
		t.Errorf("after removal: %v (trusted %v)", r.Err, r.Trusted)
	}
}

// The runner through real sudo and a real remote shell.
func TestSSHDRunner(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Config{})
	u := sshdtest.TestUsers(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	p := realProber(t, kh, TrustUnknown)
	c, err := p.Dial(ctxT(t), localTarget(srv, u.NoPasswd, u.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, _, status, err := c.Run(ctxT(t), "id", "-u")
	if err != nil || status != 0 || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("id -u through sudo: %q %d %v, want 0", out, status, err)
	}
	out, _, status, err = c.Run(ctxT(t), "printf", append([]string{`%s\0`}, awkward...)...)
	if got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"); err != nil || status != 0 || !slices.Equal(got, awkward) {
		t.Errorf("printf through ssh, sudo and sh: %q %d %v, want %q", got, status, err, awkward)
	}
	_, stderr, status, err := c.Run(ctxT(t), "sh", "-c", "echo oops >&2; exit 7")
	if err != nil || status != 7 || strings.TrimSpace(string(stderr)) != "oops" {
		t.Errorf("exit 7: %q %d %v", stderr, status, err)
	}
	// Step 5 through the runner: an address nobody has contacted.
	if file, err := GuestKnowsHost(ctxT(t), c, "198.51.100.254", 2201); file != "" || err != nil {
		t.Errorf("GuestKnowsHost: %q %v, want unknown", file, err)
	}
}
