package storetest_test

import (
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/migratesetup/storetest"
)

// Another implementation of migratesetup.Store proves itself with the
// suite the fake, the cgo store and the RPC store pass, from a test of its
// own (here the fake; the optional cases are left out). Compiled only: the
// suite needs a *testing.T.
func ExampleTestStore() {
	_ = func(t *testing.T) {
		storetest.TestStore(t, storetest.Harness{
			Open:   func(t *testing.T) migratesetup.Store { return migratesetuptest.New(nil) },
			Domain: func(t *testing.T, name string) string { return storetest.TestDomain(name) },
		})
	}
}

// A Migrator proves itself with two stores on two hosts and a way to make
// a migration slow (here two fakes, slowed by their own knob; the libvirt
// stores throttle the bandwidth of a guest with enough memory). Compiled
// only: the suite needs a *testing.T.
func ExampleTestMigrator() {
	_ = func(t *testing.T) {
		storetest.TestMigrator(t, storetest.MigrationHarness{
			Pair: func(t *testing.T) (migratesetup.Migrator, migratesetup.Migrator) {
				return migratesetuptest.New(nil), migratesetuptest.New(nil)
			},
			Domain: func(t *testing.T, name string) string { return storetest.TestDomain(name) },
			Slow: func(t *testing.T, src migratesetup.Migrator, _ *migratesetup.MigrateOptions) {
				src.(*migratesetuptest.Store).SetMigration(migratesetuptest.Migration{Steps: 100, Step: 50 * time.Millisecond})
			},
		})
	}
}
