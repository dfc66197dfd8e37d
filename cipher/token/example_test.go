package token_test

import (
	"fmt"

	"github.com/sfkvm/sfkvm/cipher/token"
)

func Example() {
	for _, s := range []string{"D0860AB04E1B8FA3", "sfkvm1.AAECAwQ", "d0860ab04e1b8fa3", "hunter2"} {
		switch {
		case token.IsVendor(s):
			fmt.Println("sfcipher token, whole blocks:", len(s)%token.VendorBlockDigits == 0)
		case token.IsSealed(s):
			fmt.Println("sfkvm sealed token")
		case token.IsHex(s):
			fmt.Println("hexadecimal, not as sfcipher prints it")
		default:
			fmt.Println("not a token")
		}
	}
	// Output:
	// sfcipher token, whole blocks: true
	// sfkvm sealed token
	// hexadecimal, not as sfcipher prints it
	// not a token
}
