//go:build !linux

package nodump

// Protect does nothing where there is no prctl(PR_SET_DUMPABLE); sfkvm runs
// on Linux.
func Protect() error { return nil }
