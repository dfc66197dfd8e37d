package libvirtdtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

// GuestXML writes a 1 MiB raw disk image for a small QEMU guest called name
// in dir and returns the guest's domain XML (32 MiB, TCG, a virtio disk,
// no balloon), with extra devices (e.g. a VNC password) added: the guest
// every daemon test defines.
func GuestXML(t testing.TB, dir, name, extra string) string {
	t.Helper()
	img := filepath.Join(dir, name+".img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/><target dev='vda' bus='virtio'/></disk>
    %s<memballoon model='none'/>
  </devices>
</domain>`, name, img, extra)
}

// DefineGuest defines GuestXML(t, dir, name, extra) on d through the RPC
// store, as an administrator's virsh define would, and leaves it shut off.
func (d *Daemon) DefineGuest(t testing.TB, dir, name, extra string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := rpcstore.Open(ctx, d.URI)
	if err != nil {
		t.Fatalf("libvirtdtest: opening %s: %v", d.URI, err)
	}
	defer s.Close()
	if err := s.Define(ctx, GuestXML(t, dir, name, extra)); err != nil {
		t.Fatalf("libvirtdtest: defining %s: %v", name, err)
	}
}
