package cipher

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Encrypter turns a password into a guest_passwd token. [Sfcipher] drives
// the vendor's tool (tokens that PRIMECLUSTER reads); [Key] seals with
// sfkvm's own format (tokens that only sfkvm reads).
type Encrypter interface {
	Encrypt(ctx context.Context, password []byte) (token string, err error)
}

// The vendor's prompts, exactly as PRIMECLUSTER's manual shows them.
const (
	PromptEnter   = "Enter User's Password:"
	PromptReenter = "Re-enter User's Password:"
)

// DefaultSfcipherTimeout bounds one run of sfcipher when Sfcipher.Timeout
// is zero. The tool answers at once; a run this long is hung.
const DefaultSfcipherTimeout = 30 * time.Second

// Errors of Sfcipher.Encrypt, for errors.Is. Each comes wrapped in a
// *SfcipherError that quotes what the tool printed.
var (
	ErrSfcipherNotFound = errors.New("sfcipher not found")
	ErrUnexpectedPrompt = errors.New("sfcipher asked something unexpected")
	ErrEchoOn           = errors.New("sfcipher did not turn off echo at its prompt; sfkvm does not type a password that the terminal would show")
	ErrSfcipherExit     = errors.New("sfcipher failed")
	ErrNotAToken        = errors.New("sfcipher printed no uppercase-hexadecimal token")
	ErrSfcipherOutput   = errors.New("sfcipher printed too much")
)

// SfcipherError is a failure of one run of sfcipher. Output is what the
// tool printed (the password, should the tool ever have echoed it, is
// replaced by [Redacted]), so that a message nobody foresaw still reaches
// the user.
type SfcipherError struct {
	Path       string
	Err        error  // ErrUnexpectedPrompt, ErrEchoOn, ErrSfcipherExit, ErrNotAToken, ErrSfcipherOutput, a context error, or a start failure
	ExitStatus int    // the tool's exit status, or -1 when it did not exit by itself
	Output     string // what the tool printed, trimmed and cut to 1 KiB
}

func (e *SfcipherError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cipher: %s -c: %v", e.Path, e.Err)
	if e.ExitStatus > 0 {
		fmt.Fprintf(&b, " (exit status %d)", e.ExitStatus)
	}
	if e.Output != "" {
		fmt.Fprintf(&b, "; it printed: %q", e.Output)
	} else {
		b.WriteString("; it printed nothing")
	}
	return b.String()
}

func (e *SfcipherError) Unwrap() error { return e.Err }
