package sshcheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// guestAddr is where the tests pretend the guest lives; the dial hook
// routes it to the in-process server.
const guestAddr = "192.0.2.10"

const testPassword = "s3cret-Pa55"

// lab is one in-process guest and a prober that reaches it through the dial
// hook, with known_hosts in a temporary folder.
type lab struct {
	srv        *sshtest.Server
	knownHosts string
	routes     sshtest.Routes
}

func newLab(t *testing.T, cfg sshtest.Config) *lab {
	t.Helper()
	if cfg.Users == nil {
		cfg.Users = map[string]sshtest.User{
			"root":  {Password: testPassword},
			"admin": {Password: testPassword, Sudo: sshtest.SudoNoPassword},
		}
	}
	srv, err := sshtest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &lab{
		srv:        srv,
		knownHosts: filepath.Join(t.TempDir(), "ssh", "known_hosts"),
		routes:     sshtest.Routes{guestAddr + ":22": srv.Addr()},
	}
}

// know writes a plain known_hosts line for the guest with key.
func (l *lab) know(t *testing.T, key ssh.PublicKey) {
	t.Helper()
	appendLine(t, l.knownHosts, xknownhosts.Line([]string{guestAddr}, key))
}

func appendLine(t *testing.T, file, line string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
}

func (l *lab) prober(t *testing.T, mod func(*Options)) *Prober {
	t.Helper()
	o := Options{
		KnownHostsFiles:       []string{l.knownHosts},
		GlobalKnownHostsFiles: []string{},
		DialContext:           l.routes.DialContext,
		HandshakeTimeout:      5 * time.Second,
		CommandTimeout:        5 * time.Second,
	}
	if mod != nil {
		mod(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func target(user string) Target {
	return Target{Name: "guest1", Address: guestAddr, User: user, Password: cipher.SecretFromString(testPassword)}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// shared RSA key: generating one costs up to a second.
var (
	rsaOnce sync.Once
	rsaKey  ssh.Signer
)

func sharedRSA(t *testing.T) ssh.Signer {
	rsaOnce.Do(func() {
		k, err := sshtest.NewHostKey("rsa")
		if err != nil {
			t.Fatal(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func mustKey(t *testing.T, kind string) ssh.Signer {
	t.Helper()
	k, err := sshtest.NewHostKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
