package table

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Row is one line of a table. Cells are written as given (the caller keeps
// them on one line); Fix, when not empty, goes on the next line under the
// last column; Detail's lines follow, each after "      | ".
type Row struct {
	Cells  []string
	Fix    string
	Detail string
}

// Write writes header, rows and the closing line last (with its newline
// added) to w, in few write calls.
func Write(w io.Writer, header []string, rows []Row, last string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fixIndent := strings.Repeat("\t", len(header)-1) + "  fix: "
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r.Cells, "\t"))
		if r.Fix != "" {
			fmt.Fprintln(tw, fixIndent+r.Fix)
		}
		if r.Detail != "" {
			// The detail is not part of the columns: what is above it is
			// aligned on its own.
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, l := range strings.Split(strings.TrimRight(r.Detail, "\n"), "\n") {
				fmt.Fprintf(bw, "      | %s\n", l)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(bw, last)
	return bw.Flush()
}

// OneLine keeps a cell on one line: runs of white space, newlines
// included, become one space.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
