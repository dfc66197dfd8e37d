package sshcheck

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/skeema/knownhosts"
)

// ErrUnsafeFile: a known_hosts file or its folder is a symbolic link, not
// a regular file or folder, owned by someone other than the caller or root,
// or writable by group or others. Such a file is neither read nor written:
// a key planted in it would be trusted, and a line appended through it
// would land where another user chose. Test with errors.Is.
var ErrUnsafeFile = errors.New("unsafe known_hosts file")

// maxKnownHostsSize bounds a known_hosts file that is read; OpenSSH's own
// files stay far below it.
const maxKnownHostsSize = 64 << 20

// The rules for known_hosts, read or written, user or global file, as
// OpenSSH's StrictModes applies them to ~/.ssh/authorized_keys:
//
//   - the folder (~/.ssh) is opened with O_NOFOLLOW|O_DIRECTORY and the
//     file relative to it (openat) with O_NOFOLLOW, so that neither may be
//     a symbolic link and no path can be swapped in between;
//   - each must be owned by the caller (the effective user) or root, and
//     not be writable by group or others; the file must be a regular file
//     (opened non-blocking, so a FIFO in its place cannot hang the open);
//   - a missing folder is created (for a key to record) with mode 0700,
//     owned by the caller; only its last component is created, as ssh
//     creates ~/.ssh only in an existing home; a missing file is created
//     0600. For reading, a missing folder or file is an empty file.
//
// Reading applies the same rules as writing: a known_hosts that others
// could write may hold a planted key, which a strict probe would trust.

// knownDB is a loaded known_hosts database and the real names of the files
// it was read through (x/crypto reads by name: it is given /dev/fd/N of
// each file opened by the rules above, never the path again, so what it
// reads is the file that was checked).
type knownDB struct {
	db    *knownhosts.HostKeyDB
	names map[string]string // /dev/fd/N -> path
	index *knownIndex       // nil: x/crypto answers every lookup
}

// name returns the path that an entry's Filename stands for.
func (k *knownDB) name(f string) string {
	if n, ok := k.names[f]; ok {
		return n
	}
	return f
}

// loadKnownHosts reads the files that exist, each opened by the rules
// above; a missing file (or folder) is an empty one: root's known_hosts
// does not exist before the first "yes".
func loadKnownHosts(files []string) (*knownDB, error) {
	k := &knownDB{names: map[string]string{}}
	var fdNames []string
	var opened []*os.File
	for _, path := range files {
		f, err := openKnownHostsReadOnly(path)
		if err != nil {
			return nil, err
		}
		if f == nil {
			continue
		}
		defer f.Close()
		n := fdPath(f)
		k.names[n] = path
		fdNames = append(fdNames, n)
		opened = append(opened, f)
	}
	before := readAll(opened)
	db, err := knownhosts.NewDB(fdNames...)
	if err != nil {
		return nil, errors.New(k.realNames(err.Error()))
	}
	k.db = db
	k.index = indexOf(fdNames, before, readAll(opened))
	return k, nil
}

// indexOf builds the index from the files' contents as read before and
// after x/crypto read them: the index must read what x/crypto read, so a
// file that changed meanwhile (or could not be read) leaves every lookup
// to x/crypto.
func indexOf(names []string, before, after [][]byte) *knownIndex {
	if before == nil || after == nil || !slices.EqualFunc(before, after, bytes.Equal) {
		return nil
	}
	rs := make([]io.Reader, len(before))
	for i, b := range before {
		rs[i] = bytes.NewReader(b)
	}
	return buildKnownIndex(names, rs)
}

// readAll reads each file from its start (ReadAt: the offset that
// /dev/fd/N shares on some systems stays where x/crypto expects it), or
// returns nil when one cannot be read. openKnownHostsFile has bounded
// their size.
func readAll(files []*os.File) [][]byte {
	out := make([][]byte, len(files))
	for i, f := range files {
		b, err := io.ReadAll(io.NewSectionReader(f, 0, maxKnownHostsSize+1))
		if err != nil || len(b) > maxKnownHostsSize {
			return nil
		}
		out[i] = b
	}
	return out
}

// fdPath names the open file f for x/crypto to open again: /dev/fd/N, or
// /proc/self/fd/N where /dev has no fd folder (a bare chroot).
func fdPath(f *os.File) string {
	n := strconv.Itoa(int(f.Fd()))
	if _, err := os.Stat("/dev/fd/" + n); err == nil {
		return "/dev/fd/" + n
	}
	return "/proc/self/fd/" + n
}

func openKnownHostsReadOnly(path string) (*os.File, error) {
	dir, err := openKnownHostsDir(filepath.Dir(path), false)
	if err != nil || dir == nil {
		return nil, err
	}
	defer dir.Close()
	return openKnownHostsFile(dir, path, false)
}

// realNames puts the paths back into a message that names /dev/fd/N,
// longest first so that /dev/fd/1 never replaces a part of /dev/fd/12.
func (k *knownDB) realNames(msg string) string {
	fds := make([]string, 0, len(k.names))
	for n := range k.names {
		fds = append(fds, n)
	}
	slices.SortFunc(fds, func(a, b string) int { return len(b) - len(a) })
	var pairs []string
	for _, n := range fds {
		pairs = append(pairs, n, k.names[n])
	}
	return "known_hosts: " + strings.TrimPrefix(strings.NewReplacer(pairs...).Replace(msg), "knownhosts: ")
}
