package iprule

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/sfkvm/sfkvm/diag"
)

// The codes of the rule; kvmguests and migratesetup export them under
// their own names (kvmguests.ErrIPSyntax is CodeSyntax).
const (
	CodeSyntax       diag.Code = "ip-syntax"        // not an IPv4 or IPv6 address (error)
	CodeZone         diag.Code = "ip-zone"          // an IPv6 zone such as %eth0 (error)
	CodeLinkLocal    diag.Code = "ip-link-local"    // IPv6 link-local, fe80::/10 (error)
	CodeNotUnicast   diag.Code = "ip-not-unicast"   // unspecified, loopback, multicast or broadcast (error)
	CodeV4Mapped     diag.Code = "ip-v4-mapped"     // IPv4-mapped IPv6, ::ffff:a.b.c.d (warning)
	CodeV4LinkLocal  diag.Code = "ip-v4-link-local" // 169.254.0.0/16 (warning)
	CodeNotCanonical diag.Code = "ip-not-canonical" // not written in its canonical form (warning)
)

var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// Parse parses s, called what in messages, and applies the rule. On a
// syntax error the address is invalid and the only diagnostic is
// CodeSyntax. A good address costs no allocation.
func Parse(what, s string) (netip.Addr, diag.Diagnostics) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, diag.Diagnostics{problem(CodeSyntax, diag.Error, "%s %s is not an IPv4 or IPv6 address", what, strconv.Quote(s))}
	}
	ds := Check(what, a)
	var buf [64]byte
	if canon := a.AppendTo(buf[:0]); string(canon) != s {
		ds = append(ds, problem(CodeNotCanonical, diag.Warning, "%s %s is not in canonical form; write it as %s so that copies compare equal", what, strconv.Quote(s), a))
	}
	return a, ds
}

// Check applies the rule to an address already parsed; the zero Addr is a
// CodeSyntax error.
func Check(what string, a netip.Addr) diag.Diagnostics {
	if !a.IsValid() {
		return diag.Diagnostics{problem(CodeSyntax, diag.Error, "no %s address", what)}
	}
	var ds diag.Diagnostics
	if a.Zone() != "" {
		ds = append(ds, problem(CodeZone, diag.Error, "%s %s has an IPv6 zone; give a global address without %%zone", what, a))
	}
	u := a.Unmap()
	switch {
	case u.Is6() && u.IsLinkLocalUnicast():
		ds = append(ds, problem(CodeLinkLocal, diag.Error, "%s %s is an IPv6 link-local address (fe80::/10), which the manual does not allow", what, a))
	case u.IsUnspecified(), u.IsLoopback(), u.IsMulticast(), u == broadcast:
		ds = append(ds, problem(CodeNotUnicast, diag.Error, "%s %s is not a unicast address of another machine (unspecified, loopback, multicast or broadcast)", what, a))
	case u.Is4() && u.IsLinkLocalUnicast():
		ds = append(ds, problem(CodeV4LinkLocal, diag.Warning, "%s %s is an IPv4 link-local address (169.254.0.0/16); it is not stable across reboots and not routed between hosts", what, a))
	}
	if a.Is4In6() {
		ds = append(ds, problem(CodeV4Mapped, diag.Warning, "%s %s is an IPv4-mapped IPv6 address; write it as %s", what, a, u))
	}
	return ds
}

func problem(code diag.Code, sev diag.Severity, format string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Column: 1, Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)}
}
