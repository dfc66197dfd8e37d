// Command mkinitramfs writes the migration test's initramfs: a newc cpio
// archive holding /init (the static guestinit program) and the virtio
// modules it loads (disk and network), taken from an unpacked Debian kernel package.
//
//	mkinitramfs -init guestinit -modules DIR/lib/modules/VERSION -o initrd.cpio
//
// The flags, all needed but -guest:
//
//	-init FILE
//		the static /init program (guestinit)
//	-modules DIR
//		the kernel's lib/modules/VERSION folder
//	-o FILE
//		the archive to write
//	-guest FILE
//		the guest's configuration (JSON, migrationtest.GuestConfig),
//		put at /etc/sfkvm-guest.json (mode 0600) with a real-looking
//		/etc/default/cluster.config: the guest then serves SSH
//
// The modules must be plain .ko files: finit_module of the 6.1 kernel
// takes no compressed module, so a .ko.xz or .ko.zst is refused by name.
package main
