package migratesetup_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
)

func ExampleRegister() {
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hostinfo") // migratesetup.DefaultPath on a real host

	ip, err := migratesetup.ParseHostIP("10.20.30.40")
	if err != nil {
		log.Fatal(err) // the CLI exits 65 here
	}
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: ip, NoWeightLink: true}
	if err := migratesetup.Register(context.Background(), path, info); err != nil {
		log.Fatal(err)
	}
	fi, _ := os.Stat(path)
	fmt.Println(fi.Mode(), fi.Size())
	got, _ := migratesetup.ReadFile(context.Background(), path)
	fmt.Printf("%s %s weight-link %s\n", got.CFName, got.IP, got.WeightLink())
	// Output:
	// -rw------- 512
	// cfhost1 10.20.30.40 weight-link off
}

func ExampleParseHostIP() {
	for _, s := range []string{"10.20.30.40", "fe80::1", "10.0.0"} {
		_, err := migratesetup.ParseHostIP(s)
		fmt.Println(s, "->", err, "| syntax:", errors.Is(err, migratesetup.CodeIPSyntax))
	}
	// Output:
	// 10.20.30.40 -> <nil> | syntax: false
	// fe80::1 -> error: ip-link-local: host IP fe80::1 is an IPv6 link-local address (fe80::/10), which the manual does not allow | syntax: false
	// 10.0.0 -> error: ip-syntax: host IP "10.0.0" is not an IPv4 or IPv6 address | syntax: true
}

const exampleDomain = `<domain type='kvm'>
  <name>guest11</name>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/libvirt/images/guest11.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <graphics type='vnc' port='-1' passwd='s3cret'/>
  </devices>
</domain>
`

func ExampleAddHostInfoDisk() {
	e, err := migratesetup.AddHostInfoDisk(exampleDomain, migratesetup.DefaultPath)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Changed, e.Target)
	fmt.Print(e.XML)
	again, _ := migratesetup.AddHostInfoDisk(e.XML, migratesetup.DefaultPath)
	fmt.Println("second time changed:", again.Changed)
	// Output:
	// true vdb
	// <domain type='kvm'>
	//   <name>guest11</name>
	//   <devices>
	//     <disk type='file' device='disk'>
	//       <source file='/var/lib/libvirt/images/guest11.qcow2'/>
	//       <target dev='vda' bus='virtio'/>
	//     </disk>
	//     <disk type='file' device='disk'>
	//       <driver name='qemu' type='raw'/>
	//       <source file='/var/lib/sfkvm/hostinfo'/>
	//       <target dev='vdb' bus='virtio'/>
	//       <readonly/>
	//       <shareable/>
	//       <serial>sfkvm-hostinfo</serial>
	//     </disk>
	//     <graphics type='vnc' port='-1' passwd='s3cret'/>
	//   </devices>
	// </domain>
	// second time changed: false
}

func ExampleHasHostInfoDisk() {
	in, err := migratesetup.HasHostInfoDisk(exampleDomain, migratesetup.DefaultPath)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("set up:", in.SetUp)
	e, _ := migratesetup.AddHostInfoDisk(exampleDomain, migratesetup.DefaultPath)
	in, _ = migratesetup.HasHostInfoDisk(e.XML, migratesetup.DefaultPath)
	fmt.Println("set up:", in.SetUp, in.Target)
	// Output:
	// set up: false
	// set up: true vdb
}

func ExampleRemoveHostInfoDisk() {
	added, _ := migratesetup.AddHostInfoDisk(exampleDomain, "")
	removed, _ := migratesetup.RemoveHostInfoDisk(added.XML)
	fmt.Println(removed.Changed, removed.Target, removed.XML == exampleDomain)
	// Output: true vdb true
}

func ExampleDiff() {
	e, _ := migratesetup.AddHostInfoDisk(exampleDomain, "")
	fmt.Print(migratesetup.Diff("guest11", exampleDomain, e.XML))
	// Output:
	// --- a/guest11.xml
	// +++ b/guest11.xml
	// @@ -4,6 +4,14 @@
	//      <disk type='file' device='disk'>
	//        <source file='/var/lib/libvirt/images/guest11.qcow2'/>
	//        <target dev='vda' bus='virtio'/>
	// +    </disk>
	// +    <disk type='file' device='disk'>
	// +      <driver name='qemu' type='raw'/>
	// +      <source file='/var/lib/sfkvm/hostinfo'/>
	// +      <target dev='vdb' bus='virtio'/>
	// +      <readonly/>
	// +      <shareable/>
	// +      <serial>sfkvm-hostinfo</serial>
	//      </disk>
	//      <graphics type='vnc' port='-1' passwd='***'/>
	//    </devices>
}

