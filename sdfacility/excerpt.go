package sdfacility

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of the tool output that a message quotes: enough to read the
// tool's words, too little to flood a terminal or a log.
const (
	maxExcerpt     = 300 // a command's output in an error
	maxLineExcerpt = 120 // one line of sdtool -s in a diagnostic
)

// Excerpt quotes a tool's output for a message as this package's errors
// do: escaped, at most a few hundred bytes, and marked where it was cut.
// Output printed raw would carry a tool's terminal escapes to the user's
// terminal and its whole length into one line of a log.
func Excerpt(out []byte) string { return excerpt(string(out), maxExcerpt) }

// excerpt quotes a tool's output for a message: surrounding white space
// trimmed, every control byte (terminal escapes included) and invalid byte
// shown escaped as strconv.Quote does, and the quoted text at most max
// bytes long. When it is cut, a mark after the closing quote says how
// many bytes were left out, so that a cut is never mistaken for the end.
func excerpt(s string, max int) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		q := strconv.Quote(s[i : i+size])
		q = q[1 : len(q)-1]
		if b.Len()-1+len(q) > max {
			b.WriteByte('"')
			fmt.Fprintf(&b, "... (%d more bytes not shown)", len(s)-i)
			return b.String()
		}
		b.WriteString(q)
		i += size
	}
	b.WriteByte('"')
	return b.String()
}
