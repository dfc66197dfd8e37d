//go:build unix

package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenDir opens the folder at path for replacing files in it. It refuses a
// relative path, a symbolic link, anything but a folder, a folder owned by
// neither root nor the caller, and a folder that group or others can write
// (anyone who can write it can rename a file of theirs over ours).
func OpenDir(path string) (*Dir, error) {
	if !filepath.IsAbs(path) {
		return nil, &Error{Path: path, Err: ErrRelative}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		err = unwrapPath(err)
		switch {
		case errors.Is(err, syscall.ELOOP):
			return nil, &Error{Path: path, Err: ErrSymlink}
		case errors.Is(err, syscall.ENOTDIR):
			// O_NOFOLLOW|O_DIRECTORY on a symlink to a folder says ENOTDIR
			// on some kernels; tell the two apart for the message.
			if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return nil, &Error{Path: path, Err: ErrSymlink}
			}
			return nil, &Error{Path: path, Err: ErrNotDir}
		}
		return nil, &Error{Path: path, Err: err}
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkOwner(path, fi)
	}
	if err == nil && fi.Mode().Perm()&0o022 != 0 {
		err = &Error{Path: path, Detail: fmt.Sprintf("mode %04o", ModeBits(fi.Mode())), Err: ErrMode}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Dir{f: f, path: path}, nil
}

// Replace replaces the entry name (one path element) with data, mode 0600
// from the first byte. See the package documentation for the steps and
// what is refused.
func (d *Dir) Replace(name string, data []byte) error {
	full, err := d.checkName(name)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	switch err := unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW); {
	case err == nil:
		if m := fileMode(uint32(st.Mode)); !m.IsRegular() { // uint16 on darwin
			return &Error{Path: full, Detail: TypeName(m) + " is there; only a regular file is replaced", Err: ErrNotRegular}
		}
	case !errors.Is(err, unix.ENOENT):
		return &Error{Path: full, Err: err}
	}
	return d.place(name, full, data, func(tmp string) error {
		if err := sys.renameat(d.fd(), tmp, d.fd(), name); err != nil {
			return &Error{Path: full, Detail: "renaming into place", Err: err}
		}
		return nil
	})
}

// CreateNew creates the entry name (one path element) with data, mode 0600
// from the first byte, and never touches an entry that exists: whatever is
// there (a file, a link, a FIFO) is an error that matches fs.ErrExist. The
// file appears whole or not at all: it is written, synced and closed under
// a temporary name, linked to name (which fails if name exists, atomically),
// the temporary name removed, and the folder synced.
func (d *Dir) CreateNew(name string, data []byte) error {
	full, err := d.checkName(name)
	if err != nil {
		return err
	}
	return d.place(name, full, data, func(tmp string) error {
		err := sys.linkat(d.fd(), tmp, d.fd(), name, 0)
		unix.Unlinkat(d.fd(), tmp, 0) // the name, or nothing, holds the file now
		switch {
		case errors.Is(err, unix.EEXIST):
			return &Error{Path: full, Detail: "already exists; it is never overwritten", Err: fs.ErrExist}
		case err != nil:
			return &Error{Path: full, Detail: "linking into place", Err: err}
		}
		return nil
	})
}

func (d *Dir) fd() int { return int(d.f.Fd()) }

// checkName refuses anything but a single file name, and returns its path.
func (d *Dir) checkName(name string) (string, error) {
	full := filepath.Join(d.path, name)
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return full, &Error{Path: full, Detail: "not a single file name", Err: fs.ErrInvalid}
	}
	return full, nil
}

// place writes data to a new temporary file in the folder (mode 0600 from
// the first byte, synced, closed), lets put move it to name, then syncs the
// folder. On any failure before put succeeds the temporary file is removed.
func (d *Dir) place(name, full string, data []byte, put func(tmp string) error) (err error) {
	dfd := d.fd()
	tmp, err := tempName(name)
	if err != nil {
		return &Error{Path: full, Err: err}
	}
	fd, err := sys.openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &Error{Path: full, Detail: "creating the temporary file", Err: err}
	}
	f := os.NewFile(uintptr(fd), filepath.Join(d.path, tmp))
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	wrap := func(step string, e error) error { return &Error{Path: full, Detail: step, Err: e} }
	// The umask can only take bits away from 0600; say the mode anyway, so
	// it does not depend on that detail.
	if err = f.Chmod(0o600); err != nil {
		return wrap("setting the mode", err)
	}
	if _, err = sys.write(f, data); err != nil {
		return wrap("writing", err)
	}
	if err = AfterWrite(f); err != nil {
		return wrap("writing", err)
	}
	if err = sys.sync(f); err != nil {
		return wrap("syncing", err)
	}
	closed = true
	if err = f.Close(); err != nil {
		return wrap("closing", err)
	}
	if err = put(tmp); err != nil {
		return err
	}
	// The new file is in place; a failure to sync the folder means it is
	// not yet durable, and is reported as such.
	if serr := sys.sync(d.f); serr != nil {
		return &Error{Path: full, Detail: "syncing the folder after the new file was put in place", Err: serr}
	}
	return nil
}

func fileMode(m uint32) fs.FileMode {
	var t fs.FileMode
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		t = fs.ModeDir
	case unix.S_IFLNK:
		t = fs.ModeSymlink
	case unix.S_IFIFO:
		t = fs.ModeNamedPipe
	case unix.S_IFSOCK:
		t = fs.ModeSocket
	case unix.S_IFCHR:
		t = fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		t = fs.ModeDevice
	default:
		t = fs.ModeIrregular
	}
	return t | fs.FileMode(m&0o777)
}
