package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/enroll"
	"github.com/sfkvm/sfkvm/internal/safefile"
	"github.com/sfkvm/sfkvm/rotate"
)

// guestListKeys are the fields a line of --guest-list may set after the
// address, each named as the flag that sets it for a single guest.
var guestListKeys = []string{"guest-user", "domain", "cluster", "cfname", "host-cfname", "guest-key-fingerprint"}

// readGuestList reads --guest-list: one guest a line, its guest_IP then
// KEY=VALUE fields (guestListKeys); blank lines and lines starting with #
// are skipped. A bad line is named by file, line and field.
func readGuestList(path string) ([]enroll.Member, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ms []enroll.Member
	seen := map[netip.Addr]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(field int, text, format string, a ...any) error {
			return fmt.Errorf("%s:%d: field %d %q: %s", path, n, field, text, fmt.Sprintf(format, a...))
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
		m := enroll.Member{Address: addr}
		for i, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok || v == "" {
				return nil, bad(i+2, f, "not KEY=VALUE (keys: %s)", strings.Join(guestListKeys, ", "))
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
				return nil, bad(i+2, f, "unknown key %s (keys: %s)", k, strings.Join(guestListKeys, ", "))
			}
		}
		ms = append(ms, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%s: no guest in it (one a line: guest_IP [KEY=VALUE ...])", path)
	}
	return ms, nil
}

// generateBatchPasswords gives every member a new password, as --generate
// does for one, and writes them to the new root-only file path, one
// "guest_IP PASSWORD" a line (nothing is written in a dry run). wipe
// forgets them.
func generateBatchPasswords(ms []enroll.Member, path string, dryRun bool) (wipe func(), err error) {
	var pws []cipher.Secret
	wipe = func() {
		for _, p := range pws {
			p.Wipe()
		}
	}
	var b []byte
	defer func() { clear(b) }()
	for i := range ms {
		pw, err := rotate.Generate(0)
		if err != nil {
			wipe()
			return func() {}, err
		}
		pws = append(pws, pw)
		ms[i].Password = pw
		b = append(append(append(append(b, ms[i].Address.String()...), ' '), pw.Bytes()...), '\n')
	}
	if dryRun {
		return wipe, nil
	}
	if _, err := os.Lstat(path); err == nil {
		wipe()
		return func() {}, fmt.Errorf("%s: %w", path, rotate.ErrExists)
	}
	if err := safefile.CreateFile(path, b); err != nil {
		wipe()
		if errors.Is(err, os.ErrExist) {
			err = fmt.Errorf("%s: %w", path, rotate.ErrExists)
		}
		return func() {}, err
	}
	return wipe, nil
}
