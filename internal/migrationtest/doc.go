// Package migrationtest holds the pieces of scripts/migration-test.sh that
// are Go: a writer of newc cpio archives (the guest's initramfs), a QMP
// client (QEMU's machine protocol: migrate, query-migrate), and the line
// that the guest's /init prints on its serial console, with its parser,
// so that the guest and the host that watches it agree on one format.
//
// The commands that use it live in scripts/migration: guestinit (the
// guest's /init, a static Go program), mkinitramfs and migrate (the host's
// side of the test).
package migrationtest
