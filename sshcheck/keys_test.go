package sshcheck

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// newKey makes a private key of kind "ed25519", "ecdsa" or "rsa" (2048
// bits, for speed).
func newKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicOf(t *testing.T, k crypto.Signer) ssh.PublicKey {
	t.Helper()
	p, err := ssh.NewPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeKey writes k in OpenSSH's format to path with mode, encrypted when
// passphrase is not empty.
func writeKey(t *testing.T, path string, k crypto.Signer, passphrase string, mode os.FileMode) string {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(k, "test", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(k, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveKeyring serves an in-memory agent holding keys on a unix socket
// and points SSH_AUTH_SOCK at it for the test.
func serveKeyring(t *testing.T, keys ...crypto.Signer) string {
	t.Helper()
	kr := agent.NewKeyring()
	for _, k := range keys {
		if err := kr.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); agent.ServeAgent(kr, c) }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	return sock
}

// noAgent makes sure no agent of the environment takes part.
func noAgent(t *testing.T) { t.Setenv("SSH_AUTH_SOCK", "") }

// keyLab is a host that lets root in with key only.
func keyLab(t *testing.T, authorized ...ssh.PublicKey) *lab {
	t.Helper()
	l := newLab(t, sshtest.Config{Users: map[string]sshtest.User{
		"root": {Password: testPassword, AuthorizedKeys: authorized},
	}})
	l.know(t, l.srv.HostKeys()[0])
	return l
}

func hostTarget(keys KeySource) Target {
	return Target{Name: "host2", Address: guestAddr, User: "root", Keys: keys}
}

func TestKeyLoginByIdentityFile(t *testing.T) {
	noAgent(t)
	k := newKey(t, "ed25519")
	l := keyLab(t, publicOf(t, k))
	src, err := IdentityFile(writeKey(t, filepath.Join(t.TempDir(), "id"), k, "", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	r := l.prober(t, nil).Probe(ctxT(t), hostTarget(src))
	if r.Err != nil {
		t.Fatalf("key login: %v", r.Err)
	}
	if n := l.srv.KeyLogins("root"); n == 0 {
		t.Error("the server accepted no key")
	}
	if n := l.srv.AuthAttempts("root"); n != 0 {
		t.Errorf("%d password attempts, want none", n)
	}
}

func TestKeyRefused(t *testing.T) {
	noAgent(t)
	l := keyLab(t, publicOf(t, newKey(t, "ed25519")))
	other := newKey(t, "ecdsa")
	src, err := IdentityFile(writeKey(t, filepath.Join(t.TempDir(), "id"), other, "", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	r := l.prober(t, nil).Probe(ctxT(t), hostTarget(src))
	if !errors.Is(r.Err, ErrAuthFailed) {
		t.Fatalf("Probe: %v, want ErrAuthFailed", r.Err)
	}
	fp := ssh.FingerprintSHA256(publicOf(t, other))
	if !strings.Contains(r.Err.Error(), fp) || !strings.Contains(r.Err.Error(), "auth publickey") {
		t.Errorf("error %q does not name the key offered (%s) and the method", r.Err, fp)
	}
	if h := r.Hint(); !strings.Contains(h, "/root/.ssh/authorized_keys") {
		t.Errorf("hint %q", h)
	}
	if n := l.srv.AuthAttempts("root"); n != 0 {
		t.Errorf("%d password attempts without a password", n)
	}
}

// With both, the key goes first; the password is the one fallback.
func TestKeyThenPassword(t *testing.T) {
	noAgent(t)
	l := keyLab(t, publicOf(t, newKey(t, "ed25519")))
	src, err := IdentityFile(writeKey(t, filepath.Join(t.TempDir(), "id"), newKey(t, "ed25519"), "", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	tg := hostTarget(src)
	tg.Password = cipher.SecretFromString(testPassword)
	if r := l.prober(t, nil).Probe(ctxT(t), tg); r.Err != nil {
		t.Fatalf("Probe: %v", r.Err)
	}
	if n := l.srv.AuthAttempts("root"); n != 1 {
		t.Errorf("%d password attempts, want 1 after the refused key", n)
	}
	tg.Password = cipher.SecretFromString("wrong")
	r := l.prober(t, nil).Probe(ctxT(t), tg)
	if !errors.Is(r.Err, ErrAuthFailed) || !strings.Contains(r.Err.Error(), "auth password") {
		t.Fatalf("Probe with a wrong password: %v", r.Err)
	}
	if n := l.srv.AuthAttempts("root"); n != 2 {
		t.Errorf("%d password attempts, want 2 (one per probe)", n)
	}
}

// A server that offers no publickey method: the keys are not usable.
func TestKeyMethodNotOffered(t *testing.T) {
	noAgent(t)
	l := newLab(t, sshtest.Config{})
	l.know(t, l.srv.HostKeys()[0])
	k := newKey(t, "ed25519")
	src, err := IdentityFile(writeKey(t, filepath.Join(t.TempDir(), "id"), k, "", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	r := l.prober(t, nil).Probe(ctxT(t), hostTarget(src))
	if !errors.Is(r.Err, ErrNoUsableMethod) || !strings.Contains(r.Hint(), "PubkeyAuthentication") {
		t.Fatalf("Probe: %v (hint %q), want ErrNoUsableMethod and a hint on PubkeyAuthentication", r.Err, r.Hint())
	}
}

// Hosts' keys are checked as strictly as guests': an unknown host key
// stops the login before any key signs anything.
func TestKeyLoginHostKeyStrict(t *testing.T) {
	noAgent(t)
	k := newKey(t, "ed25519")
	l := newLab(t, sshtest.Config{Users: map[string]sshtest.User{"root": {AuthorizedKeys: []ssh.PublicKey{publicOf(t, k)}}}})
	src, err := IdentityFile(writeKey(t, filepath.Join(t.TempDir(), "id"), k, "", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	r := l.prober(t, nil).Probe(ctxT(t), hostTarget(src))
	if !errors.Is(r.Err, ErrHostKeyUnknown) {
		t.Fatalf("Probe: %v, want ErrHostKeyUnknown", r.Err)
	}
	if n := l.srv.KeyLogins("root"); n != 0 {
		t.Errorf("a key was offered to a host whose key is unknown (%d)", n)
	}
}

func TestIdentityFileRefused(t *testing.T) {
	noAgent(t)
	dir := t.TempDir()
	k := newKey(t, "ed25519")
	plain := writeKey(t, filepath.Join(dir, "plain"), k, "", 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(plain, link); err != nil {
		t.Fatal(err)
	}
	notKey := filepath.Join(dir, "notkey")
	if err := os.WriteFile(notKey, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       error
		says       string
	}{
		{"mode 0644", writeKey(t, filepath.Join(dir, "open"), k, "", 0o644), safefile.ErrMode, "mode 0644"},
		{"mode 0640", writeKey(t, filepath.Join(dir, "group"), k, "", 0o640), safefile.ErrMode, "mode 0640"},
		{"symlink", link, safefile.ErrSymlink, "symbolic link"},
		{"folder", dir, safefile.ErrNotRegular, "a folder"},
		{"missing", filepath.Join(dir, "none"), os.ErrNotExist, "no such file"},
		{"encrypted without agent", writeKey(t, filepath.Join(dir, "enc"), k, "secret-phrase", 0o600), ErrIdentityEncrypted, "ssh-add"},
		{"not a key", notKey, ErrIdentityFormat, "not a private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := IdentityFile(tc.path)
			if err == nil || src != nil {
				t.Fatalf("IdentityFile(%s) = %v, %v; want a refusal", tc.name, src, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the file and say %q", err, tc.says)
			}
		})
	}
	// The encrypted key's error also is x/crypto's, for callers that look for it.
	_, err := IdentityFile(filepath.Join(dir, "enc"))
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		t.Errorf("encrypted identity: %v does not wrap *ssh.PassphraseMissingError", err)
	}
	if strings.Contains(err.Error(), "secret-phrase") {
		t.Error("the error shows the passphrase")
	}
}

// An encrypted identity whose key an agent holds logs in through the
// agent, with no passphrase anywhere.
func TestEncryptedIdentityThroughAgent(t *testing.T) {
	k := newKey(t, "ecdsa")
	other := newKey(t, "ed25519")
	serveKeyring(t, other, k)
	l := keyLab(t, publicOf(t, k))
	src, err := IdentityFile(writeKey(t, filepath.Join(t.TempDir(), "id"), k, "secret-phrase", 0o600))
	if err != nil {
		t.Fatalf("IdentityFile with the key in the agent: %v", err)
	}
	if r := l.prober(t, nil).Probe(ctxT(t), hostTarget(src)); r.Err != nil {
		t.Fatalf("Probe: %v", r.Err)
	}
	// Only that identity is offered, not the agent's other key.
	signers, release, err := src.Signers(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if len(signers) != 1 || ssh.FingerprintSHA256(signers[0].PublicKey()) != ssh.FingerprintSHA256(publicOf(t, k)) {
		t.Errorf("IdentityFile offers %d keys, want exactly its own", len(signers))
	}
	// The agent goes away: the next login says so.
	t.Setenv("SSH_AUTH_SOCK", "")
	r := l.prober(t, nil).Probe(ctxT(t), hostTarget(src))
	if !errors.Is(r.Err, ErrNoUsableMethod) || !errors.Is(r.Err, ErrIdentityEncrypted) {
		t.Errorf("Probe without the agent: %v, want ErrNoUsableMethod wrapping ErrIdentityEncrypted", r.Err)
	}
}

func TestAgentKeys(t *testing.T) {
	k := newKey(t, "rsa")
	sock := serveKeyring(t, newKey(t, "ed25519"), k)
	l := keyLab(t, publicOf(t, k))
	for name, src := range map[string]KeySource{"SSH_AUTH_SOCK": Agent(""), "explicit socket": Agent(sock)} {
		if r := l.prober(t, nil).Probe(ctxT(t), hostTarget(src)); r.Err != nil {
			t.Errorf("%s: %v", name, r.Err)
		}
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	r := l.prober(t, nil).Probe(ctxT(t), hostTarget(Agent("")))
	if !errors.Is(r.Err, ErrNoUsableMethod) || !errors.Is(r.Err, ErrNoAgent) || !strings.Contains(r.Err.Error(), "SSH_AUTH_SOCK is not set") {
		t.Errorf("no agent: %v", r.Err)
	}
	if !strings.Contains(r.Hint(), "ssh-add") {
		t.Errorf("no agent: hint %q", r.Hint())
	}
	if _, _, err := Agent(filepath.Join(t.TempDir(), "none")).Signers(ctxT(t)); !errors.Is(err, ErrNoAgent) {
		t.Errorf("agent socket missing: %v", err)
	}
	serveKeyring(t)
	if _, _, err := Agent("").Signers(ctxT(t)); !errors.Is(err, ErrNoKeys) {
		t.Errorf("empty agent: %v", err)
	}
}

// fingerprints lists the signers' fingerprints in order.
func fingerprints(signers []ssh.Signer) []string {
	var fps []string
	for _, s := range signers {
		fps = append(fps, ssh.FingerprintSHA256(s.PublicKey()))
	}
	return fps
}

func fpOf(t *testing.T, keys ...crypto.Signer) []string {
	var fps []string
	for _, k := range keys {
		fps = append(fps, ssh.FingerprintSHA256(publicOf(t, k)))
	}
	return fps
}

func TestDefaultKeysOrder(t *testing.T) {
	home := t.TempDir()
	ssh_ := filepath.Join(home, ".ssh")
	rsaK, ecK, edK, agentOnly := newKey(t, "rsa"), newKey(t, "ecdsa"), newKey(t, "ed25519"), newKey(t, "ed25519")
	writeKey(t, filepath.Join(ssh_, "id_ed25519"), edK, "", 0o600)
	writeKey(t, filepath.Join(ssh_, "id_rsa"), rsaK, "", 0o400)
	writeKey(t, filepath.Join(ssh_, "id_ecdsa"), ecK, "", 0o600)
	writeKey(t, filepath.Join(ssh_, "id_dsa"), newKey(t, "ed25519"), "", 0o644) // not a default of ours: never read

	check := func(name string, want []string) {
		t.Helper()
		signers, release, err := defaultSource{home: home}.Signers(ctxT(t))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer release()
		if got := fingerprints(signers); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: keys offered %v, want %v", name, got, want)
		}
	}
	noAgent(t)
	// OpenSSH's order: id_rsa, id_ecdsa, id_ed25519.
	check("files", fpOf(t, rsaK, ecK, edK))
	// The agent's keys first, and a file's key once.
	serveKeyring(t, agentOnly, ecK)
	check("agent and files", fpOf(t, agentOnly, ecK, rsaK, edK))
}

func TestDefaultKeysRefusals(t *testing.T) {
	noAgent(t)
	k := newKey(t, "ed25519")
	home := t.TempDir()
	id := filepath.Join(home, ".ssh", "id_ed25519")

	// Nothing at all.
	_, _, err := defaultSource{home: home}.Signers(ctxT(t))
	if !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), "SSH_AUTH_SOCK is not set") {
		t.Errorf("no keys: %v", err)
	}
	// An unsafe file is refused, not skipped.
	writeKey(t, id, k, "", 0o644)
	writeKey(t, filepath.Join(home, ".ssh", "id_rsa"), newKey(t, "ecdsa"), "", 0o600) // a good key, whatever its name
	if _, _, err := (defaultSource{home: home}).Signers(ctxT(t)); !errors.Is(err, safefile.ErrMode) {
		t.Errorf("id_ed25519 mode 0644: %v, want safefile.ErrMode", err)
	}
	// An encrypted file without an agent is skipped while another key remains...
	writeKey(t, id, k, "secret-phrase", 0o600)
	signers, release, err := defaultSource{home: home}.Signers(ctxT(t))
	if err != nil || len(signers) != 1 {
		t.Fatalf("encrypted id_ed25519 beside a plain id_rsa: %d keys, %v; want the plain one", len(signers), err)
	}
	release()
	// ...and named when it was the only one.
	os.Remove(filepath.Join(home, ".ssh", "id_rsa"))
	if _, _, err := (defaultSource{home: home}).Signers(ctxT(t)); !errors.Is(err, ErrIdentityEncrypted) || !strings.Contains(err.Error(), id) {
		t.Errorf("encrypted id_ed25519 alone: %v", err)
	}
	// A symbolic link as id_ed25519.
	os.Remove(id)
	other := writeKey(t, filepath.Join(home, "elsewhere"), k, "", 0o600)
	if err := os.Symlink(other, id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := (defaultSource{home: home}).Signers(ctxT(t)); !errors.Is(err, safefile.ErrSymlink) {
		t.Errorf("id_ed25519 a symbolic link: %v", err)
	}
}

// An agent that accepts and never answers costs a bounded wait, and the
// caller's context ends it at once.
func TestAgentThatNeverAnswers(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn // open, never answered
	defer func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	old := agentTimeout
	agentTimeout = 300 * time.Millisecond
	defer func() { agentTimeout = old }()

	start := time.Now()
	if _, _, err := Agent(sock).Signers(context.Background()); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("silent agent: %v after %v; want an error within agentTimeout", err, time.Since(start))
	}
	agentTimeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	if _, _, err := Agent(sock).Signers(ctx); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("silent agent, cancelled: %v after %v", err, time.Since(start))
	}
}

// TestAgentOfAnotherUser: an SSH_AUTH_SOCK that belongs to another user
// (sudo -E keeps the caller's) is refused before it is used, by Agent and
// by DefaultKeys, even when key files would do: that user's agent would
// choose the keys and see every login it signs for.
func TestAgentOfAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the socket to another user")
	}
	sock := serveKeyring(t, newKey(t, "ed25519"))
	if _, release, err := Agent("").Signers(ctxT(t)); err != nil {
		t.Fatalf("root's own agent: %v", err)
	} else {
		release()
	}
	if err := os.Chown(sock, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]KeySource{"Agent": Agent(""), "Agent(sock)": Agent(sock), "DefaultKeys": defaultSource{home: t.TempDir()}} {
		if name == "DefaultKeys" {
			home := src.(defaultSource).home
			writeKey(t, filepath.Join(home, ".ssh", "id_ed25519"), newKey(t, "ed25519"), "", 0o600)
		}
		signers, _, err := src.Signers(ctxT(t))
		if !errors.Is(err, ErrAgentOwner) || !strings.Contains(err.Error(), sock+" is uid 4242's") || signers != nil {
			t.Errorf("%s: %d keys, %v; want ErrAgentOwner naming the socket", name, len(signers), err)
		}
	}
}
