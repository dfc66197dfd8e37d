package migratesetup

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/iprule"
)

// Parse reads a host information file: the text that Format writes,
// optionally followed by zero bytes (the padding, or the rest of the
// guest's disk). name is used in the diagnostics only.
//
// Format 1 is strict, because only Register writes it: lines of "key
// value" separated by one space, ending in LF; lines starting with '#'
// and blank lines are skipped; "format N" comes first; host-cfname,
// host-ip and weight-link (on or off) each exactly once; nothing else.
// A newer format is refused by name, not guessed at.
//
// The error, when there is one, is Diagnostics with every problem found.
// Warnings about the values (see HostInfo.Check) do not make an error.
func Parse(r io.Reader, name string) (HostInfo, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return HostInfo{}, fmt.Errorf("reading %s: %w", name, err)
	}
	return parseBytes(data, name)
}

type parser struct {
	name string
	ds   diag.Diagnostics
}

func (p *parser) add(line, col int, field string, code diag.Code, format string, args ...any) {
	p.ds = append(p.ds, diag.Diagnostic{File: p.name, Line: line, Column: col, Field: field,
		Code: code, Severity: diag.Error, Message: fmt.Sprintf(format, args...)})
}

// addErrors records the errors of a value's check (the file reader leaves
// warnings to Check), their columns counted from col, the value's first
// byte.
func (p *parser) addErrors(line, col int, field string, ds diag.Diagnostics) {
	for _, d := range ds.Errors() {
		p.add(line, col+max(d.Column, 1)-1, field, d.Code, "%s", d.Message)
	}
}

func parseBytes(data []byte, name string) (HostInfo, error) {
	p := &parser{name: name}
	if len(data) > MaxFileSize {
		p.add(0, 0, "", CodeTooLarge, "more than %d bytes; not a host information file", MaxFileSize)
		return HostInfo{}, p.ds
	}
	text := data
	if i := bytes.IndexByte(data, 0); i >= 0 {
		text = data[:i]
		if j := bytes.IndexFunc(data[i:], func(r rune) bool { return r != 0 }); j >= 0 {
			line, col := position(data, i+j)
			p.add(line, col, "", CodeBadPadding, "a non-zero byte after the zero padding")
		}
	}
	var (
		info    HostInfo
		seen    = map[string]int{} // key -> line
		first   = true
		lineNum = 0
	)
	for len(text) > 0 {
		lineNum++
		raw, rest, found := bytes.Cut(text, []byte("\n"))
		text = rest
		if !found {
			p.add(lineNum, len(raw)+1, "", CodeNoNewline, "the last line has no newline")
		}
		if len(raw) == 0 {
			continue
		}
		if !p.lineIsText(lineNum, raw) {
			first = false // one error for the line, not another for its place
			continue
		}
		if raw[0] == '#' {
			continue
		}
		key, value, ok := bytes.Cut(raw, []byte(" "))
		if !ok || len(key) == 0 || len(value) == 0 || bytes.IndexByte(value, ' ') >= 0 {
			col := 1
			if ok && len(key) > 0 {
				col = len(key) + 2
				if i := bytes.IndexByte(value, ' '); i >= 0 {
					col += i
				}
			}
			p.add(lineNum, col, "", CodeSyntax, "want \"key value\" separated by one space, got %q", raw)
			continue
		}
		k, v, vcol := string(key), string(value), len(key)+2
		if prev, dup := seen[k]; dup {
			p.add(lineNum, 1, k, CodeDuplicateKey, "%s again (first at line %d)", k, prev)
			continue
		}
		seen[k] = lineNum
		if first && k != keyFormat {
			p.add(lineNum, 1, k, CodeVersion, "the first line must be \"%s %d\", got %q", keyFormat, FormatVersion, raw)
		}
		first = false
		switch k {
		case keyFormat:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				p.add(lineNum, vcol, k, CodeVersion, "format %q is not a version number", v)
			} else if n > FormatVersion {
				p.add(lineNum, vcol, k, CodeVersion, "format %d is newer than this reader understands (%d); upgrade sfkvm", n, FormatVersion)
				return HostInfo{}, p.ds
			}
		case keyCFName:
			info.CFName = v
			p.addErrors(lineNum, vcol, k, CheckCFName(v))
		case keyIP:
			a, ds := iprule.Parse("host IP", v)
			info.IP = a
			p.addErrors(lineNum, vcol, k, ds)
		case keyWeightLink:
			switch v {
			case "on":
				info.NoWeightLink = false
			case "off":
				info.NoWeightLink = true
			default:
				p.add(lineNum, vcol, k, CodeBadWeightLink, "weight-link is %q, want on or off", v)
			}
		default:
			p.add(lineNum, 1, k, CodeUnknownKey, "unknown key %q in format %d", k, FormatVersion)
		}
	}
	for _, k := range []string{keyFormat, keyCFName, keyIP, keyWeightLink} {
		if _, ok := seen[k]; !ok {
			p.add(0, 0, k, CodeMissingKey, "no %s line", k)
		}
	}
	if len(p.ds) > 0 {
		return HostInfo{}, p.ds
	}
	return info, nil
}

// lineIsText reports a CR or any byte outside printable ASCII, once per
// line, by column.
func (p *parser) lineIsText(line int, raw []byte) bool {
	for i, c := range raw {
		if c == '\r' {
			p.add(line, i+1, "", CodeCR, "a carriage return (CRLF line ends); the file uses LF")
			return false
		}
		if c < ' ' || c >= 0x7f {
			p.add(line, i+1, "", CodeNotText, "byte 0x%02x is not printable ASCII", c)
			return false
		}
	}
	return true
}

// position returns the 1-based line and byte column of offset in data.
func position(data []byte, offset int) (line, col int) {
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = offset - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}
