package sfciphertest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"golang.org/x/sys/unix"
)

// Mode selects how the fake behaves.
type Mode string

const (
	OK          Mode = "ok"          // the vendor's behaviour as known
	WrongPrompt Mode = "wrongprompt" // asks "Password:" instead of the known prompt
	Hang        Mode = "hang"        // prompts, then never reads nor exits
	Exit1       Mode = "exit1"       // takes both entries, prints an error, exits 1
	Garbage     Mode = "garbage"     // takes both entries, prints a line that is not a token, exits 0
	Lowercase   Mode = "lowercase"   // prints the token in lowercase hex
	EchoOn      Mode = "echoon"      // prompts with echo left on (a tool that would show the password)
	LateEcho    Mode = "lateecho"    // prints each prompt before it turns echo off, 50 ms later
	Chunked     Mode = "chunked"     // writes each prompt one byte at a time
	NoPrompt    Mode = "noprompt"    // prints a token at once without asking anything
	// Faults of the conversation, which the driver must refuse.
	ReenterFirst Mode = "reenterfirst" // asks "Re-enter User's Password:" first, then "Enter User's Password:"
	EnterTwice   Mode = "entertwice"   // asks "Enter User's Password:" twice, then "Re-enter User's Password:"
	ReenterTwice Mode = "reentertwice" // asks "Enter User's Password:", then "Re-enter User's Password:" twice
	Endless      Mode = "endless"      // answers the first prompt with output that never ends
	LongPrompt   Mode = "longprompt"   // asks a question of 5000 bytes instead of the known prompt
)

// ModeEnv is the environment variable that makes Helper run the fake.
const ModeEnv = "SFCIPHERTEST_MODE"

// Messages of the fake (the vendor's own words are not known).
const (
	MsgMismatch = "sfcipher: The passwords do not match."
	MsgNoTTY    = "sfcipher: cannot open the terminal"
	MsgExit1    = "sfcipher: internal error"
)

// Token returns the fake's token for password: for each 8-byte block of
// the password (the last one padded with zeros), 8 bytes of SHA-256 of the
// block and its index, in uppercase hex. Deterministic; not the vendor's
// algorithm.
func Token(password []byte) string {
	n := (len(password) + 7) / 8
	if n == 0 {
		n = 1
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		block := make([]byte, 8)
		copy(block, password[min(i*8, len(password)):min(i*8+8, len(password))])
		var idx [4]byte
		binary.BigEndian.PutUint32(idx[:], uint32(i))
		sum := sha256.Sum256(append(append([]byte("sfciphertest"), idx[:]...), block...))
		fmt.Fprintf(&b, "%016X", binary.BigEndian.Uint64(sum[:8]))
	}
	return b.String()
}

// Helper runs the fake and exits when ModeEnv is set; otherwise it returns
// at once. Call it from a test function named in Install.
func Helper() {
	mode := os.Getenv(ModeEnv)
	if mode == "" {
		return
	}
	os.Exit(Main(Mode(mode), argsAfterDash(os.Args)))
}

func argsAfterDash(args []string) []string {
	for i, a := range args {
		if a == "--" {
			return args[i+1:]
		}
	}
	return nil
}

