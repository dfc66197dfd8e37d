// Package table writes the text tables of preflight's and the site's
// reports, so that both have one layout: a header, one line per row, under
// a row what to do (indented to its last column), then its detail lines
// marked with "|", and a closing line. The output is buffered: the table
// writer writes cell by cell, and a site's report of 65,000 rows made as
// many write calls to the terminal or file.
package table
