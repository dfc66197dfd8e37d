package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sfkvm/sfkvm/cipher"
	"golang.org/x/sys/unix"
)

// readSecret reads one password with cipher.ReadPassword, the one reader
// of every password input: from a terminal with echo off, after showing
// prompt on stderr; from anything else (a pipe, a file) as it is. When ctx
// ends first (Ctrl-C), the terminal's mode is restored before returning,
// so that echo never stays off.
func readSecret(ctx context.Context, e *env, r io.Reader, prompt string) (cipher.Secret, error) {
	f, ok := r.(*os.File)
	if !ok || !isTerminal(f) {
		return cipher.ReadPassword(r)
	}
	restore, err := noEcho(int(f.Fd()))
	if err != nil {
		return cipher.Secret{}, err
	}
	fmt.Fprint(e.stderr, prompt)
	type result struct {
		s   cipher.Secret
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := cipher.ReadPassword(f)
		done <- result{s, err}
	}()
	select {
	case res := <-done:
		restore()
		fmt.Fprintln(e.stderr) // the Enter key was not echoed
		return res.s, res.err
	case <-ctx.Done():
		restore()
		fmt.Fprintln(e.stderr)
		return cipher.Secret{}, ctx.Err()
	}
}

// noEcho puts the terminal in canonical mode with echo off, signals on and
// CR read as LF (what x/term's ReadPassword does), and returns the function
// that restores the mode it found. Unlike x/term's reader, ReadPassword
// then sees Ctrl-D on an empty line as the end of the input, instead of
// waiting on.
func noEcho(fd int) (restore func(), err error) {
	saved, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	t := *saved
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &t); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, saved) }, nil
}

// endOfInput reports whether a password read failed because the input
// ended (Ctrl-D at a prompt, an empty pipe, a cut line).
func endOfInput(err error) bool {
	return errors.Is(err, cipher.ErrNoPassword) || errors.Is(err, cipher.ErrPasswordNotEnded)
}

// passwordInputExit is the exit code for a password that could not be
// read: 65 when the input held one that breaks a rule (empty, too long),
// 66 when it held none (end of input, a cut line, a read error).
func passwordInputExit(err error) int {
	var pe *cipher.PolicyError
	if errors.As(err, &pe) || errors.Is(err, cipher.ErrPasswordTooLong) {
		return exitConfig
	}
	return exitNoInput
}
