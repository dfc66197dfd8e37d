package iprule_test

import (
	"fmt"

	"github.com/sfkvm/sfkvm/internal/iprule"
)

func ExampleParse() {
	_, ds := iprule.Parse("guest_IP", "::ffff:10.0.0.1")
	for _, d := range ds {
		fmt.Println(d.Severity, d.Code)
	}
	// Output:
	// warning ip-v4-mapped
}
