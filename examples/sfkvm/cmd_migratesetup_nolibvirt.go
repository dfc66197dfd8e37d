//go:build !cgo

package main

import (
	"errors"

	"github.com/sfkvm/sfkvm/migratesetup"
)

// errNoLibvirt is what openStore returns in a binary built without cgo.
var errNoLibvirt = errors.New("this sfkvm was built without cgo, so without libvirt; rebuild it with cgo (see the README) to use -s and -d")

// openStore in a binary built without cgo: libvirt's binding needs cgo, so
// -s and -d exit 69 and say why; -c works.
func openStore(string) (migratesetup.Store, func(), error) {
	return nil, nil, errNoLibvirt
}
