package cipher_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
)

// TestSfcipherHelper is not a test: it is the fake sfcipher, run when the
// test binary is re-executed by the script that sfciphertest.Install
// writes. In a normal run it returns at once.
func TestSfcipherHelper(t *testing.T) { sfciphertest.Helper() }

func installFake(t *testing.T, mode sfciphertest.Mode) string {
	t.Helper()
	return sfciphertest.Install(t, t.TempDir(), mode, "TestSfcipherHelper")
}

func TestSfcipherReturnsTheToolsToken(t *testing.T) {
	t.Parallel()
	for _, mode := range []sfciphertest.Mode{sfciphertest.OK, sfciphertest.Chunked, sfciphertest.LateEcho} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			s := &cipher.Sfcipher{Path: installFake(t, mode), Timeout: 20 * time.Second}
			for _, pw := range []string{"a", "Passw0rd", "Passw0rd+", "with space and 'quotes' ~`#$%^*()[]{}|:@"} {
				got, err := s.Encrypt(context.Background(), []byte(pw))
				if err != nil {
					t.Fatalf("Encrypt: %v", err)
				}
				if want := sfciphertest.Token([]byte(pw)); got != want {
					t.Errorf("Encrypt(len %d) = %q, want %q", len(pw), got, want)
				}
				if !cipher.IsVendorToken(got) || len(got) != 16*((len(pw)+7)/8) {
					t.Errorf("token %q: not 16 uppercase hex digits per 8 bytes", got)
				}
			}
		})
	}
}

func TestSfcipherFailures(t *testing.T) {
	t.Parallel()
	const pw = "S3cretPassw0rd"
	for _, tc := range []struct {
		mode     sfciphertest.Mode
		timeout  time.Duration
		want     error
		quotes   string // what the error must quote of the tool's output
		maxAfter time.Duration
	}{
		{sfciphertest.WrongPrompt, 20 * time.Second, cipher.ErrUnexpectedPrompt, "Password:", 10 * time.Second},
		{sfciphertest.Hang, 1500 * time.Millisecond, context.DeadlineExceeded, "Enter User's Password:", 10 * time.Second},
		{sfciphertest.Exit1, 20 * time.Second, cipher.ErrSfcipherExit, sfciphertest.MsgExit1, 10 * time.Second},
		{sfciphertest.Garbage, 20 * time.Second, cipher.ErrNotAToken, "Segmentation fault", 10 * time.Second},
		{sfciphertest.Lowercase, 20 * time.Second, cipher.ErrNotAToken, strings.ToLower(sfciphertest.Token([]byte(pw))), 10 * time.Second},
		{sfciphertest.EchoOn, 20 * time.Second, cipher.ErrEchoOn, "Enter User's Password:", 10 * time.Second},
		{sfciphertest.NoPrompt, 20 * time.Second, cipher.ErrUnexpectedPrompt, "", 10 * time.Second},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			s := &cipher.Sfcipher{Path: installFake(t, tc.mode), Timeout: tc.timeout}
			start := time.Now()
			tok, err := s.Encrypt(context.Background(), []byte(pw))
			if err == nil {
				t.Fatalf("Encrypt = %q, want an error", tok)
			}
			if time.Since(start) > tc.maxAfter {
				t.Errorf("Encrypt took %v", time.Since(start))
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			var se *cipher.SfcipherError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SfcipherError", err)
			}
			if !strings.Contains(se.Output, tc.quotes) || !strings.Contains(err.Error(), tc.quotes) {
				t.Errorf("error %q does not quote %q", err, tc.quotes)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestSfcipherHungToolIsKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	fake := sfciphertest.Install(t, dir, sfciphertest.Hang, "TestSfcipherHelper")
	// A wrapper that records the fake's process id, then becomes it.
	wrapper := filepath.Join(dir, "sfcipher-wrapper")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\necho $$ > "+pidFile+"\nexec "+fake+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := (&cipher.Sfcipher{Path: wrapper}).Encrypt(ctx, []byte("pw"))
		done <- err
	}()
	// Cancel once the tool is waiting at its prompt.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(pidFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake never started")
		}
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	pidText, _ := os.ReadFile(pidFile)
	var pid int
	for _, c := range strings.TrimSpace(string(pidText)) {
		pid = pid*10 + int(c-'0')
	}
	// Encrypt reaped it: the process is gone (no zombie either).
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the hung tool (pid %d) is still there: kill(0) = %v", pid, err)
	}
}

