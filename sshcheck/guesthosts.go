package sshcheck

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
)

// Files on a guest in which root's ssh looks up host keys.
const (
	GuestRootKnownHosts   = "/root/.ssh/known_hosts"
	GuestGlobalKnownHosts = "/etc/ssh/ssh_known_hosts"
)

// GuestKnowsHost answers step 5 of the procedure: does root on the guest
// behind r know the host key of host (port 0 or 22 for the default), so
// that the guest's first SSH login to that host has been made? It runs
// `ssh-keygen -F NAME -f FILE` on the guest for root's and the global
// known_hosts, and returns the file that holds the key ("" when none does).
// A missing file counts as one without the key.
func GuestKnowsHost(ctx context.Context, r Runner, host string, port int) (file string, err error) {
	if port == 0 {
		port = 22
	}
	name := knownHostsName(net.JoinHostPort(host, strconv.Itoa(port)))
	for _, f := range []string{GuestRootKnownHosts, GuestGlobalKnownHosts} {
		stdout, stderr, status, err := r.Run(ctx, "ssh-keygen", "-F", name, "-f", f)
		if err != nil {
			return "", err
		}
		switch {
		case status == 0 && len(bytes.TrimSpace(stdout)) > 0:
			return f, nil
		case status == 1,
			bytes.Contains(stderr, []byte("No such file or directory")):
			continue
		}
		return "", &Error{Kind: ErrCommandFailed, Stage: StageCommand, Command: "ssh-keygen -F " + name + " -f " + f,
			ExitStatus: status, Stderr: QuoteRemote(stderr), Err: fmt.Errorf("cannot tell whether %s is known", name)}
	}
	return "", nil
}
