package migratesetuptest_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

func fakeDomain(name string) string {
	return fmt.Sprintf(`<domain type='test'>
  <name>%s</name>
  <memory>1024</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/img/%s.raw'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <graphics type='vnc' port='-1' autoport='yes' passwd='%s'/>
  </devices>
</domain>
`, name, name, storetest.Secret)
}

// The fake passes the conformance suite that the libvirt stores pass.
func TestConformance(t *testing.T) {
	storetest.TestStore(t, storetest.Harness{
		Open:   func(t *testing.T) migratesetup.Store { return migratesetuptest.New(nil) },
		Domain: func(t *testing.T, name string) string { return fakeDomain(name) },
		Transient: func(t *testing.T, s migratesetup.Store, name string) {
			s.(*migratesetuptest.Store).Add(name, &migratesetuptest.Domain{XML: fakeDomain(name), State: migratesetup.StateRunning, Transient: true})
		},
		// The fake validates nothing but well-formedness: Fail refuses the
		// second definition of this domain, as libvirt refuses one that
		// breaks its rules.
		Refusing: func(t *testing.T, s migratesetup.Store, name string) {
			fs := s.(*migratesetuptest.Store)
			fs.Add(name, &migratesetuptest.Domain{XML: fakeDomain(name), State: migratesetup.StateRunning})
			fs.Fail = func(method, domain string) error {
				if method == "Define" && domain == name {
					return errors.New("XML document failed to validate against schema")
				}
				return nil
			}
		},
	})
}
