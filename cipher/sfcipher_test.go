package cipher_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
	"github.com/sfkvm/sfkvm/internal/testenv"
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
		says     string // what the error must say
		maxAfter time.Duration
	}{
		{sfciphertest.WrongPrompt, 20 * time.Second, cipher.ErrUnexpectedPrompt, "Password:", `"Password:" where sfkvm expected "Enter User's Password:"`, 10 * time.Second},
		{sfciphertest.Hang, 3 * time.Second, context.DeadlineExceeded, "Enter User's Password:", "deadline exceeded (the tool was killed)", 10 * time.Second},
		{sfciphertest.Exit1, 20 * time.Second, cipher.ErrSfcipherExit, sfciphertest.MsgExit1, "exit status 1", 10 * time.Second},
		{sfciphertest.Garbage, 20 * time.Second, cipher.ErrNotAToken, "Segmentation fault", "no uppercase-hexadecimal token", 10 * time.Second},
		{sfciphertest.Lowercase, 20 * time.Second, cipher.ErrNotAToken, strings.ToLower(sfciphertest.Token([]byte(pw))), "no uppercase-hexadecimal token", 10 * time.Second},
		{sfciphertest.EchoOn, 20 * time.Second, cipher.ErrEchoOn, "Enter User's Password:", "did not turn off echo", 10 * time.Second},
		{sfciphertest.NoPrompt, 20 * time.Second, cipher.ErrUnexpectedPrompt, "", `it ended without asking "Enter User's Password:"`, 10 * time.Second},
		// The prompts only in the documented order, each once; the check
		// is immediate, not a wait for the tool to fall silent.
		{sfciphertest.ReenterFirst, 20 * time.Second, cipher.ErrUnexpectedPrompt, "Re-enter User's Password:",
			`"Re-enter User's Password:" where sfkvm expected "Enter User's Password:" (out of order, or asked again)`, 10 * time.Second},
		{sfciphertest.EnterTwice, 20 * time.Second, cipher.ErrUnexpectedPrompt, "Enter User's Password:",
			`"Enter User's Password:" where sfkvm expected "Re-enter User's Password:" (out of order, or asked again)`, 10 * time.Second},
		{sfciphertest.ReenterTwice, 20 * time.Second, cipher.ErrUnexpectedPrompt, "Re-enter User's Password:",
			`"Re-enter User's Password:" where sfkvm expected only the token, both answers given (out of order, or asked again)`, 10 * time.Second},
		{sfciphertest.Endless, 20 * time.Second, cipher.ErrSfcipherOutput, "yyyyyyyy", "more than 65536 bytes (the tool was killed)", 10 * time.Second},
		{sfciphertest.LongPrompt, 20 * time.Second, cipher.ErrUnexpectedPrompt, "QQQQ", `QQQ..." where sfkvm expected "Enter User's Password:"`, 10 * time.Second},
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
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
			// What the error quotes is cut: a prompt to 200 bytes, the
			// output to 1 KiB.
			if n := len(err.Error()); n > 1500 {
				t.Errorf("error of %d bytes", n)
			}
		})
	}
}

// TestSfcipherHungToolIsKilled: when the timeout or the caller's context
// ends, the tool and what it started are killed and reaped.
func TestSfcipherHungToolIsKilled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want error
		ctx  func() (context.Context, context.CancelFunc)
		s    cipher.Sfcipher
	}{
		{"timeout", context.DeadlineExceeded, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, cipher.Sfcipher{Timeout: 2 * time.Second}},
		{"caller cancels", context.Canceled, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(2*time.Second, cancel)
			return ctx, cancel
		}, cipher.Sfcipher{Timeout: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fake := sfciphertest.Install(t, dir, sfciphertest.Hang, "TestSfcipherHelper")
			// A wrapper that starts a child of its own (which inherits the
			// terminal and ignores the hangup that the tool's end sends),
			// records both process ids, then becomes the fake.
			wrapper := filepath.Join(dir, "sfcipher-wrapper")
			script := "#!/bin/sh\n(trap '' HUP; exec sleep 600) &\necho $! > " + dir + "/child\necho $$ > " + dir + "/tool\nexec " + fake + " \"$@\"\n"
			if err := testenv.WriteExecutable(wrapper, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			s := tc.s
			s.Path = wrapper
			ctx, cancel := tc.ctx()
			defer cancel()
			_, err := s.Encrypt(ctx, []byte("pw"))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			for _, name := range []string{"tool", "child"} {
				pid := readPID(t, filepath.Join(dir, name))
				// SIGKILL takes effect asynchronously for the child, which
				// Encrypt does not wait for (it is not its child): give it
				// a moment.
				gone := processGone(pid)
				for deadline := time.Now().Add(3 * time.Second); !gone && time.Now().Before(deadline); gone = processGone(pid) {
					time.Sleep(10 * time.Millisecond)
				}
				if !gone {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("the %s (pid %d) still runs after Encrypt returned", name, pid)
				}
			}
		})
	}
}

