package site

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// MaxHostsFile bounds a hosts file: a site has tens of hosts, and a device
// or an endless file must not be read into memory.
const MaxHostsFile = 1 << 20

// ErrHostsFile: a hosts file that is not one (too large, empty, a line of
// two words, a host that is no host); the error is a *HostsFileError.
// Test with errors.Is. A file that is missing, unreadable, or not a
// regular file (a FIFO, a device, a folder) gives the file system's error
// or safefile's ErrNotRegular instead.
var ErrHostsFile = errors.New("not a hosts file")

// HostsFileError says where a hosts file is wrong: the file, the line (0
// for the whole file) and why. It matches ErrHostsFile.
type HostsFileError struct {
	Path   string
	Line   int
	Reason string
}

func (e *HostsFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return e.Path + ": " + e.Reason
}

// Is makes errors.Is(err, ErrHostsFile) true.
func (e *HostsFileError) Is(target error) bool { return target == ErrHostsFile }

// ParseHost reads one host as --hosts and a hosts file give it: a name or
// address, or ADDR:PORT ([v6addr]:port for IPv6). The Target logs in as
// Config.Hosts says (root, by key) unless the caller sets more.
func ParseHost(w string) (sshcheck.Target, error) {
	w = strings.TrimSpace(w)
	t := sshcheck.Target{Name: w, Address: w}
	if w == "" {
		return t, errors.New("empty host")
	}
	if h, p, err := net.SplitHostPort(w); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return t, fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
		t.Address, t.Port = h, port
	} else if strings.Count(w, ":") == 1 {
		return t, err
	}
	if strings.ContainsAny(t.Address, " \t/[]") {
		return t, errors.New("not a host name or address")
	}
	return t, nil
}

// ReadHostsFile reads the cluster's hosts from path: one host a line (as
// ParseHost reads it), blank lines and # comments skipped. Only a regular
// file is read, and never blocking: a FIFO or a device where the list
// belongs is refused on its type (safefile.ErrNotRegular), not read. An
// error names the file and the line.
//
// Whoever can change the list can hide a host from the report and from the
// alerts on it, so the file is checked as kvmguests.conf is: not a
// symbolic link (safefile.ErrSymlink), owned by root or the caller
// (safefile.ErrOwner), not writable by group or others (safefile.ErrMode).
// The checks are made on the file opened, so it cannot be swapped between
// check and read. Others may read it: it holds no secret.
func ReadHostsFile(path string) ([]sshcheck.Target, error) {
	f, err := safefile.OpenRegular(path, true)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkHostsFile(path, f); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxHostsFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxHostsFile {
		return nil, &HostsFileError{path, 0, fmt.Sprintf("larger than %d bytes", MaxHostsFile)}
	}
	var hosts []sshcheck.Target
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, MaxHostsFile+1)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		switch w := strings.Fields(line); len(w) {
		case 0:
		case 1:
			t, err := ParseHost(w[0])
			if err != nil {
				return nil, &HostsFileError{path, n, fmt.Sprintf("host %s: %v", sshcheck.QuoteRemote([]byte(w[0])), err)}
			}
			hosts = append(hosts, t)
		default:
			return nil, &HostsFileError{path, n, "one host a line, not " + sshcheck.QuoteRemote([]byte(strings.Join(w, " ")))}
		}
	}
	if len(hosts) == 0 {
		return nil, &HostsFileError{path, 0, "no hosts"}
	}
	return hosts, nil
}

// checkHostsFile applies ReadHostsFile's owner and mode rules to the file
// opened.
func checkHostsFile(path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return &safefile.Error{Path: path, Err: err}
	}
	uid, ok := safefile.OwnerUID(fi)
	switch {
	case !ok:
		return &safefile.Error{Path: path, Detail: "no owner information", Err: safefile.ErrOwner}
	case uid != 0 && int(uid) != os.Geteuid():
		return &safefile.Error{Path: path, Detail: fmt.Sprintf("uid %d, want root or uid %d", uid, os.Geteuid()), Err: safefile.ErrOwner}
	}
	if m := fi.Mode(); m.Perm()&0o022 != 0 {
		return &safefile.Error{Path: path, Detail: fmt.Sprintf("mode %04o: group or others can write it, and so hide a host from the report", safefile.ModeBits(m)), Err: safefile.ErrMode}
	}
	return nil
}
