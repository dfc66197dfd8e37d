package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// OpenPrivate opens a secret (a password file, a key file): a regular file,
// not a symbolic link, owned by root or by the caller, with no permission
// bits for group or others and no set-id or sticky bits. The checks are
// made on the opened descriptor, so the file cannot be swapped between
// check and read.
func OpenPrivate(path string) (*os.File, error) {
	f, err := OpenRegular(path, true)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = CheckPrivate(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CheckPrivate applies OpenPrivate's owner and mode rules to fi.
func CheckPrivate(path string, fi fs.FileInfo) error {
	if err := checkOwner(path, fi); err != nil {
		return err
	}
	if m := fi.Mode(); m.Perm()&0o077 != 0 || m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return &Error{Path: path, Detail: fmt.Sprintf("mode %04o, want 0600 or 0400", ModeBits(m)), Err: ErrMode}
	}
	return nil
}

// ModeBits is the mode as chmod writes it: permissions plus the set-user-id,
// set-group-id and sticky bits.
func ModeBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// TypeName says what kind of file m is, in words for a message.
func TypeName(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "an unusual file (" + m.Type().String() + ")"
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
