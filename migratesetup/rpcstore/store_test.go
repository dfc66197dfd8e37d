package rpcstore_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

func TestResolve(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	for _, c := range []struct {
		uri, name string
		sockets   []string
		err       string
	}{
		{"qemu:///system", "qemu:///system", []string{"/run/libvirt/virtqemud-sock", "/run/libvirt/libvirt-sock"}, ""},
		{"qemu+unix:///system", "qemu:///system", []string{"/run/libvirt/virtqemud-sock", "/run/libvirt/libvirt-sock"}, ""},
		{"qemu:///session", "qemu:///session", []string{"/run/user/1000/libvirt/virtqemud-sock", "/run/user/1000/libvirt/libvirt-sock"}, ""},
		{"qemu+unix:///session?socket=/tmp/x/libvirt-sock", "qemu:///session", []string{"/tmp/x/libvirt-sock"}, ""},
		{"qemu+unix:///system?socket=rel/sock", "", nil, "not an absolute path"},
		{"qemu+ssh://host/system", "", nil, `transport "ssh" is not supported`},
		{"qemu+tcp://host/system", "", nil, `transport "tcp" is not supported`},
		{"qemu://host/system", "", nil, "only qemu:///system and qemu:///session"},
		{"test:///default", "", nil, "only qemu:///system and qemu:///session"},
		{"qemu:///embed", "", nil, `not "/embed"`},
		{"qemu:///system?mode=legacy", "", nil, `parameter "mode" is not supported`},
	} {
		ep, err := rpcstore.Resolve(c.uri)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.uri, err, c.err)
			}
			continue
		}
		if err != nil || ep.Name != c.name || strings.Join(ep.Sockets, " ") != strings.Join(c.sockets, " ") {
			t.Errorf("%s: %+v, %v; want %s at %v", c.uri, ep, err, c.name, c.sockets)
		}
	}
}

// No daemon: the error says so, names the sockets it tried and what to
// start. A socket file that nobody listens on (a daemon that died) counts
// as none.
func TestOpenNoDaemon(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if err := os.Mkdir(filepath.Join(dir, "libvirt"), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "libvirt/virtqemud-sock"))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // the socket file stays, refusing connections
	_, err = rpcstore.Open(context.Background(), "qemu:///session")
	if !errors.Is(err, rpcstore.ErrNoDaemon) || !strings.Contains(err.Error(), filepath.Join(dir, "libvirt/libvirt-sock")) ||
		!strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "start a session daemon") {
		t.Errorf("err = %v", err)
	}
	_, err = rpcstore.Open(context.Background(), "qemu+unix:///system?socket="+filepath.Join(dir, "absent"))
	if !errors.Is(err, rpcstore.ErrNoDaemon) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v", err)
	}
}

// A peer that accepts and never answers cannot hang Open: the context
// bounds libvirt's handshake, and the connection is closed.
func TestOpenBoundedByContext(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed := make(chan struct{})
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil { // until the store hangs up
				close(closed)
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = rpcstore.Open(ctx, "qemu+unix:///system?socket="+sock)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open took %s", d)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Error("the store did not hang up within 10 s of its context's end")
	}
}

// A socket that refuses this user is not "no daemon": libvirt's client
// would have used it, so the error is os.ErrPermission and says who may
// connect.
func TestOpenPermissionDenied(t *testing.T) {
	tried := 0
	dial := func(ctx context.Context, path string) (net.Conn, error) {
		tried++
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}
	}
	_, err := rpcstore.OpenDialer(context.Background(), "qemu:///system", dial)
	if !errors.Is(err, os.ErrPermission) || errors.Is(err, rpcstore.ErrNoDaemon) || !strings.Contains(err.Error(), "/run/libvirt/virtqemud-sock") ||
		!strings.Contains(err.Error(), "run as root, or as a member of the group that owns the socket") || tried != 1 {
		t.Errorf("err = %v after %d dials", err, tried)
	}
}
