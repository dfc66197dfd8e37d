// Command rotateone is an in-house tool that rotates one guest's password
// through the rotate package, for a site whose kvmguests.conf holds sfkvm's
// sealed tokens (a test cluster, an in-house credential store): it
// generates the new password to PRIMECLUSTER's policy, keeps it in a new
// root-only file first, and lets rotate.Run do the rest, proven step by
// step: the current login, the change, the new login, this host's file and
// every other host's, read back.
//
// Usage:
//
//	rotateone -guest NAME -key FILE -out FILE [-hosts H1,H2] [-f FILE] [-known-hosts FILE]
//
// For example:
//
//	rotateone -guest guest11 -key /etc/sfkvm/sfkvm.key -out /root/guest11.pw -hosts cfhost2
//
// The flags are:
//
//	-guest NAME
//		the guest-name whose password to rotate (needed)
//	-key FILE
//		the key file of the sealed tokens (needed)
//	-out FILE
//		a new root-only file for the new password, written before anything
//		changes (needed; it must not exist)
//	-hosts H1,H2
//		the other hosts whose kvmguests.conf is updated too, comma-separated
//	-f FILE
//		this host's kvmguests.conf (default
//		/etc/opt/FJSVcluster/etc/kvmguests.conf)
//	-known-hosts FILE
//		the known_hosts of the guests (default root's)
//
// Other hosts are reached with the system's ssh client as root (keys,
// agent, ssh_config). It prints the report and exits 1 when anything
// failed, 3 when a host was left behind (the report says how to finish),
// 2 for a usage error.
package main
