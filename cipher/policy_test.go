package cipher_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/cipher"
)

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pw       string
		rule     error
		pos      int
		inMsg    string // what the message must name
		notInMsg string // a part of the password it must not show
	}{
		{"printable ASCII passes", "Abc 123~`#$%^*()-_+[]{}|:'@.", nil, 0, "", ""},
		{"empty", "", cipher.ErrEmptyPassword, 0, "empty", ""},
		{"each forbidden character: >", "secret>x", cipher.ErrForbiddenCharacter, 7, `">"`, "secret"},
		{"each forbidden character: <", "s<", cipher.ErrForbiddenCharacter, 2, `"<"`, ""},
		{`each forbidden character: "`, `secret"`, cipher.ErrForbiddenCharacter, 7, `"\""`, "secret"},
		{"each forbidden character: /", "/", cipher.ErrForbiddenCharacter, 1, `"/"`, ""},
		{`each forbidden character: \`, `ab\`, cipher.ErrForbiddenCharacter, 3, `"\\"`, ""},
		{"each forbidden character: =", "secret=", cipher.ErrForbiddenCharacter, 7, `"="`, "secret"},
		{"each forbidden character: !", "secret!", cipher.ErrForbiddenCharacter, 7, `"!"`, "secret"},
		{"each forbidden character: ?", "secret?", cipher.ErrForbiddenCharacter, 7, `"?"`, "secret"},
		{"each forbidden character: ;", "secret;", cipher.ErrForbiddenCharacter, 7, `";"`, "secret"},
		{"each forbidden character: ,", "secret,", cipher.ErrForbiddenCharacter, 7, `","`, "secret"},
		{"each forbidden character: &", "secret&", cipher.ErrForbiddenCharacter, 7, `"&"`, "secret"},
		{"first problem wins", "secret&<", cipher.ErrForbiddenCharacter, 7, `"&"`, "secret"},
		{"non-ASCII (UTF-8)", "secretcafé", cipher.ErrNotASCII, 10, "7-bit ASCII", "secret"},
		{"non-ASCII (Latin-1)", "secret\xe9", cipher.ErrNotASCII, 7, "7-bit ASCII", "secret"},
		{"tab", "secret\tx", cipher.ErrControlCharacter, 7, "TAB", "secret"},
		{"newline", "secret\n", cipher.ErrControlCharacter, 7, "LF", "secret"},
		{"carriage return", "secret\r", cipher.ErrControlCharacter, 7, "CR", "secret"},
		{"NUL", "\x00secret", cipher.ErrControlCharacter, 1, "NUL", "secret"},
		{"Ctrl-C", "secret\x03", cipher.ErrControlCharacter, 7, "Ctrl-C", "secret"},
		{"DEL", "secret\x7f", cipher.ErrControlCharacter, 7, "DEL", "secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cipher.CheckPassword([]byte(tc.pw))
			if tc.rule == nil {
				if err != nil {
					t.Fatalf("CheckPassword: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.rule) {
				t.Fatalf("CheckPassword: %v, want %v", err, tc.rule)
			}
			var pe *cipher.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *PolicyError", err)
			}
			if pe.Pos != tc.pos {
				t.Errorf("Pos = %d, want %d", pe.Pos, tc.pos)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.inMsg) {
				t.Errorf("message %q does not name %s", msg, tc.inMsg)
			}
			if tc.pos > 0 && !strings.Contains(msg, "position "+itoa(tc.pos)) {
				t.Errorf("message %q does not give position %d", msg, tc.pos)
			}
			if tc.notInMsg != "" && strings.Contains(msg, tc.notInMsg) {
				t.Errorf("message %q shows the password", msg)
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// FuzzCheckPassword checks the policy against its definition, byte by
// byte, and that the message never holds the password.
func FuzzCheckPassword(f *testing.F) {
	f.Fuzz(func(t *testing.T, pw []byte) {
		err := cipher.CheckPassword(pw)
		firstBad := -1
		for i, c := range pw {
			if c < 0x20 || c >= 0x7f || strings.IndexByte(cipher.ForbiddenChars, c) >= 0 {
				firstBad = i
				break
			}
		}
		switch {
		case len(pw) == 0:
			if !errors.Is(err, cipher.ErrEmptyPassword) {
				t.Fatalf("empty: %v", err)
			}
		case firstBad < 0:
			if err != nil {
				t.Fatalf("valid password refused: %v", err)
			}
		default:
			var pe *cipher.PolicyError
			if !errors.As(err, &pe) || pe.Pos != firstBad+1 {
				t.Fatalf("first bad byte at %d, got %v", firstBad+1, err)
			}
			if len(pw) >= 12 && strings.Contains(err.Error(), string(pw)) {
				t.Fatalf("message shows the password: %v", err)
			}
		}
	})
}
