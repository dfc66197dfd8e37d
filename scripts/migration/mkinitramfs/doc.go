// Command mkinitramfs writes the migration test's initramfs: a newc cpio
// archive holding /init (the static guestinit program) and the virtio
// modules it loads, taken from an unpacked Debian kernel package.
//
//	mkinitramfs -init guestinit -modules DIR/lib/modules/VERSION -o initrd.cpio
//
// The flags, all needed:
//
//	-init FILE
//		the static /init program (guestinit)
//	-modules DIR
//		the kernel's lib/modules/VERSION folder
//	-o FILE
//		the archive to write
//
// The modules must be plain .ko files: finit_module of the 6.1 kernel
// takes no compressed module, so a .ko.xz or .ko.zst is refused by name.
package main
