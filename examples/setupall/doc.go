// Command setupall sets up every shut-off guest of this host for live
// migration with the host OS failover function (step 3 of F.2.2), as an
// in-house tool would with packages migratesetup and libvirtstore: it asks
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
// for a usage error, 69 when libvirt is unavailable (unreachable, or not in
// this build).
package main
