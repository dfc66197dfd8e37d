package migrate_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// TestNodeLockOverRealSSHD takes a node's lock as Run does, over a real
// OpenSSH sshd, through real sudo -n, with the real sh and flock(1): a
// second login is refused naming the holder (75); Release lets go at
// once; a holder whose connection is cut (as a killed sfkvm's is) leaves
// nothing held once sshd sees the end.
func TestNodeLockOverRealSSHD(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Config{})
	u := sshdtest.TestUsers(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := sshcheck.New(sshcheck.Options{KnownHostsFiles: []string{kh}, GlobalKnownHostsFiles: []string{},
		HandshakeTimeout: 20 * time.Second, CommandTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	login := func() *sshcheck.Client {
		c, err := p.Dial(ctxT(t), sshcheck.Target{Name: "node", Address: "127.0.0.1", Port: srv.Port, User: u.NoPasswd,
			Password: cipher.SecretFromString(u.Password)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Root's folder, as /run is: the user reaches it only through sudo.
	file := filepath.Join(t.TempDir(), "sfkvm-migrate-cluster1.lock")
	take := func(c *sshcheck.Client, holder string) (*sshcheck.Held, int, string) {
		h, _, stderr, status, err := c.Hold(ctxT(t), "SFKVM-LOCKED", "sh", "-c", migrate.LockScript, "sh", file, holder)
		if err != nil {
			t.Fatalf("taking the lock: %v", err)
		}
		return h, status, string(stderr)
	}

	first, second := login(), login()
	start := time.Now()
	if h, status, stderr := take(first, "the first"); h == nil {
		t.Fatalf("the first taker: exit %d %q", status, stderr)
	}
	t.Logf("the lock taken in %v (a session, sudo -n, sh, flock)", time.Since(start).Round(time.Millisecond))
	if h, status, stderr := take(second, "the second"); h != nil || status != 75 || stderr != "held by the first\n" {
		t.Fatalf("the second taker: held %v, exit %d, stderr %q; want 75 naming the first", h != nil, status, stderr)
	}

	// The first's connection is cut: sshd sees its end, the command its
	// input's end, and flock is dropped.
	first.Close()
	start = time.Now()
	var h *sshcheck.Held
	for {
		var status int
		var stderr string
		if h, status, stderr = take(second, "the second"); h != nil {
			break
		}
		if status != 75 {
			t.Fatalf("the second taker: exit %d %q", status, stderr)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the lock outlived its holder's connection by 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the lock was free %v after its holder's connection was cut", time.Since(start).Round(time.Millisecond))

	// Release lets go before it returns: a third taker gets it at once.
	if err := h.Release(); err != nil {
		t.Errorf("Release: %v", err)
	}
	if h, status, stderr := take(login(), "the third"); h == nil {
		t.Errorf("right after Release: exit %d %q, want the lock free", status, stderr)
	} else {
		h.Release()
	}
}
