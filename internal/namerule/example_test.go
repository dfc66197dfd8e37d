package namerule_test

import (
	"fmt"

	"github.com/sfkvm/sfkvm/internal/namerule"
)

func ExampleCheck() {
	for _, d := range namerule.Check("guest-cfname", "node/1", namerule.MaxCFName) {
		fmt.Println(d.Column, d.Code, d.Message)
	}
	// Output:
	// 5 name-charset guest-cfname "node/1" contains '/', outside [A-Za-z0-9_.-]
}
