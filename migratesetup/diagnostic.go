package migratesetup

import (
	"fmt"
	"strings"
)

// Severity says whether a Diagnostic stops the work (Error) or only
// deserves attention (Warning).
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning" in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("severity %q is neither error nor warning", b)
	}
	return nil
}

// Code is a stable name for one kind of problem. Scripts may match on it;
// the message may change, the code does not.
type Code string

// The codes of the host information file and of the host IP check.
const (
	CodeTooLarge      Code = "hostinfo-too-large"   // more than MaxFileSize bytes
	CodeBadPadding    Code = "hostinfo-bad-padding" // something other than NUL after the first NUL
	CodeNotText       Code = "hostinfo-not-text"    // a byte that is not printable 7-bit ASCII
	CodeCR            Code = "hostinfo-cr"          // a carriage return (CRLF line ends)
	CodeSyntax        Code = "hostinfo-syntax"      // not "key value" with one space
	CodeUnknownKey    Code = "hostinfo-unknown-key" // a key this version does not know
	CodeDuplicateKey  Code = "hostinfo-duplicate"   // the same key twice
	CodeMissingKey    Code = "hostinfo-missing"     // a required key is absent
	CodeVersion       Code = "hostinfo-version"     // format missing, not first, or not supported
	CodeNoNewline     Code = "hostinfo-no-newline"  // the last line has no newline
	CodeBadWeightLink Code = "hostinfo-weight-link" // weight-link is neither on nor off
	CodeBadCFName     Code = "cfname-invalid"       // empty, or a byte that cannot be written
	CodeCFNameStyle   Code = "cfname-style"         // outside [A-Za-z0-9_.-] or longer than 31 bytes
	CodeIPSyntax      Code = "ip-syntax"            // not an IP address
	CodeIPZone        Code = "ip-zone"              // an IPv6 zone such as %eth0
	CodeIPLinkLocal   Code = "ip-link-local"        // IPv6 link-local (fe80::/10)
	CodeIPNotUnicast  Code = "ip-not-unicast"       // unspecified, loopback, multicast, broadcast
	CodeIPv4Mapped    Code = "ip-v4-mapped"         // ::ffff:a.b.c.d (warning)
	CodeIPv4LinkLocal Code = "ip-v4-link-local"     // 169.254.0.0/16 (warning)
)

// Diagnostic is one problem at one place. Line and Col count from 1; they
// are 0 when the problem belongs to the whole file or to a value that did
// not come from a file (the arguments of Register).
type Diagnostic struct {
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Col      int      `json:"col,omitempty"`
	Field    string   `json:"field,omitempty"`
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Error prints the diagnostic as FILE:LINE:COL: SEVERITY: CODE: message
// (SPEC 4.4), leaving out the position parts that are unknown.
func (d Diagnostic) Error() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d", d.Line)
			if d.Col > 0 {
				fmt.Fprintf(&b, ":%d", d.Col)
			}
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s: %s: %s", d.Severity, d.Code, d.Message)
	return b.String()
}

// Diagnostics is every problem found, in file order. As an error it prints
// one diagnostic per line.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any diagnostic is an error, not a warning.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors, or nil when there are none, so that
// `if err := ds.Errors(); err != nil` reads naturally.
func (ds Diagnostics) Errors() error {
	var errs Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			errs = append(errs, d)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Warnings returns only the warnings.
func (ds Diagnostics) Warnings() Diagnostics {
	var ws Diagnostics
	for _, d := range ds {
		if d.Severity == Warning {
			ws = append(ws, d)
		}
	}
	return ws
}
