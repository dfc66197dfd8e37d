package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/sshdtest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"golang.org/x/crypto/chacha20poly1305"
)

func TestProbeUsageAndConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		err   string
	}{
		{"no-password-source", "", []string{"probe", "-f", "testdata/ok.conf"}, exitUsage, "--password-stdin"},
		{"bad-port", "pw\n", []string{"probe", "--password-stdin", "--port", "0", "-f", "testdata/ok.conf"}, exitUsage, "not a port"},
		{"extra-arg", "pw\n", []string{"probe", "--password-stdin", "guest"}, exitUsage, "unexpected argument"},
		{"missing-file", "pw\n", []string{"probe", "--password-stdin", "-f", "testdata/none.conf"}, exitNoInput, "none.conf"},
		{"config-errors", "pw\n", []string{"probe", "--password-stdin", "--no-perm", "-f", "testdata/errors.conf"}, exitConfig, "has errors"},
		{"manual-example", "pw\n", []string{"probe", "--password-stdin", "--no-perm", "-f", "testdata/manual.conf"}, exitConfig, "manual.conf:"},
		{"both-sources", "pw\n", []string{"probe", "--password-stdin", "--key", "k", "-f", "testdata/ok.conf"}, exitUsage, "exactly one"},
		{"missing-key", "", []string{"probe", "--key", "testdata/none.key", "--no-perm", "-f", "testdata/noguests.conf"}, exitNoInput, "none.key"},
		{"empty-stdin", "", []string{"probe", "--password-stdin", "--no-perm", "-f", "testdata/noguests.conf"}, exitNoInput, "no password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.err) {
				t.Errorf("exit %d, want %d; stderr %q should contain %q", r.code, tc.code, r.stderr, tc.err)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// writeConf writes a kvmguests.conf as PRIMECLUSTER wants it: root, 0600.
func writeConf(t *testing.T, lines ...string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "kvmguests.conf")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

const token = "D0860AB04E1B8FA3" // what sfcipher printed; the password itself comes from stdin

// probeLab is what the probe tests log in to: one real sshd at three
// guest addresses in a network namespace (kvmguests.conf refuses
// loopback addresses) and one set of test users. A probe only logs in and
// reads, so the tests share it (TestProbeLab), each with its own
// kvmguests.conf, known_hosts and key: a lab each cost a namespace, an
// sshd with three host keys and four accounts made and removed.
type probeLab struct {
	ns *sshdtest.NetNS
	u  *sshdtest.Users
}

// TestProbeLab runs the probe tests that need real guests, at once, in
// one lab made for them and removed after the last.
func TestProbeLab(t *testing.T) {
	t.Parallel() // its own sshd, namespace and users (or daemon): waits for logins, not the CPU
	ns := sshdtest.NewNetNS(t, 3)
	sshdtest.Start(t, sshdtest.Config{NetNS: ns.Name, ListenAddresses: ns.GuestIPs})
	lab := &probeLab{ns: ns, u: sshdtest.TestUsers(t)}
	for _, tc := range []struct {
		name string
		test func(*testing.T, *probeLab)
	}{
		{"RealGuests", testProbeRealGuests},
		{"SealedTokens", testProbeSealedTokens},
		{"Version1Token", testProbeVersion1Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, lab)
		})
	}
}

