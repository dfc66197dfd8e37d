// Package jsonwire holds what every JSON report of sfkvm shares: encoding
// without HTML escaping, and the error text that a report carries in place
// of a Go error value.
//
// Every report is one object with a "schema" field, snake_case keys and
// durations as numbers of seconds in keys ending in "_seconds"; the
// README's "JSON reports" section lists the schemas.
package jsonwire

import (
	"bytes"
	"encoding/json"
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
