package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Severity tells whether a problem makes the input unusable.
type Severity int

const (
	// Warning marks something legal but suspicious, or a rule whose vendor
	// behaviour is unknown.
	Warning Severity = iota + 1
	// Error marks input that cannot be used as it is.
	Error
)

// IsValid reports whether s is Warning or Error.
func (s Severity) IsValid() bool { return s == Warning || s == Error }

func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the severity as its word; the zero Severity is refused.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.IsValid() {
		return nil, fmt.Errorf("diag: invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads the words that MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "warning":
		*s = Warning
	case "error":
		*s = Error
	default:
		return fmt.Errorf("diag: unknown severity %q (want error or warning)", b)
	}
	return nil
}

// Code is the stable name of one rule, such as "double-space". It is an
// error, so errors.Is matches a Diagnostic (or a list) against it.
type Code string

func (c Code) Error() string { return string(c) }

// Diagnostic is one problem at one place. Line and Column count from 1
// (Column in bytes, pointing at the offending byte); both are 0 for a
// problem of the whole input or of a value that did not come from a file.
type Diagnostic struct {
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Field    string   `json:"field,omitempty"`
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Error formats d as FILE:LINE:COL: SEVERITY: CODE: MESSAGE, leaving out
// the position parts that are unknown.
func (d Diagnostic) Error() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d", d.Line)
			if d.Column > 0 {
				fmt.Fprintf(&b, ":%d", d.Column)
			}
		}
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s: %s: %s", d.Severity, d.Code, d.Message)
	return b.String()
}

// Unwrap returns the Code, for errors.Is.
func (d Diagnostic) Unwrap() error { return d.Code }

// Diagnostics is every problem found, in input order unless sorted. A
// non-empty list is an error that prints one diagnostic per line; Err
// tells whether it holds more than warnings.
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
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == Error })
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

// Errors returns only the Errors (nil when there are none).
func (ds Diagnostics) Errors() Diagnostics { return ds.only(Error) }

// Warnings returns only the Warnings (nil when there are none).
func (ds Diagnostics) Warnings() Diagnostics { return ds.only(Warning) }

func (ds Diagnostics) only(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Err returns the Errors of ds as an error, or nil when it holds none:
// warnings alone do not make an input unusable. It is the one filter to
// write `if err := ds.Err(); err != nil`.
func (ds Diagnostics) Err() error {
	if errs := ds.Errors(); len(errs) > 0 {
		return errs
	}
	return nil
}

// Sort orders ds by file, line and column, keeping the order of
// diagnostics at the same place.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}
