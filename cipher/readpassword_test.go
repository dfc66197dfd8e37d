package cipher_test

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sfkvm/sfkvm/cipher"
)

func TestReadPassword(t *testing.T) {
	long := strings.Repeat("x", cipher.MaxPasswordLine)
	for _, tc := range []struct {
		name, in string
		want     string // the password, when err is nil
		err      error
		rest     string // what ReadPassword must leave unread
	}{
		{"LF", "Passw0rd\n", "Passw0rd", nil, ""},
		{"CRLF", "Passw0rd\r\n", "Passw0rd", nil, ""},
		{"only the first line", "Passw0rd\nsecond line\n", "Passw0rd", nil, "second line\n"},
		{"a CR inside stays, for the policy to refuse", "Pass\rw0rd\n", "Pass\rw0rd", nil, ""},
		{"two CRs: one is the line end's", "Passw0rd\r\r\n", "Passw0rd\r", nil, ""},
		{"the longest", long + "\n", long, nil, ""},
		{"the longest with CRLF", long + "\r\n", long, nil, ""},
		{"one byte too long", long + "x\n", "", cipher.ErrPasswordTooLong, ""},
		{"one byte too long with CRLF", long + "x\r\n", "", cipher.ErrPasswordTooLong, "\n"},
		{"endless", strings.Repeat("x", 3*cipher.MaxPasswordLine), "", cipher.ErrPasswordTooLong, strings.Repeat("x", 3*cipher.MaxPasswordLine-cipher.MaxPasswordLine-2)},
		{"empty input", "", "", cipher.ErrNoPassword, ""},
		{"no line end", "Passw0rd", "", cipher.ErrPasswordNotEnded, ""},
		{"CR without LF", "Passw0rd\r", "", cipher.ErrPasswordNotEnded, ""},
		{"empty line", "\n", "", cipher.ErrEmptyPassword, ""},
		{"empty line with CRLF", "\r\nPassw0rd\n", "", cipher.ErrEmptyPassword, "Passw0rd\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := strings.NewReader(tc.in)
			s, err := cipher.ReadPassword(r)
			rest, _ := io.ReadAll(r)
			if string(rest) != tc.rest {
				t.Errorf("left %d bytes unread, want %d", len(rest), len(tc.rest))
			}
			if tc.err == nil {
				if err != nil || string(s.Bytes()) != tc.want {
					t.Fatalf("ReadPassword = %q, %v; want %q", s.Bytes(), err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) || s.Len() != 0 {
				t.Fatalf("ReadPassword = %q, %v; want %v", s.Bytes(), err, tc.err)
			}
			// The message shows neither the password nor its length.
			msg := err.Error()
			if strings.Contains(msg, "Passw0rd") || strings.Contains(msg, "xxx") {
				t.Errorf("the error shows the password: %s", msg)
			}
			for _, n := range []int{len(strings.TrimRight(tc.in, "\r\n")), len(tc.in)} {
				if n > 0 && n != cipher.MaxPasswordLine && strings.Contains(msg, strconv.Itoa(n)) {
					t.Errorf("the error shows the length %d: %s", n, msg)
				}
			}
		})
	}
}

// TestReadPasswordReaders: one byte at a time, or a reader that fails or
// never moves, ends with the right answer or an error, never a hang.
func TestReadPasswordReaders(t *testing.T) {
	s, err := cipher.ReadPassword(iotest.OneByteReader(iotest.DataErrReader(strings.NewReader("Passw0rd\r\n"))))
	if err != nil || string(s.Bytes()) != "Passw0rd" {
		t.Errorf("one byte at a time: %q, %v", s.Bytes(), err)
	}
	boom := errors.New("boom")
	if _, err := cipher.ReadPassword(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("a failing reader: %v", err)
	}
	if _, err := cipher.ReadPassword(stuck{}); err == nil {
		t.Error("a reader that never moves gave a password")
	}
}

type stuck struct{}

func (stuck) Read([]byte) (int, error) { return 0, nil }
