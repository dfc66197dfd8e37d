//go:build !cgo

package libvirtstore_test

import (
	"errors"
	"fmt"

	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
)

// In a build without cgo, Open says so; a command maps it to "unavailable"
// (the CLI exits 69) and tells how to rebuild.
func ExampleOpen() {
	_, err := libvirtstore.Open("qemu:///system")
	fmt.Println(errors.Is(err, libvirtstore.ErrNoLibvirt))
	// Output:
	// true
}
