//go:build !unix

package sshcheck

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// errNoKnownHostsRules: the known_hosts rules (O_NOFOLLOW, openat, owners
// and modes, flock) need Unix. On this system every known_hosts file is
// refused with it, so a probe fails closed rather than trust a file it
// could not check.
var errNoKnownHostsRules = fmt.Errorf("known_hosts files are read and written on Unix only, not on this system (%s): %w", runtime.GOOS, errors.ErrUnsupported)

func openKnownHostsDir(dir string, create bool) (*os.File, error) {
	return nil, fmt.Errorf("known_hosts: %s: %w", dir, errNoKnownHostsRules)
}

func openKnownHostsFile(dir *os.File, path string, write bool) (*os.File, error) {
	return nil, fmt.Errorf("known_hosts: %s: %w", path, errNoKnownHostsRules)
}

func lockFile(*os.File) (unlock func(), err error) { return nil, errNoKnownHostsRules }
