//go:build unix

package safefile

import (
	"io/fs"
	"syscall"
)

// OwnerUID returns the numeric owner of fi; ok is false where the system
// keeps no such owner.
func OwnerUID(fi fs.FileInfo) (uid uint32, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
