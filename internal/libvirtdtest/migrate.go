package libvirtdtest

import (
	"fmt"
	"net"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// TwoHosts starts two daemons that libvirt takes for two hosts (two host
// UUIDs), for a test that migrates a guest from a to b.
func TwoHosts(t testing.TB) (a, b *Daemon) {
	t.Helper()
	a = StartWith(t, Options{HostUUID: "5f2a0c1e-0000-4000-8000-00000000000a"})
	b = StartWith(t, Options{HostUUID: "5f2a0c1e-0000-4000-8000-00000000000b"})
	return a, b
}

// MigratableXML is a QEMU guest that migrates between TwoHosts: TCG, no
// disk (SeaBIOS finds no boot device and waits), mem MiB of memory, extra
// devices (e.g. a VNC display) added. QEMU maps the memory lazily, and
// memory the guest never touched moves as zero pages of a few bytes each:
// a guest of a few GiB costs no RAM, and its migration takes seconds when
// throttled to 1 MiB/s.
func MigratableXML(name string, mem int, extra string) string {
	return fmt.Sprintf(`<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    %s<memballoon model='none'/>
  </devices>
</domain>
`, name, mem, extra)
}

// LoopbackMigration returns migration options that carry the stream over
// 127.0.0.1 only, on a port free right now.
func LoopbackMigration(t testing.TB) migratesetup.MigrateOptions {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return migratesetup.MigrateOptions{
		URI:           fmt.Sprintf("tcp://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port),
		ListenAddress: "127.0.0.1",
	}
}
