package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
)

// libNoise is what libvirt and libxml2 print on file descriptor 2 by
// themselves, past the CLI's own stderr writer (so runCLI, which runs the
// CLI in-process with a buffer for stderr, cannot see it): libvirt's
// default error printer ("libvirt: ... error : ..."), and libxml2's
// generic error channel ("Relax-NG types library ... already registered",
// "... failed to register", "I/O warning : failed to load external
// entity", parser, namespace and validity errors).
var libNoise = regexp.MustCompile(`(?i)libvirt:|relax-?ng|libxml|xmlschema|failed to (register|allocate)|already registered|(validity|parser|namespace|I/O) (error|warning)|external entity`)

var builtCLI struct {
	once sync.Once
	path string
	err  error
}

// cliBinary builds the CLI once per test process, into a folder of its
// own that TestMain removes.
func cliBinary(t *testing.T) string {
	t.Helper()
	builtCLI.once.Do(func() {
		dir, err := os.MkdirTemp("", "sfkvm-cli-test-")
		if err != nil {
			builtCLI.err = err
			return
		}
		builtCLI.path = filepath.Join(dir, "sfkvm")
		goTool, err := exec.LookPath("go")
		if err != nil {
			builtCLI.err = err
			return
		}
		cmd := exec.Command(goTool, "build", "-o", builtCLI.path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			builtCLI.err = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if builtCLI.err != nil {
		t.Fatalf("building the CLI: %v", builtCLI.err)
	}
	return builtCLI.path
}

// execCLI runs the built CLI as its own process, so that its real file
// descriptor 2 is captured, libvirt's and libxml2's writes included.
func execCLI(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.CommandContext(testenv.Context(t), cliBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return cliResult{code, stdout.String(), stderr.String()}
}

// noLibNoise fails the test when stderr holds what libvirt or libxml2
// print by themselves.
func noLibNoise(t *testing.T, what, stderr string) {
	t.Helper()
	if loc := libNoise.FindStringIndex(stderr); loc != nil {
		t.Errorf("%s: stderr carries libvirt/libxml2 noise (%q):\n%s", what, stderr[loc[0]:loc[1]], stderr)
	}
}

// TestMain gives the binary a temporary folder of its own (removed by
// the next run if this one is killed: go test -timeout runs no cleanup).
func TestMain(m *testing.M) {
	// The parallel tests wait for real logins (sshd, PAM, sudo) far more
	// than they compute: run up to 6 at once, not GOMAXPROCS (2 here),
	// unless -parallel is given.
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", "6")
	}
	done := testenv.TempRoot()
	code := m.Run()
	if builtCLI.path != "" {
		os.RemoveAll(filepath.Dir(builtCLI.path))
	}
	done()
	os.Exit(code)
}

func TestLibNoisePattern(t *testing.T) {
	for _, noise := range []string{
		"Relax-NG types library failed to register 'http://www.w3.org/2001/XMLSchema-datatypes'\n",
		"Relax-NG types library 'http://relaxng.org/ns/structure/1.0' already registered\n",
		"libvirt: Test Driver error : Domain not found\n",
		"Entity: line 1: parser error : Start tag expected, '<' not found\n",
		"I/O warning : failed to load external entity \"/tmp/x/missing.xml\"\n",
	} {
		if !libNoise.MatchString(noise) {
			t.Errorf("not seen as noise: %q", noise)
		}
	}
	if libNoise.MatchString("sfkvm demo: building the lab: open /x: permission denied\n") {
		t.Error("sfkvm's own message taken for noise")
	}
}
