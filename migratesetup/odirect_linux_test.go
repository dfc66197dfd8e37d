package migratesetup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// readRefusing returns an open file whose every read fails with EINVAL,
// as on a file system that accepts O_DIRECT at open and refuses the read:
// an epoll descriptor, which has no read operation.
func readRefusing(t *testing.T) *os.File {
	t.Helper()
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), "epoll")
}

// The reader falls back to a plain open only when O_DIRECT itself is
// refused (EINVAL, at the open or at the read), and on any other error
// stops there: a disk that cannot be read must not be read some other
// way that the page cache can serve from a previous host. (The open that
// fails with EINVAL is TestReadGuestFallsBackWhenODirectIsRefused.)
func TestReadGuestFallsBackOnlyWhenODirectIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		direct func(t *testing.T, path string) (*os.File, error) // the O_DIRECT open
		opens  []bool                                            // O_DIRECT or not, each open in turn
		err    error                                             // nil: reads cfhost1
	}{
		{"read refused", func(t *testing.T, _ string) (*os.File, error) { return readRefusing(t), nil },
			[]bool{true, false}, nil},
		{"open denied", func(_ *testing.T, path string) (*os.File, error) {
			return nil, &os.PathError{Op: "open", Path: path, Err: syscall.EACCES}
		}, []bool{true}, syscall.EACCES},
		{"read fails otherwise", func(t *testing.T, _ string) (*os.File, error) { // a regular file open for writing only: EBADF
			return os.OpenFile(filepath.Join(t.TempDir(), "w"), os.O_WRONLY|os.O_CREATE, 0o600)
		}, []bool{true}, syscall.EBADF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := registered(t)
			var opens []bool
			t.Cleanup(func() { openFile = os.OpenFile })
			openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
				opens = append(opens, flag&oDirect != 0)
				if flag&oDirect != 0 {
					return tc.direct(t, name)
				}
				return os.OpenFile(name, flag, perm)
			}
			got, err := ReadGuest(context.Background(), path)
			if tc.err == nil && (err != nil || got != cfhost1) {
				t.Errorf("ReadGuest = %+v, %v; want %+v", got, err, cfhost1)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("ReadGuest = %+v, %v; want %v", got, err, tc.err)
			}
			if !slices.Equal(opens, tc.opens) {
				t.Errorf("opens with O_DIRECT %v, want %v", opens, tc.opens)
			}
		})
	}
}
