// Package sfciphertest is a fake of PRIMECLUSTER's sfcipher for tests: a
// program that behaves like the vendor's tool as far as that is known, and
// in each of the ways that it could go wrong.
//
// Like the real tool, the fake opens /dev/tty (so it fails without a
// terminal), turns echo off, prompts "Enter User's Password:" and then
// "Re-enter User's Password:", refuses two entries that differ, and prints
// one token. Its token is NOT the vendor's (whose algorithm is not public):
// it is a deterministic stand-in of the same shape, 16 uppercase hex
// digits per 8 bytes of password ([Token]).
//
// The fake runs as the test binary itself (the helper-process pattern of
// os/exec's tests): a test package declares
//
//	func TestSfcipherHelper(t *testing.T) { sfciphertest.Helper() }
//
// and a test installs the fake with [Install], which writes a small
// sfcipher script that re-executes the test binary in that helper.
// cipher runs only a sfcipher that root owns, in folders that only root
// can change, from / down: a fake in t.TempDir() (under the world-writable
// /tmp) is refused. [InstallTrusted] puts the fake where the check passes,
// for tests of programs that look the tool up themselves.
//
// Unknown, and decided here: the vendor's words for a mismatch or a missing
// terminal and its exit codes (the fake says [MsgMismatch] or [MsgNoTTY]
// and exits 1).
package sfciphertest
