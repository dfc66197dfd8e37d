package kvmguests

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sfkvm/sfkvm/cipher/token"
	"github.com/sfkvm/sfkvm/diag"
	"github.com/sfkvm/sfkvm/internal/iprule"
	"github.com/sfkvm/sfkvm/internal/namerule"
)

// Length limits beyond which a name draws a warning: PRIMECLUSTER's CF and
// cluster names are at most 31 bytes; libvirt domain names are kept short by
// convention (the vendor's own limit is not documented).
const (
	maxCFNameLen     = namerule.MaxCFName
	maxDomainNameLen = 64
	maxUserNameLen   = 32 // useradd's limit on Linux
)

// fields checks the seven fields of one line and the rules across lines.
// ok is false when guest_IP does not parse.
func (p *parser) fields(text string, f []string, cols []int) (addr netip.Addr, ok bool) {
	p.checkName(f[0], cols[0], FieldGuestName, maxDomainNameLen)
	for i := 1; i <= 3; i++ {
		p.checkName(f[i], cols[i], fieldNames[i], maxCFNameLen)
	}
	addr, ok = p.ip(f[4], cols[4])
	p.user(f[5], cols[5])
	p.passwd(f[6], cols[6])
	p.unique(text, f, cols, addr, ok)
	return addr, ok
}

// checkName applies the name rule (internal/namerule) to one field.
func (p *parser) checkName(s string, col int, field string, max int) {
	p.reportAll(col, field, namerule.Check(field, s, max))
}

// user warns about a guest_user that is not a portable POSIX user name:
// [A-Za-z0-9._][A-Za-z0-9._-]*, at most 32 bytes.
func (p *parser) user(s string, col int) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !namerule.IsNameByte(c) || (i == 0 && c == '-') {
			p.report(col+i, FieldUser, WarnUserName, "guest_user %s is not a portable user name: %s", quoteName(s), namerule.DescribeByte(c))
			return
		}
	}
	if len(s) > maxUserNameLen {
		p.report(col+maxUserNameLen, FieldUser, WarnUserName, "guest_user is %d bytes long; user names are at most %d", len(s), maxUserNameLen)
	}
}

// ip parses guest_IP and applies the IP address rules (internal/iprule).
func (p *parser) ip(s string, col int) (netip.Addr, bool) {
	a, ds := iprule.Parse(FieldIP, s)
	p.reportAll(col, FieldIP, ds)
	return a, a.IsValid()
}

// passwd checks the token's shape. It never echoes the value, nor its
// length: it may be a plain-text password typed by mistake.
func (p *parser) passwd(s string, col int) {
	switch {
	case token.IsVendor(s):
		if len(s)%token.VendorBlockDigits != 0 {
			p.report(col, FieldPasswd, WarnPasswdBlock, "the hex digits of guest_passwd are not a multiple of 16 (sfcipher prints whole 8-byte blocks)")
		}
	case token.IsSealed(s):
		if p.opts.AllowSealed {
			p.reportSev(col, FieldPasswd, ErrPasswdSealed, diag.Warning, "guest_passwd is an sfkvm sealed token, accepted as asked; PRIMECLUSTER cannot read it")
		} else {
			p.report(col, FieldPasswd, ErrPasswdSealed, "guest_passwd is an sfkvm sealed token, which PRIMECLUSTER cannot read; put the output of sfcipher -c here")
		}
	case token.IsHex(s):
		if len(s)%2 != 0 {
			p.report(col, FieldPasswd, ErrPasswdOddLength, "guest_passwd has an odd number of hex digits; sfcipher prints whole bytes")
			return
		}
		p.report(col, FieldPasswd, WarnPasswdLower, "guest_passwd has lowercase hex digits; sfcipher prints uppercase")
		if len(s)%token.VendorBlockDigits != 0 {
			p.report(col, FieldPasswd, WarnPasswdBlock, "the hex digits of guest_passwd are not a multiple of 16 (sfcipher prints whole 8-byte blocks)")
		}
	default:
		p.report(col, FieldPasswd, ErrPasswdNotToken, "guest_passwd is not hexadecimal, so it is not an sfcipher token (it may be a plain-text password; the value is not shown); put the output of sfcipher -c here")
	}
}

