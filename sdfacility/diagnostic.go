package sdfacility

import (
	"fmt"
	"strings"
)

// Severity says whether a problem stops the input from being used (Error)
// or is only worth a look (Warning).
type Severity int

const (
	Warning Severity = iota
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// MarshalText makes a Severity read as "error" or "warning" in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads "error" or "warning".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("severity %q: want error or warning", b)
	}
	return nil
}

// Diagnostic is one problem found at a position of an input (rcsd.cfg, or
// the output of sdtool -s). Code is stable and listed in the package
// documentation; Message is for people and may change.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"` // 1-based
	Col      int      `json:"col"`  // 1-based byte column
	Field    string   `json:"field,omitempty"`
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// String formats d as FILE:LINE:COL: error|warning: CODE: message.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s: %s", d.File, d.Line, d.Col, d.Severity, d.Code, d.Message)
}

// Error makes a single Diagnostic usable as an error.
func (d Diagnostic) Error() string { return d.String() }

// Diagnostics is every problem found in one input, in input order. It is an
// error so that a parser can return it as one.
type Diagnostics []Diagnostic

// Error prints one diagnostic per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any diagnostic has severity Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the diagnostics of severity Error.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}
