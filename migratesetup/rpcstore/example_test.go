package rpcstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/rpcstore"
	"github.com/sfkvm/sfkvm/sshcheck"
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

// Another host's libvirt through sfkvm's own SSH login: the daemon's
// socket is opened by sshd on that host (no libvirt client there, no
// second login). (Not run by go test: it needs a host.)
func ExampleOpenDialer() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := sshcheck.New(sshcheck.Options{})
	if err != nil {
		log.Fatal(err)
	}
	c, err := p.Dial(ctx, sshcheck.Target{Name: "cfhost2", Address: "192.0.2.2", User: "root", Keys: sshcheck.DefaultKeys()})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s, err := rpcstore.OpenDialer(ctx, "qemu:///system", c.DialUnix)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	names, err := s.List(ctx)
	fmt.Println(names, err)
}

// A live migration from this host's daemon to another host's, reached
// through sfkvm's SSH login, bounded and reporting progress as `virsh
// migrate --verbose` does. (Not run by go test: it needs two hosts.)
func ExampleStore_MigrateTo() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	src, err := rpcstore.Open(ctx, "qemu:///system")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	p, err := sshcheck.New(sshcheck.Options{})
	if err != nil {
		log.Fatal(err)
	}
	c, err := p.Dial(ctx, sshcheck.Target{Name: "cfhost2", Address: "192.0.2.2", User: "root", Keys: sshcheck.DefaultKeys()})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	dst, err := rpcstore.OpenDialer(ctx, "qemu:///system", c.DialUnix)
	if err != nil {
		log.Fatal(err)
	}
	defer dst.Close()
	opts := migratesetup.MigrateOptions{Timeout: 5 * time.Minute, NoProgress: 30 * time.Second, URI: "tcp://192.0.2.2:49152"}
	stats, err := src.MigrateTo(ctx, "guest11", dst, opts, func(p migratesetup.MigrateProgress) {
		if p.DataTotal > 0 {
			fmt.Printf("Migration: [%3d %%]\n", 100*(p.DataTotal-p.DataRemaining)/p.DataTotal)
		}
	})
	if errors.Is(err, migratesetup.ErrMigrationTimeout) {
		log.Fatal(err) // aborted: guest11 still runs here
	}
	fmt.Println(stats.Elapsed, stats.Downtime, err)
}
