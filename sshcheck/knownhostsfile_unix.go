//go:build unix

package sshcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// openKnownHostsDir opens the folder of a known_hosts file, creating it
// 0700 when create is set and it is missing. It returns a nil file, no
// error, when it is missing and create is not set.
func openKnownHostsDir(dir string, create bool) (*os.File, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open(dir, flags, 0)
	created := false
	if errors.Is(err, unix.ENOENT) {
		if !create {
			return nil, nil
		}
		if err = unix.Mkdir(dir, 0o700); err == nil {
			created = true
		} else if !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("known_hosts: create folder %s: %w", dir, err)
		}
		fd, err = unix.Open(dir, flags, 0)
	}
	if err != nil {
		return nil, notOpened(dir, "folder", err)
	}
	f := os.NewFile(uintptr(fd), dir)
	if created {
		// The umask may have taken the owner's bits away; 0700 exactly.
		if err := unix.Fchmod(fd, 0o700); err != nil {
			f.Close()
			return nil, fmt.Errorf("known_hosts: %s: %w", dir, err)
		}
	}
	if err := checkOwnerMode(fd, dir, unix.S_IFDIR); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openKnownHostsFile opens name in dir: read-only, or for appending
// (created 0600 when missing) when write is set. A nil file and no error
// mean it is missing (read-only only).
func openKnownHostsFile(dir *os.File, path string, write bool) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
	if write {
		flags = unix.O_RDWR | unix.O_APPEND | unix.O_CREAT | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK | unix.O_NOCTTY
	}
	fd, err := unix.Openat(int(dir.Fd()), filepath.Base(path), flags, 0o600)
	if errors.Is(err, unix.ENOENT) && !write {
		return nil, nil
	}
	if err != nil {
		return nil, notOpened(path, "file", err)
	}
	if err := checkOwnerMode(fd, path, unix.S_IFREG); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Regular files never block; clear the flag that guarded the open.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("known_hosts: %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// notOpened explains a failed open: a symbolic link (O_NOFOLLOW) is
// ErrUnsafeFile, anything else is the system's error.
func notOpened(path, what string, err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EMLINK) {
		if st, lerr := os.Lstat(path); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("known_hosts: %s: %w: the %s is a symbolic link", path, ErrUnsafeFile, what)
		}
		return fmt.Errorf("known_hosts: %s: %w: not a %s", path, ErrUnsafeFile, what)
	}
	return fmt.Errorf("known_hosts: %s: %w", path, err)
}

// checkOwnerMode applies the owner and mode rules to the open fd, whose
// type must be typ (S_IFDIR or S_IFREG).
func checkOwnerMode(fd int, path string, typ uint32) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("known_hosts: %s: %w", path, err)
	}
	what := "folder"
	if typ == unix.S_IFREG {
		what = "regular file"
	}
	euid := uint32(os.Geteuid())
	switch {
	case uint32(st.Mode)&unix.S_IFMT != typ: // Mode is uint16 on some systems
		return fmt.Errorf("known_hosts: %s: %w: not a %s", path, ErrUnsafeFile, what)
	case st.Uid != euid && st.Uid != 0:
		owner := "root"
		if euid != 0 {
			owner = "root or uid " + strconv.FormatUint(uint64(euid), 10)
		}
		return fmt.Errorf("known_hosts: %s: %w: owned by uid %d, not by %s", path, ErrUnsafeFile, st.Uid, owner)
	case st.Mode&0o022 != 0:
		return fmt.Errorf("known_hosts: %s: %w: mode %04o is writable by group or others (chmod go-w %s)",
			path, ErrUnsafeFile, st.Mode&0o7777, singleQuote(path))
	case typ == unix.S_IFREG && st.Size > maxKnownHostsSize:
		return fmt.Errorf("known_hosts: %s: %d bytes, more than the %d this package reads", path, st.Size, maxKnownHostsSize)
	}
	return nil
}

// lockFile takes an exclusive lock on the open known_hosts file f, so
// that concurrent first contacts append one line; unlock releases it.
func lockFile(f *os.File) (unlock func(), err error) {
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return nil, err
	}
	return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN) }, nil
}
