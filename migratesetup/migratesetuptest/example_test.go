package migratesetuptest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
)

// A test's view: a store with one shut-off guest, the code under test
// (here migratesetup.SetupGuest) working on it as it would on libvirt, and
// the store read back to see what it did.
func Example() {
	ctx := context.Background()
	store := migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"guest11": {XML: "<domain type='kvm'><name>guest11</name><devices></devices></domain>", State: migratesetup.StateShutoff},
	})
	// Define adds a domain, as virsh define does.
	if err := store.Define(ctx, "<domain type='kvm'><name>guest12</name><devices></devices></domain>"); err != nil {
		log.Fatal(err)
	}
	names, _ := store.List(ctx)
	fmt.Println("domains:", names)

	// SetupGuest needs this host's registration first.
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	opts := migratesetup.Options{HostInfoPath: filepath.Join(dir, "hostinfo")}
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.20.30.40")}
	if err := migratesetup.Register(ctx, opts.HostInfoPath, info); err != nil {
		log.Fatal(err)
	}
	r := migratesetup.SetupGuest(ctx, store, "guest11", opts)
	fmt.Println(r.Domain, r.Outcome, r.Target, r.Err)

	d, _ := store.Domain("guest11")
	fmt.Println("state:", d.State, "| has the disk:", strings.Contains(d.XML, "<serial>sfkvm-hostinfo</serial>"))
	fmt.Println("defines:", store.Calls("Define"))

	_, err := store.State(ctx, "guest13")
	fmt.Println(errors.Is(err, migratesetup.ErrNoDomain), err)
	// Output:
	// domains: [guest11 guest12]
	// guest11 set up vda <nil>
	// state: shut off | has the disk: true
	// defines: 2
	// true Domain not found: no domain with matching name 'guest13'
}

// Store.Fail makes a method fail as libvirt would, here a Start refused
// for one guest; the others are unaffected.
func ExampleStore_Fail() {
	ctx := context.Background()
	store := migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"guest11": {XML: "<domain><name>guest11</name></domain>", State: migratesetup.StateShutoff},
		"guest12": {XML: "<domain><name>guest12</name></domain>", State: migratesetup.StateShutoff},
	})
	store.Fail = func(method, domain string) error {
		if method == "Start" && domain == "guest12" {
			return errors.New("internal error: qemu unexpectedly closed the monitor")
		}
		return nil
	}
	for _, name := range []string{"guest11", "guest12"} {
		err := store.Start(ctx, name)
		state, _ := store.State(ctx, name)
		fmt.Println(name, state, err)
	}
	fmt.Println("starts:", store.Calls("Start"))
	// Output:
	// guest11 running <nil>
	// guest12 shut off internal error: qemu unexpectedly closed the monitor
	// starts: 2
}

// A test of the orchestration migrates between two fakes; SetMigration
// and Fail shape the migration (slow, stalled, refused).
func ExampleStore_MigrateTo() {
	ctx := context.Background()
	src := migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"guest11": {XML: "<domain><name>guest11</name></domain>", State: migratesetup.StateRunning},
	})
	dst := migratesetuptest.New(nil)
	src.SetMigration(migratesetuptest.Migration{Steps: 3, Step: time.Millisecond, DataTotal: 64 << 20})
	stats, err := src.MigrateTo(ctx, "guest11", dst, migratesetup.MigrateOptions{Timeout: time.Minute}, nil)
	fmt.Println(stats.DataTotal>>20, "MiB", err)
	d, _ := dst.Domain("guest11")
	_, atSource := src.Domain("guest11")
	fmt.Println(d.State, atSource)

	// Back home, but home refuses: the guest stays where it runs.
	src.Fail = func(method, domain string) error {
		if method == "MigratePrepare" {
			return errors.New("operation failed: no room for guest11")
		}
		return nil
	}
	_, err = dst.MigrateTo(ctx, "guest11", src, migratesetup.MigrateOptions{}, nil)
	d, _ = dst.Domain("guest11")
	fmt.Println(err, "/", d.State)
	// Output:
	// 64 MiB <nil>
	// running false
	// migrating guest11: the destination refuses: operation failed: no room for guest11 / running
}
