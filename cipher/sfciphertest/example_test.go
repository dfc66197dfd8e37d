package sfciphertest_test

import (
	"fmt"

	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
)

// The fake's token has the vendor's shape (16 uppercase hex digits per 8
// bytes of password), but not its algorithm, which is not public.
func ExampleToken() {
	fmt.Println(sfciphertest.Token([]byte("Passw0rd")))
	fmt.Println(len(sfciphertest.Token([]byte("Passw0rd+"))))
	// Output:
	// C594ED232157E265
	// 32
}