func ExampleReadGuest() {
	// Inside the guest: the disk that SetupGuest added. (Here a file stands
	// in for /dev/disk/by-id/virtio-sfkvm-hostinfo.)
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	disk := filepath.Join(dir, "disk")
	info := migratesetup.HostInfo{CFName: "cfhost2", IP: netip.MustParseAddr("2001:db8::2")}
	_ = migratesetup.Register(context.Background(), disk, info)

	// "" finds the disk itself (migratesetup.FindGuestDevice).
	host, err := migratesetup.ReadGuest(context.Background(), disk)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("running on", host.CFName, host.IP, "weight link", host.WeightLink())
	// Output: running on cfhost2 2001:db8::2 weight link on
}

func ExampleFindGuestDevice() {
	// A guest's file system as the kernel shows it, without udev: the
	// disk's serial in sysfs. (Here a folder stands in for "/".)
	root, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(root)
	for name, serial := range map[string]string{"vda": "root-disk", "vdb": migratesetup.Serial} {
		_ = os.MkdirAll(filepath.Join(root, "sys/block", name), 0o755)
		_ = os.WriteFile(filepath.Join(root, "sys/block", name, "serial"), []byte(serial), 0o444)
	}
	dev, err := migratesetup.FindGuestDevice(root)
	fmt.Println(strings.TrimPrefix(dev, root), err)
	// Output: /dev/vdb <nil>
}

func ExampleParseDisk() {
	// What `ssh guest sudo -n sh -c "'$GuestReadCommand'"` prints: the
	// disk's first sectors, text then zero bytes.
	raw := []byte("# sfkvm host information, written by Register; do not edit\n" +
		"format 1\nhost-cfname cfhost1\nhost-ip 10.20.30.40\nweight-link on\n")
	raw = append(raw, make([]byte, 512-len(raw))...)
	host, err := migratesetup.ParseDisk(raw, "guest11")
	fmt.Println(host.CFName, host.IP, host.WeightLink(), err)
	// Output: cfhost1 10.20.30.40 on <nil>
}

func ExampleCompare() {
	a := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.0.0.1")}
	b := migratesetup.HostInfo{CFName: "cfhost2", IP: netip.MustParseAddr("10.0.0.2"), NoWeightLink: true}
	err := migratesetup.Compare([]migratesetup.Registration{{Host: "host1", Info: a}, {Host: "host2", Info: b}})
	fmt.Println(err)
	// Output: weight link differs between hosts: on at host1; off (-w off) at host2
}

func ExampleSetupGuests() {
	dir, _ := os.MkdirTemp("", "sfkvm")
	defer os.RemoveAll(dir)
	opts := migratesetup.Options{HostInfoPath: filepath.Join(dir, "hostinfo")}
	info := migratesetup.HostInfo{CFName: "cfhost1", IP: netip.MustParseAddr("10.20.30.40")}
	if err := migratesetup.Register(context.Background(), opts.HostInfoPath, info); err != nil {
		log.Fatal(err)
	}
	// A fake store; libvirtstore.Open("qemu:///system") is the real one.
	store := migratesetuptest.New(map[string]*migratesetuptest.Domain{
		"guest11": {XML: exampleDomain, State: migratesetup.StateShutoff},
		"guest12": {XML: exampleDomain, State: migratesetup.StateRunning},
	})
	for _, r := range migratesetup.SetupGuests(context.Background(), store, []string{"guest11", "guest12", "guest13"}, opts) {
		fmt.Println(r.Domain, r.Outcome, r.Target, r.Err)
	}
	// Output:
	// guest11 set up vdb <nil>
	// guest12 refused vdb domain is not shut off: it is running; shut it down first (shutdown -P now in the guest), or use --restart
	// guest13 failed  reading the definition: Domain not found: no domain with matching name 'guest13'
}