// unique records the keys of the rules across lines, which duplicates
// checks once every line is read.
func (p *parser) unique(text string, f []string, cols []int, addr netip.Addr, addrOK bool) {
	p.names.addAt(p.lineOff+cols[0]-1, len(f[0]), p.n, cols[0])
	p.addPair(p.nodes, text, f, cols, 2, cols[3])
	if addrOK {
		// The key is the canonical text of the unmapped address, so that
		// ::ffff:10.0.0.1 and 10.0.0.1 (the same guest) collide. It is the
		// field itself, at no cost, unless the field is written otherwise.
		if u := addr.Unmap().WithZone(""); u != addr || string(u.AppendTo(p.ipBuf[:0])) != f[4] {
			p.ips.addString(u.String(), p.n, cols[4])
		} else {
			p.ips.addAt(p.lineOff+cols[4]-1, len(f[4]), p.n, cols[4])
		}
	}
	p.addPair(p.clusterHosts, text, f, cols, 1, cols[1])
}

// duplicates applies the rules across lines: guest-name, (guest-clustername,
// guest-cfname) and guest_IP are unique; two nodes of one guest cluster on
// one host draw a warning. Their diagnostics join the others in line
// order.
func (p *parser) duplicates(parts []*parser) {
	rules := []struct {
		set    func(*parser) *keyset
		report func(add func(line, col int, field string, code diag.Code, format string, args ...any), key string, line, col, first int)
	}{
		{func(q *parser) *keyset { return q.names }, func(add func(int, int, string, diag.Code, string, ...any), key string, line, col, first int) {
			add(line, col, FieldGuestName, ErrDupGuestName, "guest-name %s is also on line %d", quoteName(key), first)
		}},
		{func(q *parser) *keyset { return q.nodes }, func(add func(int, int, string, diag.Code, string, ...any), key string, line, col, first int) {
			cluster, node, _ := strings.Cut(key, " ")
			add(line, col, FieldGuestCFName, ErrDupNode, "node %s of cluster %s is also on line %d", quoteName(node), quoteName(cluster), first)
		}},
		{func(q *parser) *keyset { return q.ips }, func(add func(int, int, string, diag.Code, string, ...any), key string, line, col, first int) {
			add(line, col, FieldIP, ErrDupIP, "guest_IP %s is also on line %d", key, first)
		}},
		{func(q *parser) *keyset { return q.clusterHosts }, func(add func(int, int, string, diag.Code, string, ...any), key string, line, col, first int) {
			host, cluster, _ := strings.Cut(key, " ")
			add(line, col, FieldHostCFName, WarnSameHost, "cluster %s already has a node on host %s (line %d): one host failure takes both nodes", quoteName(cluster), quoteName(host), first)
		}},
	}
	// One rule after the other: run side by side on this machine's two
	// cores they were slower (measured), as their tables compete.
	n := len(p.diags)
	added := 0 // by the current rule: past MaxDiagnostics, counted only
	add := func(line, col int, field string, code diag.Code, format string, args ...any) {
		if added++; added > MaxDiagnostics {
			p.dropped.count(severity(code))
			return
		}
		p.diags = append(p.diags, diag.Diagnostic{File: p.name, Line: line, Column: col, Field: field,
			Code: code, Severity: severity(code), Message: fmt.Sprintf(format, args...)})
	}
	var table dupTable
	for _, r := range rules {
		added = 0
		duplicateKeys(keysetsOf(parts, r.set), &table, func(key string, line, col, first int) { r.report(add, key, line, col, first) })
	}
	if len(p.diags) == n {
		return
	}
	// Line diagnostics in line then column order; a rule's diagnostics on
	// one spot keep the order in which they were found.
	slices.SortStableFunc(p.diags, func(a, b diag.Diagnostic) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
}

func keysetsOf(parts []*parser, f func(*parser) *keyset) []*keyset {
	ks := make([]*keyset, len(parts))
	for i, q := range parts {
		ks[i] = f(q)
	}
	return ks
}

// addPair adds fields i and i+1 joined by one space. On a well-formed line
// that is a substring of the line, which costs nothing.
func (p *parser) addPair(k *keyset, text string, f []string, cols []int, i, col int) {
	start, end := cols[i]-1, cols[i+1]-1+len(f[i+1])
	if end-start == len(f[i])+1+len(f[i+1]) && text[start+len(f[i])] == ' ' {
		k.addAt(p.lineOff+start, end-start, p.n, col)
		return
	}
	k.addString(f[i]+" "+f[i+1], p.n, col)
}
