package migratesetup

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/iprule"
	"github.com/sfkvm/sfkvm/internal/namerule"
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
// value is not valid (it has no CF node name and no IP); see Check. Its
// JSON form is {"host_cfname", "host_ip", "weight_link"} (MarshalJSON).
type HostInfo struct {
	// CFName is the host's CF node name, as `cftool -l` prints it.
	CFName string
	// IP is the host's address on the cluster's admin network: IPv4 or
	// IPv6, not IPv6 link-local, no zone.
	IP netip.Addr
	// NoWeightLink is the vendor's "-w off": do not link the guest's
	// shutdown-facility weight to the host's when it migrates. The zero
	// value is the vendor's default (linked).
	NoWeightLink bool
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
func (h HostInfo) Check() diag.Diagnostics {
	ds := CheckCFName(h.CFName)
	ds = append(ds, CheckHostIP(h.IP)...)
	return ds
}

// Format returns the file's bytes: text, then zero bytes up to a whole
// number of sectors. It refuses a HostInfo with errors, so that nothing
// Parse would reject is ever written.
func (h HostInfo) Format() ([]byte, error) {
	if err := h.Check().Err(); err != nil {
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
// cannot hold (space, control, non-ASCII): CodeBadCFName. Warnings, from
// the CF name rule shared with kvmguests and sdfacility: outside
// [A-Za-z0-9_.-] (CodeNameCharset), longer than 31 bytes, CF's own limit
// (CodeNameLength). Column counts from 1 within the name.
func CheckCFName(name string) diag.Diagnostics {
	if name == "" {
		return diag.Diagnostics{{Field: keyCFName, Code: CodeBadCFName, Severity: diag.Error, Message: "the host CF node name is empty"}}
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f {
			return diag.Diagnostics{{Field: keyCFName, Column: i + 1, Code: CodeBadCFName, Severity: diag.Error,
				Message: fmt.Sprintf("the host CF node name has byte 0x%02x at offset %d (only printable ASCII without spaces)", c, i)}}
		}
	}
	return withField(keyCFName, namerule.Check("the host CF node name", name, namerule.MaxCFName))
}

// ParseHostIP parses and checks a host IP as the vendor's -i takes it. The
// error is diag.Diagnostics; warnings alone do not make an error (see
// CheckHostIP).
func ParseHostIP(s string) (netip.Addr, error) {
	a, ds := iprule.Parse("host IP", s)
	if err := withField(keyIP, ds).Err(); err != nil {
		return netip.Addr{}, err
	}
	return a, nil
}

// CheckHostIP returns the problems with a host IP, from the IP address
// rule shared with kvmguests (internal/iprule). Errors: invalid, a zone,
// IPv6 link-local (the manual forbids it), unspecified, loopback,
// multicast, broadcast (no guest can reach its host there). Warnings:
// IPv4-mapped IPv6 and IPv4 link-local, which the manual does not mention.
func CheckHostIP(a netip.Addr) diag.Diagnostics {
	return withField(keyIP, iprule.Check("host IP", a))
}

// withField sets the field of the diagnostics of a shared rule.
func withField(field string, ds diag.Diagnostics) diag.Diagnostics {
	for i := range ds {
		ds[i].Field = field
	}
	return ds
}
