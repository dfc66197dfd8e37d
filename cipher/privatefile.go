package cipher

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// The one guarded open of every file that holds a secret and is not a
// configuration: key files ([LoadKey]) and password files
// ([ReadPasswordFile]). The file must be a regular file (not a symlink, a
// folder, a FIFO or a device: O_NONBLOCK keeps a FIFO from hanging the
// open, and the fstat then refuses it), owned by root or by the user who
// runs sfkvm, with no permission bits for group or others. The checks are
// made on the opened file, so that it cannot be swapped between check and
// read.

var (
	errPrivateType  = errors.New("not a regular file")
	errPrivateMode  = errors.New("accessible to group or others")
	errPrivateOwner = errors.New("owned by another user")
)

// privateFileError is a refusal of openPrivate: kind is one of the
// errPrivate... errors, detail what was found.
type privateFileError struct {
	kind   error
	detail string
}

func (e *privateFileError) Error() string { return fmt.Sprintf("%v (%s)", e.kind, e.detail) }

func openPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &privateFileError{errPrivateType, "a symlink"}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &privateFileError{errPrivateType, fi.Mode().Type().String()}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		f.Close()
		return nil, &privateFileError{errPrivateMode, fmt.Sprintf("mode %04o, want 0600", perm)}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		f.Close()
		return nil, &privateFileError{errPrivateOwner, fmt.Sprintf("uid %d, this process runs as uid %d", st.Uid, os.Geteuid())}
	}
	return f, nil
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
}

func (e *PasswordFileError) Error() string {
	msg := e.Err.Error()
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return fmt.Sprintf("cipher: password file %s: %s", e.Path, msg)
}

func (e *PasswordFileError) Unwrap() error { return e.Err }

// ReadPasswordFile reads the password in the first line of the file at
// path, with the guarded open of every file that holds a secret (see
// above) and with [ReadPassword]: the same bytes are the password as on
// stdin. A password file never needs the password on a command line.
func ReadPasswordFile(path string) (Secret, error) {
	f, err := openPrivate(path)
	if err != nil {
		var pe *privateFileError
		if errors.As(err, &pe) {
			kind := map[error]error{errPrivateType: ErrPasswordFileType, errPrivateMode: ErrPasswordFileMode, errPrivateOwner: ErrPasswordFileOwner}[pe.kind]
			return Secret{}, &PasswordFileError{Path: path, Detail: pe.detail, Err: kind}
		}
		return Secret{}, &PasswordFileError{Path: path, Err: unwrapPathError(err)}
	}
	defer f.Close()
	s, err := ReadPassword(f)
	if err != nil {
		return Secret{}, &PasswordFileError{Path: path, Err: errors.Unwrap(err)}
	}
	return s, nil
}
