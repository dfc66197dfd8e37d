package kvmguests

import (
	"fmt"
	"strconv"
	"strings"
)

// Severity tells whether a problem makes the file unusable.
type Severity int

const (
	// Warning marks something legal but suspicious, or a rule whose vendor
	// behaviour is unknown.
	Warning Severity = iota + 1
	// Error marks a file that PRIMECLUSTER cannot use as it is.
	Error
)

func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText makes a Severity read as its word in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the words that MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "warning":
		*s = Warning
	case "error":
		*s = Error
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Diagnostic is one problem found in a kvmguests.conf. Line and Column are
// 1-based (Column counts bytes and points at the offending character); both
// are 0 for a problem of the file itself, such as its mode.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Field    string   `json:"field,omitempty"` // one of the Field... names, or ""
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Error formats d as FILE:LINE:COL: SEVERITY: CODE: MESSAGE, the way
// compilers do, so editors can jump to it.
func (d Diagnostic) Error() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Column)
	}
	fmt.Fprintf(&b, ": %s: %s: %s", d.Severity, d.Code, d.Message)
	return b.String()
}

// Unwrap returns the Code, so errors.Is(err, kvmguests.ErrDoubleSpace) works.
func (d Diagnostic) Unwrap() error { return d.Code }

// Diagnostics is every problem found, in the order of the file. A non-empty
// list is an error; use HasErrors to tell whether it holds more than warnings.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As look at every diagnostic.
func (ds Diagnostics) Unwrap() []error {
	errs := make([]error, len(ds))
	for i, d := range ds {
		errs[i] = d
	}
	return errs
}

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns how many diagnostics have severity s.
func (ds Diagnostics) Count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Err returns ds as an error when it holds at least one Error, else nil:
// warnings alone do not make a file unusable.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}
