//go:build unix

package migratesetup

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// oNonblock makes the open of a FIFO return at once (a plain open waits
// for a writer, for ever) and O_NOCTTY keeps a terminal at the path from
// becoming ours; openDisk refuses both kinds after the open.
const oNonblock = syscall.O_NONBLOCK | syscall.O_NOCTTY

// setBlocking clears O_NONBLOCK again: reads from a block device or a
// regular file do not block on it, but the descriptor should behave as an
// ordinary one.
func setBlocking(f *os.File) error { return unix.SetNonblock(int(f.Fd()), false) }
