package migratesetuptest_test

import (
	"errors"
	"testing"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

// The fake passes the conformance suite that the libvirt stores pass.
func TestConformance(t *testing.T) {
	storetest.TestStore(t, storetest.Harness{
		Open:   func(t *testing.T) migratesetup.Store { return migratesetuptest.New(nil) },
		Domain: func(t *testing.T, name string) string { return storetest.TestDomain(name) },
		Transient: func(t *testing.T, s migratesetup.Store, name string) {
			s.(*migratesetuptest.Store).Add(name, &migratesetuptest.Domain{XML: storetest.TestDomain(name), State: migratesetup.StateRunning, Transient: true})
		},
		// The fake validates nothing but well-formedness: Fail refuses the
		// second definition of this domain, as libvirt refuses one that
		// breaks its rules.
		Refusing: func(t *testing.T, s migratesetup.Store, name string) {
			fs := s.(*migratesetuptest.Store)
			fs.Add(name, &migratesetuptest.Domain{XML: storetest.TestDomain(name), State: migratesetup.StateRunning})
			fs.Fail = func(method, domain string) error {
				if method == "Define" && domain == name {
					return errors.New("XML document failed to validate against schema")
				}
				return nil
			}
		},
	})
}
