package kvmguests

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/aymanbagabas/go-udiff/lcs"
)

// Copy is one host's copy of kvmguests.conf: PRIMECLUSTER wants the file
// byte-identical on every host OS.
type Copy struct {
	Name string // shown in the diff, e.g. "host2:/etc/opt/FJSVcluster/etc/kvmguests.conf"
	Data []byte
}

// Comparison is the result of comparing one copy with another.
type Comparison struct {
	A         string `json:"a"` // the names of the two copies
	B         string `json:"b"`
	Identical bool   `json:"identical"` // byte for byte
	// Diff is a unified diff from A to B, empty when Identical. Password
	// tokens are replaced by a fingerprint on both sides (see RedactLine),
	// so a difference in a token still shows, but the token does not.
	Diff string `json:"diff,omitempty"`
	// Cut is set when Diff does not show every difference: it stops after
	// MaxDiffSize bytes, or, when the lines that differ are more than
	// MaxDiffLines, says where they are instead of listing them.
	Cut bool `json:"cut,omitempty"`
	// LineEnds is set when the copies differ only in their line ends
	// (CRLF against LF), and says which copy has the CRLFs; Summary
	// names it.
	LineEnds LineEnds `json:"line_ends,omitempty"`
}

// Summary says in one line how B compares with A, naming a difference in
// line ends only as such: "host2.conf differs only in line ends: CRLF
// where host1.conf has LF".
func (c Comparison) Summary() string {
	switch {
	case c.Identical:
		return c.B + " is identical to " + c.A
	case c.LineEnds == CRLFInB:
		return c.B + " differs only in line ends: CRLF where " + c.A + " has LF"
	case c.LineEnds == CRLFInA:
		return c.B + " differs only in line ends: LF where " + c.A + " has CRLF"
	case c.LineEnds == CRLFInBoth:
		return c.B + " differs only in line ends: CRLF and LF, each where " + c.A + " has the other"
	}
	return c.B + " differs from " + c.A
}

// MaxDiffSize bounds the text of a Comparison's Diff, and MaxDiffLines the
// lines (of either copy) that are diffed line by line: past them, the copies
// are still reported as different, but the diff is cut, so the memory a
// comparison takes stays proportional to its inputs whatever they hold.
const (
	MaxDiffSize  = 4 << 20
	MaxDiffLines = 1 << 20
)

// contextLines is the number of unchanged lines shown around a change, as
// diff -u does.
const contextLines = 3

// Compare tells whether two copies are byte-identical and, when not, how
// they differ. Only the lines between the longest common run of lines at the
// start and the one at the end are diffed, so two large copies that differ
// in a few lines cost little more than the copies themselves.
func Compare(a, b Copy) Comparison {
	c := Comparison{A: a.Name, B: b.Name, Identical: bytes.Equal(a.Data, b.Data)}
	if c.Identical {
		return c
	}
	c.LineEnds = compareLineEnds(a.Data, b.Data)
	start, endA, endB := differingRegion(a.Data, b.Data)
	// Keep up to contextLines of the common lines on each side, for the
	// context of the first and last change.
	before := bytes.Count(a.Data[:start], []byte{'\n'})
	ctxStart := lineStartBefore(a.Data, start, contextLines)
	skipped := before - bytes.Count(a.Data[ctxStart:start], []byte{'\n'})
	ctxEndA := lineEndAfter(a.Data, endA, contextLines)
	ctxEndB := endB + (ctxEndA - endA) // the common tail is the same bytes
	var out diffWriter
	out.header(a.Name, b.Name)
	linesA, okA := splitLines(a.Data[ctxStart:ctxEndA])
	linesB, okB := splitLines(b.Data[ctxStart:ctxEndB])
	if !okA || !okB {
		fmt.Fprintf(&out.b, "(the copies differ from line %d on, in more than %d lines: too many to show as a diff)\n", before+1, MaxDiffLines)
		c.Diff, c.Cut = out.b.String(), true
		return c
	}
	out.hunks(linesA, linesB, lcs.DiffLines(linesA, linesB), skipped)
	c.Diff, c.Cut = out.b.String(), out.cut
	return c
}

