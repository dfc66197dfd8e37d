package sshcheck

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sys/unix"
)

// Real sshd offers RSA, ECDSA and Ed25519. known_hosts often holds only
// one of them: RSA from `ssh-keyscan -t rsa`, Ed25519 from an interactive
// ssh. Neither may look like a changed key.
func TestAlgorithmTrap(t *testing.T) {
	rsaK, ecK, edK := sharedRSA(t), mustKey(t, "ecdsa"), mustKey(t, "ed25519")
	for _, known := range []ssh.Signer{rsaK, edK, ecK} {
		t.Run(known.PublicKey().Type(), func(t *testing.T) {
			l := newLab(t, sshtest.Config{HostKeys: []ssh.Signer{rsaK, ecK, edK}})
			l.know(t, known.PublicKey())
			r := l.prober(t, nil).Probe(ctxT(t), target("root"))
			if r.Err != nil {
				t.Fatalf("Probe: %v", r.Err)
			}
			if r.Fingerprint != fingerprint(known.PublicKey()) {
				t.Errorf("server showed %s, want the known %s key", r.Fingerprint, known.PublicKey().Type())
			}
		})
	}
	// The trap is real: a plain x/crypto client calls the Ed25519-only
	// entry changed, because it asks for ECDSA first.
	l := newLab(t, sshtest.Config{HostKeys: []ssh.Signer{rsaK, ecK, edK}})
	l.know(t, edK.PublicKey())
	cb, err := xknownhosts.New(l.knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := l.routes.DialContext(ctxT(t), "tcp", guestAddr+":22")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _, _, err = ssh.NewClientConn(conn, guestAddr+":22", &ssh.ClientConfig{User: "root", HostKeyCallback: cb, Auth: []ssh.AuthMethod{ssh.Password(testPassword)}})
	var ke *xknownhosts.KeyError
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		t.Errorf("plain x/crypto: %v; the trap this test guards against no longer shows", err)
	}
}

// Twenty first contacts at once write one hashed line, 0600 in a 0700
// folder, that later strict probes accept. They go through four Probers,
// which share no lock in memory: only the flock on the file keeps them
// apart, as it keeps apart two sfkvm processes.
func TestTrustRaceWritesOneLine(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	appendLine(t, l.knownHosts, "# kept") // an existing file without our host
	os.Truncate(l.knownHosts, int64(len("# kept")))
	var probers []*Prober
	for range 4 {
		probers = append(probers, l.prober(t, func(o *Options) { o.HostKeyPolicy = TrustUnknown }))
	}
	var wg sync.WaitGroup
	results := make([]Result, 20)
	for i := range results {
		wg.Go(func() { results[i] = probers[i%4].Probe(ctxT(t), target("root")) })
	}
	wg.Wait()
	wrote := 0
	for i, r := range results {
		if r.Err != nil {
			t.Errorf("probe %d: %v", i, r.Err)
		}
		if r.Trusted {
			wrote++
		}
	}
	if wrote != 1 {
		t.Errorf("%d probes say they recorded the key, want 1", wrote)
	}
	lines := readLines(t, l.knownHosts)
	if len(lines) != 2 || lines[0] != "# kept" || !strings.HasPrefix(lines[1], "|1|") {
		t.Fatalf("known_hosts = %q, want the old line and one hashed line", lines)
	}
	if want := " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(l.srv.HostKeys()[0]))); !strings.HasSuffix(lines[1], want) {
		t.Errorf("line %q does not end with the key", lines[1])
	}
	// Another prober, strict, now knows the guest.
	if r := l.prober(t, nil).Probe(ctxT(t), target("root")); r.Err != nil || r.Trusted {
		t.Errorf("strict probe after trust: %v (trusted %v)", r.Err, r.Trusted)
	}
}

func TestTrustCreatesPrivateFile(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	p := l.prober(t, func(o *Options) { o.HostKeyPolicy = TrustUnknown })
	tg := target("root")
	tg.Port = 2222
	l.routes[guestAddr+":2222"] = l.srv.Addr()
	if r := p.Probe(ctxT(t), tg); r.Err != nil || !r.Trusted {
		t.Fatalf("Probe: %v (trusted %v)", r.Err, r.Trusted)
	}
	for path, want := range map[string]os.FileMode{l.knownHosts: 0o600, filepath.Dir(l.knownHosts): 0o700 | os.ModeDir} {
		st, err := os.Stat(path)
		if err != nil || st.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, st.Mode(), err, want)
		}
	}
	// The line is hashed under "[addr]:port", as OpenSSH writes it.
	line := readLines(t, l.knownHosts)[0]
	_, hosts, _, _, _, err := ssh.ParseKnownHosts([]byte(line))
	if err != nil || len(hosts) != 1 {
		t.Fatalf("parse %q: %v", line, err)
	}
	if !hashMatches(t, hosts[0], "["+guestAddr+"]:2222") || hashMatches(t, hosts[0], guestAddr) {
		t.Errorf("hashed name %s is not [%s]:2222", hosts[0], guestAddr)
	}
}

// hashMatches checks a |1|salt|hash entry against a name by hashing the
// name with the same salt.
func hashMatches(t *testing.T, entry, name string) bool {
	t.Helper()
	parts := strings.Split(entry, "|")
	if len(parts) != 4 {
		t.Fatalf("not a hashed name: %q", entry)
	}
	return hashWithSalt(t, parts[2], name) == entry
}

func TestKnownHostsNames(t *testing.T) {
	for in, want := range map[string]Target{
		"10.0.0.1":          {Address: "10.0.0.1"},
		"[10.0.0.1]:2222":   {Address: "10.0.0.1", Port: 2222},
		"fd00::1":           {Address: "fd00::1", Port: 22},
		"[fd00::1]:2200":    {Address: "fd00::1", Port: 2200},
		"guest.example.com": {Address: "guest.example.com"},
	} {
		if got := want.KnownHostsName(); got != in {
			t.Errorf("%+v.KnownHostsName() = %q, want %q", want, got, in)
		}
	}
}

// Another process holds the lock and records the key meanwhile: the probe
// waits for the lock, re-checks, finds the key and writes nothing.
func TestTrustWaitsForLockAndRechecks(t *testing.T) {
	l := newLab(t, sshtest.Config{})
	appendLine(t, l.knownHosts, "# other process")
	f, err := os.OpenFile(l.knownHosts, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	p := l.prober(t, func(o *Options) { o.HostKeyPolicy = TrustUnknown })
	done := make(chan Result)
	go func() { done <- p.Probe(ctxT(t), target("root")) }()
	select {
	case r := <-done:
		t.Fatalf("the probe finished while another held the lock: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := f.WriteString(xknownhosts.Line([]string{guestAddr}, l.srv.HostKeys()[0]) + "\n"); err != nil {
		t.Fatal(err)
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	r := <-done
	if r.Err != nil || r.Trusted {
		t.Errorf("Probe: %v, trusted %v; want ok without writing", r.Err, r.Trusted)
	}
	if lines := readLines(t, l.knownHosts); len(lines) != 2 {
		t.Errorf("known_hosts = %q, want the two lines only", lines)
	}
}
