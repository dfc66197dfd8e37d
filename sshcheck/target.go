package sshcheck

import (
	"context"
	"net"
	"strconv"
)

// Target is one machine to probe: the address and user that PRIMECLUSTER
// itself will use (guest_IP and guest_user of kvmguests.conf).
type Target struct {
	Name     string         // a label for results, e.g. the libvirt domain name; optional
	Address  string         // IP address or host name, without port
	Port     int            // 0 means 22
	User     string         // "root" or the non-root user of step 1.2
	Password PasswordSource // nil: no password (only useful to check host keys)
	// Keys, when set, logs in by public key (KeySource: DefaultKeys,
	// IdentityFile, Agent), as root logs in between cluster hosts. Nil
	// means none: guests log in with Password, as PRIMECLUSTER does.
	// With both, the keys are offered first and the password is tried
	// once if none was accepted.
	Keys KeySource
}

// HostPort returns the address to dial, e.g. "10.0.0.5:22" or "[fd00::5]:2222".
func (t Target) HostPort() string {
	p := t.Port
	if p == 0 {
		p = 22
	}
	return net.JoinHostPort(t.Address, strconv.Itoa(p))
}

// KnownHostsName returns the name under which known_hosts records the target,
// as OpenSSH writes it: the bare address for port 22, "[addr]:port" otherwise.
func (t Target) KnownHostsName() string { return knownHostsName(t.HostPort()) }

// IsRoot reports whether the target logs in as root (no sudo needed).
func (t Target) IsRoot() bool { return t.User == "root" }

// PasswordSource yields the password of a target when it is needed, so that a
// password is decrypted (or read) as late as possible. The caller of
// Password wipes the returned slice after use. cipher.Secret, the module's
// one password type, is a PasswordSource as it is; PasswordFunc adapts a
// function that opens a token on demand. A source that fails ends the probe
// with ErrPasswordSource before any connection.
type PasswordSource interface {
	Password(ctx context.Context) ([]byte, error)
}

// PasswordFunc adapts a function, such as one that opens a sealed token, to
// a PasswordSource.
type PasswordFunc func(ctx context.Context) ([]byte, error)

func (f PasswordFunc) Password(ctx context.Context) ([]byte, error) { return f(ctx) }

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
