package sshdtest_test

import (
	"crypto/ed25519"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"golang.org/x/crypto/ssh"
)

// A test that logs in to a real sshd with the test accounts. This example
// is compiled but not run (it has no Output comment): Start needs root and
// OpenSSH's sshd, and picks a free port and fresh host keys, so neither
// its running nor its output could be the same everywhere. The code is
// what a test function's body holds.
func ExampleStart() {
	testLogin := func(t *testing.T) {
		srv := sshdtest.Start(t, sshdtest.Config{})
		users := sshdtest.TestUsers(t)

		knownHosts := filepath.Join(t.TempDir(), "known_hosts")
		line := srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519")
		if err := os.WriteFile(knownHosts, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// ... log in to srv.Addr as users.NoPasswd with users.Password,
		// checking the host key against knownHosts ...
		_ = users
	}
	_ = testLogin
}

// KnownHostsLine writes the line that OpenSSH's known_hosts holds for the
// server's key of one type: the host bare on port 22, [host]:port on any
// other. Here the server's keys are a fixed one, so that the output is
// the same every run; Start fills HostKeys with sshd's own.
func ExampleServer_KnownHostsLine() {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		log.Fatal(err)
	}
	srv := &sshdtest.Server{Port: 2222, HostKeys: map[string]ssh.PublicKey{pub.Type(): pub}}
	fmt.Println(srv.KnownHostsLine("127.0.0.1", srv.Port, "ssh-ed25519"))
	fmt.Println(srv.KnownHostsLine("10.231.0.2", 22, "ssh-ed25519"))
	// Output:
	// [127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop
	// 10.231.0.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop
}
