// Command probefleet logs in to every guest of kvmguests.conf the way
// PRIMECLUSTER will at migration time, and prints a JSON report for a
// monitoring system: one object per guest, in file order. It shows the
// packages kvmguests and sshcheck used together without the sfkvm CLI.
//
// Usage:
//
//	echo "$PASSWORD" | probefleet [-f FILE] [-parallel N] [-timeout D] > report.json
//
// The flags are:
//
//	-f FILE
//		the kvmguests.conf to read (default
//		/etc/opt/FJSVcluster/etc/kvmguests.conf)
//	-parallel N
//		how many guests are probed at once (default 32)
//	-timeout D
//		the SSH handshake deadline per guest, a Go duration (default 10s)
//
// The password (one for every guest_user) comes from the first line of
// stdin; the vendor's tokens cannot be decrypted outside PRIMECLUSTER. Host
// keys are checked strictly against root's known_hosts; nothing is trusted.
// Exit 0 when every guest passed, 1 when any failed, 2 when the file or
// the password could not be read.
package main