func TestSfcipherRefusesPolicyViolationsWithoutRunningTheTool(t *testing.T) {
	t.Parallel()
	s := &cipher.Sfcipher{Path: "/nonexistent/sfcipher"}
	for _, pw := range []string{"", "a;b", "ctrl\x03c", "caf\xc3\xa9"} {
		_, err := s.Encrypt(context.Background(), []byte(pw))
		var pe *cipher.PolicyError
		if !errors.As(err, &pe) {
			t.Errorf("Encrypt(%q): %v, want a *PolicyError", pw, err)
		}
	}
}

func TestSfcipherNotStartable(t *testing.T) {
	t.Parallel()
	_, err := (&cipher.Sfcipher{Path: filepath.Join(t.TempDir(), "sfcipher")}).Encrypt(context.Background(), []byte("pw"))
	var se *cipher.SfcipherError
	if !errors.As(err, &se) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want a *SfcipherError wrapping ErrNotExist", err)
	}
}

// TestFakeNeedsATerminal shows why Sfcipher uses a pseudo-terminal: like
// the vendor's tool, the fake reads from its terminal only, and without one
// (a new session, stdin a pipe) it fails.
func TestFakeNeedsATerminal(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(installFake(t, sfciphertest.OK), "-c")
	cmd.Stdin = strings.NewReader("pw\npw\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("fake without a terminal: %v, want exit status 1; output %q", err, out)
	}
	if !strings.Contains(string(out), sfciphertest.MsgNoTTY) {
		t.Errorf("output %q, want %q", out, sfciphertest.MsgNoTTY)
	}
}

func TestFakeRefusesAMismatch(t *testing.T) {
	t.Parallel()
	out, status := runFakeOnPTY(t, installFake(t, sfciphertest.OK), []string{cipher.PromptEnter, cipher.PromptReenter}, "one\r", "two\r")
	if status != 1 || !strings.Contains(out, sfciphertest.MsgMismatch) {
		t.Errorf("fake with two different entries: status %d, output %q", status, out)
	}
	if strings.Contains(out, "one") || strings.Contains(out, "two") {
		t.Errorf("the fake echoed an entry: %q", out)
	}
}

func TestFindSfcipherOnPath(t *testing.T) {
	fake := installFake(t, sfciphertest.OK)
	t.Setenv("PATH", filepath.Dir(fake))
	got, err := cipher.FindSfcipher()
	if err != nil || got != fake {
		t.Errorf("FindSfcipher() = %q, %v; want %q", got, err, fake)
	}
	tok, err := (&cipher.Sfcipher{}).Encrypt(context.Background(), []byte("pw"))
	if err != nil || tok != sfciphertest.Token([]byte("pw")) {
		t.Errorf("zero Sfcipher: %q, %v", tok, err)
	}
}

func TestFindSfcipherMissing(t *testing.T) {
	for _, p := range []string{"/opt/SMAW/bin/sfcipher", "/opt/SMAW/SMAWsf/bin/sfcipher"} {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("%s is installed on this machine: cannot test its absence", p)
		}
	}
	t.Setenv("PATH", t.TempDir())
	_, err := cipher.FindSfcipher()
	if !errors.Is(err, cipher.ErrSfcipherNotFound) {
		t.Fatalf("FindSfcipher: %v, want ErrSfcipherNotFound", err)
	}
	for _, where := range []string{"PATH", "/opt/SMAW/bin", "/opt/SMAW/SMAWsf/bin"} {
		if !strings.Contains(err.Error(), where) {
			t.Errorf("error %q does not say it looked in %s", err, where)
		}
	}
}
