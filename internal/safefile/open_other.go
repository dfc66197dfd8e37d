//go:build !unix

package safefile

import (
	"io/fs"
	"os"
)

// OpenRegular needs a non-blocking open and O_NOFOLLOW: on this system it
// returns ErrUnsupported.
func OpenRegular(path string, nofollow bool) (*os.File, error) { return nil, unsupported(path) }

// checkOwner has no owner to check on this system.
func checkOwner(path string, fi fs.FileInfo) error { return unsupported(path) }
