//go:build cgo

package libvirtstore_test

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirt"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

// withDefault runs f on a connection of its own to test:///default, which
// every connection of the process shares while one is open (the store's
// is).
func withDefault(t *testing.T, f func(c *libvirt.Connect) error) {
	t.Helper()
	c, err := libvirt.NewConnect("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := f(c); err != nil {
		t.Fatal(err)
	}
}

// The cgo store on libvirt's test driver passes the conformance suite.
func TestConformance(t *testing.T) {
	storetest.TestStore(t, storetest.Harness{
		Open:   func(t *testing.T) migratesetup.Store { return open(t, "test:///default") },
		Domain: func(t *testing.T, name string) string { return storetest.TestDomain(name) },
		Transient: func(t *testing.T, _ migratesetup.Store, name string) {
			withDefault(t, func(c *libvirt.Connect) error {
				d, err := c.DomainCreateXML(storetest.TestDomain(name), 0)
				if err == nil {
					d.Free()
				}
				return err
			})
		},
		// A disk serial with '/' and '*', which libvirt's schema refuses,
		// defined without validation: the test driver keeps it, and every
		// validated define of the domain (sfkvm's included) is refused.
		Refusing: func(t *testing.T, _ migratesetup.Store, name string) {
			x := strings.Replace(storetest.TestDomain(name), "<target dev='vda' bus='virtio'/>", "<target dev='vda' bus='virtio'/><serial>bad/ser*al</serial>", 1)
			withDefault(t, func(c *libvirt.Connect) error {
				d, err := c.DomainDefineXMLFlags(x, 0)
				if err != nil {
					return err
				}
				defer d.Free()
				return d.Create()
			})
		},
		Remove: func(t *testing.T, name string) { undefine(t, name) },
	})
}
