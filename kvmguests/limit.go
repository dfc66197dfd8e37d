package kvmguests

import (
	"fmt"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/count"
)

// MaxDiagnostics bounds the problems that Parse, Check, ReadFile and
// CheckFile return: the first MaxDiagnostics in file order, then one
// too-many-problems diagnostic that counts the others (an Error when any of
// them is one, so the verdict never changes). A 64 MiB file of broken lines
// would otherwise cost gigabytes of messages that nobody reads.
const MaxDiagnostics = 1000

// dropped counts the problems not kept.
type dropped struct{ errors, warnings int }

func (d *dropped) count(s diag.Severity) {
	if s == diag.Error {
		d.errors++
	} else {
		d.warnings++
	}
}

func (d *dropped) add(e dropped) { d.errors += e.errors; d.warnings += e.warnings }

// diagnostic is the too-many-problems diagnostic, if any problem was
// dropped.
func (d dropped) diagnostic(file string) (diag.Diagnostic, bool) {
	if d.errors+d.warnings == 0 {
		return diag.Diagnostic{}, false
	}
	sev := diag.Warning
	if d.errors > 0 {
		sev = diag.Error
	}
	return diag.Diagnostic{File: file, Code: ErrTooManyProblems, Severity: sev,
		Message: fmt.Sprintf("%s not shown (%s, %s) after the first %d; fix those and check again",
			count.N(d.errors+d.warnings, "more problem", "more problems"), count.N(d.errors, "error", "errors"), count.N(d.warnings, "warning", "warnings"), MaxDiagnostics)}, true
}

// keepFirst keeps the first MaxDiagnostics of the merged diagnostics (in
// file order) and counts the rest.
func (p *parser) keepFirst() {
	if len(p.diags) <= MaxDiagnostics {
		return
	}
	for _, d := range p.diags[MaxDiagnostics:] {
		p.dropped.count(d.Severity)
	}
	p.diags = p.diags[:MaxDiagnostics:MaxDiagnostics]
}
