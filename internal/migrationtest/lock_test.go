package migrationtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// The guest's SSH server takes sfkvm's lock as the migration test's guest
// is logged in to: a user through sudo -n, the script quoted by sshcheck
// and parsed back by sshtest.
func TestNodeHandlerLockOverSSH(t *testing.T) {
	c := migratetest.New("cluster1", "guest1", "guest2")
	srv, err := sshtest.Start(sshtest.Config{
		Users:   map[string]sshtest.User{"op": {Password: "pw", Sudo: sshtest.SudoNoPassword}},
		Handler: NodeHandler(c, "guest1", func() ([]byte, error) { return nil, nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{filepath.Join(t.TempDir(), "known_hosts")}, GlobalKnownHostsFiles: []string{},
		HostKeyPolicy: sshcheck.TrustUnknown, DialContext: sshtest.Routes{"192.0.2.11:22": srv.Addr()}.DialContext, CommandTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	take := func(holder string) (*sshcheck.Held, int, string) {
		n, err := p.Dial(ctx, sshcheck.Target{Address: "192.0.2.11", User: "op", Password: cipher.SecretFromString("pw")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		h, _, stderr, status, err := n.Hold(ctx, "SFKVM-LOCKED", "sh", "-c", migrate.LockScript, "sh", migrate.NodeLockPath("cluster1"), holder)
		if err != nil {
			t.Fatal(err)
		}
		return h, status, string(stderr)
	}
	first, status, stderr := take("the first")
	if first == nil {
		t.Fatalf("the first taker: exit %d %q", status, stderr)
	}
	if h, status, stderr := take("the second"); h != nil || status != 75 || stderr != "held by the first\n" {
		t.Fatalf("the second taker: held %v, exit %d %q; want 75 naming the first", h != nil, status, stderr)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if h, status, stderr := take("the third"); h == nil {
		t.Fatalf("after Release: exit %d %q, want the lock free", status, stderr)
	}
	if cmds := srv.Commands(); !cmds[0].Sudo || cmds[0].Args[2] != migrate.LockScript {
		t.Errorf("the command as the guest saw it: sudo %v, %q", cmds[0].Sudo, cmds[0].Args)
	}
}
