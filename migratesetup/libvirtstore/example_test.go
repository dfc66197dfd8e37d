//go:build cgo

package libvirtstore_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/libvirtstore"
)

func ExampleOpen() {
	// qemu:///system on a real host; libvirt's mock hypervisor here.
	store, err := libvirtstore.Open("test:///default")
	if err != nil {
		log.Fatal(err) // the CLI exits 69: libvirt unreachable
	}
	defer store.Close()
	ctx := context.Background()

	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	opts := migratesetup.Options{HostInfoPath: filepath.Join(dir, "hostinfo")}
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.20.30.40")}
	if err := migratesetup.Register(ctx, opts.HostInfoPath, info); err != nil {
		log.Fatal(err)
	}

	// A shut-off guest (a defined domain that was never started).
	guest := "<domain type='test'><name>example-guest</name><memory>1048576</memory><os><type>hvm</type></os>" +
		"<devices><disk type='file' device='disk'><source file='/img/g.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>"
	if err := store.Define(ctx, guest); err != nil {
		log.Fatal(err)
	}
	for _, r := range migratesetup.SetupGuests(ctx, store, []string{"example-guest", "example-guest-absent"}, opts) {
		fmt.Println(r.Domain, r.Outcome, r.Target, r.Err)
	}
	r := migratesetup.RemoveGuest(ctx, store, "example-guest", opts)
	fmt.Println(r.Domain, r.Outcome, r.Target)
	// Output:
	// example-guest set up vdb <nil>
	// example-guest-absent failed  reading the definition: Domain not found
	// example-guest removed vdb
}

// A live migration to another host's libvirt, as `virsh migrate --live
// --persistent --undefinesource` does, bounded. (Not run by go test: it
// needs two hosts; libvirt's test driver does not migrate.)
func ExampleStore_MigrateTo() {
	src, err := libvirtstore.Open("qemu:///system")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	dst, err := libvirtstore.Open("qemu+ssh://root@cfhost2/system")
	if err != nil {
		log.Fatal(err)
	}
	defer dst.Close()
	opts := migratesetup.MigrateOptions{Timeout: 5 * time.Minute, NoProgress: 30 * time.Second, MaxDowntime: 500 * time.Millisecond}
	stats, err := src.MigrateTo(context.Background(), "guest11", dst, opts, func(p migratesetup.MigrateProgress) {
		fmt.Printf("%d of %d bytes\n", p.DataProcessed, p.DataTotal)
	})
	fmt.Println(stats.Downtime, err) // on an error guest11 still runs here
}
