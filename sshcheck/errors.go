package sshcheck

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The kinds of failure a probe or a remote command can end in. Test for them
// with errors.Is; the *Error that carries them holds the details.
var (
	ErrConnectionRefused = errors.New("connection refused")
	ErrUnreachable       = errors.New("host unreachable")
	ErrTimeout           = errors.New("timed out")
	ErrConnection        = errors.New("connection failed") // any other transport or protocol failure
	ErrHostKeyUnknown    = errors.New("host key unknown")
	ErrHostKeyChanged    = errors.New("host key changed")
	ErrHostKeyRevoked    = errors.New("host key revoked")
	ErrAuthFailed        = errors.New("authentication failed")
	ErrNoUsableMethod    = errors.New("no usable authentication method")
	ErrSudoNeedsPassword = errors.New("sudo needs a password (need NOPASSWD)")
	ErrSudoNeedsTTY      = errors.New("sudo needs a tty (requiretty)")
	ErrSudoFailed        = errors.New("sudo failed")
	ErrCommandFailed     = errors.New("command failed")
	// ErrOutputTooLarge: a remote command printed more than its Limits
	// allow on one stream; the session was closed at the cap.
	ErrOutputTooLarge = errors.New("remote output too large")
	// ErrPasswordSource: the target's PasswordSource failed (a token that
	// does not open, a file that cannot be read); no connection was made.
	// Err holds the source's own error, for errors.Is on its sentinels.
	ErrPasswordSource = errors.New("password not available")
	// ErrPasswordExpired: the password was right but has expired or must
	// be changed (passwordexpired.go says how it is told).
	ErrPasswordExpired = errors.New("password expired")
)

// Stage is where in a probe or a command an *Error happened. Compare it
// with the Stage constants, never with strings.
type Stage string

// The stages, in the order a probe meets them.
const (
	StagePassword  Stage = "password"  // asking the PasswordSource, before any connection
	StageDial      Stage = "dial"      // the TCP connection
	StageHandshake Stage = "handshake" // the SSH handshake, before the host key was seen
	StageHostKey   Stage = "host key"  // checking the server's host key
	StageAuth      Stage = "auth"      // authentication, before a method was chosen (or a timeout)
	// StageAuthPassword and StageAuthKeyboardInteractive: authentication
	// with that method, the one tried (never a second).
	StageAuthPassword            Stage = "auth password"
	StageAuthKeyboardInteractive Stage = "auth keyboard-interactive"
	StageAuthPublicKey           Stage = "auth publickey" // a host's login by key (Target.Keys)
	StageSession                 Stage = "session"        // opening a session after the login
	StageSudo                    Stage = "sudo"           // sudo -n, for a target that is not root
	StageCommand                 Stage = "command"        // a remote command, ssh-keygen -F on a guest included
	StagePasswordAge             Stage = "password age"   // reading chage -l (ReadPasswordAge)
)

// authStage is the stage of authentication with method ("" when none was
// chosen).
func authStage(method string) Stage {
	switch method {
	case "password":
		return StageAuthPassword
	case "keyboard-interactive":
		return StageAuthKeyboardInteractive
	case "publickey":
		return StageAuthPublicKey
	}
	return StageAuth
}

// kinds lists the sentinels in the order a reader meets them, for Kind.
var kinds = []error{
	ErrConnectionRefused, ErrUnreachable, ErrTimeout, ErrConnection,
	ErrHostKeyUnknown, ErrHostKeyChanged, ErrHostKeyRevoked,
	ErrAuthFailed, ErrNoUsableMethod, ErrPasswordExpired,
	ErrSudoNeedsPassword, ErrSudoNeedsTTY, ErrSudoFailed, ErrCommandFailed,
	ErrOutputTooLarge, ErrPasswordSource,
}

// Error is a failed probe or command. Kind is one of the Err sentinels above
// (errors.Is(err, ErrHostKeyChanged) works on an *Error); the other fields
// say what an administrator needs to fix it. It never holds a password.
type Error struct {
	Kind    error  // one of the Err... sentinels
	Address string // the target as host:port
	Stage   Stage  // where it happened: one of the Stage constants
	Hint    string // what to do about it, when we know
	Err     error  // the underlying error, if any

	// Host key failures.
	Fingerprint      string // SHA256 fingerprint the server presented
	KnownFingerprint string // what known_hosts holds (changed, revoked)
	KnownAt          string // FILE:LINE of that entry
	RemoveCommand    string // the command that removes the old entry (changed)
	// Trusted: this probe recorded the host key (TrustUnknown) before
	// the failure (the login refused, say): it is in known_hosts now.
	Trusted bool

	// Command and sudo failures.
	Command    string // the command line that failed
	ExitStatus int
	// Stderr is the command's stderr as QuoteRemote gives it: quoted,
	// escaped, at most MaxQuotedRemote bytes, safe to print as it is.
	Stderr string

	// ErrOutputTooLarge: the stream ("stdout" or "stderr") that went over
	// its cap, and the cap in bytes.
	Stream string
	Limit  int64
}

func (e *Error) Error() string {
	kind := "failed" // an Error built without a Kind
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	var parts []string
	for _, s := range []string{e.Address, string(e.Stage), kind} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	var b strings.Builder
	b.WriteString(strings.Join(parts, ": "))
	switch {
	case errors.Is(e.Kind, ErrHostKeyChanged):
		fmt.Fprintf(&b, ": server offers %s, %s holds %s", e.Fingerprint, e.KnownAt, e.KnownFingerprint)
	case errors.Is(e.Kind, ErrHostKeyRevoked):
		fmt.Fprintf(&b, ": %s is marked @revoked at %s", e.Fingerprint, e.KnownAt)
	case errors.Is(e.Kind, ErrHostKeyUnknown):
		fmt.Fprintf(&b, ": server offers %s", e.Fingerprint)
	case errors.Is(e.Kind, ErrOutputTooLarge):
		fmt.Fprintf(&b, ": %s: %s went over %d bytes; the session was closed", shortCommand(e.Command), e.Stream, e.Limit)
		if e.Stderr != "" {
			b.WriteString(": stderr " + e.Stderr)
		}
	case e.Command != "":
		fmt.Fprintf(&b, ": %s: exit status %d", shortCommand(e.Command), e.ExitStatus)
		if e.Stderr != "" {
			b.WriteString(": " + e.Stderr)
		}
	case e.Err != nil:
		// The underlying error may carry remote text (x/crypto puts a
		// disconnect reason or the server's algorithm names in it).
		b.WriteString(": " + escapeText(e.Err.Error(), maxErrText))
	}
	return b.String()
}

// shortCommand is a command line as an error names it: a script sent
// with sh -c is many lines long, and the whole of it buried the reason in
// every message that quoted it; its first line, at most 100 bytes, says
// which command it was (Error.Command keeps the whole line).
func shortCommand(line string) string {
	const max = 100
	first, _, multi := strings.Cut(line, "\n")
	if !multi && len(line) <= max {
		return line
	}
	if len(first) > max {
		first = first[:max]
		for !utf8.ValidString(first) {
			first = first[:len(first)-1]
		}
	}
	return fmt.Sprintf("%s ... (%d more bytes)", first, len(line)-len(first))
}

// Is makes errors.Is(err, ErrX) true for the error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// Kind returns the Err sentinel that err is, or nil when err is nil or of no
// known kind.
func Kind(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}
