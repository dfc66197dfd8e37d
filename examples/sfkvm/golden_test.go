package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// cliResult is what one run of the CLI produced.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the whole CLI in-process.
func runCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(testenv.Context(t), args, strings.NewReader(stdin), &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

// runBinIn runs the built CLI as its own process in dir (where a
// printed command would be pasted), for parallel tests: t.Chdir would move
// every test of the binary; and a run that must have ended as a process
// (a lock whose holder is gone) is one. Safe in a goroutine of the test.
func runBinIn(t *testing.T, dir, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(cliBinary(t), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Errorf("running %v: %v", args, err)
		return cliResult{code: -1}
	}
	return cliResult{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

// golden compares r with testdata/golden/NAME.golden, after replacing each
// (old, new) pair in replace (for temporary paths).
func golden(t *testing.T, name string, r cliResult, replace ...string) {
	t.Helper()
	got := "exit: " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.stdout + "--- stderr\n" + r.stderr
	got = strings.NewReplacer(replace...).Replace(got)
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}
