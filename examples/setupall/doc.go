// Command setupall sets up every shut-off guest of this host for live
// migration with the host OS failover function (step 3 of F.2.2), as an
// in-house tool would with packages migratesetup and rpcstore: it asks
// libvirt for every domain, leaves the running ones alone (they are listed,
// to be done at their next stop), and adds the host information disk to the
// others, several at once.
//
// Usage:
//
//	setupall [-connect URI] [-hostinfo FILE] [-dry-run]
//
// The flags are:
//
//	-connect URI
//		the libvirt URI (default qemu:///system)
//	-hostinfo FILE
//		this host's registration file (default /var/lib/sfkvm/hostinfo)
//	-dry-run
//		print the changes, change nothing
//
// The host must be registered first (sfkvm migratesetup -c -i HOSTIP).
// Exit 0 when every shut-off guest is set up, 1 when any could not be, 2
// for a usage error, 69 when libvirt's daemon is unavailable. It speaks to
// the daemon over its socket in pure Go (migratesetup/rpcstore), so it
// builds with CGO_ENABLED=0 into a static binary.
package main
