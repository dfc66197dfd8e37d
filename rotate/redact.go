package rotate

import (
	"bytes"
	"errors"
	"strings"
)

// Redacted stands in remote text for a password that it repeated: a
// guest whose chpasswd (or PAM module, or shell) echoes its input must
// not put the password into the report, a log or a terminal.
const Redacted = "<password>"

// scrub replaces every secret in b (a remote text, before it is quoted)
// with Redacted.
func scrub(b []byte, secrets ...[]byte) []byte {
	for _, s := range secrets {
		if len(s) > 0 && bytes.Contains(b, s) {
			b = bytes.ReplaceAll(b, s, []byte(Redacted))
		}
	}
	return b
}

// scrubText is scrub for text already quoted (a password is printable
// ASCII, which quoting leaves as it is).
func scrubText(s string, secrets ...[]byte) string {
	for _, p := range secrets {
		if len(p) > 0 {
			s = strings.ReplaceAll(s, string(p), Redacted)
		}
	}
	return s
}

// redactedError is an error whose text lost the secrets; errors.Is still
// sees the original's kinds. errors.As and Unwrap do not reach it: its
// fields may hold the text.
type redactedError struct {
	text string
	orig error
}

func (e *redactedError) Error() string        { return e.text }
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// scrubErr returns err with the secrets removed from its text; err
// itself when its text holds none.
func scrubErr(err error, secrets ...[]byte) error {
	if err == nil {
		return nil
	}
	t := err.Error()
	if s := scrubText(t, secrets...); s != t {
		return &redactedError{text: s, orig: err}
	}
	return err
}

// redact removes the secrets from every text of the report.
func (r *Report) redact(secrets ...[]byte) {
	r.Err = scrubErr(r.Err, secrets...)
	for i := range r.Guests {
		g := &r.Guests[i]
		g.Err, g.Detail = scrubErr(g.Err, secrets...), scrubText(g.Detail, secrets...)
	}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		h.Err, h.Diff = scrubErr(h.Err, secrets...), scrubText(h.Diff, secrets...)
	}
	for i := range r.Notes {
		r.Notes[i] = scrubText(r.Notes[i], secrets...)
	}
}
