package main

import (
	"strings"
	"unicode/utf8"

	"github.com/sfkvm/sfkvm/diag"
)

// jsonText returns s with every byte that is not part of valid UTF-8
// written as \xNN (lowercase hex), for a JSON string: encoding/json would
// replace such a byte with U+FFFD, and a reader of the report could not
// see which byte is in the file (0xFF in a name, a Latin-1 é). Valid text,
// the common case, is returned as it is. A backslash of the input stays
// one backslash, so "\xff" of the input and a byte 0xFF read alike: the
// check's diagnostics (quoted with Go's escapes) tell them apart.
func jsonText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// jsonDiagnostics returns ds with the text fields that can carry the
// input's bytes (the file name, the message) through jsonText.
func jsonDiagnostics(ds diag.Diagnostics) diag.Diagnostics {
	out := make(diag.Diagnostics, len(ds))
	for i, d := range ds {
		d.File, d.Message = jsonText(d.File), jsonText(d.Message)
		out[i] = d
	}
	return out
}
