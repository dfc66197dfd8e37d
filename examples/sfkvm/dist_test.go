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

// TestSystemdUnitsVerify: systemd's own check of every service and timer
// in dist/systemd, offline (no running systemd needed), with ExecStart
// pointing at the built sfkvm: no error and no warning (an unknown or
// misspelt setting is only a warning to systemd, so any output fails the
// test).
func TestSystemdUnitsVerify(t *testing.T) {
	t.Parallel() // systemd-analyze and the CLI's build: a minute on a busy machine, shared with nothing
	analyze := testenv.LookPath(t, "systemd-analyze", "systemd")
	dir := t.TempDir()
	var units []string
	for _, pattern := range []string{"*.service", "*.timer"} {
		m, _ := filepath.Glob(filepath.Join(unitDir, pattern))
		units = append(units, m...)
	}
	if len(units) < 4 {
		t.Fatalf("units %q: want the preflight's and the site's service and timer", units)
	}
	args := []string{"verify", "--man=no"}
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "/usr/local/sbin/sfkvm", cliBinary(t))
		p := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	out, err := exec.Command(analyze, args...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// Each service's command line is one sfkvm accepts, its textfile folder is
// the one it may write, and the commented example of its environment file
// names flags that exist.
func TestSystemdServiceCommand(t *testing.T) {
	for _, name := range []string{"preflight", "site", "drill"} {
		t.Run(name, func(t *testing.T) { checkServiceCommand(t, name) })
	}
}

func checkServiceCommand(t *testing.T, name string) {
	unit, env := "sfkvm-"+name+".service", "$SFKVM_"+strings.ToUpper(name)+"_ARGS"
	execStart := unitValue(t, unit, "ExecStart")
	args := strings.Fields(execStart)
	if len(args) < 3 || args[0] != "/usr/local/sbin/sfkvm" || args[1] != name || args[len(args)-1] != env {
		t.Fatalf("ExecStart=%s", execStart)
	}
	args = args[1 : len(args)-1]
	b, _ := os.ReadFile(filepath.Join(unitDir, "sfkvm-"+name+".default"))
	example := regexp.MustCompile(`(?m)^#` + regexp.QuoteMeta(env[1:]) + `="([^"]*)"`).FindStringSubmatch(string(b))
	if example == nil {
		t.Fatalf("no commented example of %s in sfkvm-%s.default", env, name)
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
	if rw := unitValue(t, unit, "ReadWritePaths"); folder == "" || rw != folder {
		t.Errorf("--textfile %q, ReadWritePaths=%s", folder, rw)
	}
	// A FAIL of preflight or site is news in the metrics, not a failed
	// unit; a failed drill is both (someone must look at the cluster).
	want := "1"
	if name == "drill" {
		want = ""
	}
	if got := unitValue(t, unit, "SuccessExitStatus"); got != want {
		t.Errorf("SuccessExitStatus=%s, want %q", got, want)
	}
}
