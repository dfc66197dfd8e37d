// Command guestinit is the /init of the migration test's guest
// (scripts/migration-test.sh): a static Go program (CGO_ENABLED=0) that
// mounts /proc, /sys and /dev, loads the virtio modules that mkinitramfs
// put in /modules (in the order of /modules/order), finds the host
// information disk the way migratesetup.FindGuestDevice does (no udev
// here), and then reads it in a loop, printing a migrationtest.Report on
// its console whenever what it reads changes, and once a second besides.
//
// It reads the disk three ways: migratesetup.ReadGuest (O_DIRECT); a plain
// read through a descriptor opened at boot and held open; a plain read
// that opens and closes the device each time. Once the O_DIRECT read has
// shown another host than at boot for closeAfter readings in a row, it
// closes the held descriptor (held=closed), so that the test sees what a
// plain read shows once no descriptor is left open.
//
// When the initramfs holds a migrationtest.GuestConfig (mkinitramfs
// -guest), the guest also serves SSH (serve.go): it brings up its virtio
// NIC with the configured static address (ioctl: no ip command here),
// makes an Ed25519 host key and prints its fingerprint and key on the
// console (SFKVM-HOSTKEY), and answers, through package sshtest's server,
// the configured user's password logins, sudo -n, and the commands of a
// simulated PRIMECLUSTER node (migrationtest.Node: cftool -n/-l/-c,
// sdtool -s/-e/-b, cfset -r/-a, cat and tee of cluster.config), whose
// read of the host information disk (migratesetup.GuestReadCommand) is
// answered from this guest's real disk with O_DIRECT, as dd iflag=direct
// reads it.
//
// It never exits: the kernel would panic. The host ends the guest.
package main
