//go:build unix

package safefile

import (
	"os"

	"golang.org/x/sys/unix"
)

// sys holds the calls that make a write private and durable: creating the
// temporary file, writing, syncing, and putting it in place. Dir uses them
// through this value so that a test can record their order and arguments
// (a dropped fsync, or a temporary file created with a wider mode, changes
// no file content a test could see afterwards). Only tests replace it.
var sys = fileOps{
	openat:   unix.Openat,
	write:    (*os.File).Write,
	sync:     (*os.File).Sync,
	renameat: unix.Renameat,
	linkat:   unix.Linkat,
}

type fileOps struct {
	openat   func(dirfd int, path string, flags int, mode uint32) (int, error)
	write    func(f *os.File, b []byte) (int, error)
	sync     func(f *os.File) error // the temporary file and the folder
	renameat func(olddirfd int, oldpath string, newdirfd int, newpath string) error
	linkat   func(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error
}
