package cipher

import (
	"errors"
	"fmt"
	"strings"
)

// ForbiddenChars are the eleven characters that the F.2.2 procedure forbids
// in the password of a guest's login user (step 1.2).
const ForbiddenChars = `><"/\=!?;,&`

// The rules of the password policy. A *PolicyError wraps exactly one of
// them, so callers tell them apart with errors.Is.
var (
	ErrEmptyPassword      = errors.New("the password is empty")
	ErrNotASCII           = errors.New("not 7-bit ASCII")
	ErrControlCharacter   = errors.New("a control character")
	ErrForbiddenCharacter = errors.New("a forbidden character")
	// ErrTooLongToType: Sfcipher.Encrypt types the password at the tool's
	// prompt, and a Linux terminal line holds 4094 bytes before its line
	// end; a longer one cannot be typed. No position is given: it would
	// tell the password's length.
	ErrTooLongToType = errors.New("too long to type at a terminal")
)

// PolicyError says which rule a password breaks and where. It never holds
// the password: only the rule, the 1-based position of the first offending
// character, and, for a forbidden or control character, that character
// (which the message names; it is one of a handful of known characters).
type PolicyError struct {
	Rule error // ErrEmptyPassword, ErrNotASCII, ErrControlCharacter, ErrForbiddenCharacter or ErrTooLongToType
	Pos  int   // 1-based position of the first offending character; 0 for an empty or too long password
	Char byte  // the offending character for ErrForbiddenCharacter and ErrControlCharacter
}

func (e *PolicyError) Error() string {
	switch e.Rule {
	case ErrEmptyPassword:
		return "password policy: the password is empty"
	case ErrNotASCII:
		return fmt.Sprintf("password policy: position %d: a byte outside 7-bit ASCII (PRIMECLUSTER accepts 7-bit ASCII only)", e.Pos)
	case ErrControlCharacter:
		return fmt.Sprintf("password policy: position %d: control character %s (it cannot be typed at sfcipher's prompt)", e.Pos, controlName(e.Char))
	case ErrTooLongToType:
		return fmt.Sprintf("password policy: longer than the %d bytes that a terminal line holds, so it cannot be typed at sfcipher's prompt", maxTTYLine)
	case ErrForbiddenCharacter:
		return fmt.Sprintf("password policy: position %d: forbidden character %q (PRIMECLUSTER refuses any of %s)", e.Pos, string(rune(e.Char)), spaced(ForbiddenChars))
	}
	return fmt.Sprintf("password policy: position %d: %v", e.Pos, e.Rule)
}

func (e *PolicyError) Unwrap() error { return e.Rule }

// CheckPassword checks a password against the policy of step 1.2: not
// empty, 7-bit ASCII only, none of [ForbiddenChars], and no control
// characters or DEL (the manual does not list those, but they cannot be
// typed at sfcipher's prompt: a terminal turns them into signals, line
// edits or the end of the line). It returns nil or a *PolicyError for the
// first character that breaks a rule.
func CheckPassword(password []byte) error {
	if len(password) == 0 {
		return &PolicyError{Rule: ErrEmptyPassword}
	}
	for i, c := range password {
		switch {
		case c >= 0x80:
			return &PolicyError{Rule: ErrNotASCII, Pos: i + 1}
		case c < 0x20 || c == 0x7f:
			return &PolicyError{Rule: ErrControlCharacter, Pos: i + 1, Char: c}
		case strings.IndexByte(ForbiddenChars, c) >= 0:
			return &PolicyError{Rule: ErrForbiddenCharacter, Pos: i + 1, Char: c}
		}
	}
	return nil
}

// controlName names a control character the way a user would look for it.
func controlName(c byte) string {
	names := map[byte]string{0: "NUL", '\t': "TAB", '\n': "LF (newline)", '\r': "CR (carriage return)", 0x1b: "ESC", 0x7f: "DEL"}
	if n, ok := names[c]; ok {
		return fmt.Sprintf("0x%02X %s", c, n)
	}
	return fmt.Sprintf("0x%02X (Ctrl-%c)", c, c+'@')
}

func spaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}
