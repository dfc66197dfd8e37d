package migratesetup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Register writes info to path (DefaultPath when empty), replacing the
// file atomically: a temporary file in the same folder, mode 0600 from its
// first byte, synced, renamed over the old one, the folder synced. A
// reader (QEMU opening the guest's disk) sees the old file or the new one,
// never a mixture. The folder is made (0755, root's) when missing.
//
// It refuses info with errors (see HostInfo.Check) and writes nothing then.
// A guest that is running keeps the file it opened when it started: it
// sees a new registration after its next start or migration.
func Register(ctx context.Context, path string, info HostInfo) error {
	if path == "" {
		path = DefaultPath
	}
	data, err := info.Format()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("registering host information: %w", err)
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("registering host information: %w", err)
	}
	return nil
}

// ReadFile reads and parses a host information file on the host (Register's
// output, or a copy from another host for Compare).
func ReadFile(ctx context.Context, path string) (HostInfo, error) {
	if err := ctx.Err(); err != nil {
		return HostInfo{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return HostInfo{}, err
	}
	defer f.Close()
	return Parse(f, path)
}

// writeAtomic replaces path with data in the four steps: a temporary file
// in the same folder (os.CreateTemp makes it 0600 from the first byte),
// fsync, rename, fsync the folder so the rename itself survives a crash.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// CreateTemp asks for 0600 and the umask can only take bits away; say
	// it anyway, so the mode does not depend on that detail.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
