package sshcheck

import (
	"context"
	"fmt"
	"net"
)

// DialUnix connects, through c's SSH connection, to the Unix socket at
// path on the host (OpenSSH's direct-streamlocal channel, the same as
// ssh -L LOCAL:PATH): libvirt's daemon socket, for example, so that
// rpcstore.OpenDialer reaches another host's libvirt with no libvirt client
// on either side and no second login. ctx bounds the opening; the
// returned connection lives until it or c is closed.
//
// sshd opens the socket as the user c logged in as, not through sudo:
// that user must be allowed to connect to it (for libvirt's system
// daemon: root, or a member of the libvirt group). The server must allow
// the forwarding (OpenSSH's AllowStreamLocalForwarding, yes by default,
// and not DisableForwarding); a refusal is an error naming the path and
// the host.
func (c *Client) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	conn, err := c.client.DialContext(ctx, "unix", path)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("opening %s on %s through SSH: %w", path, c.target.Name, ctx.Err())
		}
		return nil, fmt.Errorf("opening %s on %s through SSH (the socket is missing, refuses %s, or sshd forbids forwarding): %w", path, c.target.Name, c.target.User, err)
	}
	return conn, nil
}
