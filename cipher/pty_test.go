package cipher_test

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// runFakeOnPTY runs the tool at path with -c on a pseudo-terminal and
// returns what it printed and its exit status. With prompts, it types
// answers[i] once the output holds prompts[i]; without, it types all the
// answers at once (the terminal keeps them until the tool reads, but echoes
// them if the tool has not yet turned echo off).
func runFakeOnPTY(t testing.TB, path string, prompts []string, answers ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(path, "-c")
	ptmx, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	if prompts == nil {
		for _, a := range answers {
			if _, err := io.WriteString(ptmx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	var out, pending bytes.Buffer // all output; output since the last answer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1024)
		next := 0
		for {
			n, err := ptmx.Read(buf)
			out.Write(buf[:n])
			pending.Write(buf[:n])
			for next < len(prompts) && strings.Contains(pending.String(), prompts[next]) {
				io.WriteString(ptmx, answers[next])
				pending.Reset()
				next++
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the tool did not finish")
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), cmd.ProcessState.ExitCode()
}