// Each guest's own verdict, strict and with --trust, in text and JSON.
func testProbeRealGuests(t *testing.T, lab *probeLab) {
	u := lab.u
	ip := lab.ns.GuestIPs
	conf := writeConf(t,
		fmt.Sprintf("guest1 cfhost1 cluster1 cfguest1 %s %s %s", ip[0], u.NoPasswd, token),
		fmt.Sprintf("guest2 cfhost2 cluster1 cfguest2 %s %s %s", ip[1], u.Passwd, token),
		fmt.Sprintf("guest3 cfhost1 cluster2 cfguest3 %s root %s", ip[2], token),
	)
	kh := filepath.Join(t.TempDir(), "ssh", "known_hosts")
	probe := func(extra ...string) cliResult {
		return runCLI(t, u.Password+"\n", append([]string{"probe", "-f", conf, "--known-hosts", kh, "--password-stdin", "--timeout", "20s"}, extra...)...)
	}

	// Strict: nobody is known yet.
	r := probe()
	if r.code != exitFailed || strings.Count(r.stdout, "host key unknown") != 3 {
		t.Errorf("strict first run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// --trust: keys recorded, then each guest's own verdict.
	r = probe("--trust")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != exitFailed || len(lines) != 4 {
		t.Fatalf("trust run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for i, want := range []string{"ok, host key recorded: SHA256:", "sudo needs a password (need NOPASSWD)", "authentication failed"} {
		f := strings.Fields(lines[i])
		// Every key recorded shows its fingerprint, also where the login
		// or sudo then failed.
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "host key recorded: SHA256:") || f[0] != fmt.Sprintf("guest%d", i+1) || f[1] != ip[i] {
			t.Errorf("line %d = %q, want guest%d %s ... %q", i+1, lines[i], i+1, ip[i], want)
		}
	}
	if lines[3] != "probe: 3 guests, 1 ok, 2 failed" {
		t.Errorf("summary %q", lines[3])
	}
	if !strings.Contains(r.stderr, "guest3: hint: root logins with a password") || !strings.Contains(r.stderr, "NOPASSWD: ALL") {
		t.Errorf("hints missing:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, u.Password) {
		t.Error("output shows the password")
	}
	if kl := strings.Count(readFile(t, kh), "\n"); kl != 3 {
		t.Errorf("known_hosts has %d lines, want 3 (one per guest)", kl)
	}

	// JSON, strict again: the keys are known now.
	r = probe("--format=json")
	var rep sshcheck.ProbeReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if r.code != exitFailed || rep.OK != 1 || rep.Failed != 2 || rep.Guests[0].Trusted || !rep.Guests[0].SudoChecked ||
		rep.Guests[1].Kind != "sudo needs a password (need NOPASSWD)" || !strings.HasPrefix(rep.Guests[2].Fingerprint, "SHA256:") {
		t.Errorf("json run: exit %d %+v", r.code, rep)
	}

	// A configuration whose guests all pass exits 0.
	good := writeConf(t, fmt.Sprintf("guest1 cfhost1 cluster1 cfguest1 %s %s %s", ip[0], u.NoPasswd, token),
		fmt.Sprintf("guest2 cfhost2 cluster1 cfguest2 %s %s %s", ip[1], u.NoPasswd, token))
	r = runCLI(t, u.Password+"\n", "probe", "-f", good, "--known-hosts", kh, "--password-stdin", "--parallel", "1")
	if r.code != exitOK || !strings.HasSuffix(r.stdout, "probe: 2 guests, 2 ok, 0 failed\n") {
		t.Errorf("all good: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestProbeKeyFileMode(t *testing.T) {
	f := filepath.Join(t.TempDir(), "probe.key")
	if _, err := cipher.CreateKeyFile(f); err != nil {
		t.Fatal(err)
	}
	os.Chmod(f, 0o644)
	r := runCLI(t, "", "probe", "--key", f, "--no-perm", "-f", "testdata/noguests.conf")
	if r.code != exitNoPerm || !strings.Contains(r.stderr, "0644") {
		t.Errorf("exit %d, want %d; stderr %q", r.code, exitNoPerm, r.stderr)
	}
}

// --key: sealed tokens in guest_passwd, opened per guest; a vendor token
// fails that guest alone, and so does a token moved from another guest's
// line.
func testProbeSealedTokens(t *testing.T, lab *probeLab) {
	ns, u := lab.ns, lab.u
	keyFile := filepath.Join(t.TempDir(), "probe.key")
	key, err := cipher.CreateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := key.Seal(cipher.SecretFromString(u.Password), cipher.GuestContext{Name: "guest1", IP: netip.MustParseAddr(ns.GuestIPs[0]), User: u.NoPasswd})
	if err != nil {
		t.Fatal(err)
	}
	conf := writeConf(t,
		fmt.Sprintf("guest1 cfhost1 cluster1 cfguest1 %s %s %s", ns.GuestIPs[0], u.NoPasswd, sealed),
		fmt.Sprintf("guest2 cfhost2 cluster1 cfguest2 %s %s %s", ns.GuestIPs[1], u.NoPasswd, token),
		fmt.Sprintf("guest3 cfhost2 cluster1 cfguest3 %s %s %s", ns.GuestIPs[2], u.NoPasswd, sealed))
	kh := filepath.Join(t.TempDir(), "known_hosts")
	// stderr is a terminal here: progress is shown there, and only there.
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	progress := make(chan string)
	go func() { b, _ := io.ReadAll(ptmx); progress <- string(b) }()
	var out bytes.Buffer
	code := run(context.Background(), []string{"probe", "-f", conf, "--known-hosts", kh, "--trust", "--key", keyFile}, strings.NewReader(""), &out, tty)
	tty.Close()
	r := cliResult{code: code, stdout: out.String(), stderr: <-progress}
	if !strings.Contains(r.stderr, "probe: 3/3 done") || strings.Contains(r.stdout, "3/3") {
		t.Errorf("progress on the terminal: %q; stdout %q", r.stderr, r.stdout)
	}
	lines := strings.Split(r.stdout, "\n")
	if r.code != exitFailed || len(lines) < 3 || !strings.Contains(lines[0], "ok, host key recorded") ||
		!strings.Contains(lines[1], "not an sfkvm sealed token") || !strings.Contains(lines[2], "sealed token does not authenticate") ||
		!strings.Contains(lines[2], "guest guest3") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, sealed) || strings.Contains(r.stdout+r.stderr, u.Password) {
		t.Error("output shows the token or the password")
	}
}

// A sealed token of version 1 (bound to no guest) opens only with
// --allow-v1-tokens, and then with a warning to seal it again.
func testProbeVersion1Token(t *testing.T, lab *probeLab) {
	ns, u := lab.ns, lab.u
	keyFile := filepath.Join(t.TempDir(), "probe.key")
	key, err := cipher.CreateKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	v1 := sealVersion1(t, keyFile, key.ID(), u.Password)
	conf := writeConf(t, fmt.Sprintf("guest1 cfhost1 cluster1 cfguest1 %s %s %s", ns.GuestIPs[0], u.NoPasswd, v1))
	kh := filepath.Join(t.TempDir(), "known_hosts")
	r := runCLI(t, "", "probe", "-f", conf, "--known-hosts", kh, "--trust", "--key", keyFile)
	if r.code != exitFailed || !strings.Contains(r.stdout, "version 1 is not bound to its guest") {
		t.Errorf("without --allow-v1-tokens: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "probe", "-f", conf, "--known-hosts", kh, "--trust", "--key", keyFile, "--allow-v1-tokens")
	if r.code != exitOK || !strings.Contains(r.stderr, "guest1: warning:") || !strings.Contains(r.stderr, "--guest-name guest1 --guest-ip "+ns.GuestIPs[0]) {
		t.Errorf("with --allow-v1-tokens: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, "x\n", "probe", "-f", conf, "--password-stdin", "--allow-v1-tokens"); r.code != exitUsage {
		t.Errorf("--allow-v1-tokens without --key: exit %d, want 2", r.code)
	}
}

// sealVersion1 makes a token of the sealed format's version 1, which
// sfkvm no longer makes, by hand from the package doc: header (1, key id),
// nonce, XChaCha20-Poly1305 of the padded password with "sfkvm sealed" and
// the header as additional data.
func sealVersion1(t *testing.T, keyFile, keyID, password string) string {
	t.Helper()
	line := strings.TrimSuffix(strings.TrimPrefix(readFile(t, keyFile), "sfkvm-key 1 "), "\n")
	key, err := base64.RawURLEncoding.DecodeString(line)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := hex.DecodeString(keyID)
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		t.Fatal(err)
	}
	header := append([]byte{1}, id...)
	plain := append([]byte(password), 0x80)
	for len(plain)%16 != 0 {
		plain = append(plain, 0)
	}
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	raw := append(append(header, nonce...), a.Seal(nil, nonce, plain, append([]byte("sfkvm sealed"), header...))...)
	return cipher.SealedPrefix + base64.RawURLEncoding.EncodeToString(raw)
}

func TestIsTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if !isTerminal(tty) || isTerminal(w) || isTerminal(&bytes.Buffer{}) {
		t.Errorf("isTerminal: tty %v, pipe %v, buffer %v", isTerminal(tty), isTerminal(w), isTerminal(&bytes.Buffer{}))
	}
}

func readFile(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// probe --trust followed a symlink when it appended to known_hosts. A
// known_hosts (or folder) that is a symlink or writable by others is now
// refused before any guest is contacted, and nothing is created.
func TestProbeUnsafeKnownHosts(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim")
	dir := t.TempDir()
	link := filepath.Join(dir, "known_hosts")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(t.TempDir(), "ssh")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	for kh, says := range map[string]string{
		link:                               "is a symbolic link",
		filepath.Join(open, "known_hosts"): "writable by group or others",
	} {
		r := runCLI(t, "pw\n", "probe", "--no-perm", "-f", "testdata/noguests.conf", "--known-hosts", kh, "--trust", "--password-stdin")
		if r.code != exitNoPerm || !strings.Contains(r.stderr, says) {
			t.Errorf("--known-hosts %s: exit %d, want %d saying %q; stderr %q", kh, r.code, exitNoPerm, says, r.stderr)
		}
	}
	if _, err := os.Lstat(victim); err == nil {
		t.Error("the symlink's target was created")
	}
	if ents, _ := os.ReadDir(open); len(ents) != 0 {
		t.Errorf("a file was created in the open folder: %v", ents)
	}
}

// probe --trust shows the fingerprint of every key it records, also when
// the guest then fails (sudo needs a password): the administrator compares
// it with the guest's console once, at this moment.
func TestProbeTrustShowsEveryRecordedKey(t *testing.T) {
	var out, errb strings.Builder
	e := &env{stdout: &out, stderr: &errb, cmd: "probe"}
	results := []sshcheck.Result{
		{Target: sshcheck.Target{Name: "guest1", Address: "192.0.2.11", User: "u"}, Fingerprint: "SHA256:okkey", Trusted: true},
		{Target: sshcheck.Target{Name: "guest2", Address: "192.0.2.12", User: "u"}, Fingerprint: "SHA256:sudokey", Trusted: true,
			Err: errors.New("sudo needs a password")},
	}
	if code := printProbe(e, "f", "text", results); code != exitFailed {
		t.Errorf("exit %d", code)
	}
	for _, fp := range []string{"SHA256:okkey", "SHA256:sudokey"} {
		if !strings.Contains(out.String(), fp) {
			t.Errorf("the text lacks %s:\n%s", fp, out.String())
		}
	}
}
