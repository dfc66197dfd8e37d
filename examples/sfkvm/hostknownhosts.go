package main

import (
	"flag"
	"fmt"
)

// hostKnownHostsFlag is --host-known-hosts: the other hosts' keys on this
// machine, kept apart from the guests' (--known-hosts), as site spells it.
func hostKnownHostsFlag(fs *flag.FlagSet) *string {
	return fs.String("host-known-hosts", "", "known_hosts `file` of the hosts' keys, on this machine: the other hosts' (default root's ~/.ssh/known_hosts; /etc/ssh/ssh_known_hosts is also read)")
}

// hostKnownHostsFile is the known_hosts file that the other hosts' keys
// are checked against: --host-known-hosts; else, when hosts are given
// with a --known-hosts and no --host-known-hosts, that file as before
// issue 20 (when --known-hosts held both), with a one-line note, for one
// release; else "" (root's own files).
func hostKnownHostsFile(e *env, cmd string, fs *flag.FlagSet, hostKH, guestKH string, hosts bool) string {
	given := givenFlags(fs)
	switch {
	case given["host-known-hosts"]:
		return hostKH
	case hosts && given["known-hosts"]:
		fmt.Fprintf(e.stderr, "sfkvm %s: note: the other hosts' keys are checked against --known-hosts %s as before; give them --host-known-hosts (the same file is fine) to keep this when --known-hosts becomes the guests' keys only\n", cmd, guestKH)
		return guestKH
	}
	return ""
}
