// Command siteguests serves the guests of bench/site.sh: one in-process
// SSH server (sshcheck/sshtest) on port 22 of each address given, so that
// the benchmark measures sfkvm and the hosts' sshd, not PAM on a thousand
// guests. Before it serves it writes, in -dir: key (an sfkvm key file),
// kvmguests.conf (one guest per address, guest_user root, passwords sealed
// with that key, host-cfname cfhost1..N in turn) and known_hosts (every
// guest's host key). Each guest answers what preflight runs there: cftool
// -c and -l, chage -l (sshtest's own), and ssh-keygen -F of any host. It
// prints "ready" on stdout and serves until SIGTERM or SIGINT.
//
// Usage:
//
//	siteguests -dir DIR [-hosts N] [-latency D] < addresses
//
// The flags are:
//
//	-dir DIR
//		the folder for key, kvmguests.conf and known_hosts (needed)
//	-hosts N
//		how many hosts the guests are spread over, cfhost1..N (default 10)
//	-latency D
//		a delay on every guest's link (sshtest.Config.Latency): what a
//		guest sends goes out D later, so each round trip takes D longer
//		(default 0). bench/site.sh's apart mode uses it where netem is
//		missing from the kernel.
//
// The addresses come on stdin, one a line.
package main
