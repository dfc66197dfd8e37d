// Package table writes the text tables of preflight's and the site's
// reports, so that both have one layout: a header, one line per row, under
// a row what to do (indented to its last column), then its detail lines
// marked with "|", and a closing line. The output is buffered: the table
// writer writes cell by cell, and a site's report of 65,000 rows made as
// many write calls to the terminal or file.
//
// Much of a table is text sfkvm did not write: guest names and CF node
// names from kvmguests.conf, messages from guests and other hosts. Write
// escapes every cell, the fix and each detail line with internal/termtext
// (C0 and C1 controls, DEL, bidi overrides, invalid UTF-8 shown as \x1b,
// \u009b, \u202e, \xff), so a name holding an escape sequence cannot
// rewrite the terminal; a caller does not have to remember to.
package table
