package termtext_test

import (
	"fmt"

	"github.com/sfkvm/sfkvm/internal/termtext"
)

func ExampleEscape() {
	// A guest name from kvmguests.conf that would clear the screen.
	fmt.Println(termtext.Escape("guest1\x1b[2J\u202e", termtext.NoLimit))
	// Output: guest1\x1b[2J\u202e
}

func ExampleQuote() {
	// A remote command's stderr, trimmed, quoted and cut.
	fmt.Println(termtext.Quote("  sudo: \x9b31mno\n", 300))
	fmt.Println(termtext.Quote("0123456789", 4))
	// Output:
	// "sudo: \x9b31mno"
	// "0123" (cut)
}
