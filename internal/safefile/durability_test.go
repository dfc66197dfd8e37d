//go:build unix

package safefile

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// recordOps replaces the seam sys with calls that do the real work and
// log what they did, in order, with the temporary file's random name
// written as TMP and the folder as DIR. The open also logs the mode the
// new file has the moment it exists, before anything else touches it.
func recordOps(t *testing.T, dir string) *[]string {
	t.Helper()
	var log []string
	tmp := "\x00" // no name matches until the open has seen it
	name := func(p string) string {
		switch p = filepath.Base(p); p {
		case tmp:
			return "TMP"
		case filepath.Base(dir):
			return "DIR"
		}
		return p
	}
	real := sys
	t.Cleanup(func() { sys = real })
	sys.openat = func(dirfd int, path string, flags int, mode uint32) (int, error) {
		fd, err := real.openat(dirfd, path, flags, mode)
		if err != nil {
			return fd, err
		}
		tmp = path
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Errorf("fstat of the new file: %v", err)
		}
		want := unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW
		log = append(log, fmt.Sprintf("open TMP creat|excl|nofollow=%t mode %04o, first seen %04o",
			flags&want == want, mode, st.Mode&0o7777))
		return fd, nil
	}
	sys.write = func(f *os.File, b []byte) (int, error) {
		log = append(log, "write "+name(f.Name()))
		return real.write(f, b)
	}
	sys.sync = func(f *os.File) error {
		log = append(log, "sync "+name(f.Name()))
		return real.sync(f)
	}
	sys.renameat = func(odfd int, old string, ndfd int, new string) error {
		log = append(log, "rename "+name(old)+" "+name(new))
		return real.renameat(odfd, old, ndfd, new)
	}
	sys.linkat = func(odfd int, old string, ndfd int, new string, flags int) error {
		log = append(log, "link "+name(old)+" "+name(new))
		return real.linkat(odfd, old, ndfd, new, flags)
	}
	return &log
}

// The order that makes a replace durable and private: the temporary file
// is created 0600 in the open itself (so no other user ever sees a byte),
// its data synced before the rename or link makes it visible under the
// name (else a crash can leave the name pointing at an empty file), and
// the folder synced after it (else a crash can forget the rename). The
// umask is 0 so that the mode of the open is what the file gets.
func TestWriteSyncsFileBeforeAndFolderAfterPuttingInPlace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(string, []byte) error
		put   string
	}{
		{"Replace", WriteFile, "rename TMP conf"},
		{"CreateNew", CreateFile, "link TMP conf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := recordOps(t, dir)
			old := unix.Umask(0) // after TempDir, which would be 0777
			defer unix.Umask(old)
			if err := tc.write(filepath.Join(dir, "conf"), []byte("new\n")); err != nil {
				t.Fatal(err)
			}
			want := []string{
				"open TMP creat|excl|nofollow=true mode 0600, first seen 0600",
				"write TMP",
				"sync TMP",
				tc.put,
				"sync DIR",
			}
			if !reflect.DeepEqual(*log, want) {
				t.Errorf("calls:\n\t%s\nwant:\n\t%s", strings.Join(*log, "\n\t"), strings.Join(want, "\n\t"))
			}
		})
	}
}
