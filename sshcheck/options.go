package sshcheck

import (
	"context"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"time"
)

// HostKeyPolicy says what a probe does with a host key that known_hosts
// does not hold. A changed or revoked key always fails.
type HostKeyPolicy int

const (
	// Strict fails on an unknown host key. It is the default.
	Strict HostKeyPolicy = iota
	// TrustUnknown records an unknown host key in the first known_hosts
	// file, as answering "yes" to OpenSSH's first-contact question does.
	TrustUnknown
)

// Defaults of the zero Options.
const (
	DefaultDialTimeout      = 5 * time.Second
	DefaultHandshakeTimeout = 15 * time.Second // a wrong password alone costs up to 4.5 s on a PAM guest
	DefaultCommandTimeout   = 30 * time.Second
	DefaultParallel         = 16
	DefaultRetryDelay       = 300 * time.Millisecond
	GlobalKnownHosts        = "/etc/ssh/ssh_known_hosts"
)

// Options configure a Prober. The zero value is strict and usable: root's
// (the current user's) ~/.ssh/known_hosts plus the global file, read-only.
type Options struct {
	// KnownHostsFiles are the user's known_hosts files; the first one
	// receives keys trusted under TrustUnknown. Nil means
	// ~/.ssh/known_hosts of the current user (root's, for sfkvm), the home
	// taken from the password database as OpenSSH does.
	KnownHostsFiles []string
	// GlobalKnownHostsFiles are only read. Nil means /etc/ssh/ssh_known_hosts;
	// an empty non-nil slice means none.
	GlobalKnownHostsFiles []string
	HostKeyPolicy         HostKeyPolicy

	DialTimeout      time.Duration // TCP connect
	HandshakeTimeout time.Duration // banner, key exchange and authentication together
	CommandTimeout   time.Duration // each remote command (sudo -n true, Client.Run)
	Parallel         int           // probes at once in ProbeAll

	// DialContext, when set, opens the connections instead of net.Dialer,
	// in the manner of net/http's Transport.DialContext. addr is the
	// target's host:port; known_hosts still records that address whatever
	// the hook connects to, so tests and the demo can route a guest's
	// address to a local server.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// RetryDelay bounds the random wait before the one retry of a
	// connection reset before the host key check (sshd's MaxStartups
	// dropping connections). The wait is between half of it and all of it.
	RetryDelay time.Duration

	// Progress, when set, is called after each probe of ProbeAll, one call
	// at a time, with the number of probes done so far.
	Progress func(done, total int, r Result)
}

// homeDir is the home folder from the password database, as OpenSSH takes
// it (not $HOME, which sudo may leave pointing at the caller's home).
func homeDir() (string, error) {
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		return u.HomeDir, nil
	}
	return os.UserHomeDir()
}

func (o Options) withDefaults() (Options, error) {
	if o.KnownHostsFiles == nil {
		home, err := homeDir()
		if err != nil {
			return o, err
		}
		o.KnownHostsFiles = []string{filepath.Join(home, ".ssh", "known_hosts")}
	}
	if o.GlobalKnownHostsFiles == nil {
		o.GlobalKnownHostsFiles = []string{GlobalKnownHosts}
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = DefaultRetryDelay
	}
	if o.DialContext == nil {
		var d net.Dialer
		o.DialContext = d.DialContext
	}
	return o, nil
}
