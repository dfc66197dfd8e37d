//go:build unix

package rotate_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/rotate"
)

// TestOpenSSHOwnProcessGroup: ssh runs in a process group of its own, so
// that a Ctrl-C at the terminal reaches sfkvm alone and sfkvm decides when
// ssh ends (the hosts are still written after an interrupt).
func TestOpenSSHOwnProcessGroup(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "ssh")
	// The fake ssh prints its own process group: field 5 of /proc/self/stat
	// as seen by the shell ($$).
	script := "#!/bin/sh\nset -- $(cat /proc/$$/stat)\necho $5\n"
	if err := testenv.WriteExecutable(fake, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := rotate.OpenSSH{Path: fake}.Connector()(context.Background(), "cfhost2")
	if err != nil {
		t.Fatal(err)
	}
	stdout, _, status, err := r.RunInput(context.Background(), nil, "true")
	if err != nil || status != 0 {
		t.Fatalf("exit %d, %v", status, err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(stdout)))
	if err != nil {
		t.Fatalf("fake ssh printed %q", stdout)
	}
	if pgid == syscall.Getpgrp() {
		t.Errorf("ssh runs in sfkvm's process group %d: a terminal's Ctrl-C would kill it mid-write", pgid)
	}
}
