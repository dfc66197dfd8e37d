//go:build unix

package sdfacility

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the command in a new process group and makes the
// context's cancellation kill that whole group.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group id is the child's pid (Setpgid with Pgid 0).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
