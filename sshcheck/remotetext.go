package sshcheck

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxQuotedRemote is how many bytes of a remote text (a command's stderr, a
// keyboard-interactive prompt) a message shows.
const MaxQuotedRemote = 300

// maxErrText bounds the text of an underlying error in Error(): x/crypto
// puts remote words in some of its errors (a disconnect reason, the
// algorithms the server offers).
const maxErrText = 600

// QuoteRemote returns text that a remote host sent, fit for a message or a
// log: surrounding white space trimmed, at most MaxQuotedRemote bytes (cut
// at a character boundary), in Go's double-quoted form, so that control
// characters, terminal escape sequences and invalid UTF-8 show as \x1b,
// \u009b or \xff and never reach a terminal, and followed by " (cut)" when
// it was longer. Empty text gives "".
func QuoteRemote(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	cut, short := cutAt(s, MaxQuotedRemote)
	q := strconv.Quote(cut)
	if short {
		q += " (cut)"
	}
	return q
}

// escapeText makes an error text safe to print: control characters and
// invalid UTF-8 escaped as in Go strings, everything else (quotes,
// backslashes, letters of any script) kept; the result holds at most max
// bytes before " (cut)", which marks a text that was longer.
func escapeText(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		switch {
		case r == utf8.RuneError && size <= 1:
			piece = `\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:]
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r) // '\x1b', '\n', '\u200b'
			piece = q[1 : len(q)-1]
		}
		if b.Len()+len(piece) > max {
			b.WriteString(" (cut)")
			break
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

// cutAt returns at most max bytes of s, not splitting a UTF-8 sequence,
// and whether it cut anything.
func cutAt(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	i := max
	for i > 0 && i > max-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}
