package migratesetup

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// ErrUnsafePath is matched (errors.Is) by every refusal of a host
// information path on the grounds of safety: a relative path, a folder
// that is a symbolic link, owned by another user or writable by group or
// others, or an entry that is not a regular file. The error's text names
// the path and the rule.
var ErrUnsafePath = errors.New("unsafe host information path")

// CheckHostInfoPath checks the form of a host information path: it must
// be absolute and clean (QEMU opens it by that path on every host, so a
// relative path names different files for different processes). It does
// not touch the file system.
func CheckHostInfoPath(path string) error {
	if path == "" {
		return fmt.Errorf("%w: the host information path is empty", ErrUnsafePath)
	}
	if !filepath.IsAbs(path) {
		return fmt.Errorf("%w: %q is not an absolute path (the guest's definition names the file by it on every host)", ErrUnsafePath, path)
	}
	if filepath.Clean(path) != path {
		return fmt.Errorf("%w: %q is not a clean path (want %q)", ErrUnsafePath, path, filepath.Clean(path))
	}
	return nil
}

// unsafePath marks safefile's refusals with ErrUnsafePath, keeping the
// rule (errors.Is(err, safefile.ErrSymlink) and the file system's errors
// still match).
func unsafePath(err error) error {
	var se *safefile.Error
	if errors.As(err, &se) && isSafetyRule(se.Err) {
		return &pathError{err: err}
	}
	return err
}

func isSafetyRule(err error) bool {
	for _, rule := range []error{safefile.ErrSymlink, safefile.ErrNotRegular, safefile.ErrNotDir, safefile.ErrOwner, safefile.ErrMode, safefile.ErrRelative} {
		if errors.Is(err, rule) {
			return true
		}
	}
	return false
}

type pathError struct{ err error }

func (e *pathError) Error() string   { return e.err.Error() }
func (e *pathError) Unwrap() []error { return []error{ErrUnsafePath, e.err} }
