package rpcstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/sfkvm/sfkvm/internal/libvirtdtest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

// qemuDomain is a tiny QEMU guest (TCG, no operating system: it never
// honours an ACPI shutdown) with storetest's VNC password; its disk image
// is made in dir.
func qemuDomain(t *testing.T, dir, name string) string {
	return fmt.Sprintf(`<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='%s'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='%s'/>
    <memballoon model='none'/>
  </devices>
</domain>
`, name, image(t, dir, name), storetest.Secret)
}

// isaDomain is a QEMU guest of an ISA-only machine with no disk and no
// PCI device at all: it runs, and libvirt refuses a virtio disk there (no
// PCI bus for it).
func isaDomain(name string) string {
	return fmt.Sprintf(`<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='isapc'>hvm</type></os>
  <devices>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
`, name)
}

// image makes a 1 MiB disk image for a guest.
func image(t *testing.T, dir, name string) string {
	t.Helper()
	img := filepath.Join(dir, name+".img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	return img
}

// raw is a connection of the test's own to the daemon, for what the Store
// does not do (transient domains, undefine).
func raw(t *testing.T, d *libvirtdtest.Daemon) *libvirt.Libvirt {
	t.Helper()
	l := libvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(d.Socket), dialers.WithLocalTimeout(10*time.Second)))
	if err := l.ConnectToURI(libvirt.QEMUSession); err != nil {
		t.Fatalf("connecting to the test's libvirtd: %v", err)
	}
	t.Cleanup(func() { l.Disconnect() })
	return l
}

func open(t *testing.T, uri string) *rpcstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := rpcstore.Open(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// The RPC store against a real libvirtd (a throwaway session daemon with
// QEMU guests) passes the conformance suite that the fake and the cgo
// store pass.
func TestConformance(t *testing.T) {
	d := libvirtdtest.Start(t)
	l := raw(t, d)
	imgs := t.TempDir()
	storetest.TestStore(t, storetest.Harness{
		Open: func(t *testing.T) migratesetup.Store { return open(t, d.URI) },
		Domain: func(t *testing.T, name string) string {
			return qemuDomain(t, imgs, name)
		},
		Transient: func(t *testing.T, _ migratesetup.Store, name string) {
			if _, err := l.DomainCreateXML(qemuDomain(t, imgs, name), 0); err != nil {
				t.Fatalf("creating a transient domain: %v", err)
			}
		},
		Refusing: func(t *testing.T, s migratesetup.Store, name string) {
			ctx := context.Background()
			if err := s.Define(ctx, isaDomain(name)); err != nil {
				t.Fatalf("defining an isapc guest: %v", err)
			}
			if err := s.Start(ctx, name); err != nil {
				t.Fatalf("starting an isapc guest: %v", err)
			}
		},
		Remove: func(t *testing.T, name string) {
			dom, err := l.DomainLookupByName(name)
			if err == nil {
				err = l.DomainUndefine(dom)
			}
			if err != nil && !libvirt.IsNotFound(err) {
				t.Errorf("undefining %s: %v", name, err)
			}
		},
	})
}

// The daemon validates what is defined, and its error keeps its code.
func TestDefineIsValidated(t *testing.T) {
	d := libvirtdtest.Start(t)
	s := open(t, d.URI)
	ctx := context.Background()
	err := s.Define(ctx, "<domain type='qemu'><name>bad</name><memory>lots</memory></domain>")
	if code, ok := rpcstore.Code(err); !ok || code != libvirt.ErrXMLInvalidSchema {
		t.Errorf("err = %v (code %v), want ErrXMLInvalidSchema", err, code)
	}
	names, err := s.List(ctx)
	if err != nil || slices.Contains(names, "bad") {
		t.Errorf("List = %v, %v", names, err)
	}
	v, err := s.Version(ctx)
	if err != nil || v < 1_000_000 {
		t.Errorf("Version = %d, %v", v, err)
	}
	t.Logf("libvirtd %d.%d.%d", v/1_000_000, v/1000%1000, v%1000)
}

// Open finds a session daemon where libvirt's client looks for it: under
// $XDG_RUNTIME_DIR/libvirt.
func TestOpenSessionFromEnvironment(t *testing.T) {
	d := libvirtdtest.Start(t)
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(d.Dir, "run"))
	s := open(t, "qemu:///session")
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A closed store says so on every call.
func TestClosed(t *testing.T) {
	d := libvirtdtest.Start(t)
	ctx := context.Background()
	s, err := rpcstore.Open(ctx, d.URI)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(ctx); !errors.Is(err, rpcstore.ErrClosed) {
		t.Errorf("List after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if !strings.Contains(d.Log(), "libvirt version") {
		t.Logf("daemon log:\n%s", d.Log())
	}
}

// stallConn is a connection whose reads stop (until it is closed) once
// stall is set: a daemon that no longer answers.
type stallConn struct {
	net.Conn
	stall  atomic.Bool
	closed chan struct{}
	once   sync.Once
}

func (c *stallConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.stall.Load() {
		<-c.closed
		return 0, net.ErrClosed
	}
	return n, err
}

func (c *stallConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// A call whose context ends before the daemon answers returns the
// context's error at once, and the store, whose connection it closed,
// refuses every later call with ErrClosed.
func TestCallBoundedByContext(t *testing.T) {
	d := libvirtdtest.Start(t)
	var sc *stallConn
	dial := func(ctx context.Context, path string) (net.Conn, error) {
		var nd net.Dialer
		c, err := nd.DialContext(ctx, "unix", path)
		if err != nil {
			return nil, err
		}
		sc = &stallConn{Conn: c, closed: make(chan struct{})}
		return sc, nil
	}
	s, err := rpcstore.OpenDialer(context.Background(), d.URI, dial)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	sc.stall.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.List(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("List from a daemon that does not answer: %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("List returned %s after its context's deadline of 300ms", took)
	}
	if _, err := s.State(context.Background(), "x"); !errors.Is(err, rpcstore.ErrClosed) {
		t.Errorf("a call after the abandoned one: %v, want ErrClosed", err)
	}
}

// Where the modular daemon's socket exists it is the one used, as
// libvirt's client does: here virtqemud-sock is a proxy (counting its
// connections) to the session libvirtd beside it.
func TestOpenPrefersModularSocket(t *testing.T) {
	d := libvirtdtest.Start(t)
	modular := filepath.Join(filepath.Dir(d.Socket), "virtqemud-sock")
	l, err := net.Listen("unix", modular)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			up, err := net.Dial("unix", d.Socket)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(d.Dir, "run"))
	s := open(t, "qemu:///session")
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if accepted.Load() != 1 {
		t.Errorf("%d connections on %s, want the one Open made", accepted.Load(), modular)
	}
}
