package nodump_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sfkvm/sfkvm/internal/nodump"
)

// In-process: after Protect the core limit is 0, soft and hard, and the
// process is not dumpable. (The test binary stays so for the rest of its
// run, which no other test here minds. examples/sfkvm checks the same from
// outside, on the built CLI.)
func TestProtect(t *testing.T) {
	if err := nodump.Protect(); err != nil {
		t.Fatal(err)
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur != 0 || lim.Max != 0 {
		t.Errorf("RLIMIT_CORE %d/%d after Protect, want 0/0", lim.Cur, lim.Max)
	}
	d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil || d != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d, %v after Protect, want 0", d, err)
	}
	if err := nodump.Protect(); err != nil {
		t.Errorf("a second Protect: %v", err)
	}
}
