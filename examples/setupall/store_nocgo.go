//go:build !cgo

package main

import (
	"errors"

	"github.com/sfkvm/sfkvm/migratesetup"
)

func openStore(string) (migratesetup.Store, func(), error) {
	return nil, nil, errors.New("built without cgo, so without libvirt: rebuild with cgo (see the README)")
}
