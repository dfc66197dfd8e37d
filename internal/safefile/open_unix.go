//go:build unix

package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenRegular opens path for reading and refuses anything but a regular
// file. The open never blocks: a FIFO with no writer, or a device, is
// opened non-blocking and refused on its type, not read. With nofollow a
// symbolic link is refused too (ErrSymlink); without it the link is
// followed and the file behind it must be regular.
func OpenRegular(path string, nofollow bool) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if nofollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		return nil, openError(path, err, nofollow)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{Path: path, Err: unwrapPath(err)}
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &Error{Path: path, Detail: TypeName(fi.Mode()), Err: ErrNotRegular}
	}
	// Reads from a regular file never block; clear the flag anyway so the
	// descriptor behaves as an ordinary one for whoever reads it.
	if err := unix.SetNonblock(int(f.Fd()), false); err != nil {
		f.Close()
		return nil, &Error{Path: path, Err: err}
	}
	return f, nil
}

// checkOwner refuses a file or folder that belongs to neither root nor the
// caller: another user could change it under us.
func checkOwner(path string, fi fs.FileInfo) error {
	uid, ok := OwnerUID(fi)
	if !ok {
		return &Error{Path: path, Detail: "no owner information", Err: ErrOwner}
	}
	if uid != 0 && int(uid) != os.Geteuid() {
		return &Error{Path: path, Detail: fmt.Sprintf("uid %d, want root or uid %d", uid, os.Geteuid()), Err: ErrOwner}
	}
	return nil
}

func openError(path string, err error, nofollow bool) error {
	err = unwrapPath(err)
	if nofollow && errors.Is(err, syscall.ELOOP) {
		return &Error{Path: path, Err: ErrSymlink}
	}
	return &Error{Path: path, Err: err}
}
