//go:build unix

package rotate

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts ssh in a process group of its own, so that a Ctrl-C
// at the terminal (a SIGINT to the terminal's whole foreground group)
// reaches sfkvm only: sfkvm decides when ssh ends. Otherwise the signal
// killed ssh in the middle of writing a host's copy, past the point where
// Run keeps writing after an interrupt, and left that host behind. The
// context's cancellation kills the whole group (ssh and a ProxyCommand).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
