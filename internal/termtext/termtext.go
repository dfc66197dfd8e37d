package termtext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// NoLimit as max keeps the whole text.
const NoLimit = -1

// Escape returns s with every character that strconv.IsPrint refuses
// (controls, format characters such as U+202E, unassigned ones) and every
// byte of invalid UTF-8 escaped as in Go strings; everything else is kept.
// With max >= 0 the result holds at most max bytes before " (cut)", which
// marks a text that was longer.
func Escape(s string, max int) string {
	if (max < 0 || len(s) <= max) && isSafe(s) {
		return s // the common case, with no copy: a table cell such as "OK", a guest's name
	}
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
		if max >= 0 && b.Len()+len(piece) > max {
			b.WriteString(" (cut)")
			break
		}
		b.WriteString(piece)
		i += size
	}
	return b.String()
}

// isSafe reports whether Escape would keep s as it is.
func isSafe(s string) bool {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		if s[i] < ' ' || s[i] > '~' {
			ascii = false
		}
	}
	if ascii {
		return true // printable ASCII: most texts, checked a byte at a time
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return false
			}
		}
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// Quote returns s with surrounding white space trimmed, at most max bytes
// of it (cut at a character boundary), in Go's double-quoted form
// (strconv.Quote, which escapes what Escape does and also " and \),
// followed by " (cut)" when it was longer. Empty text gives "".
func Quote(s string, max int) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	cut, short := CutAt(s, max)
	q := strconv.Quote(cut)
	if short {
		q += " (cut)"
	}
	return q
}

// CutAt returns at most max bytes of s, not splitting a UTF-8 sequence,
// and whether it cut anything.
func CutAt(s string, max int) (string, bool) {
	if max < 0 || len(s) <= max {
		return s, false
	}
	i := max
	for i > 0 && i > max-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}
