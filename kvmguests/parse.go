package kvmguests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"slices"
)

// Options change what the checks accept.
type Options struct {
	// AllowSealed accepts tokens of sfkvm's own sealed format
	// (package cipher) in guest_passwd, with a warning instead of an
	// error. PRIMECLUSTER cannot read them: use it for the demo, tests and
	// in-house stores only.
	AllowSealed bool

	// SkipFileChecks turns off the owner, mode and symlink checks of
	// ReadFile, for checking a copy of the file that is not in place.
	SkipFileChecks bool
}

// Parse reads a kvmguests.conf from r; name is the file name used in
// diagnostics. It never stops at the first problem: it returns every line
// it read (the guests among them) and every problem found, in file order.
// err is non-nil only when reading r failed.
func Parse(r io.Reader, name string, opts Options) (cfg *Config, diags Diagnostics, err error) {
	p := newParser(name, opts, true, sizeOf(r))
	err = p.read(r)
	return p.cfg, p.diags, err
}

// Check is Parse for when only the verdict matters: it keeps no lines, so
// a large file costs little memory.
func Check(r io.Reader, name string, opts Options) (Diagnostics, error) {
	p := newParser(name, opts, false, sizeOf(r))
	err := p.read(r)
	return p.diags, err
}

// sizeOf returns the size of what r will yield, when r can tell.
func sizeOf(r io.Reader) int64 {
	switch r := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		return int64(r.Len())
	case interface{ Stat() (fs.FileInfo, error) }: // *os.File
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return 0
}

func (p *parser) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // a line longer than the buffer, put together
	for {
		chunk, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			long = append(long, chunk...)
			continue
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		if len(line) > 0 {
			hasLF := line[len(line)-1] == '\n'
			if hasLF {
				line = line[:len(line)-1]
			}
			p.line(line, hasLF)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("reading %s: %w", p.name, rerr)
		}
	}
	p.finish()
	return nil
}

// ParseBytes is Parse on a byte slice.
func ParseBytes(b []byte, name string, opts Options) (*Config, Diagnostics) {
	cfg, diags, _ := Parse(bytes.NewReader(b), name, opts) // a bytes.Reader never fails
	return cfg, diags
}

type parser struct {
	name  string
	opts  Options
	cfg   *Config // nil when only checking
	diags Diagnostics
	n     int // current line number

	// Keys seen so far, to the line they were first seen on. The string
	// keys are substrings of the lines, so they cost no allocation.
	byName        map[string]int32
	byNode        map[string]int32 // "guest-clustername guest-cfname"
	byClusterHost map[string]int32 // "host-cfname guest-clustername"
	byIP          map[[16]byte]int32
	nodeLines     int // lines that are neither blank nor comments

	// Reused for every line.
	fieldBuf [8]string
	colBuf   [8]int
}

// newParser makes a parser; sizeHint, the input's size in bytes when known,
// sizes the maps up front (a line is rarely shorter than 40 bytes).
func newParser(name string, opts Options, keep bool, sizeHint int64) *parser {
	n := int(min(sizeHint/40, 1<<20))
	p := &parser{
		name:          name,
		opts:          opts,
		byName:        make(map[string]int32, n),
		byNode:        make(map[string]int32, n),
		byClusterHost: make(map[string]int32, n),
		byIP:          make(map[[16]byte]int32, n),
	}
	if keep {
		p.cfg = &Config{Lines: make([]Line, 0, n)}
	}
	return p
}

// report records a problem on the current line.
func (p *parser) report(col int, field string, code Code, format string, args ...any) {
	p.reportSev(col, field, code, code.severity(), format, args...)
}

func (p *parser) reportSev(col int, field string, code Code, sev Severity, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{
		File: p.name, Line: p.n, Column: col, Field: field,
		Code: code, Severity: sev, Message: fmt.Sprintf(format, args...),
	})
}

func (p *parser) finish() {
	if p.nodeLines == 0 {
		p.diags = append(p.diags, Diagnostic{File: p.name, Code: WarnNoGuests, Severity: Warning,
			Message: "the file lists no guest: no guest can be migrated with host OS failover"})
	}
}