// Install writes an executable script named sfcipher in dir that runs the
// fake in mode by re-executing the test binary in the test function
// helperTest (which calls Helper). It returns the script's path.
func Install(t testing.TB, dir string, mode Mode, helperTest string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("sfciphertest: %v", err)
	}
	script := fmt.Sprintf("#!/bin/sh\n%s=%s exec %s -test.run='^%s$' -- \"$@\"\n", ModeEnv, mode, shellQuote(exe), helperTest)
	p := filepath.Join(dir, "sfcipher")
	if err := testenv.WriteExecutable(p, []byte(script), 0o755); err != nil {
		t.Fatalf("sfciphertest: %v", err)
	}
	return p
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Main is the fake sfcipher: it returns the exit status.
func Main(mode Mode, args []string) int {
	if len(args) != 1 || args[0] != "-c" {
		fmt.Fprintln(os.Stderr, "usage: sfcipher -c")
		return 2
	}
	if mode == NoPrompt {
		fmt.Println(Token([]byte("nothing")))
		return 0
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, MsgNoTTY)
		return 1
	}
	defer tty.Close()
	fd := int(tty.Fd())
	saved, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		fmt.Fprintln(os.Stderr, MsgNoTTY)
		return 1
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, saved)

	prompt := func(text string) {
		if mode == LateEcho {
			fmt.Fprint(tty, text)
			time.Sleep(50 * time.Millisecond)
			echoOff(fd, saved)
			return
		}
		if mode != EchoOn {
			echoOff(fd, saved)
		}
		if mode == Chunked {
			for i := 0; i < len(text); i++ {
				tty.Write([]byte{text[i]})
				time.Sleep(time.Millisecond)
			}
			return
		}
		fmt.Fprint(tty, text)
	}

	enter, reenter := "Enter User's Password:", "Re-enter User's Password:"
	first := enter
	switch mode {
	case WrongPrompt:
		first = "Password:"
	case LongPrompt:
		first = strings.Repeat("Q", 5000) + ":"
	}
	// The questions, in the order this mode asks them; the fake reads an
	// answer to each, and compares the last two.
	questions := []string{first, reenter}
	switch mode {
	case ReenterFirst:
		questions = []string{reenter, enter}
	case EnterTwice:
		questions = []string{enter, enter, reenter}
	case ReenterTwice:
		questions = []string{enter, reenter, reenter}
	}
	var answers [][]byte
	for i, q := range questions {
		prompt(q)
		if mode == Hang {
			for {
				time.Sleep(time.Hour) // a sleeping goroutine, not a deadlock that the runtime would end
			}
		}
		pw, ok := readLine(tty)
		fmt.Fprint(tty, "\n")
		if !ok {
			return 1
		}
		answers = append(answers, pw)
		if mode == Endless && i == 0 {
			line := []byte(strings.Repeat("y", 79) + "\n")
			for {
				if _, err := tty.Write(line); err != nil {
					return 1
				}
			}
		}
	}
	pw1, pw2 := answers[len(answers)-2], answers[len(answers)-1]
	unix.IoctlSetTermios(fd, unix.TCSETS, saved)
	switch {
	case string(pw1) != string(pw2):
		fmt.Fprintln(tty, MsgMismatch)
		return 1
	case mode == Exit1:
		fmt.Fprintln(tty, MsgExit1)
		return 1
	case mode == Garbage:
		fmt.Fprintln(tty, "Segmentation fault (core dumped)")
		return 0
	case mode == Lowercase:
		fmt.Fprintln(tty, strings.ToLower(Token(pw1)))
		return 0
	}
	fmt.Fprintln(tty, Token(pw1))
	return 0
}

func echoOff(fd int, saved *unix.Termios) {
	t := *saved
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON
	unix.IoctlSetTermios(fd, unix.TCSETS, &t)
}

// readLine reads one line from the terminal, without its end.
func readLine(tty *os.File) ([]byte, bool) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := tty.Read(b)
		if n == 1 {
			if b[0] == '\n' || b[0] == '\r' {
				return line, true
			}
			line = append(line, b[0])
		}
		if err != nil {
			return line, false
		}
	}
}

// InstallTrusted is Install in a new folder that [cipher.CheckTool]
// trusts with the production rules (root's, in folders that only root can
// change, from / down), for tests of a program that looks sfcipher up
// itself, such as a CLI run as a child. t.TempDir() does not do: /tmp is
// world-writable. It tries the user's cache folder, then the current
// folder (a test's package folder), and removes the new folder at the end
// of the test. Where neither will do (not root, or a folder above that
// others can write), the test is skipped, or fails under
// SFKVM_INTEGRATION=1.
func InstallTrusted(t testing.TB, mode Mode, helperTest string) string {
	t.Helper()
	var bases []string
	if d, err := os.UserCacheDir(); err == nil {
		bases = append(bases, d)
	}
	if d, err := os.Getwd(); err == nil {
		bases = append(bases, d)
	}
	var why []string
	for _, base := range bases {
		if err := os.MkdirAll(base, 0o755); err != nil {
			why = append(why, err.Error())
			continue
		}
		dir, err := os.MkdirTemp(base, ".sfciphertest-")
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		p := Install(t, dir, mode, helperTest)
		real, err := cipher.CheckTool(p)
		if err == nil {
			return real
		}
		why = append(why, err.Error())
	}
	testenv.Need(t, false, "a folder that sfcipher's check trusts ("+strings.Join(why, "; ")+")", "run the tests as root from a checkout that only root can write, as CI does")
	return ""
}