// TestSfcipherToolThatLeavesAProcessBehind: a tool that ends but leaves a
// process of another session holding its terminal still gives its token
// promptly: Encrypt does not wait for the terminal to close.
func TestSfcipherToolThatLeavesAProcessBehind(t *testing.T) {
	t.Parallel()
	setsid := testenv.LookPath(t, "setsid", "util-linux")
	dir := t.TempDir()
	fake := sfciphertest.Install(t, dir, sfciphertest.OK, "TestSfcipherHelper")
	wrapper := filepath.Join(dir, "sfcipher-wrapper")
	script := "#!/bin/sh\n" + setsid + " sleep 600 &\necho $! > " + dir + "/escaped\nexec " + fake + " \"$@\"\n"
	if err := testenv.WriteExecutable(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tok, err := (&cipher.Sfcipher{Path: wrapper, Timeout: 20 * time.Second}).Encrypt(context.Background(), []byte("pw"))
	pid := readPID(t, filepath.Join(dir, "escaped"))
	syscall.Kill(pid, syscall.SIGKILL) // it escaped Encrypt's kill by design; end it here
	if err != nil || tok != sfciphertest.Token([]byte("pw")) {
		t.Fatalf("Encrypt = %q, %v", tok, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Encrypt took %v: it waited for the terminal to close", d)
	}
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// processGone reports whether pid no longer runs: it does not exist, or it
// is a zombie that its new parent has not reaped yet.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	f, err := testenv.ProcStat(pid)
	if err != nil {
		return true
	}
	return len(f) > 0 && f[0] == "Z"
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
	missing := filepath.Join(t.TempDir(), "sfcipher")
	_, err := (&cipher.Sfcipher{Path: missing}).Encrypt(context.Background(), []byte("pw"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v, want ErrNotExist naming %s", err, missing)
	}
	// A trusted file that cannot be run: a *SfcipherError.
	noInterp := filepath.Join(t.TempDir(), "sfcipher")
	if err := testenv.WriteExecutable(noInterp, []byte("#!/nonexistent/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = (&cipher.Sfcipher{Path: noInterp}).Encrypt(context.Background(), []byte("pw"))
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
	defer cipher.SetToolTrust([]string{"/opt/SMAW/bin", "/opt/SMAW/SMAWsf/bin"}, testRoot, os.Geteuid())()
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

// A password too long for the tool's terminal is refused before the tool
// runs, as a policy error (the CLI's 65, not a tool failure), without
// saying how long it is.
func TestSfcipherRefusesATooLongPasswordWithoutItsLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{4095, 5000} {
		_, err := (&cipher.Sfcipher{Path: "/nonexistent/sfcipher"}).Encrypt(context.Background(), []byte(strings.Repeat("a", n)))
		var pe *cipher.PolicyError
		if !errors.As(err, &pe) || !errors.Is(err, cipher.ErrTooLongToType) || !strings.Contains(err.Error(), "longer than the 4094 bytes that a terminal line holds") ||
			strings.Contains(err.Error(), strconv.Itoa(n)) || strings.Contains(err.Error(), "aaa") {
			t.Errorf("Encrypt of %d bytes: %v, want a *PolicyError for ErrTooLongToType without the length", n, err)
		}
	}
}
