// Command fakesfcipher is sfciphertest's fake of the vendor's sfcipher as a
// program of its own (mode OK: the known prompts on /dev/tty, echo off, a
// token of the vendor's shape that is NOT the vendor's), for
// bench/rotate.sh, where no test binary can stand in for it.
//
// Usage, as the vendor's:
//
//	sfcipher -c
//
// bench/rotate.sh builds it under the name sfcipher, where cipher.CheckTool
// trusts it. It takes no other arguments (exit 2), and exits 1 without a
// terminal.
package main
