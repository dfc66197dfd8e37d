// Package storetest checks an implementation of migratesetup.Store, the
// way testing/fstest.TestFS checks an fs.FS and nettest.TestConn a
// net.Conn: one conformance suite that every store passes. sfkvm runs it
// on its three stores: the in-memory fake (migratesetuptest), the cgo
// store on libvirt's test driver (libvirtstore), and the pure-Go RPC
// store against a real libvirt daemon (rpcstore). An in-house store
// (another hypervisor, a recording proxy) runs it the same way.
//
//	func TestConformance(t *testing.T) {
//		storetest.TestStore(t, storetest.Harness{
//			Open:   func(t *testing.T) migratesetup.Store { return openMine(t) },
//			Domain: func(t *testing.T, name string) string { return myDomainXML(name) },
//		})
//	}
//
// It pins what migratesetup relies on, through the store alone: an unknown
// domain is migratesetup.ErrNoDomain on every method; a definition keeps
// its secrets (a VNC password) through a read and a define; a malformed
// definition is refused and defines nothing; a running guest is refused
// without --restart and left as it was; with --restart the new definition
// is defined before the guest is stopped, and the guest runs it
// afterwards; a definition the store refuses never costs the guest a
// restart; a transient guest is refused, --restart or not, and still runs;
// a call with an ended context fails with the context's error. A store
// that is a migratesetup.LiveStore also has its live definition checked.
//
// TestMigrator is the suite of a migratesetup.Migrator (a store that
// migrates live), with a MigrationHarness that gives two stores on two
// hosts and a way to make a migration slow: a guest moves, persistent on
// the destination and undefined at the source; a destination running a
// guest of that name refuses; a shut-off guest and a destination of
// another kind are refused; a migration past its timeout, and one whose
// context is cancelled, is aborted with progress reported; every failure
// leaves the guest running on the source and none on the destination.
//
// What it does not check: libvirt's own schema (the fake has none; the
// libvirt stores test their validation themselves), performance, or
// concurrency beyond what SetupGuests does.
package storetest
