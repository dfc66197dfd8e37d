package table

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/sfkvm/sfkvm/internal/termtext"
)

// Row is one line of a table. Cells are kept on one line (OneLine); Fix,
// when not empty, goes on the next line under the last column; Detail's
// lines follow, each after "      | ". Every cell, the fix and each line of
// the detail are escaped (Cell), so a guest name or a remote message that
// holds a terminal escape sequence shows as \x1b[... and is never sent to
// the terminal raw.
type Row struct {
	Cells  []string
	Fix    string
	Detail string
}

// Write writes header, rows and the closing line last (with its newline
// added) to w, in few write calls. Everything it writes goes through Cell
// or, for the detail's lines, termtext.Escape: a table is a terminal's
// text, and much of what it shows comes from kvmguests.conf, other hosts
// and guests.
//
// The columns are aligned over the whole table, header and every row: a
// row's fix and detail lines, which are not part of the columns, do not
// start a new alignment below them (a multi-line cell used to shift every
// row after it).
func Write(w io.Writer, header []string, rows []Row, last string) error {
	lines := make([][]string, 0, 1+len(rows))
	lines = append(lines, escapeAll(header))
	for _, r := range rows {
		lines = append(lines, escapeAll(r.Cells))
	}
	// A column is as wide as its widest cell, counted in runes (as
	// text/tabwriter counts them); the last cell of a line is not padded.
	var widths []int
	for _, l := range lines {
		for i := 0; i < len(l)-1; i++ {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(l[i]))
		}
	}
	fixIndent := 0
	for i := 0; i < len(header)-1 && i < len(widths); i++ {
		fixIndent += widths[i] + gap
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	writeLine := func(l []string) {
		for i, c := range l {
			bw.WriteString(c)
			if i < len(l)-1 {
				bw.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+gap))
			}
		}
		bw.WriteByte('\n')
	}
	writeLine(lines[0])
	for i, r := range rows {
		writeLine(lines[1+i])
		if r.Fix != "" {
			fmt.Fprintf(bw, "%s  fix: %s\n", strings.Repeat(" ", fixIndent), Cell(r.Fix))
		}
		if r.Detail != "" {
			for _, l := range strings.Split(strings.TrimRight(r.Detail, "\n"), "\n") {
				fmt.Fprintf(bw, "      | %s\n", termtext.Escape(strings.TrimSuffix(l, "\r"), termtext.NoLimit))
			}
		}
	}
	fmt.Fprintln(bw, Cell(last))
	return bw.Flush()
}

// gap is the space between two columns.
const gap = 2

// escapeAll is a line's cells as the table shows them (Cell).
func escapeAll(c []string) []string {
	safe := make([]string, len(c))
	for i, s := range c {
		safe[i] = Cell(s)
	}
	return safe
}

// Cell is s as a table shows it: on one line (OneLine), then escaped by
// termtext.Escape (C0 and C1 controls, DEL, bidi overrides, invalid UTF-8);
// text that was quoted already, such as sshcheck.QuoteRemote's, is kept.
func Cell(s string) string { return termtext.Escape(OneLine(s), termtext.NoLimit) }

// OneLine keeps a cell on one line: runs of white space, newlines
// included, become one space.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
