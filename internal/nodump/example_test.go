package nodump_test

import (
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/internal/nodump"
)

func ExampleProtect() {
	// First thing in main, before any secret is read.
	if err := nodump.Protect(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot keep secrets out of core dumps:", err)
		os.Exit(77)
	}
	fmt.Println("protected")
	// Output: protected
}
