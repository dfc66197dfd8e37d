//go:build unix

package conflock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"golang.org/x/sys/unix"
)

// FlockWait bounds the wait for the folder's flock, as the scripts' flock
// -w 10 does: it is held only while a lock file is read or written, or
// while one file is replaced.
const FlockWait = 10 * time.Second

// maxFile caps what Replace reads to hash the file in place (kvmguests'
// own limit is 64 MiB).
const maxFile = 64<<20 + 1

// Acquire takes the lock of file for o on this host, or refuses with a
// *LockedError naming the holder. Taking a lock that o already holds
// renews its lease.
func Acquire(ctx context.Context, file string, o Owner) error {
	return underFlock(ctx, file, func(d *safefile.Dir) error {
		cur, ok, err := readLock(d, file)
		if err != nil {
			return err
		}
		if ok && cur.Run != o.Run && !cur.stale(time.Now()) {
			return &LockedError{File: file, By: cur}
		}
		return d.Replace(filepath.Base(Path(file)), o.Marshal())
	})
}

// Release removes the lock of file if o holds it. It returns ErrNotHeld
// when another run holds it now, and nil when there is none.
func Release(file string, o Owner) error {
	return underFlock(context.Background(), file, func(d *safefile.Dir) error {
		cur, ok, err := readLock(d, file)
		switch {
		case err != nil:
			return err
		case !ok:
			return nil
		case cur.Run != o.Run:
			return fmt.Errorf("%s: %w: %s holds it", file, ErrNotHeld, cur)
		}
		if err := unix.Unlinkat(int(d.Fd()), filepath.Base(Path(file)), 0); err != nil {
			return fmt.Errorf("%s: %w", Path(file), err)
		}
		return unix.Fsync(int(d.Fd()))
	})
}

// Replace replaces file with data, atomically and 0600 from the first
// byte (safefile), if o still holds its lock and the file is still one of
// expect (SHA-256 in hex; "none" for no file). A file that already holds
// data is left as it is. Anything else is a *ChangedError, or ErrNotHeld.
func Replace(ctx context.Context, file string, o Owner, data []byte, expect ...string) error {
	return underFlock(ctx, file, func(d *safefile.Dir) error {
		cur, ok, err := readLock(d, file)
		if err != nil {
			return err
		}
		if !ok || cur.Run != o.Run {
			return fmt.Errorf("%s: %w", file, ErrNotHeld)
		}
		now, err := hashIn(d, filepath.Base(file))
		if err != nil {
			return err
		}
		if now == SHA256(data) {
			return nil
		}
		if !slices.Contains(expect, now) {
			return &ChangedError{File: file, Now: now}
		}
		return d.Replace(filepath.Base(file), data)
	})
}

// SHA256 is the hex SHA-256 of b, as sha256sum prints it.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// underFlock runs f with file's folder opened (safefile's checks) and
// flock(2)ed.
func underFlock(ctx context.Context, file string, f func(*safefile.Dir) error) error {
	d, err := safefile.OpenDir(filepath.Dir(file))
	if err != nil {
		return err
	}
	defer d.Close()
	fd := int(d.Fd())
	deadline := time.Now().Add(FlockWait)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("%s: flock: %w", d.Path(), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %w (%s)", d.Path(), ErrBusy, FlockWait)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer unix.Flock(fd, unix.LOCK_UN)
	return f(d)
}

// openIn opens name in d for reading: never through a symbolic link, never
// blocking on a FIFO, a regular file only. ok is false when it is absent.
func openIn(d *safefile.Dir, name string) (f *os.File, ok bool, err error) {
	fd, err := unix.Openat(int(d.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, false, nil
	}
	full := filepath.Join(d.Path(), name)
	if errors.Is(err, unix.ELOOP) {
		return nil, false, &safefile.Error{Path: full, Err: safefile.ErrSymlink}
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", full, err)
	}
	f = os.NewFile(uintptr(fd), full)
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &safefile.Error{Path: full, Detail: safefile.TypeName(fi.Mode()), Err: safefile.ErrNotRegular}
	}
	if err != nil {
		f.Close()
		return nil, false, err
	}
	return f, true, nil
}

// readLock reads file's lock in d; ok is false when there is none. A lock
// file that is not sfkvm's is a *LockedError: never taken over.
func readLock(d *safefile.Dir, file string) (Owner, bool, error) {
	f, ok, err := openIn(d, filepath.Base(Path(file)))
	if !ok || err != nil {
		return Owner{}, false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return Owner{}, false, err
	}
	o, err := ParseOwner(b)
	if err != nil {
		return Owner{}, false, &LockedError{File: file, Raw: string(b[:min(len(b), 512)])}
	}
	return o, true, nil
}

// hashIn is the SHA-256 of name in d, "none" when absent.
func hashIn(d *safefile.Dir, name string) (string, error) {
	f, ok, err := openIn(d, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "none", nil
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, maxFile))
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Name(), err)
	}
	if n == maxFile {
		return "", fmt.Errorf("%s: larger than %d bytes", f.Name(), maxFile-1)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// alive reports whether process pid exists on this host.
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
