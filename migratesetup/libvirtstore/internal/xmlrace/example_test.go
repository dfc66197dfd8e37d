//go:build cgo

package xmlrace_test

import (
	"fmt"
	"log"

	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore/internal/xmlrace"
)

// After libvirtstore.Open (libvirt's built-in test driver: no daemon), the
// process has libxml2 loaded and its type libraries initialised, so the
// threads find the work done and all of them run; the race itself is
// shown by libvirtstore's TestConcurrentValidation, in fresh processes,
// as a first call is the only one that races.
func ExampleRelaxNGInitTypes() {
	store, err := libvirtstore.Open("test:///default")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	fmt.Println("threads that ran:", xmlrace.RelaxNGInitTypes(8))
	// Output: threads that ran: 8
}
