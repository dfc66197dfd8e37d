// Package migrationtest holds the pieces of scripts/migration-test.sh that
// are Go: a writer of newc cpio archives (the guest's initramfs), a QMP
// client (QEMU's machine protocol: migrate, query-migrate), and the line
// that the guest's /init prints on its serial console, with its parser,
// so that the guest and the host that watches it agree on one format.
// For the guest that serves SSH (issue 22) it also holds the guest's
// configuration in its initramfs (GuestConfig: address, login, place in
// the cluster), the console line of its host key (HostKeyPrefix), and
// NodeHandler, the commands a node of the test's guest cluster answers:
// its real disk's read, and package migratetest's simulated vendor tools.
//
// The commands that use it live in scripts/migration: guestinit (the
// guest's /init, a static Go program), mkinitramfs and migrate (the host's
// side of the test).
package migrationtest
