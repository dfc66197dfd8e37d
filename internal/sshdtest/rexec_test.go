package sshdtest

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

func TestHasNoRexec(t *testing.T) {
	for text, want := range map[string]bool{
		"OpenSSH_9.2, OpenSSL 3.0.19 27 Jan 2026":         true,
		"OpenSSH_8.0p1, OpenSSL 1.1.1k  FIPS 25 Mar 2021": true,
		"OpenSSH_9.7p1":                true,
		"OpenSSH_9.8p1, OpenSSL 3.2.2": false,
		"OpenSSH_10.0p2":               false,
		"sshd: illegal option -- V":    false,
		"":                             false,
	} {
		if got := hasNoRexec(text); got != want {
			t.Errorf("hasNoRexec(%q) = %v, want %v", text, got, want)
		}
	}
}

// Where sshd has -r (OpenSSH before 9.8), a lab's sshd serves each
// connection in a fork of itself, not a new sshd -R: the connection's
// process has its parent's auxiliary vector, which an exec replaces.
func TestConnectionsAreNotReexecuted(t *testing.T) {
	sshd := testenv.LookPath(t, "sshd", "openssh-server")
	version, _ := exec.Command(sshd, "-V").CombinedOutput()
	s := Start(t, Config{HostKeyTypes: []string{"ed25519"}})
	c, err := net.DialTimeout("tcp", s.Addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// The banner comes from the connection's own process, after its exec
	// if there is one.
	if banner, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(banner, "SSH-2.0-") {
		t.Fatalf("banner %q: %v", banner, err)
	}
	child := childOf(t, s.Pid())
	parentAux, err1 := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.Pid()), "auxv"))
	childAux, err2 := os.ReadFile(filepath.Join("/proc", strconv.Itoa(child), "auxv"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	forked := bytes.Equal(parentAux, childAux)
	if want := hasNoRexec(string(version)); forked != want {
		t.Errorf("%s: the connection's process is a fork without exec: %v, want %v", strings.TrimSpace(string(version)), forked, want)
	}
}

// childOf waits up to 10 s for a child of pid to appear, and returns it.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		procs, _ := filepath.Glob("/proc/[0-9]*")
		for _, p := range procs {
			n, _ := strconv.Atoi(filepath.Base(p))
			if f, err := testenv.ProcStat(n); err == nil && len(f) > 1 && f[1] == strconv.Itoa(pid) {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sshd (pid %d) has no child 10 s after a connection was accepted", pid)
	return 0
}
