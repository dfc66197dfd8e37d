package sdfacility_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/sdfacility"
)

// script writes a shell-script tool into a new folder and returns its
// path. The script may write "$$" and its children's pids to the file
// named by $PIDS, beside it.
func script(t *testing.T, body string) (path, pidsFile string) {
	t.Helper()
	sh := testenv.LookPath(t, "sh", "dash")
	dir := t.TempDir()
	path = filepath.Join(dir, "tool")
	pidsFile = filepath.Join(dir, "pids")
	text := "#!" + sh + "\nPIDS=" + pidsFile + "\n" + body + "\n"
	if err := testenv.WriteExecutable(path, []byte(text), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, pidsFile
}

// waitPIDs waits (in real time: a real shell starts them) until the
// script has written n pids, and returns them.
func waitPIDs(t *testing.T, file string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(file)
		if f := strings.Fields(string(data)); len(f) >= n {
			var pids []int
			for _, s := range f[:n] {
				pid, err := strconv.Atoi(s)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				pids = append(pids, pid)
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the script did not write %d pids to %s", n, file)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func assertGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if !processGone(pid, 5*time.Second) {
			t.Errorf("process %d still alive", pid)
		}
	}
}

// A tool that hangs, with a child in its group holding the pipes, under a
// context without deadline: Timeout ends it, and the whole group is killed
// (Run returns long before WaitDelay, which an open pipe would wait for).
func TestLocalRunnerDefaultTimeoutKillsHangingGroup(t *testing.T) {
	tool, pidsFile := script(t, `sleep 600 & echo $$ $! > $PIDS.tmp; mv $PIDS.tmp $PIDS; echo started; wait`)
	r := sdfacility.LocalRunner{CommandTimeout: 500 * time.Millisecond, WaitDelay: 20 * time.Second}
	start := time.Now()
	stdout, _, code, err := r.Run(context.Background(), tool)
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || code != -1 {
		t.Errorf("code %d err %v; want -1 and a timeout", code, err)
	}
	if err != nil && !strings.Contains(err.Error(), "500ms") {
		t.Errorf("err %q does not say which bound ended it", err)
	}
	if string(stdout) != "started\n" {
		t.Errorf("stdout %q: what the tool printed before it hung is lost", stdout)
	}
	if took > 15*time.Second {
		t.Errorf("Run took %v: the child kept the pipes open until WaitDelay", took)
	}
	assertGone(t, waitPIDs(t, pidsFile, 2))
}

// A deadline in the caller's context is the caller's decision: Timeout
// does not shorten it.
func TestLocalRunnerKeepsCallersDeadline(t *testing.T) {
	tool, _ := script(t, `sleep 0.5; echo done`)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stdout, _, code, err := sdfacility.LocalRunner{CommandTimeout: 50 * time.Millisecond}.Run(ctx, tool)
	if err != nil || code != 0 || string(stdout) != "done\n" {
		t.Errorf("stdout %q code %d err %v; want done, 0, nil", stdout, code, err)
	}
}

// A tool that prints for ever, on either stream, is stopped at the cap:
// Run keeps exactly the cap, says which stream, and the group is gone.
func TestLocalRunnerStopsEndlessOutput(t *testing.T) {
	testenv.LookPath(t, "yes", "coreutils")
	for _, tc := range []struct {
		name, body, stream string
		r                  sdfacility.LocalRunner
		limit              int
	}{
		{"stdout, default cap", `echo $$ > $PIDS; exec yes`, "stdout", sdfacility.LocalRunner{}, sdfacility.DefaultMaxStdout},
		{"stderr, default cap", `echo $$ > $PIDS; exec yes >&2`, "stderr", sdfacility.LocalRunner{}, sdfacility.DefaultMaxStderr},
		{"stdout from a child that keeps the pipe", `yes & echo $$ $! > $PIDS; wait`, "stdout", sdfacility.LocalRunner{MaxStdout: 64 << 10}, 64 << 10},
		{"stderr, small cap", `echo $$ > $PIDS; exec yes escape >&2`, "stderr", sdfacility.LocalRunner{MaxStderr: 100}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tool, pidsFile := script(t, tc.body)
			tc.r.WaitDelay = 20 * time.Second
			start := time.Now()
			stdout, stderr, code, err := tc.r.Run(t.Context(), tool)
			took := time.Since(start)
			var le *sdfacility.OutputLimitError
			if !errors.As(err, &le) || !errors.Is(err, sdfacility.ErrOutputLimit) || le.Stream != tc.stream || le.Limit != tc.limit || code != -1 {
				t.Fatalf("code %d err %v; want -1 and an OutputLimitError on %s at %d", code, err, tc.stream, tc.limit)
			}
			kept := stdout
			if tc.stream == "stderr" {
				kept = stderr
			}
			if len(kept) != tc.limit {
				t.Errorf("kept %d bytes of %s, want exactly the cap %d", len(kept), tc.stream, tc.limit)
			}
			if took > 15*time.Second {
				t.Errorf("Run took %v: the tool was not stopped at the cap", took)
			}
			data, _ := os.ReadFile(pidsFile)
			assertGone(t, waitPIDs(t, pidsFile, len(strings.Fields(string(data)))))
		})
	}
}

// A tool that exits while a child it started still holds stdout (as a
// daemon that forgot to close it would) is not killed: its exit status
// comes back after WaitDelay, with what it printed.
func TestLocalRunnerToolExitsLeavingChildOnPipe(t *testing.T) {
	tool, pidsFile := script(t, `sleep 600 & echo $! > $PIDS; echo bye; exit 3`)
	start := time.Now()
	stdout, _, code, err := sdfacility.LocalRunner{WaitDelay: 200 * time.Millisecond}.Run(t.Context(), tool)
	if err != nil || code != 3 || string(stdout) != "bye\n" {
		t.Errorf("stdout %q code %d err %v; want bye, 3, nil", stdout, code, err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Run took %v: the child's open pipe held it past WaitDelay", took)
	}
	child := waitPIDs(t, pidsFile, 1)[0]
	if processGone(child, 0) {
		t.Errorf("the child %d was killed; a daemon the tool started must be left alone", child)
	}
	p, _ := os.FindProcess(child)
	p.Kill()
}

// Terminal escapes and control bytes in a tool's output reach a message
// escaped, never raw, and a long output is cut with a mark.
func TestCommandErrorQuotesAndCutsOutput(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"escapes on stderr", `printf '\033]0;owned\007\033[2J\033[31mred\r\n' >&2; exit 1`,
			[]string{`exit status 1: stderr "\x1b]0;owned\a\x1b[2J\x1b[31mred"`}},
		{"escapes on stdout only", `printf 'x\033[1Ay\000z\377' ; exit 2`,
			[]string{`exit status 2: stdout "x\x1b[1Ay\x00z\xff"`}},
		{"5 MiB of escapes on stderr", `head -c 5242880 /dev/zero | tr '\000' '\033' >&2; exit 1`,
			[]string{`more than 4096 bytes on stderr: the command was stopped: stderr "\x1b\x1b`, `\x1b"... (4021 more bytes not shown)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tool, _ := script(t, tc.body)
			_, err := sdfacility.CFTool{Path: tool}.ClusterName(t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for i := 0; i < len(msg); i++ {
				if msg[i] < 0x20 || msg[i] == 0x7f {
					t.Fatalf("byte 0x%02x at %d of the message: %q", msg[i], i, msg)
				}
			}
			if len(msg) > len(tool)+500 {
				t.Errorf("message of %d bytes: %.600s", len(msg), msg)
			}
			rest := msg
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("message lacks %q (in order):\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
