package kvmguests

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/diag"
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
// it read (the guests among them) and every problem found, in file order
// (past MaxDiagnostics, counted in one too-many-problems diagnostic).
// err is non-nil only when reading r failed.
func Parse(r io.Reader, name string, opts Options) (cfg *Config, diags diag.Diagnostics, err error) {
	p := newParser(name, opts, true, 0)
	err = p.read(r)
	return p.cfg, p.diags, err
}

// Check is Parse for when only the verdict matters: it keeps no lines, so
// a large file costs little memory.
func Check(r io.Reader, name string, opts Options) (diag.Diagnostics, error) {
	p := newParser(name, opts, false, 0)
	err := p.read(r)
	return p.diags, err
}

// ParseGuests is Parse for when only the guests matter: it keeps the guest
// lines and no other, so a large file of broken lines costs little memory.
func ParseGuests(r io.Reader, name string, opts Options) ([]Guest, diag.Diagnostics, error) {
	p := newParser(name, opts, true, 0)
	p.guestsOnly = true
	err := p.read(r)
	return p.cfg.Guests(), p.diags, err
}

// chunkSize is how much is read at a time. Each chunk becomes one string
// and every line in it a substring, so a line costs no allocation of its
// own; chunks are checked in parallel, then the results joined in order.
const chunkSize = 1 << 20

func (p *parser) read(r io.Reader) error {
	var (
		parts []*parser // one per chunk, in file order
		wg    sync.WaitGroup
		sem   = make(chan struct{}, runtime.GOMAXPROCS(0))
		line  = 0 // lines before the chunk
	)
	err := readChunks(r, func(chunk string) {
		part := p.part(line, len(chunk))
		parts = append(parts, part)
		line += strings.Count(chunk, "\n")
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			part.lines(chunk)
		}()
	})
	wg.Wait()
	if err != nil {
		return fmt.Errorf("reading %s: %w", p.name, err)
	}
	p.merge(parts)
	p.finish()
	return nil
}

// MaxSize bounds what Parse and Check read: a kvmguests.conf has one short
// line per guest, so anything larger (a device, a wrong file) is refused
// rather than read into memory without end.
const MaxSize = 64 << 20

// ErrTooLarge is the read error for input larger than MaxSize.
var ErrTooLarge = errors.New("larger than 64 MiB: not a kvmguests.conf")

// readChunks calls f with r's contents in pieces of about chunkSize that
// end at a line end, except perhaps the last. Each byte is copied once, into
// the string that f gets.
func readChunks(r io.Reader, f func(chunk string)) error {
	buf := make([]byte, chunkSize)
	carried := 0 // bytes at the start of buf: a line that the last read cut
	total := 0
	for {
		if carried == len(buf) { // a line longer than the buffer
			buf = append(buf, make([]byte, len(buf))...)
		}
		n, err := io.ReadFull(r, buf[carried:])
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return err
		}
		if total += n; total > MaxSize {
			return ErrTooLarge
		}
		data := buf[:carried+n]
		cut := len(data)
		if !eof {
			cut = bytes.LastIndexByte(data, '\n') + 1 // 0 if no line end yet
		}
		if cut > 0 {
			f(string(data[:cut]))
		}
		if eof {
			return nil
		}
		carried = copy(buf, data[cut:])
	}
}

// lines checks every line of a chunk.
func (p *parser) lines(chunk string) {
	for _, k := range []*keyset{p.names, p.nodes, p.clusterHosts, p.ips} {
		k.chunk = chunk
	}
	rest := chunk
	for {
		p.lineOff = len(chunk) - len(rest)
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		p.line(rest[:i], true)
		rest = rest[i+1:]
	}
	if rest != "" {
		p.line(rest, false)
	}
}

// ParseBytes is Parse on a byte slice.
func ParseBytes(b []byte, name string, opts Options) (*Config, diag.Diagnostics) {
	cfg, diags, _ := Parse(bytes.NewReader(b), name, opts) // a bytes.Reader never fails
	return cfg, diags
}

type parser struct {
	name  string
	opts  Options
	cfg   *Config // nil when only checking
	diags diag.Diagnostics
	n     int // current line number
	// lineOff is where the current line starts in its chunk, so that keys
	// can be kept as offsets.
	lineOff int

	// The keys of the rules across lines in this parser's chunk, checked
	// once all chunks are read. String keys are substrings of the lines, so
	// they cost no allocation.
	seed         maphash.Seed
	names        *keyset // guest-name
	nodes        *keyset // "guest-clustername guest-cfname"
	clusterHosts *keyset // "host-cfname guest-clustername"
	ips          *keyset // the 16 bytes of the unmapped address
	nodeLines    int     // lines that are neither blank nor comments

	// Problems past MaxDiagnostics are counted, not kept.
	dropped dropped

	// guestsOnly keeps only the guest lines in cfg (ParseGuests).
	guestsOnly bool

	// colShift is added to every column of the current line: the width
	// of a byte-order mark that line 1 is checked without.
	colShift int

	// Reused for every line.
	fieldBuf [8]string
	colBuf   [8]int
	ipBuf    [64]byte
}

