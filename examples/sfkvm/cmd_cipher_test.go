package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
	"github.com/sfkvm/sfkvm/internal/testenv"
)

// TestCipherSfcipherHelper is not a test: it is the fake sfcipher, run when
// the test binary is re-executed by the script that sfciphertest.Install
// writes. In a normal run it returns at once.
func TestCipherSfcipherHelper(t *testing.T) { sfciphertest.Helper() }

// fakeSfcipher installs the fake where the CLI trusts it: root's, in
// folders that only root can change (t.TempDir() is under the
// world-writable /tmp, which the CLI refuses).
func fakeSfcipher(t *testing.T, mode sfciphertest.Mode) string {
	t.Helper()
	return sfciphertest.InstallTrusted(t, mode, "TestCipherSfcipherHelper")
}

// cipherCLI runs the CLI in-process (runCLI in golden_test.go) and returns
// the parts of its result.
func cipherCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := runCLI(t, stdin, args...)
	return r.code, r.stdout, r.stderr
}

func TestCipherVendorToolFromPasswordStdin(t *testing.T) {
	fake := fakeSfcipher(t, sfciphertest.OK)
	for _, args := range [][]string{
		{"cipher", "-c", "--password-stdin", "--sfcipher", fake},
		{"cipher", "--sfcipher=" + fake, "--password-stdin", "-c"},
	} {
		code, out, errOut := cipherCLI(t, "Passw0rd\nignored second line\n", args...)
		if code != exitOK || out != sfciphertest.Token([]byte("Passw0rd"))+"\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		if errOut != "sfkvm cipher: using "+fake+"\n" {
			t.Errorf("%v: stderr %q, want the file used", args, errOut)
		}
	}
	// Found on PATH.
	t.Setenv("PATH", filepath.Dir(fake))
	code, out, errOut := cipherCLI(t, "Passw0rd\n", "cipher", "-c", "--password-stdin", "--format=json")
	var got struct{ Token, Format string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != exitOK {
		t.Fatalf("exit %d, stdout %q, stderr %q (%v)", code, out, errOut, err)
	}
	if got.Token != sfciphertest.Token([]byte("Passw0rd")) || got.Format != "sfcipher" {
		t.Errorf("JSON %+v", got)
	}
}

func TestCipherPolicyViolationExits65(t *testing.T) {
	fake := fakeSfcipher(t, sfciphertest.OK)
	for _, tc := range []struct {
		stdin, says string
		code        int
	}{
		{"Passw0rd&more\n", `position 9: forbidden character "&"`, exitConfig},
		{"Passw0rd\rmore\n", "position 9: control character 0x0D CR", exitConfig},
		{"Passwört\n", "position 6", exitConfig},
		{"\n", "empty", exitConfig},
		{"\r\n", "empty", exitConfig},
		{strings.Repeat("a", 5000) + "\n", "longer than 4096 bytes", exitConfig},
		// Read, but too long for sfcipher's terminal line: a policy
		// error too, not an unavailable tool.
		{strings.Repeat("a", 4095) + "\n", "password policy: longer than the 4094 bytes", exitConfig},
		{"", "no password: the input ended", exitNoInput},
		{"Passw0rd", "no complete line", exitNoInput},
	} {
		code, out, errOut := cipherCLI(t, tc.stdin, "cipher", "-c", "--password-stdin", "--sfcipher", fake)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.says) {
			t.Errorf("stdin %q: exit %d, stdout %q, stderr %q; want %d and %q", tc.stdin, code, out, errOut, tc.code, tc.says)
		}
		// The line naming the tool holds a random folder name, which may
		// hold "4095" by chance: look only at the messages.
		var msgs string
		for _, l := range strings.SplitAfter(errOut, "\n") {
			if !strings.HasPrefix(l, "sfkvm cipher: using ") {
				msgs += l
			}
		}
		if strings.Contains(msgs, "Passw") || strings.Contains(msgs, "5000") || strings.Contains(msgs, "4095") {
			t.Errorf("stderr shows the password or its length: %q", errOut)
		}
	}
}

// A CRLF line end is a line end, at every password input: the password
// is the same as with LF, and no error shows where the CR was (which
// would tell the password's length).
func TestCipherPasswordStdinCRLF(t *testing.T) {
	fake := fakeSfcipher(t, sfciphertest.OK)
	for _, stdin := range []string{"Passw0rd\n", "Passw0rd\r\n"} {
		code, out, errOut := cipherCLI(t, stdin, "cipher", "-c", "--password-stdin", "--sfcipher", fake)
		if code != exitOK || out != sfciphertest.Token([]byte("Passw0rd"))+"\n" {
			t.Errorf("stdin %q: exit %d, stdout %q, stderr %q", stdin, code, out, errOut)
		}
	}
}

