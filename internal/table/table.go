package table

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
func Write(w io.Writer, header []string, rows []Row, last string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fixIndent := strings.Repeat("\t", len(header)-1) + "  fix: "
	fmt.Fprintln(tw, cells(header))
	for _, r := range rows {
		fmt.Fprintln(tw, cells(r.Cells))
		if r.Fix != "" {
			fmt.Fprintln(tw, fixIndent+Cell(r.Fix))
		}
		if r.Detail != "" {
			// The detail is not part of the columns: what is above it is
			// aligned on its own.
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, l := range strings.Split(strings.TrimRight(r.Detail, "\n"), "\n") {
				fmt.Fprintf(bw, "      | %s\n", termtext.Escape(strings.TrimSuffix(l, "\r"), termtext.NoLimit))
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(bw, Cell(last))
	return bw.Flush()
}

// cells joins a line's cells for the tabwriter.
func cells(c []string) string {
	safe := make([]string, len(c))
	for i, s := range c {
		safe[i] = Cell(s)
	}
	return strings.Join(safe, "\t")
}

// Cell is s as a table shows it: on one line (OneLine), then escaped by
// termtext.Escape (C0 and C1 controls, DEL, bidi overrides, invalid UTF-8);
// text that was quoted already, such as sshcheck.QuoteRemote's, is kept.
func Cell(s string) string { return termtext.Escape(OneLine(s), termtext.NoLimit) }

// OneLine keeps a cell on one line: runs of white space, newlines
// included, become one space.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
