package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

const unitDir = "../../dist/systemd"

// unitValue returns the value of key in a unit file (the last one).
func unitValue(t *testing.T, unit, key string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(unitDir, unit))
	if err != nil {
		t.Fatal(err)
	}
	var v string
	for _, line := range strings.Split(string(b), "\n") {
		if k, val, ok := strings.Cut(line, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// TestSystemdUnitsVerify: systemd's own check of the service and the
// timer, offline (no running systemd needed), with ExecStart pointing at
// the built sfkvm: no error and no warning (an unknown or misspelt
// setting is only a warning to systemd, so any output fails the test).
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := testenv.LookPath(t, "systemd-analyze", "systemd")
	dir := t.TempDir()
	for _, name := range []string{"sfkvm-preflight.service", "sfkvm-preflight.timer"} {
		b, err := os.ReadFile(filepath.Join(unitDir, name))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "/usr/local/sbin/sfkvm", cliBinary(t))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, "verify", "--man=no", filepath.Join(dir, "sfkvm-preflight.service"), filepath.Join(dir, "sfkvm-preflight.timer"))
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// The service's command line is one sfkvm accepts, its textfile folder is
// the one it may write, and the commented example of the environment file
// names flags that exist.
func TestSystemdServiceCommand(t *testing.T) {
	execStart := unitValue(t, "sfkvm-preflight.service", "ExecStart")
	args := strings.Fields(execStart)
	if len(args) < 3 || args[0] != "/usr/local/sbin/sfkvm" || args[len(args)-1] != "$SFKVM_PREFLIGHT_ARGS" {
		t.Fatalf("ExecStart=%s", execStart)
	}
	args = args[1 : len(args)-1]
	b, _ := os.ReadFile(filepath.Join(unitDir, "sfkvm-preflight.default"))
	example := regexp.MustCompile(`(?m)^#SFKVM_PREFLIGHT_ARGS="([^"]*)"`).FindStringSubmatch(string(b))
	if example == nil {
		t.Fatal("no commented example in sfkvm-preflight.default")
	}
	for _, extra := range [][]string{nil, strings.Fields(example[1])} {
		a := append(append(append([]string{}, args...), extra...), "--help")
		if r := runCLI(t, "", a...); r.code != exitOK {
			t.Errorf("sfkvm %s: exit %d\n%s", strings.Join(a, " "), r.code, r.stderr)
		}
	}
	var folder string
	for i, a := range args {
		if a == "--textfile" && i+1 < len(args) {
			folder = args[i+1]
		}
	}
	if rw := unitValue(t, "sfkvm-preflight.service", "ReadWritePaths"); folder == "" || rw != folder {
		t.Errorf("--textfile %q, ReadWritePaths=%s", folder, rw)
	}
	if got := unitValue(t, "sfkvm-preflight.service", "SuccessExitStatus"); got != "1" {
		t.Errorf("SuccessExitStatus=%s: a FAIL result is news in the metrics, not a failed unit", got)
	}
}
