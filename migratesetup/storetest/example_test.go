package storetest_test

import (
	"testing"

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
