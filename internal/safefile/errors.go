package safefile

import (
	"errors"
	"fmt"
	"runtime"
)

// The rules, for errors.Is.
var (
	ErrSymlink    = errors.New("is a symbolic link")
	ErrNotRegular = errors.New("is not a regular file")
	ErrNotDir     = errors.New("is not a folder")
	ErrOwner      = errors.New("is owned by another user")
	ErrMode       = errors.New("is accessible to group or others")
	ErrRelative   = errors.New("is not an absolute path")

	// ErrUnsupported: this system lacks the calls that the guarded opens
	// and the atomic replace rest on (openat, O_NOFOLLOW, owners and
	// modes); sfkvm runs them on Unix only. It also matches
	// errors.ErrUnsupported.
	ErrUnsupported = fmt.Errorf("not supported on this system (%s): sfkvm opens and writes its files the guarded way on Unix only: %w", runtime.GOOS, errors.ErrUnsupported)
)

// Error is a refusal: which path, which rule, and what was found.
type Error struct {
	Path   string
	Detail string // what was found ("a FIFO", "mode 0644", "uid 1000"); may be empty
	Err    error  // one of the Err... rules, or the file system's error
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s: %v (%s)", e.Path, e.Err, e.Detail)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// unsupported is what every guarded open or write returns on a system
// without Unix's calls (see the _other.go files).
func unsupported(path string) error { return &Error{Path: path, Err: ErrUnsupported} }
