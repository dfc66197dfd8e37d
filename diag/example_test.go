package diag_test

import (
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/diag"
)

func Example() {
	const errTab diag.Code = "tab"
	ds := diag.Diagnostics{
		{File: "kvmguests.conf", Line: 3, Column: 8, Field: "host-cfname", Code: errTab, Severity: diag.Error, Message: "a tab character; separate fields with exactly one space"},
		{File: "kvmguests.conf", Line: 5, Code: "blank-line", Severity: diag.Warning, Message: "an empty line"},
	}
	if err := ds.Err(); err != nil {
		fmt.Println(err)
		fmt.Println("tab?", errors.Is(err, errTab))
	}
	// Output:
	// kvmguests.conf:3:8: error: tab: a tab character; separate fields with exactly one space
	// tab? true
}
