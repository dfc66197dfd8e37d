package table_test

import (
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/table"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
)

// statusColumns returns the rune offset of STATUS in the header and of
// the status word in every row line (a line holding one of the words).
func statusColumns(t *testing.T, text string, words ...string) (header int, rows []int) {
	t.Helper()
	lines := strings.Split(text, "\n")
	header = strings.Index(lines[0], "STATUS")
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, " ") {
			continue // a fix or a detail line
		}
		for _, w := range words {
			if i := strings.Index(l, "  "+w+"  "); i >= 0 {
				rows = append(rows, i+2)
			}
		}
	}
	return header, rows
}

// A row with a detail (a multi-line cell: the message of a host that was
// not reached) used to start a new alignment below it: the rows after it
// no longer lined up with the header.
func TestRowsStayAlignedAfterAMultiLineCell(t *testing.T) {
	var b strings.Builder
	err := table.Write(&b, []string{"CHECK", "TARGET", "STATUS", "REASON"}, []table.Row{
		{Cells: []string{"guest.sudo", "guest12", "FAIL", "no sudo"}, Fix: "add NOPASSWD", Detail: "sudo: a password\nis required"},
		{Cells: []string{"guest.login-is-long", "g1", "OK", "fine"}},
		{Cells: []string{"x", "a-much-longer-target", "WARN", "soon"}},
	}, "3 rows")
	if err != nil {
		t.Fatal(err)
	}
	h, rows := statusColumns(t, b.String(), "FAIL", "OK", "WARN")
	if len(rows) != 3 {
		t.Fatalf("rows %v:\n%s", rows, b.String())
	}
	for _, c := range rows {
		if c != h {
			t.Errorf("a status at column %d, the header's at %d:\n%s", c, h, b.String())
		}
	}

	// The same through site's report: a host that was not reached.
	r := site.Report{Results: []site.Result{
		{Host: "10.0.0.9:22", Step: "-", Title: "host reached", Target: "10.0.0.9", Status: preflight.Fail,
			Reason: "connection refused", Fix: "start sshd", Detail: "dial tcp 10.0.0.9:22:\nconnect: connection refused"},
		{Host: "cfhost1-with-a-long-name", Step: "1.5", Title: "guest login", Target: "guest11", Status: preflight.OK, Reason: "logged in"},
	}}
	b.Reset()
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	h, rows = statusColumns(t, b.String(), "FAIL", "OK")
	if len(rows) != 2 || rows[0] != h || rows[1] != h {
		t.Errorf("header STATUS at %d, rows at %v:\n%s", h, rows, b.String())
	}
}
