//go:build linux

package cipher

import (
	"os"
	"os/exec"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// startOnPTY starts cmd in a new session with a new pseudo-terminal as its
// controlling terminal and its stdin, stdout and stderr, and returns the
// master side. The master is made non-blocking and handed to Go's poller,
// so that closing it ends a pending Read even if some process that escaped
// the kill still holds the terminal (a blocking master, as pty.Start
// returns it, would keep the reading goroutine forever).
func startOnPTY(cmd *exec.Cmd) (*os.File, error) {
	master, tty, err := pty.Open()
	if err != nil {
		return nil, err
	}
	defer tty.Close()
	fd, err := unix.Dup(int(master.Fd()))
	master.Close()
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	unix.CloseOnExec(fd)
	ptmx := os.NewFile(uintptr(fd), "/dev/ptmx")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true} // Ctty 0: the child's stdin
	if err := cmd.Start(); err != nil {
		ptmx.Close()
		return nil, err
	}
	return ptmx, nil
}

// echoOn reports whether the terminal echoes input. On Linux the master
// side reads the terminal's modes, which the tool sets on its side.
func echoOn(ptmx *os.File) (bool, error) {
	rc, err := ptmx.SyscallConn()
	if err != nil {
		return false, err
	}
	var t *unix.Termios
	var ierr error
	if err := rc.Control(func(fd uintptr) { t, ierr = unix.IoctlGetTermios(int(fd), unix.TCGETS) }); err != nil {
		return false, err
	}
	if ierr != nil {
		return false, ierr
	}
	return t.Lflag&unix.ECHO != 0, nil
}

// killGroup kills the tool's process group: it leads its own session, so
// nothing it started lives on either.
func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
