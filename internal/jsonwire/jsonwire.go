package jsonwire

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfkvm/sfkvm/diag"
)

// Marshal is json.Marshal without HTML escaping: "<token hmac:...>" is
// written as itself, not as \u003ctoken. A MarshalJSON method must use it
// (or an Encoder with SetEscapeHTML(false)): an Encoder that does not
// escape keeps what a method returns, so a method that escapes escapes for
// every caller.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ErrText returns err's text, "" for nil.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Error is an error read back from a report: only its text survives the
// trip through JSON, so Error() is that text and nothing else.
type Error struct{ Text string }

func (e *Error) Error() string { return e.Text }

// Err returns the error that a report's text stands for: nil for "",
// an *Error otherwise.
func Err(text string) error {
	if text == "" {
		return nil
	}
	return &Error{Text: text}
}

// Text returns s with every byte that is not part of valid UTF-8
// written as \xNN (lowercase hex), for a JSON string: encoding/json would
// replace such a byte with U+FFFD, and a reader of the report could not
// see which byte is in the file (0xFF in a name, a Latin-1 é). Valid text,
// the common case, is returned as it is. A backslash of the input stays
// one backslash, so "\xff" of the input and a byte 0xFF read alike: the
// check's diagnostics (quoted with Go's escapes) tell them apart.
func Text(s string) string {
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

// Diagnostics returns ds with the text fields that can carry the input's
// bytes (the file name, the message) through Text; never nil, so that a
// report shows [] rather than null.
func Diagnostics(ds diag.Diagnostics) diag.Diagnostics {
	out := make(diag.Diagnostics, len(ds))
	for i, d := range ds {
		d.File, d.Message = Text(d.File), Text(d.Message)
		out[i] = d
	}
	return out
}

// Seconds is the "duration_seconds" of a report that has a start and an
// end: end-start in seconds, or nil (the field left out) when either time
// is unknown.
func Seconds(start, end time.Time) *float64 {
	if start.IsZero() || end.IsZero() {
		return nil
	}
	s := end.Sub(start).Seconds()
	return &s
}
