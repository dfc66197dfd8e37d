//go:build !unix

package conflock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// Acquire, Release and Replace need flock(2) and the guarded writes of
// safefile: Unix only.
func Acquire(context.Context, string, Owner) error { return safefile.ErrUnsupported }

// Release: Unix only.
func Release(string, Owner) error { return safefile.ErrUnsupported }

// Replace: Unix only.
func Replace(context.Context, string, Owner, []byte, ...string) error {
	return safefile.ErrUnsupported
}

// SHA256 is the hex SHA-256 of b, as sha256sum prints it.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// alive: without kill(2), every process is taken to live (a lock is stale
// only when its lease ends).
func alive(int) bool { return true }
