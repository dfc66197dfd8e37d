package diag_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sfkvm/sfkvm/diag"
)

const errDoubleSpace diag.Code = "double-space"

func TestPrintedForm(t *testing.T) {
	for _, tc := range []struct {
		d    diag.Diagnostic
		want string
	}{
		{diag.Diagnostic{File: "k.conf", Line: 1, Column: 36, Code: errDoubleSpace, Severity: diag.Error, Message: "two spaces"}, "k.conf:1:36: error: double-space: two spaces"},
		{diag.Diagnostic{File: "k.conf", Code: "file-mode", Severity: diag.Error, Message: "mode is 0644"}, "k.conf: error: file-mode: mode is 0644"},
		{diag.Diagnostic{File: "rcsd.cfg", Line: 3, Code: "weight", Severity: diag.Warning, Message: "m"}, "rcsd.cfg:3: warning: weight: m"},
		{diag.Diagnostic{Code: "ip-zone", Severity: diag.Error, Message: "m"}, "error: ip-zone: m"},
	} {
		if got := tc.d.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestErrorsIsMatchesTheCode(t *testing.T) {
	ds := diag.Diagnostics{
		{File: "f", Line: 2, Code: "tab", Severity: diag.Warning},
		{File: "f", Line: 1, Code: errDoubleSpace, Severity: diag.Error},
	}
	wrapped := fmt.Errorf("checking: %w", ds)
	if !errors.Is(wrapped, errDoubleSpace) || !errors.Is(ds[1], errDoubleSpace) {
		t.Error("errors.Is does not find the code")
	}
	if errors.Is(wrapped, diag.Code("crlf")) {
		t.Error("errors.Is finds a code that is not there")
	}
	var d diag.Diagnostic
	if !errors.As(wrapped, &d) || d.Code != "tab" {
		t.Errorf("errors.As found %+v", d)
	}
}

func TestFilters(t *testing.T) {
	w := diag.Diagnostic{File: "f", Line: 1, Code: "tab", Severity: diag.Warning}
	e := diag.Diagnostic{File: "f", Line: 2, Code: errDoubleSpace, Severity: diag.Error}
	if err := (diag.Diagnostics{w}).Err(); err != nil {
		t.Errorf("warnings alone: Err() = %v", err)
	}
	// Warnings alone leave the input usable: callers stop on HasErrors.
	if ws := (diag.Diagnostics{w, w}); ws.HasErrors() {
		t.Errorf("warnings alone: HasErrors() = true for %v", ws)
	}
	ds := diag.Diagnostics{e, w}
	if got := ds.Err(); got == nil || got.Error() != e.Error() {
		t.Errorf("Err() = %v, want only the error", got)
	}
	if !ds.HasErrors() || ds.Count(diag.Warning) != 1 || len(ds.Errors()) != 1 || len(ds.Warnings()) != 1 {
		t.Errorf("filters: %v %d %v %v", ds.HasErrors(), ds.Count(diag.Warning), ds.Errors(), ds.Warnings())
	}
	ds.Sort()
	if ds[0] != w {
		t.Errorf("Sort: %v", ds)
	}
}

func TestJSON(t *testing.T) {
	d := diag.Diagnostic{File: "f", Line: 1, Column: 2, Field: "guest_IP", Code: "ip-zone", Severity: diag.Error, Message: "m"}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"f","line":1,"column":2,"field":"guest_IP","code":"ip-zone","severity":"error","message":"m"}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	var back diag.Diagnostic
	if err := json.Unmarshal(b, &back); err != nil || !cmp.Equal(back, d) {
		t.Errorf("round trip: %+v %v", back, err)
	}
	if _, err := json.Marshal(diag.Diagnostic{Code: "x"}); err == nil {
		t.Error("the zero severity was written")
	}
}