// newParser makes a parser; sizeHint, the size in bytes of what it will
// read, sizes the key sets up front (a line is typically 60 to 80 bytes).
func newParser(name string, opts Options, keep bool, sizeHint int64) *parser {
	return newParserSeed(name, opts, keep, sizeHint, maphash.MakeSeed())
}

func newParserSeed(name string, opts Options, keep bool, sizeHint int64, seed maphash.Seed) *parser {
	n := int(min(sizeHint/64, 1<<20))
	p := &parser{
		name:         name,
		opts:         opts,
		seed:         seed,
		names:        newKeyset(seed, n),
		nodes:        newKeyset(seed, n),
		clusterHosts: newKeyset(seed, n),
		ips:          newKeyset(seed, n),
	}
	if keep {
		p.cfg = &Config{Lines: make([]Line, 0, n)}
	}
	return p
}

// part returns a parser for a chunk that starts after line lines: it
// shares the seed, so that keys hash alike in every chunk.
func (p *parser) part(line, size int) *parser {
	q := newParserSeed(p.name, p.opts, p.cfg != nil, int64(size), p.seed)
	q.n = line
	q.guestsOnly = p.guestsOnly
	return q
}

// merge joins what the chunks' parsers found, in file order, and checks
// the rules across lines.
func (p *parser) merge(parts []*parser) {
	for _, q := range parts {
		p.diags = append(p.diags, q.diags...)
		p.dropped.add(q.dropped)
		if p.cfg != nil {
			p.cfg.Lines = append(p.cfg.Lines, q.cfg.Lines...)
		}
		p.nodeLines += q.nodeLines
	}
	p.duplicates(parts)
	p.keepFirst()
}

// report records a problem on the current line.
func (p *parser) report(col int, field string, code diag.Code, format string, args ...any) {
	p.reportSev(col, field, code, severity(code), format, args...)
}

// reportAll records the findings of a shared rule on the current line,
// their columns counted from col, the field's first byte.
func (p *parser) reportAll(col int, field string, ds diag.Diagnostics) {
	for _, d := range ds {
		p.reportSev(col+d.Column-1, field, d.Code, d.Severity, "%s", d.Message)
	}
}

func (p *parser) reportSev(col int, field string, code diag.Code, sev diag.Severity, format string, args ...any) {
	if len(p.diags) >= MaxDiagnostics {
		p.dropped.count(sev)
		return
	}
	p.diags = append(p.diags, diag.Diagnostic{
		File: p.name, Line: p.n, Column: col + p.colShift, Field: field,
		Code: code, Severity: sev, Message: fmt.Sprintf(format, args...),
	})
}

func (p *parser) finish() {
	if p.nodeLines == 0 {
		p.diags = append(p.diags, diag.Diagnostic{File: p.name, Code: WarnNoGuests, Severity: diag.Warning,
			Message: "the file lists no guest: no guest can be migrated with host OS failover"})
	}
	if d, ok := p.dropped.diagnostic(p.name); ok {
		p.diags = append(p.diags, d)
	}
}

// bom is the UTF-8 byte-order mark that some editors put at a file's start.
const bom = "\xEF\xBB\xBF"

