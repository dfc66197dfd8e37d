package rpcstore_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// Another host's daemon through sfkvm's own SSH login: root logs in to a
// real sshd by key, and the store opens the daemon's socket through that
// connection (sshcheck.Client.DialUnix). No libvirt client, no second
// login.
func TestOpenThroughSSH(t *testing.T) {
	d := libvirtdtest.Start(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(idFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Config{Extra: []string{"AuthorizedKeysFile " + ak}})
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{}, HandshakeTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sshcheck.IdentityFile(idFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := p.Dial(ctx, sshcheck.Target{Name: "host2", Address: "127.0.0.1", Port: srv.Port, User: "root", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	s, err := rpcstore.OpenDialer(ctx, d.URI, c.DialUnix)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	name := "sfkvm-over-ssh"
	if err := s.Define(ctx, qemuDomain(t, dir, name)); err != nil {
		t.Fatal(err)
	}
	names, err := s.List(ctx)
	if err != nil || !slices.Contains(names, name) {
		t.Errorf("List through SSH = %v, %v", names, err)
	}
	// A socket that is not there: every path tried, then ErrNoDaemon.
	_, err = rpcstore.OpenDialer(ctx, "qemu+unix:///system?socket="+filepath.Join(dir, "absent"), c.DialUnix)
	if !errors.Is(err, rpcstore.ErrNoDaemon) {
		t.Errorf("a missing remote socket: %v, want ErrNoDaemon", err)
	}
}
