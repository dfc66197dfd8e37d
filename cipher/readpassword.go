package cipher

import (
	"errors"
	"fmt"
	"io"
)

// MaxPasswordLine is the longest password that [ReadPassword] reads, in
// bytes, without its line end: a terminal line holds 4095 bytes and the
// newline, and no password of a guest's login user comes near that.
const MaxPasswordLine = 4096

// Errors of ReadPassword, for errors.Is. An empty line is a *PolicyError
// wrapping ErrEmptyPassword.
var (
	ErrNoPassword        = errors.New("no password: the input ended before any byte")
	ErrPasswordNotEnded  = errors.New("no complete line: the input ended before the line end (cut short?)")
	ErrPasswordTooLong   = fmt.Errorf("the password line is longer than %d bytes", MaxPasswordLine)
	errPasswordNoAdvance = errors.New("the reader returns nothing, again and again")
)

// ReadPassword reads one password from r: the first line, without its
// line end, LF or CRLF. It is the one reader for every password input
// (stdin, a terminal with echo off, a password file), so that all of them
// take the same bytes to be the password.
//
// It reads one byte at a time, so that nothing after the line is consumed
// and no buffer of a reader keeps a copy, into one buffer that it never
// moves and that it wipes on every error. It refuses an input that ends
// before any byte ([ErrNoPassword]) or before the line end
// ([ErrPasswordNotEnded]: a writer that died midway must not leave half a
// password), a line longer than [MaxPasswordLine] ([ErrPasswordTooLong]),
// and an empty line (a *PolicyError with ErrEmptyPassword). No error says
// how long the password is or shows any of it. It does not check the rest
// of the password policy: the caller does, where it applies.
//
// A terminal must be put in canonical mode with echo off first (and with
// ICRNL, so that Enter gives LF); Ctrl-D there ends the input, which
// ReadPassword reports as above. The caller wipes the returned Secret.
func ReadPassword(r io.Reader) (Secret, error) {
	// Room for the password and CR LF: the buffer never grows, so no copy
	// of the password is left behind in a discarded one.
	buf := make([]byte, 0, MaxPasswordLine+2)
	fail := func(err error) (Secret, error) {
		clear(buf[:cap(buf)])
		return Secret{}, fmt.Errorf("cipher: read password: %w", err)
	}
	var one [1]byte
	defer func() { one[0] = 0 }()
	for idle := 0; ; {
		n, err := r.Read(one[:])
		if n == 1 {
			idle = 0
			if one[0] == '\n' {
				break
			}
			if len(buf) == MaxPasswordLine+1 {
				// Only a CR before the LF could still come.
				return fail(ErrPasswordTooLong)
			}
			buf = append(buf, one[0])
			continue
		}
		switch {
		case err == io.EOF && len(buf) == 0:
			return fail(ErrNoPassword)
		case err == io.EOF:
			return fail(ErrPasswordNotEnded)
		case err != nil:
			return fail(err)
		}
		if idle++; idle == 100 {
			return fail(errPasswordNoAdvance)
		}
	}
	if n := len(buf); n > 0 && buf[n-1] == '\r' {
		buf[n-1] = 0
		buf = buf[:n-1]
	}
	switch {
	case len(buf) > MaxPasswordLine:
		return fail(ErrPasswordTooLong)
	case len(buf) == 0:
		return fail(&PolicyError{Rule: ErrEmptyPassword})
	}
	return NewSecret(buf), nil
}