// line handles one line, without its LF.
func (p *parser) line(raw []byte, hasLF bool) {
	p.n++
	first := len(p.diags)
	defer func() {
		// Checks run field by field, then across lines: put this line's
		// problems in column order, as a reader scans it.
		if ds := p.diags[first:]; len(ds) > 1 {
			slices.SortStableFunc(ds, func(a, b Diagnostic) int { return a.Column - b.Column })
		}
	}()
	if !hasLF {
		p.report(len(raw)+1, "", WarnNoFinalLF, "the last line has no newline")
	}
	if len(raw) > 0 && raw[len(raw)-1] == '\r' {
		p.report(len(raw), "", ErrCRLF, "CRLF line ending: the line ends with a CR (\\r) before the LF; convert the file with dos2unix")
		raw = raw[:len(raw)-1]
	}
	text := string(raw)
	switch {
	case len(text) == 0:
		p.report(1, "", WarnBlankLine, "blank line (PRIMECLUSTER's handling of blank lines is not documented)")
		p.keep(Line{Kind: LineBlank, Text: text})
		return
	case text[0] == '#':
		p.report(1, "", WarnCommentLine, "comment line (PRIMECLUSTER's handling of comments is not documented)")
		p.keep(Line{Kind: LineComment, Text: text})
		return
	}
	p.nodeLines++
	fields, cols := p.split(text)
	if len(fields) != 7 {
		p.reportFieldCount(text, fields, cols)
		p.keep(Line{Kind: LineInvalid, Text: text})
		return
	}
	addr, ok := p.fields(text, fields, cols)
	if !ok {
		p.keep(Line{Kind: LineInvalid, Text: text})
		return
	}
	if p.cfg != nil {
		p.keep(Line{Kind: LineGuest, Text: text, Guest: &Guest{
			Name: fields[0], HostCFName: fields[1], ClusterName: fields[2], CFName: fields[3],
			IP: addr, User: fields[5], Password: Token(fields[6]), Line: p.n,
		}})
	}
}

func (p *parser) keep(l Line) {
	if p.cfg != nil {
		p.cfg.Lines = append(p.cfg.Lines, l)
	}
}

// split cuts text into fields at runs of spaces and tabs, reporting every
// separator that is not exactly one space, and the first other control
// character. cols holds each field's 1-based column.
func (p *parser) split(text string) (fields []string, cols []int) {
	fields, cols = p.fieldBuf[:0], p.colBuf[:0]
	tabs, firstTab, ctl := 0, 0, false
	start := -1
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != ' ' && c != '\t' {
			if (c < 0x20 || c == 0x7f) && !ctl {
				ctl = true
				p.report(i+1, "", ErrControlChar, "control character 0x%02X", c)
			}
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			fields = append(fields, text[start:i])
			cols = append(cols, start+1)
			start = -1
		}
		// i is the first byte of a run of separators.
		j := i
		for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
			if text[j] == '\t' {
				if tabs == 0 {
					firstTab = j + 1
				}
				tabs++
			}
			j++
		}
		switch {
		case i == 0:
			p.report(1, "", ErrLeadingSpace, "the line starts with a separator; fields start in column 1")
		case j == len(text):
			p.report(i+1, "", ErrTrailingSpace, "the line ends with a separator")
		case j-i > 1 && text[i] == ' ' && text[i+1] == ' ':
			p.report(i+2, "", ErrDoubleSpace, "%d spaces between fields; separate fields with exactly one space", j-i)
		}
		i = j - 1
	}
	if start >= 0 {
		fields = append(fields, text[start:])
		cols = append(cols, start+1)
	}
	if tabs > 0 {
		msg := "a tab character; separate fields with exactly one space"
		if tabs > 1 {
			msg = fmt.Sprintf("%d tab characters on this line, the first here; separate fields with exactly one space", tabs)
		}
		p.report(firstTab, "", ErrTab, "%s", msg)
	}
	return fields, cols
}

func (p *parser) reportFieldCount(text string, fields []string, cols []int) {
	if len(fields) > 7 {
		p.report(cols[7], "", ErrFieldCount, "%d fields, want 7 (guest-name host-cfname guest-clustername guest-cfname guest_IP guest_user guest_passwd)", len(fields))
		return
	}
	missing := fieldNames[len(fields)]
	if len(fields) < 6 {
		missing += " ... " + FieldPasswd
	}
	p.report(len(text)+1, "", ErrFieldCount, "%d fields, want 7: missing %s", len(fields), missing)
}
