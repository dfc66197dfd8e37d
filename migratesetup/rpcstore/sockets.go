package rpcstore

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoDaemon: no libvirt daemon listens where libvirt's own client would
// connect for the URI (none of its sockets answers). The error names the
// sockets and what to start; the CLI exits 69 with it.
var ErrNoDaemon = errors.New("no libvirt daemon is listening")

// Endpoint is where a libvirt URI is served on a host: the daemon's
// sockets in the order libvirt's client tries them, and the URI to open
// once connected.
type Endpoint struct {
	// Sockets are the Unix sockets, modular daemon (virtqemud) first, then
	// the monolithic libvirtd. A URI with ?socket=PATH has that one only.
	Sockets []string
	// Name is the URI the daemon is asked to open (the driver's URI
	// without the transport: qemu:///system for qemu+unix:///system).
	Name string
	// Session is true for a per-user (qemu:///session) daemon.
	Session bool
}

// Resolve finds uri's endpoint on this host, the way libvirt's own client
// does for a local URI (remoteGetUNIXSocket in libvirt's
// src/remote/remote_sockets.c): qemu:///system is served by
// /run/libvirt/virtqemud-sock (the modular daemon, libvirt 5.6 and later,
// the default of RHEL 9) where it exists, else /run/libvirt/libvirt-sock
// (libvirtd); qemu:///session by the same names under
// $XDG_RUNTIME_DIR/libvirt (or, without it, $XDG_CACHE_HOME/libvirt or
// ~/.cache/libvirt, as libvirt falls back). Unlike libvirt's client, which
// sends root's qemu:///session to the system daemon, this looks for the
// session daemon for root too. Open moves on to the next socket also when
// one is there but refuses connections (a daemon that died), where
// libvirt's client would fail. qemu+unix:///... is the same;
// ?socket=PATH names the socket. Other URIs (test:///, qemu+ssh://, tcp,
// tls) are refused: the store speaks only to a local socket, or to one
// reached through a connection of the caller's (OpenConn).
func Resolve(uri string) (Endpoint, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return Endpoint{}, fmt.Errorf("libvirt URI %q: %w", uri, err)
	}
	driver, transport, _ := strings.Cut(u.Scheme, "+")
	if transport != "" && transport != "unix" {
		return Endpoint{}, fmt.Errorf("libvirt URI %s: transport %q is not supported (only a local Unix socket: qemu:///system, qemu:///session; for another host sfkvm reaches the socket through its own SSH connection)", uri, transport)
	}
	if driver != "qemu" || u.Host != "" || u.Opaque != "" {
		return Endpoint{}, fmt.Errorf("libvirt URI %s: only qemu:///system and qemu:///session (optionally qemu+unix:///...?socket=PATH) are served by the RPC store", uri)
	}
	var ep Endpoint
	switch u.Path {
	case "/system":
		ep.Sockets = []string{"/run/libvirt/virtqemud-sock", "/run/libvirt/libvirt-sock"}
	case "/session":
		ep.Session = true
		dir := os.Getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			dir = os.Getenv("XDG_CACHE_HOME")
			if dir == "" {
				home, err := os.UserHomeDir()
				if err != nil {
					return Endpoint{}, fmt.Errorf("libvirt URI %s: neither XDG_RUNTIME_DIR nor a home folder: %w", uri, err)
				}
				dir = filepath.Join(home, ".cache")
			}
		}
		ep.Sockets = []string{filepath.Join(dir, "libvirt/virtqemud-sock"), filepath.Join(dir, "libvirt/libvirt-sock")}
	default:
		return Endpoint{}, fmt.Errorf("libvirt URI %s: the QEMU driver serves /system or /session, not %q", uri, u.Path)
	}
	q := u.Query()
	if s := q.Get("socket"); s != "" {
		if !filepath.IsAbs(s) {
			return Endpoint{}, fmt.Errorf("libvirt URI %s: socket %q is not an absolute path", uri, s)
		}
		ep.Sockets = []string{s}
	}
	for k := range q {
		if k != "socket" {
			return Endpoint{}, fmt.Errorf("libvirt URI %s: parameter %q is not supported (only socket)", uri, k)
		}
	}
	ep.Name = "qemu://" + u.Path
	return ep, nil
}

// noDaemon is the error for an endpoint none of whose sockets answered.
func noDaemon(ep Endpoint, errs []error) error {
	var hint string
	switch {
	case len(ep.Sockets) == 1:
		hint = "start the daemon that listens there"
	case ep.Session:
		hint = "start a session daemon as this user (virtqemud, or libvirtd), or use qemu:///system"
	default:
		hint = "start libvirt's QEMU daemon: systemctl start virtqemud.socket (modular daemons, the default of RHEL 9), or systemctl start libvirtd (libvirtd.socket where it has one); installed by libvirt-daemon-driver-qemu (RHEL, SLES) or libvirt-daemon-system (Debian)"
	}
	why := make([]string, len(errs))
	for i, err := range errs {
		why[i] = err.Error()
	}
	return fmt.Errorf("%w for %s at %s (%s): %s", ErrNoDaemon, ep.Name, strings.Join(ep.Sockets, " or "), strings.Join(why, "; "), hint)
}
