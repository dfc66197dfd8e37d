package testenv

import (
	"os"
	"syscall"
)

// WriteExecutable writes a program (a fake tool, a script) that a test
// then runs, as os.WriteFile does, with no fork of this process in
// between: a child forked by a test running in parallel inherits the
// open file until it execs its own program, and while any process holds
// the file open for writing, running it fails with "text file busy"
// (ETXTBSY; golang.org/issue/22315). That was TestSfcipherNotStartable's
// failure in one CI run out of many. Forks take syscall.ForkLock for
// writing; holding it for reading from the open to the close keeps them
// out, and the file is closed before any of them runs.
func WriteExecutable(path string, data []byte, perm os.FileMode) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	return os.WriteFile(path, data, perm)
}
