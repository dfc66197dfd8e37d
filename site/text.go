package site

import (
	"strings"

	"github.com/sfkvm/sfkvm/internal/termtext"
)

// first returns at most n bytes of b, for a message.
func first(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// clean makes a text from a host safe for a terminal: control characters
// and invalid UTF-8 escaped as in Go strings (internal/termtext, the one
// escaping of every remote text; newlines kept when newlines), at most
// max bytes before " (cut)".
func clean(s string, max int, newlines bool) string {
	if !newlines {
		return termtext.Escape(s, max)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termtext.Escape(l, termtext.NoLimit)
	}
	out := strings.Join(lines, "\n")
	if len(out) <= max {
		return out
	}
	cut, _ := termtext.CutAt(out, max)
	return cut + " (cut)"
}
