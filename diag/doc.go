// Package diag is the one diagnostic type of the sfkvm module: every parser
// and checker (kvmguests.conf, rcsd.cfg, the host information file, the
// output of sdtool -s) reports its findings as [Diagnostic] values in a
// [Diagnostics] list, with the same fields, the same JSON and the same
// printed form, so that a tool handles all of them with one piece of code.
//
// A diagnostic is printed the way compilers print theirs, so that editors
// can jump to it:
//
//	FILE:LINE:COL: error|warning: CODE: message
//
// leaving out the position parts that are unknown (a problem of the whole
// file, such as its mode, has no line; a value that came from a flag has no
// file).
//
// A [Code] is a stable name for one rule. Codes are exported constants of
// the package that owns the rule and are listed in its documentation;
// scripts may match on them, messages may change. A Code is an error, and a
// Diagnostic unwraps to its Code, so errors.Is(err, kvmguests.ErrDoubleSpace)
// works on a single Diagnostic, on a Diagnostics list and on any error that
// wraps them.
//
// The zero [Severity] is not valid: a diagnostic always says whether it is
// an [Error] (the input cannot be used as it is) or a [Warning] (legal but
// suspicious, or a rule whose vendor behaviour is unknown).
package diag
