package sshcheck

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// DialUnix reaches a Unix socket on the host through the login, as the
// RPC store reaches libvirt's daemon on another host: bytes both ways,
// and a missing socket or an ended context are errors that say so.
func TestSSHDDialUnix(t *testing.T) {
	k := newKey(t, "ed25519")
	srv, kh := keySSHD(t, k)
	signer, err := ssh.NewSignerFromSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := realProber(t, kh, Strict).Dial(ctxT(t), rootByKey(srv, staticKeys{signer}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	sock := filepath.Join(t.TempDir(), "echo.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(conn, conn); conn.Close() }()
		}
	}()
	conn, err := c.DialUnix(ctxT(t), sock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Errorf("echo through SSH: %q, %v", buf, err)
	}
	conn.Close()

	absent := filepath.Join(t.TempDir(), "absent.sock")
	if _, err := c.DialUnix(ctxT(t), absent); err == nil || !strings.Contains(err.Error(), absent) {
		t.Errorf("a missing socket: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.DialUnix(ctx, sock); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v", err)
	}
}
