// Package rpcstore is a migratesetup.Store that speaks libvirt's own RPC
// protocol to the daemon's Unix socket, in pure Go
// (github.com/digitalocean/go-libvirt, the client of Terraform's libvirt
// provider). A program that uses it needs no cgo, no libvirt library and
// no glibc of any version: it builds with CGO_ENABLED=0 and runs on every
// RHEL and SLES host whatever libvirt they ship. sfkvm's CLI uses it.
//
//	s, err := rpcstore.Open(ctx, "qemu:///system")
//	if err != nil { ... } // errors.Is(err, rpcstore.ErrNoDaemon): say what to start
//	defer s.Close()
//	results := migratesetup.SetupGuests(ctx, s, []string{"guest11"}, migratesetup.Options{})
//
// Open finds the socket as libvirt's client does (Resolve): for
// qemu:///system the modular QEMU daemon's /run/libvirt/virtqemud-sock,
// else libvirtd's /run/libvirt/libvirt-sock; for qemu:///session the same
// names under $XDG_RUNTIME_DIR/libvirt. The daemon decides who may
// connect: root, or (through polkit, as libvirt's packages set it up) a
// member of the libvirt group. Another host's daemon is reached through a
// connection the caller already has: OpenDialer with
// sshcheck.Client.DialUnix opens the remote socket through sfkvm's own SSH
// login (OpenSSH forwards Unix sockets by default), with no libvirt client
// on either side and no second login.
//
// It behaves as package libvirtstore (cgo) does, and both pass
// migratesetup/storetest: definitions are read with their secrets
// (DOMAIN_XML_INACTIVE|DOMAIN_XML_SECURE) and defined with validation
// (DOMAIN_DEFINE_VALIDATE), both by the daemon; errors keep libvirt's code
// (Error, Code) and an unknown domain is migratesetup.ErrNoDomain.
//
// Live migration (migratesetup.Migrator): Store.MigrateTo moves a
// running guest to the daemon of another Store, as `virsh migrate --live
// --persistent --undefinesource` does without --p2p: this process drives
// libvirt's migration protocol v3 over both connections (Begin, Prepare,
// Perform, Finish, Confirm, as libvirt's client library does in
// virDomainMigrate3), so the two daemons need no connection to each
// other, only their QEMUs do (the migration URI). A watchdog polls the job
// (every 100 ms until it moves data, then once a second) for progress
// and aborts it past the timeout, with no
// progress, or when the context ends; every failure cancels what was
// done, and the guest runs on the source.
//
// Contexts: go-libvirt's calls take none. Every call is bounded by its
// context all the same: when the context ends before the daemon answers,
// the store closes its connection (the call is abandoned, libvirt may
// still carry it out) and every later call fails with ErrClosed.
//
// What it deliberately does not do: start a daemon (libvirt's client
// spawns a session daemon when none runs; this store says so instead),
// TCP, TLS or libvirt's own ssh transport (qemu+ssh://, which needs nc or
// virt-ssh-helper on the host), SASL authentication, or libvirt's test
// driver (test:///, in-process only: use libvirtstore).
package rpcstore
