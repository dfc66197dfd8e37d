//go:build cgo

package libvirtstore_test

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"libvirt.org/go/libvirt"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
)

// The figure of issue 6: setting up 1,000 shut-off domains in one process
// on test:///default, against the bare loop of reading each definition and
// defining it again unchanged. bench/setup.sh runs both and prints the
// ratio. Each op defines the 1,000 domains fresh (not timed), does the
// work (timed), and undefines them (not timed).

const benchDomains = 1000

func benchXML(name string) string {
	return fmt.Sprintf(`<domain type='test'>
  <name>%s</name>
  <memory unit='KiB'>2097152</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/%s.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <graphics type='vnc' port='-1' autoport='yes' passwd='bench'/>
  </devices>
</domain>`, name, name)
}

func benchSetup(b *testing.B, work func(c *libvirt.Connect, s *libvirtstore.Store, names []string)) {
	s, err := libvirtstore.Open("test:///default")
	if err != nil {
		b.Skip("libvirt's test driver:", err)
	}
	defer s.Close()
	c, err := libvirt.NewConnect("test:///default")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	names := make([]string, benchDomains)
	for i := range names {
		names[i] = fmt.Sprintf("bench-%04d", i)
	}
	for b.Loop() {
		b.StopTimer()
		for _, n := range names {
			d, err := c.DomainDefineXMLFlags(benchXML(n), 0) // not timed: skip the schema
			if err != nil {
				b.Fatal(err)
			}
			d.Free()
		}
		b.StartTimer()
		work(c, s, names)
		b.StopTimer()
		for _, n := range names {
			d, err := c.LookupDomainByName(n)
			if err != nil {
				b.Fatal(err)
			}
			d.Undefine()
			d.Free()
		}
		b.StartTimer()
	}
}

func BenchmarkSetup1000(b *testing.B) { benchSetupGuests(b, 0) }

// BenchmarkSetup1000Serial works on one guest at a time, like the bare
// loop: the cost of sfkvm's own work, without the gain of concurrency.
func BenchmarkSetup1000Serial(b *testing.B) { benchSetupGuests(b, 1) }

func benchSetupGuests(b *testing.B, parallel int) {
	path := filepath.Join(b.TempDir(), "hostinfo")
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.20.30.40")}
	if err := migratesetup.Register(context.Background(), path, info); err != nil {
		b.Fatal(err)
	}
	opts := migratesetup.Options{HostInfoPath: path, Parallel: parallel}
	benchSetup(b, func(_ *libvirt.Connect, s *libvirtstore.Store, names []string) {
		for _, r := range migratesetup.SetupGuests(context.Background(), s, names, opts) {
			if r.Outcome != migratesetup.SetUp {
				b.Fatalf("%s: %s %v", r.Domain, r.Outcome, r.Err)
			}
		}
	})
}

func BenchmarkBareLoop1000(b *testing.B) {
	benchSetup(b, func(c *libvirt.Connect, _ *libvirtstore.Store, names []string) {
		for _, n := range names {
			d, err := c.LookupDomainByName(n)
			if err != nil {
				b.Fatal(err)
			}
			x, err := d.GetXMLDesc(libvirt.DOMAIN_XML_INACTIVE | libvirt.DOMAIN_XML_SECURE)
			if err != nil {
				b.Fatal(err)
			}
			d.Free()
			d, err = c.DomainDefineXMLFlags(x, libvirt.DOMAIN_DEFINE_VALIDATE)
			if err != nil {
				b.Fatal(err)
			}
			d.Free()
		}
	})
}
