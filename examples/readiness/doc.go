// Command readiness answers "is this cluster ready for a host failover?"
// with the library's whole-procedure check, and prints its own report: one
// line per problem, then a verdict. It shows preflight embedded in an
// in-house tool without the sfkvm CLI.
//
// Usage:
//
//	echo "$PASSWORD" | readiness [-f FILE]
//
// The flag is:
//
//	-f FILE
//		the kvmguests.conf to check (default
//		/etc/opt/FJSVcluster/etc/kvmguests.conf)
//
// The password (one for every guest_user) comes from the first line of
// stdin. Exit 0 when nothing fails, 1 otherwise.
package main
