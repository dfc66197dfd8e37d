package storetest

import "fmt"

// TestDomain is a definition that libvirt's test driver (test:///default)
// and migratesetuptest's fake both take, as Harness.Domain wants it: one
// disk at vda on virtio and a VNC display whose password is Secret.
func TestDomain(name string) string {
	return fmt.Sprintf(`<domain type='test'>
  <name>%s</name>
  <memory unit='KiB'>1048576</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/libvirt/images/%s.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <graphics type='vnc' port='-1' autoport='yes' passwd='%s'/>
  </devices>
</domain>
`, name, name, Secret)
}