func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want, says string
	}{
		{"LF", "Passw0rd\n", "Passw0rd", ""},
		{"CRLF", "Passw0rd\r\nrest", "Passw0rd", ""},
		{"no line end", "Passw0rd", "", "no complete line"},
		{"empty", "", "", "no password"},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		pw, err := readSecretFile(p)
		if tc.want != "" {
			if err != nil || string(pw.Bytes()) != tc.want {
				t.Errorf("%s: %q, %v", tc.name, pw.Bytes(), err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "Passw0rd") {
			t.Errorf("%s: error %v, want one that names %s and says %q", tc.name, err, p, tc.says)
		}
	}
}

func TestCipherWithoutVendorToolExits69AndSaysHow(t *testing.T) {
	for _, p := range []string{"/opt/SMAW/bin/sfcipher", "/opt/SMAW/SMAWsf/bin/sfcipher"} {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("%s is installed on this machine: cannot test its absence", p)
		}
	}
	t.Setenv("PATH", t.TempDir())
	code, out, errOut := cipherCLI(t, "Passw0rd\n", "cipher", "-c", "--password-stdin")
	if code != exitUnavailable || out != "" {
		t.Fatalf("exit %d, stdout %q; want 69 and nothing", code, out)
	}
	for _, want := range []string{"sfcipher not found", "/opt/SMAW/bin", "--sfcipher PATH", "--native --key FILE", "--new-key FILE", "PRIMECLUSTER cannot read it"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
	code, _, errOut = cipherCLI(t, "Passw0rd\n", "cipher", "-c", "--password-stdin", "--sfcipher", "/nonexistent/sfcipher")
	if code != exitUnavailable || !strings.Contains(errOut, "/nonexistent/sfcipher") {
		t.Errorf("--sfcipher to a missing file: exit %d, stderr %q", code, errOut)
	}
}

// An sfcipher that someone other than root could have put or changed
// never gets the password, wherever it is found: exit 77, and stderr
// says which file and why.
func TestCipherRefusesAnUntrustedSfcipher(t *testing.T) {
	dir := t.TempDir() // under /tmp: world-writable
	fake := sfciphertest.Install(t, dir, sfciphertest.OK, "TestCipherSfcipherHelper")
	ran := filepath.Join(dir, "ran")
	spy := filepath.Join(dir, "spy", "sfcipher")
	if err := os.Mkdir(filepath.Dir(spy), 0o755); err != nil {
		t.Fatal(err)
	}
	// A spy that records that it ran, then acts as the fake.
	if err := testenv.WriteExecutable(spy, []byte("#!/bin/sh\ntouch "+ran+"\nexec "+fake+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		path string
	}{
		{"early on PATH", []string{"cipher", "-c", "--password-stdin"}, filepath.Dir(spy) + ":" + os.Getenv("PATH")},
		{"named with --sfcipher", []string{"cipher", "-c", "--password-stdin", "--sfcipher", spy}, os.Getenv("PATH")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			code, out, errOut := cipherCLI(t, "Passw0rd\n", tc.args...)
			if code != exitNoPerm || out != "" {
				t.Errorf("exit %d, stdout %q; want 77 and nothing", code, out)
			}
			if !strings.Contains(errOut, spy) || !strings.Contains(errOut, "writable by group or others") || !strings.Contains(errOut, "not trusted") {
				t.Errorf("stderr does not say which file and why:\n%s", errOut)
			}
			if _, err := os.Stat(ran); err == nil {
				t.Fatal("the untrusted sfcipher ran")
			}
		})
	}
}

func TestCipherVendorToolFailureExits69AndQuotesIt(t *testing.T) {
	code, out, errOut := cipherCLI(t, "Passw0rd\n", "cipher", "-c", "--password-stdin", "--sfcipher", fakeSfcipher(t, sfciphertest.Exit1))
	if code != exitUnavailable || out != "" || !strings.Contains(errOut, sfciphertest.MsgExit1) || strings.Contains(errOut, "Passw0rd") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestCipherNativeSealsWithAWarning(t *testing.T) {
	key := filepath.Join(t.TempDir(), "sfkvm.key")
	code, out, errOut := cipherCLI(t, "", "cipher", "--new-key", key)
	if code != exitOK || out != "" || !strings.Contains(errOut, key) {
		t.Fatalf("--new-key: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if fi, err := os.Lstat(key); err != nil || fi.Mode() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	before, _ := os.ReadFile(key)
	code, _, errOut = cipherCLI(t, "", "cipher", "--new-key", key)
	if after, _ := os.ReadFile(key); code != exitNoPerm || !bytes.Equal(before, after) || !strings.Contains(errOut, "already exists") {
		t.Errorf("--new-key over an existing file: exit %d, stderr %q", code, errOut)
	}

	guest := []string{"--guest-name", "guest11", "--guest-ip", "192.0.2.11", "--guest-user", "user1"}
	code, out, errOut = cipherCLI(t, "Passw0rd\n", append([]string{"cipher", "-c", "--native", "--key", key, "--password-stdin"}, guest...)...)
	if code != exitOK || !strings.Contains(errOut, "PRIMECLUSTER cannot read it") {
		t.Fatalf("--native: exit %d, stderr %q", code, errOut)
	}
	token := strings.TrimSuffix(out, "\n")
	if !cipher.IsSealedToken(token) {
		t.Fatalf("--native printed %q, not a sealed token", out)
	}
	k, err := cipher.LoadKey(key)
	if err != nil {
		t.Fatal(err)
	}
	g11 := cipher.GuestContext{Name: "guest11", IP: netip.MustParseAddr("192.0.2.11"), User: "user1"}
	if s, err := k.Open(token, g11); err != nil || string(s.Bytes()) != "Passw0rd" {
		t.Errorf("the token does not open to the password: %v", err)
	}
	g11.User = "user2"
	if _, err := k.Open(token, g11); !errors.Is(err, cipher.ErrTokenAltered) {
		t.Errorf("the token opens for another guest_user: %v", err)
	}

	// A key file that others can read is refused.
	os.Chmod(key, 0o644)
	code, _, errOut = cipherCLI(t, "Passw0rd\n", append([]string{"cipher", "-c", "--native", "--key", key, "--password-stdin"}, guest...)...)
	if code != exitNoPerm || !strings.Contains(errOut, "0644") {
		t.Errorf("--key with mode 0644: exit %d, stderr %q", code, errOut)
	}
	code, _, _ = cipherCLI(t, "Passw0rd\n", append([]string{"cipher", "-c", "--native", "--key", key + ".missing", "--password-stdin"}, guest...)...)
	if code != exitNoInput {
		t.Errorf("--key to a missing file: exit %d, want 66", code)
	}
}

func TestCipherUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"cipher"},
		{"cipher", "-c", "--key", "k"},
		{"cipher", "-c", "--native"},
		{"cipher", "-c", "--native", "--key", "k", "--sfcipher", "s"},
		{"cipher", "-c", "--native", "--key", "k"},
		{"cipher", "-c", "--native", "--key", "k", "--guest-name", "g", "--guest-ip", "192.0.2.1"},
		{"cipher", "-c", "--native", "--key", "k", "--guest-name", "g", "--guest-user", "u"},
		{"cipher", "-c", "--native", "--key", "k", "--guest-ip", "192.0.2.1", "--guest-user", "u"},
		{"cipher", "-c", "--native", "--key", "k", "--guest-name", "g", "--guest-ip", "host.example", "--guest-user", "u"},
		{"cipher", "-c", "--guest-name", "g"},
		{"cipher", "-c", "--native", "--key", "k", "--guest-name", "g", "--guest-ip", "fe80::1%eth0", "--guest-user", "u"},
		{"cipher", "-c", "--new-key", "k"},
		{"cipher", "-c", "extra"},
		{"cipher", "--bogus"},
	} {
		if code, out, errOut := cipherCLI(t, "", args...); code != exitUsage || out != "" || !strings.Contains(errOut, "usage: sfkvm cipher") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and the usage", args, code, out, errOut)
		}
	}
	// Without --password-stdin, a stdin that is not a terminal is a usage error.
	code, _, errOut := cipherCLI(t, "Passw0rd\n", "cipher", "-c", "--sfcipher", fakeSfcipher(t, sfciphertest.OK))
	if code != exitUsage || !strings.Contains(errOut, "--password-stdin") {
		t.Errorf("stdin not a terminal: exit %d, stderr %q", code, errOut)
	}
}

// --host-password-file goes through the guarded open of every file that
// holds a secret: a FIFO is refused at once (it used to hang preflight),
// and so is a file that others can read.
func TestPreflightHostPasswordFileGuarded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("Passw0rd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut")
	if err := os.WriteFile(cut, []byte("Passw0rd"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		code int
		says string
	}{
		{fifo, exitNoInput, "not a regular file (a FIFO)"},
		{open, exitNoPerm, "mode 0644"},
		{cut, exitNoInput, "no complete line"},
	} {
		done := make(chan cliResult, 1)
		go func() {
			done <- runCLI(t, "", "preflight", "--hosts", "127.0.0.1", "--host-password-file", tc.file, "-f", dir+"/none.conf")
		}()
		select {
		case r := <-done:
			if r.code != tc.code || !strings.Contains(r.stderr, tc.file) || !strings.Contains(r.stderr, tc.says) || strings.Contains(r.stderr, "Passw0rd") {
				t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.file, r.code, r.stderr, tc.code, tc.says)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("preflight hangs on --host-password-file %s", tc.file)
		}
	}
}
