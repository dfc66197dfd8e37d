package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Integration reports whether SFKVM_INTEGRATION=1 is set: every integration
// component must then be present.
func Integration() bool { return os.Getenv("SFKVM_INTEGRATION") == "1" }

// Need skips (or, under SFKVM_INTEGRATION=1, fails) t unless ok holds.
// what names the missing component, install says how to get it (a whole
// instruction: "apt-get install ... PACKAGE", "run the tests as root").
func Need(t testing.TB, ok bool, what, install string) {
	t.Helper()
	if ok {
		return
	}
	if Integration() {
		t.Fatalf("SFKVM_INTEGRATION=1 but %s is missing (to get it: %s)", what, install)
	}
	t.Skipf("%s is missing (to get it: %s); SFKVM_INTEGRATION=1 makes this a failure", what, install)
}

// LookPath returns the path of program, or skips (fails under
// SFKVM_INTEGRATION=1) naming the Debian package that provides it.
func LookPath(t testing.TB, program, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		// sbin is often not on a non-root PATH.
		for _, dir := range []string{"/usr/sbin/", "/sbin/"} {
			if _, serr := os.Stat(dir + program); serr == nil {
				return dir + program
			}
		}
	}
	Need(t, err == nil, program, "apt-get install --no-install-recommends "+debianPackage)
	return p
}

// Root skips (fails under SFKVM_INTEGRATION=1) unless the test runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	Need(t, os.Geteuid() == 0, "root ("+why+")", "run the tests as root, as CI does")
}
