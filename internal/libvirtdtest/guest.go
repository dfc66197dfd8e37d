package libvirtdtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
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
