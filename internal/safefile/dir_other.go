//go:build !unix

package safefile

// OpenDir needs openat and O_NOFOLLOW: on this system it returns
// ErrUnsupported.
func OpenDir(path string) (*Dir, error) { return nil, unsupported(path) }

// Replace is never reached on this system (OpenDir fails), and says so.
func (d *Dir) Replace(name string, data []byte) error { return unsupported(d.path) }

// CreateNew is not supported on this system.
func (d *Dir) CreateNew(name string, data []byte) error { return unsupported(d.path) }
