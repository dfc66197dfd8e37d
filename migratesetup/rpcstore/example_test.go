package rpcstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
)

// Where a URI is served on this host, in the order libvirt's client tries.
func ExampleResolve() {
	ep, err := rpcstore.Resolve("qemu:///system")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ep.Name, ep.Sockets)
	// Output:
	// qemu:///system [/run/libvirt/virtqemud-sock /run/libvirt/libvirt-sock]
}

// Setting up a guest through the host's libvirt daemon, as the CLI does.
// (Not run by go test: it needs a host's daemon.)
func ExampleOpen() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := rpcstore.Open(ctx, "qemu:///system")
	if errors.Is(err, rpcstore.ErrNoDaemon) {
		log.Fatal(err) // names the sockets and what to start; the CLI exits 69
	}
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for _, r := range migratesetup.SetupGuests(ctx, s, []string{"guest11"}, migratesetup.Options{}) {
		fmt.Println(r.Domain, r.Outcome, r.Err)
	}
}
