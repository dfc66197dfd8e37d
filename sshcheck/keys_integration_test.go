package sshcheck

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"golang.org/x/crypto/ssh"
)

// Root logs in to a real OpenSSH sshd (PermitRootLogin prohibit-password,
// as Debian ships it) by key, as between cluster hosts: from an identity
// file, and through a real ssh-agent.

// keySSHD starts sshd whose root (and every user) logs in with the keys
// of authorized, written to an AuthorizedKeysFile in the test's folder.
func keySSHD(t *testing.T, authorized ...crypto.Signer) (*sshdtest.Server, string) {
	t.Helper()
	ak := filepath.Join(t.TempDir(), "authorized_keys")
	var lines []byte
	for _, k := range authorized {
		lines = append(lines, ssh.MarshalAuthorizedKey(publicOf(t, k))...)
	}
	if err := os.WriteFile(ak, lines, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Config{Extra: []string{"AuthorizedKeysFile " + ak}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	appendLine(t, kh, srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519"))
	return srv, kh
}

func rootByKey(srv *sshdtest.Server, keys KeySource) Target {
	return Target{Name: "host", Address: "127.0.0.1", Port: srv.Port, User: "root", Keys: keys}
}

func TestSSHDRootKeyLogin(t *testing.T) {
	noAgent(t)
	k, stranger := newKey(t, "ed25519"), newKey(t, "ed25519")
	srv, kh := keySSHD(t, k)
	p := realProber(t, kh, Strict)
	dir := t.TempDir()
	src, err := IdentityFile(writeKey(t, filepath.Join(dir, "id_ed25519"), k, "", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Dial(ctxT(t), rootByKey(srv, src))
	if err != nil {
		t.Fatalf("root key login: %v", err)
	}
	out, err := c.Output(ctxT(t), "id", "-u")
	c.Close()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("id -u as root: %q, %v", out, err)
	}
	if n := srv.CountLog("Accepted publickey for root"); n != 1 {
		t.Errorf("sshd logged %d key logins for root, want 1", n)
	}

	// A key sshd does not know; then root's password, which
	// prohibit-password refuses like a wrong one.
	other, err := IdentityFile(writeKey(t, filepath.Join(dir, "stranger"), stranger, "", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Probe(ctxT(t), rootByKey(srv, other))
	if !errors.Is(r.Err, ErrAuthFailed) || !strings.Contains(r.Err.Error(), ssh.FingerprintSHA256(publicOf(t, stranger))) {
		t.Errorf("unknown key: %v", r.Err)
	}
	if !strings.Contains(r.Hint(), "authorized_keys") {
		t.Errorf("unknown key: hint %q", r.Hint())
	}
}

// startAgent runs a real ssh-agent on a socket in the test's folder, adds
// the key files to it with ssh-add and points SSH_AUTH_SOCK at it.
func startAgent(t *testing.T, keyFiles ...string) {
	t.Helper()
	agentBin := testenv.LookPath(t, "ssh-agent", "openssh-client")
	add := testenv.LookPath(t, "ssh-add", "openssh-client")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	cmd := exec.Command(agentBin, "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent made no socket within 10s")
		}
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	for _, f := range keyFiles {
		c := exec.Command(add, "-q", f)
		c.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add %s: %v\n%s", f, err, out)
		}
	}
}

func TestSSHDRootKeyLoginThroughAgent(t *testing.T) {
	rsaK, edK := newKey(t, "rsa"), newKey(t, "ed25519")
	srv, kh := keySSHD(t, rsaK, edK)
	p := realProber(t, kh, Strict)
	dir := t.TempDir()
	// The agent holds both keys; the files ssh-add read are gone, as on
	// a host where the agent was loaded at boot.
	plainRSA := writeKey(t, filepath.Join(dir, "rsa"), rsaK, "", 0o600)
	plainEd := writeKey(t, filepath.Join(dir, "ed"), edK, "", 0o600)
	startAgent(t, plainRSA, plainEd)
	os.Remove(plainRSA)
	os.Remove(plainEd)

	// All the agent's keys; the RSA one signs with SHA-2, which OpenSSH
	// 8.8 and later require.
	if r := p.Probe(ctxT(t), rootByKey(srv, Agent(""))); r.Err != nil {
		t.Errorf("agent login: %v", r.Err)
	}
	// An encrypted identity file whose key the agent holds.
	enc, err := IdentityFile(writeKey(t, filepath.Join(dir, "id_rsa"), rsaK, "secret-phrase", 0o600))
	if err != nil {
		t.Fatalf("encrypted identity with its key in ssh-agent: %v", err)
	}
	if r := p.Probe(ctxT(t), rootByKey(srv, enc)); r.Err != nil {
		t.Errorf("encrypted identity through the agent: %v", r.Err)
	}
	// sshd logs a moment after the client is in.
	for deadline := time.Now().Add(5 * time.Second); strings.Count(srv.Log(), "Accepted publickey for root") < 2 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := strings.Count(srv.Log(), "Accepted publickey for root"); n != 2 {
		t.Errorf("sshd logged %d key logins, want 2", n)
	}
	if n := strings.Count(srv.Log(), "Accepted publickey for root from 127.0.0.1 port"); n != 2 || strings.Count(srv.Log(), "ssh2: RSA SHA256:") != 2 {
		t.Error("sshd did not log two RSA key logins")
	}
}

// BenchmarkSSHDLogin compares one root login by key with one login by
// password (through PAM) on a real sshd, each with `true` run after it:
//
//	go test -run '^$' -bench SSHDLogin ./sshcheck/
func BenchmarkSSHDLogin(b *testing.B) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	pub, _ := ssh.NewPublicKey(k.Public())
	dir := b.TempDir()
	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, ssh.MarshalAuthorizedKey(pub), 0o600); err != nil {
		b.Fatal(err)
	}
	srv := sshdtest.Start(b, sshdtest.Config{Extra: []string{"AuthorizedKeysFile " + ak}})
	u := sshdtest.TestUsers(b)
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	p, err := New(Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(k)
	for name, tg := range map[string]Target{
		"key":      {Address: "127.0.0.1", Port: srv.Port, User: "root", Keys: staticKeys{signer}},
		"password": {Address: "127.0.0.1", Port: srv.Port, User: u.NoPasswd, Password: cipher.SecretFromString(u.Password)},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				c, err := p.Dial(context.Background(), tg)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Output(context.Background(), "true"); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}

// staticKeys offers signers already in memory.
type staticKeys []ssh.Signer

func (s staticKeys) Signers(context.Context) ([]ssh.Signer, func(), error) { return s, func() {}, nil }
