package sdfacility

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrBadAdminHost: an admIP is neither an IP address nor a host name.
var ErrBadAdminHost = errors.New("not an IP address or a host name")

// AdminHost is the admIP of a node in rcsd.cfg: an IP address, or a host
// name as the Cluster Foundation guide's own examples write it
// (admIP=fuji2). The zero value is invalid: the line gives no admIP.
//
// A name follows RFC 1123's host names: dot-separated labels of 1 to 63
// letters, digits and hyphens, no label starting or ending with a hyphen,
// at most 253 bytes in all, no final dot; and the last label is not all
// digits, so that a mistyped IPv4 address (10.0.0.300) is refused rather
// than taken for a name. Anything with ':' is read as IPv6 only.
type AdminHost struct {
	addr netip.Addr
	name string
}

// ParseAdminHost reads s as an IP address (IPv4 or IPv6, as
// netip.ParseAddr reads them), else as a host name. An error wraps
// ErrBadAdminHost and says which rule s breaks.
func ParseAdminHost(s string) (AdminHost, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return AdminHost{addr: a}, nil
	}
	if reason := hostNameProblem(s); reason != "" {
		return AdminHost{}, fmt.Errorf("%q: %w: %s", s, ErrBadAdminHost, reason)
	}
	return AdminHost{name: s}, nil
}

// AdminHostFromAddr returns the AdminHost holding a.
func AdminHostFromAddr(a netip.Addr) AdminHost { return AdminHost{addr: a} }

// hostNameProblem says which rule of a host name s breaks, or "".
func hostNameProblem(s string) string {
	switch {
	case s == "":
		return "empty"
	case strings.Contains(s, ":"):
		return "holds ':' but is not an IPv6 address"
	case len(s) > 253:
		return "a host name is at most 253 bytes"
	case strings.HasSuffix(s, "."):
		return "a host name here ends without a dot"
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return "empty label (two dots, or a leading dot)"
		case len(l) > 63:
			return "a label is at most 63 bytes"
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Sprintf("label %q starts or ends with '-'", l)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				shown := fmt.Sprintf("%q", c)
				if c < 0x20 || c >= 0x7f {
					shown = fmt.Sprintf("0x%02x", c)
				}
				return "byte " + shown + ": a host name holds only ASCII letters, digits, '-' and '.'"
			}
		}
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return "all digits after the last dot: not an IPv4 address, and not a host name"
	}
	return ""
}

// IsValid reports whether h holds an address or a name.
func (h AdminHost) IsValid() bool { return h.addr.IsValid() || h.name != "" }

// IsName reports whether h holds a host name rather than an address.
func (h AdminHost) IsName() bool { return h.name != "" }

// Addr returns the address, or the zero netip.Addr when h holds a name.
func (h AdminHost) Addr() netip.Addr { return h.addr }

// Name returns the host name, or "" when h holds an address.
func (h AdminHost) Name() string { return h.name }

// String returns the name, or the address as netip.Addr writes it, or ""
// for the zero AdminHost.
func (h AdminHost) String() string {
	if h.name != "" {
		return h.name
	}
	if h.addr.IsValid() {
		return h.addr.String()
	}
	return ""
}

// MarshalText writes String; the zero AdminHost writes nothing.
func (h AdminHost) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads what MarshalText wrote: empty text is the zero
// AdminHost, anything else goes through ParseAdminHost.
func (h *AdminHost) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*h = AdminHost{}
		return nil
	}
	v, err := ParseAdminHost(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
