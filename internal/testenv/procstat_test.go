package testenv

import (
	"os"
	"strconv"
	"testing"
)

// ProcStat gives the fields after the command name: the parent's pid
// second, the start time twentieth.
func TestProcStat(t *testing.T) {
	f, err := ProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if len(f) < 20 || f[1] != strconv.Itoa(os.Getppid()) {
		t.Fatalf("fields %q: want 20 or more, the parent %d second", f, os.Getppid())
	}
	if _, err := ProcStat(-1); err == nil {
		t.Error("ProcStat(-1): no error")
	}
}
