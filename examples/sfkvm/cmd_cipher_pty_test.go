package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
	"golang.org/x/sys/unix"
)

// TestCipherCLIHelper is not a test: it is the sfkvm CLI, run when a test
// re-executes the test binary on a pseudo-terminal. In a normal run it
// returns at once.
func TestCipherCLIHelper(t *testing.T) {
	if os.Getenv("SFKVM_CIPHER_CLI_HELPER") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
}

// ptySession is the CLI running on a pseudo-terminal, as a person sees it.
type ptySession struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptmx   *os.File
	out    bytes.Buffer // everything shown on the terminal
	chunks chan []byte
}

func startCLIOnPTY(t *testing.T, path string, args ...string) *ptySession {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"-test.run=^TestCipherCLIHelper$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "SFKVM_CIPHER_CLI_HELPER=1", "PATH="+path)
	ptmx, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	s := &ptySession{t: t, cmd: cmd, ptmx: ptmx, chunks: make(chan []byte, 64)}
	go func() {
		defer close(s.chunks)
		for {
			buf := make([]byte, 1024)
			n, err := ptmx.Read(buf)
			if n > 0 {
				s.chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); ptmx.Close() })
	return s
}

// expect waits until the terminal shows want (after what was already
// matched), and returns what it showed.
func (s *ptySession) expect(want string) {
	s.t.Helper()
	timeout := time.After(20 * time.Second)
	for !strings.Contains(s.out.String(), want) {
		select {
		case c, ok := <-s.chunks:
			if !ok {
				s.t.Fatalf("the terminal closed before showing %q; it showed %q", want, s.out.String())
			}
			s.out.Write(c)
		case <-timeout:
			s.t.Fatalf("the terminal did not show %q in 20s; it showed %q", want, s.out.String())
		}
	}
}

// echoOff reports whether the terminal has echo off now.
func (s *ptySession) echoOff() bool {
	s.t.Helper()
	tio, err := unix.IoctlGetTermios(int(s.ptmx.Fd()), unix.TCGETS)
	if err != nil {
		s.t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO == 0
}

func (s *ptySession) typeLine(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.ptmx, line+"\r"); err != nil {
		s.t.Fatal(err)
	}
}

// wait reads the rest of the output and returns the exit status.
func (s *ptySession) wait() int {
	s.t.Helper()
	return s.waitFor(20 * time.Second)
}

// waitFor is wait for a CLI that has real work to do after its prompts
// (logins over SSH: a rotation), bounded by limit.
func (s *ptySession) waitFor(limit time.Duration) int {
	s.t.Helper()
	timeout := time.After(limit)
	for {
		select {
		case c, ok := <-s.chunks:
			if !ok {
				err := s.cmd.Wait()
				var ee *exec.ExitError
				if err != nil && !errors.As(err, &ee) {
					s.t.Fatal(err)
				}
				return s.cmd.ProcessState.ExitCode()
			}
			s.out.Write(c)
		case <-timeout:
			s.t.Fatalf("the CLI did not finish in %s; it showed %q", limit, s.out.String())
		}
	}
}

// waitEchoOff waits (briefly) until the CLI has turned echo off: it prints
// the prompt just before it does.
func (s *ptySession) waitEchoOff() bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if s.echoOff() {
			return true
		}
	}
	return false
}

func TestCipherOnATerminal(t *testing.T) {
	const pw = "Sup3r-Secret pw"
	fake := fakeSfcipher(t, sfciphertest.OK)
	s := startCLIOnPTY(t, filepath.Dir(fake), "cipher", "-c")
	s.expect(cipher.PromptEnter)
	if !s.waitEchoOff() {
		t.Fatal("echo is on at the first prompt")
	}
	s.typeLine(pw)
	s.expect(cipher.PromptReenter)
	if !s.waitEchoOff() {
		t.Fatal("echo is on at the second prompt")
	}
	s.typeLine(pw)
	code := s.wait()
	shown := s.out.String()
	t.Logf("the terminal showed %q", shown)
	if code != exitOK {
		t.Fatalf("exit %d; the terminal showed %q", code, shown)
	}
	// The file used is said first, on stderr, then the vendor's prompts.
	if !strings.HasPrefix(shown, "sfkvm cipher: using "+fake+"\r\n"+cipher.PromptEnter) || strings.Count(shown, "Password:") != 2 {
		t.Errorf("prompts not exactly the vendor's: %q", shown)
	}
	if !strings.Contains(shown, sfciphertest.Token([]byte(pw))+"\r\n") {
		t.Errorf("token not shown: %q", shown)
	}
	if strings.Contains(shown, "Sup3r") {
		t.Errorf("the password was echoed: %q", shown)
	}
	if s.echoOff() {
		t.Error("echo is still off after the CLI ended")
	}
}

