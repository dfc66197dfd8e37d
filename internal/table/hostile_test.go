package table_test

import (
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/internal/table"
	"github.com/sfkvm/sfkvm/internal/testenv"
	"github.com/sfkvm/sfkvm/preflight"
	"github.com/sfkvm/sfkvm/site"
)

// A guest name or a host's CF node name comes from kvmguests.conf and
// other hosts; every part of a table must show such text escaped.
func TestWriteEscapesEveryPart(t *testing.T) {
	for name, s := range testenv.HostileText {
		var b strings.Builder
		err := table.Write(&b, []string{"CHECK", s}, []table.Row{
			{Cells: []string{s, "guest-" + s}, Fix: "fix " + s, Detail: "first\n" + s + "\nlast\r\n"},
			{Cells: []string{"ok", s}},
		}, "closing "+s)
		if err != nil {
			t.Fatal(err)
		}
		if raw := testenv.RawTerminalControl(b.String()); raw != "" {
			t.Errorf("%s: the table holds a raw %s:\n%q", name, raw, b.String())
		}
	}
}

func TestWriteShowsEscapedTarget(t *testing.T) {
	var b strings.Builder
	if err := table.Write(&b, []string{"TARGET"}, []table.Row{{Cells: []string{"g1\x1b[2J\x9b\u009b\u202e"}}}, "end"); err != nil {
		t.Fatal(err)
	}
	if want := `g1\x1b[2J\x9b\u009b\u202e`; !strings.Contains(b.String(), want) {
		t.Errorf("the table does not show %s:\n%s", want, b.String())
	}
}

func TestPreflightWriteTextEscapes(t *testing.T) {
	for name, s := range testenv.HostileText {
		r := preflight.Report{Results: []preflight.Result{{
			Step: "1.5", Title: "guest login " + s, Target: s, Status: preflight.Fail,
			Reason: "cannot log in to " + s, Fix: "check " + s, Detail: s,
		}}}
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if raw := testenv.RawTerminalControl(b.String()); raw != "" {
			t.Errorf("%s: preflight's table holds a raw %s:\n%q", name, raw, b.String())
		}
	}
}

func TestSiteWriteTextEscapes(t *testing.T) {
	for name, s := range testenv.HostileText {
		r := site.Report{Results: []site.Result{
			{Host: s, Step: "1.5", Title: "guest login", Target: s, Status: preflight.Warn, Reason: s, Fix: s, Detail: s},
			{Title: "host names " + s, Target: "host-" + s, Status: preflight.Fail, Reason: "cfname " + s, Fix: "rename " + s},
		}}
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if raw := testenv.RawTerminalControl(b.String()); raw != "" {
			t.Errorf("%s: the site's table holds a raw %s:\n%q", name, raw, b.String())
		}
	}
}
