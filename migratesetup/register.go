package migratesetup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// Register writes info to path (DefaultPath when empty), replacing the
// file atomically: a temporary file in the same folder, mode 0600 from its
// first byte, synced, renamed over the old one, the folder synced. A
// reader (QEMU opening the guest's disk) sees the old file or the new one,
// never a mixture. The folder is made (0755, root's) when missing.
//
// Every guest on this host reads the file, so Register refuses rather than
// guess: a relative path; a folder that is a symbolic link, is owned by
// neither root nor the caller, or can be written by group or others
// (anyone who can write the folder can swap the file); and a path whose
// current entry is anything but a regular file (/dev/null, a FIFO, a
// device, a symbolic link: replacing it would destroy it). The refusals
// wrap the rules of internal/safefile: errors.Is(err, fs.ErrPermission) is
// false for them; see [ErrUnsafePath]. The replace is made relative to the
// opened folder (openat, renameat), so no path can be swapped in between.
//
// It refuses info with errors (see HostInfo.Check) and writes nothing then.
// A guest that is running keeps the file it opened when it started: it
// sees a new registration after its next start or migration.
func Register(ctx context.Context, path string, info HostInfo) error {
	if path == "" {
		path = DefaultPath
	}
	if err := CheckHostInfoPath(path); err != nil {
		return err
	}
	data, err := info.Format()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return context.Cause(ctx) // the caller's reason (an interrupt, say), not "context canceled"
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("registering host information: %w", err)
	}
	if err := safefile.WriteFile(path, data); err != nil {
		return fmt.Errorf("registering host information: %w", unsafePath(err))
	}
	return nil
}

// ReadFile reads and parses a host information file on the host (Register's
// output, or a copy from another host for Compare). Only a regular file is
// read (a FIFO or a device at the path is refused without blocking), at
// most MaxFileSize bytes.
func ReadFile(ctx context.Context, path string) (HostInfo, error) {
	if ctx.Err() != nil {
		return HostInfo{}, context.Cause(ctx)
	}
	f, err := safefile.OpenRegular(path, false)
	if err != nil {
		return HostInfo{}, unsafePath(err)
	}
	defer f.Close()
	return Parse(f, path)
}
