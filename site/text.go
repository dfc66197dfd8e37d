package site

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// first returns at most n bytes of b, for a message.
func first(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
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

// clean makes a text from a host safe for a terminal: control characters
// and invalid UTF-8 escaped as in Go strings (newlines kept when
// newlines), at most max bytes before " (cut)".
func clean(s string, max int, newlines bool) string {
	if len(s) <= max && plain(s) {
		return s // most texts: no copy
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		switch {
		case r == utf8.RuneError && size <= 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case r == '\n' && newlines:
		case !strconv.IsPrint(r) && r != ' ':
			q := strconv.QuoteRune(r)
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

// plain reports whether s is printable ASCII only, which clean keeps as it is.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
