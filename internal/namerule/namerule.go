package namerule

import (
	"fmt"
	"strconv"

	"github.com/sfkvm/sfkvm/diag"
)

// MaxCFName is CF's limit on node and cluster names, in bytes.
const MaxCFName = 31

// The codes of the rule; kvmguests, migratesetup and sdfacility export them
// under their own names (kvmguests.WarnNameCharset is CodeCharset).
const (
	// CodeCharset: a byte outside [A-Za-z0-9_.-] (warning).
	CodeCharset diag.Code = "name-charset"
	// CodeLength: longer than the limit (warning).
	CodeLength diag.Code = "name-length"
)

// IsNameByte reports whether c is one of [A-Za-z0-9_.-].
func IsNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// IsName reports whether s is a non-empty name made of [A-Za-z0-9_.-],
// whatever its length: the test for a word read from a tool's output.
func IsName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !IsNameByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// Check applies the rule to name, called what in messages, with a limit of
// max bytes. It returns nil for a good name (no allocation), else one
// warning per broken part of the rule: the first byte outside the set
// (Column at that byte), and the length (Column at the first byte past
// max).
func Check(what, name string, max int) diag.Diagnostics {
	var ds diag.Diagnostics
	for i := 0; i < len(name); i++ {
		if c := name[i]; !IsNameByte(c) {
			ds = append(ds, diag.Diagnostic{Column: i + 1, Code: CodeCharset, Severity: diag.Warning,
				Message: fmt.Sprintf("%s %s contains %s, outside [A-Za-z0-9_.-]", what, strconv.Quote(name), DescribeByte(c))})
			break
		}
	}
	if len(name) > max {
		ds = append(ds, diag.Diagnostic{Column: max + 1, Code: CodeLength, Severity: diag.Warning,
			Message: fmt.Sprintf("%s is %d bytes long; keep it to %d", what, len(name), max)})
	}
	return ds
}

// DescribeByte names a byte for a message: a control character, a
// non-ASCII byte, or the quoted character.
func DescribeByte(c byte) string {
	switch {
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("the control character 0x%02X", c)
	case c >= 0x80:
		return fmt.Sprintf("the non-ASCII byte 0x%02X", c)
	}
	return fmt.Sprintf("%q", rune(c))
}
