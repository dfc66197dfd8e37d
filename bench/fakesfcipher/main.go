// Command fakesfcipher is sfciphertest's fake of the vendor's sfcipher as a
// program of its own (mode OK: the known prompts on /dev/tty, echo off, a
// token of the vendor's shape that is NOT the vendor's), for
// bench/rotate.sh, where no test binary can stand in for it.
package main

import (
	"os"

	"github.com/sfkvm/sfkvm/cipher/sfciphertest"
)

func main() { os.Exit(sfciphertest.Main(sfciphertest.OK, os.Args[1:])) }
