package safefile

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// What the _other.go stubs return, checked here where they cannot run: a
// refusal naming the path and the system, that errors.Is matches with
// both sentinels.
func TestUnsupportedNamesPathAndSystem(t *testing.T) {
	err := unsupported("/etc/opt/FJSVcluster/etc/kvmguests.conf")
	var se *Error
	if !errors.As(err, &se) || !errors.Is(err, ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("err = %#v", err)
	}
	msg := err.Error()
	for _, want := range []string{"/etc/opt/FJSVcluster/etc/kvmguests.conf", "not supported on this system (" + runtime.GOOS + ")", "Unix only"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}
