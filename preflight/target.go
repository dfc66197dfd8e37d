package preflight

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/cipher"
	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// GuestTarget is the probe target of a kvmguests guest: its domain name as
// the label, guest_IP at port (0 means 22), guest_user, and the password
// that pw gives (nil: host keys only). The CLI's probe, preflight, the lab
// and examples/probefleet all build their targets here.
func GuestTarget(g kvmguests.Guest, port int, pw sshcheck.PasswordSource) sshcheck.Target {
	return sshcheck.Target{Name: g.Name, Address: g.IP.String(), Port: port, User: g.User, Password: pw}
}

// GuestTargets are the targets of guests, in order, each with the
// password that password gives it (nil: none).
func GuestTargets(guests []kvmguests.Guest, port int, password func(kvmguests.Guest) sshcheck.PasswordSource) []sshcheck.Target {
	ts := make([]sshcheck.Target, len(guests))
	for i, g := range guests {
		var pw sshcheck.PasswordSource
		if password != nil {
			pw = password(g)
		}
		ts[i] = GuestTarget(g, port, pw)
	}
	return ts
}

// ErrNotSealed: guest_passwd is a vendor token, which only PRIMECLUSTER
// can open; SealedPassword cannot log in with it.
var ErrNotSealed = errors.New("guest_passwd is not an sfkvm sealed token (an sfcipher token can only be read by PRIMECLUSTER): use --password-stdin")

// SealedPassword opens a guest's sealed token when the probe needs the
// password, for that guest only: the token is bound to its line's
// guest-name, guest_IP and guest_user. A vendor token fails with
// ErrNotSealed. With opts.AllowVersion1 a token of version 1 (bound to no
// guest) opens too, and warn (when not nil) is told once, whatever how
// often the password is asked for, that it must be sealed again.
func SealedPassword(key *cipher.Key, g kvmguests.Guest, opts cipher.OpenOptions, warn func(string)) sshcheck.PasswordSource {
	tok := g.Password
	var warned sync.Once // a check that logs in twice warns once
	return sshcheck.PasswordFunc(func(context.Context) ([]byte, error) {
		t := tok.Reveal()
		if !cipher.IsSealedToken(t) {
			return nil, ErrNotSealed
		}
		secret, w, err := key.OpenWith(t, GuestContext(g), opts)
		if err != nil {
			return nil, fmt.Errorf("guest_passwd: %w", unprefixed{err})
		}
		defer secret.Wipe()
		if w != nil && warn != nil {
			warned.Do(func() { warn(fmt.Sprintf("%s: warning: %s: %s", g.Name, w, ResealCommand(g))) })
		}
		return bytes.Clone(secret.Bytes()), nil
	})
}

// unprefixed is a cipher error without the package prefix, which the
// messages around it make redundant; errors.Is still sees the cause.
type unprefixed struct{ err error }

func (u unprefixed) Error() string { return strings.TrimPrefix(u.err.Error(), "cipher: ") }
func (u unprefixed) Unwrap() error { return u.err }

// GuestContext is the identity that a guest's sealed token is bound to.
func GuestContext(g kvmguests.Guest) cipher.GuestContext {
	return cipher.GuestContext{Name: g.Name, IP: g.IP, User: g.User}
}

// ResealCommand says how to seal a guest's password again, bound to it.
func ResealCommand(g kvmguests.Guest) string {
	return fmt.Sprintf("sfkvm cipher -c --native --key FILE --guest-name %s --guest-ip %s --guest-user %s", g.Name, g.IP, g.User)
}
