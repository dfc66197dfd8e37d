package cipher

import (
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// Key files ([LoadKey]) and password files ([ReadPasswordFile]) are opened
// with the one guarded open of every file that holds a secret,
// internal/safefile.OpenPrivate: a regular file (not a symlink, a folder, a
// FIFO or a device, and the open never blocks), owned by root or by the
// user who runs sfkvm, with no permission bits for group or others and no
// set-id or sticky bit. The checks are made on the opened file, so that it
// cannot be swapped between check and read.

// privateRule names the rule that safefile.OpenPrivate's refusal broke
// with the caller's own sentinels (a key file's or a password file's), and
// what was found; any other error is returned as the file system said it.
// rule is safefile's own sentinel (nil for a file system error), kept in
// the error chain so that a caller in this module can tell a link or an
// owner (a planted file) from a FIFO (an unreadable input).
func privateRule(err error, typ, mode, owner error) (kind error, detail string, rule error) {
	var se *safefile.Error
	if !errors.As(err, &se) {
		return unwrapPathError(err), "", nil
	}
	switch {
	case errors.Is(err, safefile.ErrSymlink):
		return typ, "a symbolic link", safefile.ErrSymlink
	case errors.Is(err, safefile.ErrNotRegular):
		return typ, se.Detail, safefile.ErrNotRegular
	case errors.Is(err, safefile.ErrMode):
		return mode, se.Detail, safefile.ErrMode
	case errors.Is(err, safefile.ErrOwner):
		return owner, se.Detail, safefile.ErrOwner
	}
	return se.Err, se.Detail, nil
}

// Errors of ReadPasswordFile about the file itself, for errors.Is. They
// come in a *PasswordFileError.
var (
	ErrPasswordFileType  = errors.New("password file is not a regular file")
	ErrPasswordFileMode  = errors.New("password file is accessible to group or others")
	ErrPasswordFileOwner = errors.New("password file is owned by another user")
)

// PasswordFileError is an error about one password file: its path and the
// cause (an ErrPasswordFile... error, an error of ReadPassword, or of the
// file system). It never holds the password.
type PasswordFileError struct {
	Path   string
	Detail string // what was found, e.g. "mode 0644, want 0600"; may be empty
	Err    error
	rule   error // the guarded open's rule, if it refused the file
}

func (e *PasswordFileError) Error() string {
	msg := e.Err.Error()
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return fmt.Sprintf("cipher: password file %s: %s", e.Path, msg)
}

func (e *PasswordFileError) Unwrap() []error { return []error{e.Err, e.rule} }

// ReadPasswordFile reads the password in the first line of the file at
// path, with the guarded open of every file that holds a secret (see
// above) and with [ReadPassword]: the same bytes are the password as on
// stdin. A password file never needs the password on a command line.
func ReadPasswordFile(path string) (Secret, error) {
	f, err := safefile.OpenPrivate(path)
	if err != nil {
		kind, detail, rule := privateRule(err, ErrPasswordFileType, ErrPasswordFileMode, ErrPasswordFileOwner)
		return Secret{}, &PasswordFileError{Path: path, Detail: detail, Err: kind, rule: rule}
	}
	defer f.Close()
	s, err := ReadPassword(f)
	if err != nil {
		return Secret{}, &PasswordFileError{Path: path, Err: errors.Unwrap(err)}
	}
	return s, nil
}
