package enroll

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/sfkvm/sfkvm/internal/safefile"
)

// GuestListKeys are the fields a line of a guest list may set after the
// address, each named as sfkvm enroll's flag that sets it for one guest.
var GuestListKeys = []string{"guest-user", "domain", "cluster", "cfname", "host-cfname", "guest-key-fingerprint"}

// MaxGuestList is the largest guest list ReadGuestList reads: some
// 10,000 guests of long lines.
const MaxGuestList = 4 << 20

// ErrGuestList: a guest list that is not one (a *GuestListError names the
// file, the line and the field).
var ErrGuestList = errors.New("not a guest list")

// ReadGuestList reads a guest list (sfkvm enroll --guest-list): one guest
// a line, its guest_IP then KEY=VALUE fields (GuestListKeys); blank lines
// and lines starting with # are skipped. The file is opened as sfkvm
// opens its inputs: a FIFO, a device or a folder is refused without
// being waited on or read (the error says which), and at most
// MaxGuestList bytes are read. A bad line is
// named by file, line and field (ErrGuestList).
func ReadGuestList(path string) ([]Member, error) {
	f, err := safefile.OpenRegular(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxGuestList+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxGuestList {
		return nil, &GuestListError{Path: path, Reason: fmt.Sprintf("larger than %d bytes: not a guest list", MaxGuestList)}
	}
	return ParseGuestList(data, path)
}

// ParseGuestList is ReadGuestList of data read already, name in errors.
func ParseGuestList(data []byte, name string) ([]Member, error) {
	path := name
	var ms []Member
	seen := map[netip.Addr]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(field int, text, format string, a ...any) error {
			return &GuestListError{Path: path, Line: n, Field: field, Text: text, Reason: fmt.Sprintf(format, a...)}
		}
		fields := strings.Fields(line)
		addr, err := netip.ParseAddr(fields[0])
		if err != nil {
			return nil, bad(1, fields[0], "not an IP address (guest_IP comes first on each line)")
		}
		if first, dup := seen[addr]; dup {
			return nil, bad(1, fields[0], "the same guest as line %d", first)
		}
		seen[addr] = n
		m := Member{Address: addr}
		for i, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok || v == "" {
				return nil, bad(i+2, f, "not KEY=VALUE (keys: %s)", strings.Join(GuestListKeys, ", "))
			}
			switch k {
			case "guest-user":
				m.User = v
			case "domain":
				m.Given.Domain = v
			case "cluster":
				m.Given.ClusterName = v
			case "cfname":
				m.Given.CFName = v
			case "host-cfname":
				m.Given.HostCFName = v
			case "guest-key-fingerprint":
				if !strings.HasPrefix(v, "SHA256:") {
					return nil, bad(i+2, f, "not SHA256:... as ssh-keygen -lf prints it")
				}
				m.GuestKeyFingerprint = v
			default:
				return nil, bad(i+2, f, "unknown key %s (keys: %s)", k, strings.Join(GuestListKeys, ", "))
			}
		}
		ms = append(ms, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ms) == 0 {
		return nil, &GuestListError{Path: path, Reason: "no guest in it (one a line: guest_IP [KEY=VALUE ...])"}
	}
	return ms, nil
}

// GuestListError is a guest list that is not one: the file, and the line
// and field when one is to blame (0 when the whole file is). errors.Is(err,
// ErrGuestList) holds.
type GuestListError struct {
	Path         string
	Line, Field  int
	Text, Reason string
}

func (e *GuestListError) Error() string {
	if e.Line == 0 {
		return e.Path + ": " + e.Reason
	}
	return fmt.Sprintf("%s:%d: field %d %q: %s", e.Path, e.Line, e.Field, e.Text, e.Reason)
}

// Is makes errors.Is(err, ErrGuestList) true.
func (e *GuestListError) Is(target error) bool { return target == ErrGuestList }
