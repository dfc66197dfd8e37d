//go:build cgo

package main

import (
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
)

func openStore(uri string) (migratesetup.Store, func(), error) {
	s, err := libvirtstore.Open(uri)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}
