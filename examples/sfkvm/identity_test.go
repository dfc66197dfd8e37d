package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/sshcheck"
	"golang.org/x/crypto/ssh"
)

// writeIdentity writes a new Ed25519 key to dir/name with mode, encrypted
// with passphrase when it is not empty.
func writeIdentity(t *testing.T, dir, name, passphrase string, mode os.FileMode) string {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(k, "", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(k, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPreflightIdentityRefused: --identity is a secret: the guarded open
// refuses it before any login (77 for what another user could read or
// plant, 66 for what is not a file), an encrypted key without an agent
// is refused without a prompt (69), a file that is no key is 65, and
// --identity with --host-password-file is a usage error.
func TestPreflightIdentityRefused(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(writeIdentity(t, dir, "target", "", 0o600), link); err != nil {
		t.Fatal(err)
	}
	notKey := filepath.Join(dir, "notkey")
	if err := os.WriteFile(notKey, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"mode 0644", []string{"--identity", writeIdentity(t, dir, "open", "", 0o644)}, exitNoPerm, "mode 0644"},
		{"symlink", []string{"--identity", link}, exitNoPerm, "is a symbolic link"},
		{"fifo", []string{"--identity", fifo}, exitNoInput, "not a regular file (a FIFO)"},
		{"missing", []string{"--identity", filepath.Join(dir, "none")}, exitNoInput, "no such file"},
		{"encrypted", []string{"--identity", writeIdentity(t, dir, "enc", "a passphrase", 0o600)}, exitUnavailable, "ssh-add"},
		{"not a key", []string{"--identity", notKey}, exitConfig, "not a private key"},
		{"with a password file", []string{"--identity", link, "--host-password-file", pw}, exitUsage, "not both"},
	} {
		args := append([]string{"preflight", "--hosts", "127.0.0.1", "-f", filepath.Join(dir, "none.conf")}, tc.args...)
		r := runWithin(t, args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.says) || strings.Contains(r.stderr+r.stdout, "passphrase\"") {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, r.code, r.stderr, tc.code, tc.says)
		}
		if tc.code != exitUsage && !strings.Contains(r.stderr, "--identity: ") {
			t.Errorf("%s: stderr %q does not name the flag", tc.name, r.stderr)
		}
	}
}

// TestHostKeySource: hosts log in by key unless a password file is given.
func TestHostKeySource(t *testing.T) {
	if k, err := hostKeySource("", false); err != nil || k != sshcheck.DefaultKeys() {
		t.Errorf("no flags: %v, %v; want DefaultKeys", k, err)
	}
	if k, err := hostKeySource("", true); err != nil || k != nil {
		t.Errorf("--host-password-file: %v, %v; want no keys", k, err)
	}
	id := writeIdentity(t, t.TempDir(), "id", "", 0o600)
	k, err := hostKeySource(id, false)
	if err != nil || k == nil || k == sshcheck.DefaultKeys() {
		t.Errorf("--identity: %v, %v; want that file's key", k, err)
	}
}