// line handles one line, without its LF.
func (p *parser) line(raw string, hasLF bool) {
	p.n++
	first := len(p.diags)
	defer func() {
		// Checks run field by field, then across lines: put this line's
		// problems in column order, as a reader scans it.
		if ds := p.diags[first:]; len(ds) > 1 {
			slices.SortStableFunc(ds, func(a, b diag.Diagnostic) int { return a.Column - b.Column })
		}
	}()
	p.colShift = 0
	if p.n == 1 && strings.HasPrefix(raw, bom) {
		// An editor's byte-order mark: name it, then check the line as
		// the editor shows it (columns still count the mark's bytes).
		p.report(1, "", ErrBOM, "the file starts with a byte-order mark (EF BB BF, a UTF-8 BOM), which is not part of the format (a reader would take it as part of the first guest-name); save the file without it, for example with sed -i '1s/^\\xEF\\xBB\\xBF//' FILE")
		raw = raw[len(bom):]
		p.colShift = len(bom)
	}
	if !hasLF {
		p.report(len(raw)+1, "", WarnNoFinalLF, "the last line has no newline")
	}
	if len(raw) > 0 && raw[len(raw)-1] == '\r' {
		p.report(len(raw), "", ErrCRLF, "CRLF line ending: the line ends with a CR (\\r) before the LF; convert the file with dos2unix")
		raw = raw[:len(raw)-1]
	}
	text := raw
	switch {
	case len(text) == 0:
		p.report(1, "", WarnBlankLine, "blank line (PRIMECLUSTER's handling of blank lines is not documented)")
		p.keep(Line{Kind: LineBlank, Text: RawLine(text)})
		return
	case text[0] == '#':
		p.report(1, "", WarnCommentLine, "comment line (PRIMECLUSTER's handling of comments is not documented)")
		p.keep(Line{Kind: LineComment, Text: RawLine(text)})
		return
	}
	p.nodeLines++
	fields, cols, ok := p.splitFast(text)
	n := len(fields)
	if !ok {
		fields, cols, n = p.split(text)
	}
	if n != 7 {
		p.reportFieldCount(text, fields, cols, n)
		p.keep(Line{Kind: LineInvalid, Text: RawLine(text)})
		return
	}
	addr, ok := p.fields(text, fields, cols)
	if !ok {
		p.keep(Line{Kind: LineInvalid, Text: RawLine(text)})
		return
	}
	if p.cfg != nil {
		p.keep(Line{Kind: LineGuest, Text: RawLine(text), Guest: &Guest{
			Name: fields[0], HostCFName: fields[1], ClusterName: fields[2], CFName: fields[3],
			IP: addr, User: fields[5], Password: Token(fields[6]), Line: p.n,
		}})
	}
}

func (p *parser) keep(l Line) {
	if p.cfg != nil && (l.Kind == LineGuest || !p.guestsOnly) {
		p.cfg.Lines = append(p.cfg.Lines, l)
	}
}

// splitFast cuts a well-formed line into its seven fields: no control
// character, tab or DEL, single spaces between non-empty fields. ok is false
// for any other line, which split then reads slowly and reports on exactly.
func (p *parser) splitFast(text string) (fields []string, cols []int, ok bool) {
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 || c == 0x7f {
			return nil, nil, false
		}
	}
	fields, cols = p.fieldBuf[:0], p.colBuf[:0]
	start := 0
	for len(fields) < 7 {
		end := strings.IndexByte(text[start:], ' ')
		if end < 0 {
			end = len(text) - start
		}
		if end == 0 { // leading, trailing or double space
			return nil, nil, false
		}
		fields = append(fields, text[start:start+end])
		cols = append(cols, start+1)
		start += end + 1
		if start > len(text) {
			break
		}
	}
	if len(fields) != 7 || start <= len(text) {
		return nil, nil, false // too few fields, or more after the seventh
	}
	return fields, cols, true
}

// split cuts text into fields at runs of spaces and tabs, reporting every
// separator that is not exactly one space, and the first other control
// character. cols holds each field's 1-based column. Only the first eight
// fields are kept (one more than a line has, for the message); n counts
// them all, so a huge line costs no memory of its own.
func (p *parser) split(text string) (fields []string, cols []int, n int) {
	fields, cols = p.fieldBuf[:0], p.colBuf[:0]
	field := func(start, end int) {
		n++
		if len(fields) < len(p.fieldBuf) {
			fields = append(fields, text[start:end])
			cols = append(cols, start+1)
		}
	}
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
			field(start, i)
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
		field(start, len(text))
	}
	if tabs > 0 {
		msg := "a tab character; separate fields with exactly one space"
		if tabs > 1 {
			msg = fmt.Sprintf("%d tab characters on this line, the first here; separate fields with exactly one space", tabs)
		}
		p.report(firstTab, "", ErrTab, "%s", msg)
	}
	return fields, cols, n
}

func (p *parser) reportFieldCount(text string, fields []string, cols []int, n int) {
	if n > 7 {
		p.report(cols[7], "", ErrFieldCount, "%d fields, want 7 (guest-name host-cfname guest-clustername guest-cfname guest_IP guest_user guest_passwd)", n)
		return
	}
	missing := fieldNames[len(fields)]
	if len(fields) < 6 {
		missing += " ... " + FieldPasswd
	}
	p.report(len(text)+1, "", ErrFieldCount, "%d fields, want 7: missing %s", len(fields), missing)
}
