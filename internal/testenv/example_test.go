package testenv_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// exampleT stands in for a test's t, which an Example does not get: it
// prints what a test would report, and Fatalf and Skipf end the check, as
// they end a test (run recovers). Only the methods testenv calls are
// given; the embedded nil TB makes any other call panic.
type exampleT struct{ testing.TB }

type stopped struct{}

func (exampleT) Helper() {}
func (exampleT) Fatalf(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	panic(stopped{})
}
func (exampleT) Skipf(format string, args ...any) {
	fmt.Printf("SKIP: "+format+"\n", args...)
	panic(stopped{})
}

// run runs check as a test body would run.
func (exampleT) run(check func()) {
	defer func() {
		if r := recover(); r != nil && r != (stopped{}) {
			panic(r)
		}
	}()
	check()
}

// DirState notices any change under a folder: a file's contents, its mode,
// an entry added. Equal states mean nothing changed.
func ExampleDirState() {
	t := exampleT{}
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "kvmguests.conf")
	_ = os.WriteFile(conf, []byte("guest11 ...\n"), 0o600)

	before := testenv.DirState(t, dir)
	fmt.Println("unchanged:", testenv.DirState(t, dir) == before)

	_ = os.WriteFile(conf, []byte("guest12 ...\n"), 0o600) // same size, other bytes
	fmt.Println("after a rewrite:", testenv.DirState(t, dir) == before)

	_ = os.WriteFile(conf, []byte("guest11 ...\n"), 0o600)
	_ = os.Chmod(conf, 0o644)
	fmt.Println("after a chmod:", testenv.DirState(t, dir) == before)

	_ = os.Chmod(conf, 0o600)
	fmt.Println("put back:", testenv.DirState(t, dir) == before)
	// Output:
	// unchanged: true
	// after a rewrite: false
	// after a chmod: false
	// put back: true
}

// Need skips a test whose component is missing, and fails it instead
// under SFKVM_INTEGRATION=1, where every component must be there.
func ExampleNeed() {
	t := exampleT{}
	defer os.Setenv("SFKVM_INTEGRATION", os.Getenv("SFKVM_INTEGRATION"))
	for _, v := range []string{"", "1"} {
		os.Setenv("SFKVM_INTEGRATION", v)
		t.run(func() {
			testenv.Need(t, false, "sshd", "apt-get install --no-install-recommends openssh-server")
			fmt.Println("not reached")
		})
	}
	// Output:
	// SKIP: sshd is missing (to get it: apt-get install --no-install-recommends openssh-server); SFKVM_INTEGRATION=1 makes this a failure
	// FAIL: SFKVM_INTEGRATION=1 but sshd is missing (to get it: apt-get install --no-install-recommends openssh-server)
}

// RawTerminalControl names what in a program's output would reach a
// terminal raw; "" when nothing would.
func ExampleRawTerminalControl() {
	fmt.Printf("%q\n", testenv.RawTerminalControl("guest1\x1b[2J"))
	fmt.Printf("%q\n", testenv.RawTerminalControl("guest1\x9b2J"))
	fmt.Printf("%q\n", testenv.RawTerminalControl(`guest1\x1b[2J`+"\n"))
	// Output:
	// "control U+001B at byte 6"
	// "invalid UTF-8 byte 0x9b at 6"
	// ""
}