func TestCipherOnATerminalMismatchExits65(t *testing.T) {
	fake := fakeSfcipher(t, sfciphertest.OK)
	s := startCLIOnPTY(t, filepath.Dir(fake), "cipher", "-c")
	s.expect(cipher.PromptEnter)
	s.waitEchoOff()
	s.typeLine("First-entry1")
	s.expect(cipher.PromptReenter)
	s.waitEchoOff()
	s.typeLine("Second-entry2")
	code := s.wait()
	shown := s.out.String()
	if code != exitConfig || !strings.Contains(shown, "the two entries differ") {
		t.Errorf("exit %d, terminal %q; want 65 and the mismatch", code, shown)
	}
	if strings.Contains(shown, "entry1") || strings.Contains(shown, "entry2") {
		t.Errorf("an entry was echoed: %q", shown)
	}
}

func TestCipherOnATerminalPolicyViolationBeforeSecondPrompt(t *testing.T) {
	fake := fakeSfcipher(t, sfciphertest.OK)
	s := startCLIOnPTY(t, filepath.Dir(fake), "cipher", "-c")
	s.expect(cipher.PromptEnter)
	s.waitEchoOff()
	s.typeLine("semi;colon")
	code := s.wait()
	shown := s.out.String()
	if code != exitConfig || !strings.Contains(shown, `position 5: forbidden character ";"`) || strings.Contains(shown, cipher.PromptReenter) {
		t.Errorf("exit %d, terminal %q; want 65 at the first entry", code, shown)
	}
	if strings.Contains(shown, "semi") {
		t.Errorf("the password was echoed: %q", shown)
	}
}

func TestCipherPasswordStdinOnATerminalDoesNotEcho(t *testing.T) {
	fake := fakeSfcipher(t, sfciphertest.OK)
	s := startCLIOnPTY(t, filepath.Dir(fake), "cipher", "-c", "--password-stdin")
	if !s.waitEchoOff() {
		t.Fatal("echo is on while --password-stdin reads from a terminal")
	}
	s.typeLine("Typed-at-stdin1")
	code := s.wait()
	shown := s.out.String()
	if code != exitOK || !strings.Contains(shown, sfciphertest.Token([]byte("Typed-at-stdin1"))) || strings.Contains(shown, "Typed") {
		t.Errorf("exit %d, terminal %q", code, shown)
	}
}

// TestCipherOnATerminalCtrlDEnds: Ctrl-D (the end of the input) at either
// prompt, on an empty line or after some characters, ends the command
// with a clear message and exit 66, echo restored, nothing encrypted.
func TestCipherOnATerminalCtrlDEnds(t *testing.T) {
	fake := fakeSfcipher(t, sfciphertest.OK)
	for _, tc := range []struct {
		name  string
		args  []string
		first string // typed at the first prompt; empty: Ctrl-D there
		ctrlD string // what ends the input
	}{
		{"at the first prompt", []string{"cipher", "-c"}, "", "\x04"},
		{"after some characters at the first prompt", []string{"cipher", "-c"}, "", "Half\x04\x04"},
		{"at the second prompt", []string{"cipher", "-c"}, "Passw0rd-1", "\x04"},
		{"after some characters at the second prompt", []string{"cipher", "-c"}, "Passw0rd-1", "Pass\x04\x04"},
		{"with --password-stdin", []string{"cipher", "-c", "--password-stdin"}, "", "\x04"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startCLIOnPTY(t, filepath.Dir(fake), tc.args...)
			if len(tc.args) == 2 {
				s.expect(cipher.PromptEnter)
			}
			if !s.waitEchoOff() {
				t.Fatal("echo is on at the prompt")
			}
			if tc.first != "" {
				s.typeLine(tc.first)
				s.expect(cipher.PromptReenter)
				// The prompt is shown just before echo goes off again.
				time.Sleep(50 * time.Millisecond)
				if !s.waitEchoOff() {
					t.Fatal("echo is on at the second prompt")
				}
			}
			if _, err := io.WriteString(s.ptmx, tc.ctrlD); err != nil {
				t.Fatal(err)
			}
			code := s.wait()
			shown := s.out.String()
			says := "no password entered (end of input)"
			if len(tc.args) > 2 {
				says = "--password-stdin: read password: no password: the input ended"
			}
			if code != exitNoInput || !strings.Contains(shown, says) {
				t.Errorf("exit %d, terminal %q; want 66 and the end of input", code, shown)
			}
			if strings.Contains(shown, "Half") || strings.Contains(shown, "Passw0rd") || strings.Contains(shown, "Pass") && !strings.Contains(shown, "Password") {
				t.Errorf("an entry was echoed: %q", shown)
			}
			if s.echoOff() {
				t.Error("echo is still off after the CLI ended")
			}
		})
	}
}
