package migratesetup

import (
	"bytes"
	"fmt"
	"net/netip"
)

// The contract with every guest. These never change: a guest set up today
// must still find its host after the host's sfkvm is upgraded.
const (
	// DefaultPath is where Register writes the host information, the same
	// path on every host, so that a migrated guest's disk finds the
	// destination host's file.
	DefaultPath = "/var/lib/sfkvm/hostinfo"
	// Serial is the serial number of the guest's disk.
	Serial = "sfkvm-hostinfo"
	// GuestDevice is where udev shows that disk inside a Linux guest.
	GuestDevice = "/dev/disk/by-id/virtio-" + Serial
	// FormatVersion is the version that Format writes and the newest that
	// Parse reads.
	FormatVersion = 1
	// SectorSize is the unit the file is padded to: a raw disk image is
	// seen by the guest in whole sectors.
	SectorSize = 512
	// MaxFileSize bounds what Parse and the guest reader accept.
	MaxFileSize = 64 << 10
)

// HostInfo is what a host registers and what its guests read. The zero
// value is not valid (it has no CF node name and no IP); see Check.
type HostInfo struct {
	// CFName is the host's CF node name, as `cftool -l` prints it.
	CFName string `json:"hostCFName"`
	// IP is the host's address on the cluster's admin network: IPv4 or
	// IPv6, not IPv6 link-local, no zone.
	IP netip.Addr `json:"hostIP"`
	// NoWeightLink is the vendor's "-w off": do not link the guest's
	// shutdown-facility weight to the host's when it migrates. The zero
	// value is the vendor's default (linked).
	NoWeightLink bool `json:"noWeightLink"`
}

// WeightLink returns "on" or "off", the words of the file and of -w.
func (h HostInfo) WeightLink() string {
	if h.NoWeightLink {
		return "off"
	}
	return "on"
}

// Check returns every problem with h's values, errors and warnings, with
// Field set and no position.
func (h HostInfo) Check() Diagnostics {
	ds := CheckCFName(h.CFName)
	ds = append(ds, CheckHostIP(h.IP)...)
	return ds
}

// Format returns the file's bytes: text, then zero bytes up to a whole
// number of sectors. It refuses a HostInfo with errors, so that nothing
// Parse would reject is ever written.
func (h HostInfo) Format() ([]byte, error) {
	if err := h.Check().Errors(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# sfkvm host information, written by Register; do not edit\n")
	fmt.Fprintf(&b, "%s %d\n", keyFormat, FormatVersion)
	fmt.Fprintf(&b, "%s %s\n", keyCFName, h.CFName)
	fmt.Fprintf(&b, "%s %s\n", keyIP, h.IP)
	fmt.Fprintf(&b, "%s %s\n", keyWeightLink, h.WeightLink())
	if pad := b.Len() % SectorSize; pad != 0 {
		b.Write(make([]byte, SectorSize-pad))
	}
	return b.Bytes(), nil
}

// The keys of format 1, in the order Format writes them.
const (
	keyFormat     = "format"
	keyCFName     = "host-cfname"
	keyIP         = "host-ip"
	keyWeightLink = "weight-link"
)

// CheckCFName checks a CF node name. Errors: empty, or a byte that the file
// cannot hold (space, control, non-ASCII). Warnings: outside
// [A-Za-z0-9_.-], longer than 31 bytes (CF's own limit).
func CheckCFName(name string) Diagnostics {
	d := func(code Code, sev Severity, format string, args ...any) Diagnostics {
		return Diagnostics{{Field: keyCFName, Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)}}
	}
	if name == "" {
		return d(CodeBadCFName, Error, "the host CF node name is empty")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f {
			return d(CodeBadCFName, Error, "the host CF node name has byte 0x%02x at offset %d (only printable ASCII without spaces)", c, i)
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return d(CodeCFNameStyle, Warning, "the host CF node name %q has %q, outside [A-Za-z0-9_.-]", name, c)
		}
	}
	if len(name) > 31 {
		return d(CodeCFNameStyle, Warning, "the host CF node name is %d bytes, longer than CF's 31", len(name))
	}
	return nil
}

// ParseHostIP parses and checks a host IP as the vendor's -i takes it. The
// error is Diagnostics; warnings alone do not make an error (see
// CheckHostIP).
func ParseHostIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, Diagnostics{{Field: keyIP, Code: CodeIPSyntax, Severity: Error,
			Message: fmt.Sprintf("%q is not an IPv4 or IPv6 address", s)}}
	}
	if err := CheckHostIP(a).Errors(); err != nil {
		return netip.Addr{}, err
	}
	return a, nil
}

// CheckHostIP returns the problems with a host IP. Errors: invalid, a zone,
// IPv6 link-local (the manual forbids it), unspecified, loopback,
// multicast, broadcast (no guest can reach its host there). Warnings:
// IPv4-mapped IPv6 and IPv4 link-local, which the manual does not mention.
func CheckHostIP(a netip.Addr) Diagnostics {
	d := func(code Code, sev Severity, format string, args ...any) Diagnostics {
		return Diagnostics{{Field: keyIP, Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)}}
	}
	switch {
	case !a.IsValid():
		return d(CodeIPSyntax, Error, "no host IP address")
	case a.Zone() != "":
		return d(CodeIPZone, Error, "host IP %s has a zone; write the address alone", a)
	case a.Is6() && !a.Is4In6() && a.IsLinkLocalUnicast():
		return d(CodeIPLinkLocal, Error, "host IP %s is IPv6 link-local (fe80::/10), which the manual does not allow", a)
	case a.IsUnspecified(), a.IsLoopback(), a.IsMulticast(), a.Unmap() == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return d(CodeIPNotUnicast, Error, "host IP %s is not a unicast address another machine can reach", a)
	case a.Is4In6():
		return d(CodeIPv4Mapped, Warning, "host IP %s is IPv4-mapped IPv6; %s is the usual spelling", a, a.Unmap())
	case a.Is4() && a.IsLinkLocalUnicast():
		return d(CodeIPv4LinkLocal, Warning, "host IP %s is IPv4 link-local (169.254.0.0/16)", a)
	}
	return nil
}