// differingRegion returns where the copies stop agreeing, as whole lines:
// a[:start] equals b[:start], a[endA:] equals b[endB:], and start, endA
// and endB are at the start of a line (or the end of the data).
func differingRegion(a, b []byte) (start, endA, endB int) {
	n := min(len(a), len(b))
	p := 0
	for p < n && a[p] == b[p] {
		p++
	}
	start = bytes.LastIndexByte(a[:p], '\n') + 1
	s := 0
	for s < n-start && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	// The common tail must begin a line in both copies.
	atLineStart := func(x []byte, i int) bool { return i == start || x[i-1] == '\n' }
	if s > 0 && !(atLineStart(a, len(a)-s) && atLineStart(b, len(b)-s)) {
		tail := a[len(a)-s:]
		if i := bytes.IndexByte(tail, '\n'); i >= 0 {
			s -= i + 1
		} else {
			s = 0
		}
	}
	return start, len(a) - s, len(b) - s
}

// lineStartBefore returns the start of the line n lines before the line
// that starts at i (or 0).
func lineStartBefore(data []byte, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		i = bytes.LastIndexByte(data[:i-1], '\n') + 1
	}
	return i
}

// lineEndAfter returns the end of the n lines that start at i (or the end
// of the data).
func lineEndAfter(data []byte, i, n int) int {
	for ; n > 0 && i < len(data); n-- {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			return len(data)
		}
		i += j + 1
	}
	return i
}

// splitLines splits data into lines that keep their LF; false when there are
// more than MaxDiffLines.
func splitLines(data []byte) ([]string, bool) {
	n := bytes.Count(data, []byte{'\n'}) + 1
	if n > MaxDiffLines+1 {
		return nil, false
	}
	lines := make([]string, 0, n)
	// The lines share data's memory rather than copy it (a copy of two
	// large copies is what made a 70 MB file take 658 MB). They live only
	// while Compare runs, and nothing writes to data meanwhile.
	s := unsafe.String(unsafe.SliceData(data), len(data))
	for s != "" {
		i := strings.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		lines = append(lines, s[:i])
		s = s[i:]
	}
	if len(lines) > MaxDiffLines {
		return nil, false
	}
	return lines, true
}

// diffWriter writes a unified diff, as diff -u does, every line redacted,
// and stops after MaxDiffSize bytes.
type diffWriter struct {
	b   strings.Builder
	cut bool
}

func (w *diffWriter) header(a, b string) {
	w.b.WriteString("--- " + a + "\n+++ " + b + "\n")
}

// hunks writes the changes d between a and b, which are lines skipped+1...
// of the copies, with contextLines of context, changes closer than twice
// that joined in one hunk.
func (w *diffWriter) hunks(a, b []string, d []lcs.Diff, skipped int) {
	for i := 0; i < len(d); {
		j := i + 1
		for j < len(d) && d[j].Start-d[j-1].End <= 2*contextLines {
			j++
		}
		first, last := d[i], d[j-1]
		fromA := max(0, first.Start-contextLines)
		toA := min(len(a), last.End+contextLines)
		fromB := first.ReplStart - (first.Start - fromA)
		toB := last.ReplEnd + (toA - last.End)
		w.b.WriteString("@@ -" + hunkRange(skipped+fromA, toA-fromA) + " +" + hunkRange(skipped+fromB, toB-fromB) + " @@\n")
		pos := fromA
		for _, e := range d[i:j] {
			if !w.lines(' ', a[pos:e.Start]) || !w.lines('-', a[e.Start:e.End]) || !w.lines('+', b[e.ReplStart:e.ReplEnd]) {
				return
			}
			pos = e.End
		}
		if !w.lines(' ', a[pos:toA]) {
			return
		}
		i = j
	}
}

// lines writes lines with their mark; false once the diff is cut.
func (w *diffWriter) lines(mark byte, lines []string) bool {
	for _, l := range lines {
		r := RedactLine(l)
		if w.b.Len()+1+len(r) > MaxDiffSize {
			// What fits of the line (redacted already, so no secret is
			// cut open), then the reason the diff ends there.
			if room := MaxDiffSize - w.b.Len() - 1; room > 0 {
				w.b.WriteByte(mark)
				w.b.WriteString(strings.TrimSuffix(r[:room], "\n") + "\n")
			}
			fmt.Fprintf(&w.b, "(the diff stops here, after %d bytes; the copies differ further)\n", MaxDiffSize)
			w.cut = true
			return false
		}
		w.b.WriteByte(mark)
		w.b.WriteString(r)
		if !strings.HasSuffix(l, "\n") {
			w.b.WriteString("\n\\ No newline at end of file\n")
		}
	}
	return true
}

// hunkRange is a range of lines as diff -u writes it: the first line and
// the count, the count left out when it is 1, and for no lines the line
// before.
func hunkRange(from, n int) string {
	switch n {
	case 0:
		return strconv.Itoa(from) + ",0"
	case 1:
		return strconv.Itoa(from + 1)
	}
	return strconv.Itoa(from+1) + "," + strconv.Itoa(n)
}
