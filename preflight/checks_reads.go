package preflight

import (
	"context"
	"fmt"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// readsHost: step 3 seen from inside a guest that runs here: its host
// information disk, read in the guest (migratesetup.GuestReadCommand: the
// sysfs serial, dd with O_DIRECT, as root), names this host. A guest that
// reads another host (a disk backed by the wrong file) or nothing (no
// disk, not started since it was set up) would tell PRIMECLUSTER the wrong
// host after a failover. The read is made on the guest's one login
// (checkGuest), not on a login of its own.
func (p *pass) readsHost(ctx context.Context, i int, g kvmguests.Guest) Result {
	r := Result{Check: GuestReadsHost.ID, Target: g.Name, index: i}
	switch {
	case p.infoErr != nil:
		r.Status, r.Reason = Skip, "this host is not registered (host.registered), so there is nothing to compare with"
		return r
	case p.proberErr != nil:
		r.Status, r.Reason, r.Err = Skip, "no SSH client: "+p.proberErr.Error(), p.proberErr
		return r
	case p.cfg.Password == nil:
		r.Status, r.Reason = Skip, "no password to log in with: give --key (sealed tokens) or --password-stdin"
		return r
	}
	s := p.session(ctx, i)
	if rs := only(GuestReadsHost.ID, s.results); len(rs) == 1 {
		return rs[0]
	}
	// The session stopped before the read: say at which check.
	r.Status, r.Reason = Skip, "not read: the guest's session stopped before it"
	for _, x := range s.results {
		if x.Status == Fail {
			r.Reason = "not read: " + string(x.Check) + " failed (its row says why)"
			break
		}
	}
	return r
}

// readDisk reads the guest's host information disk on its login c and
// compares it with this host's registration.
func (p *pass) readDisk(ctx context.Context, c *sshcheck.Client, i int, g kvmguests.Guest) Result {
	r := Result{Check: GuestReadsHost.ID, Target: g.Name, index: i}
	// The client runs it through sudo -n for a non-root guest_user.
	stdout, stderr, status, err := c.RunLimited(ctx, sshcheck.Limits{MaxStdout: migratesetup.MaxFileSize}, "sh", "-c", migratesetup.GuestReadCommand)
	switch {
	case err != nil:
		r.Status, r.Reason, r.Err = Fail, "reading its host information disk: "+errorText(err), err
		return r
	case status == 66:
		r.Status, r.Reason = Fail, "the guest has no host information disk: "+sshcheck.QuoteRemote(stderr)
		r.Fix = "sfkvm migratesetup -s " + g.Name + " --restart, or start it again if it was set up while running"
		return r
	case status != 0:
		r.Status, r.Reason = Fail, fmt.Sprintf("reading its host information disk exited %d: %s", status, sshcheck.QuoteRemote(stderr))
		r.Fix = "the guest needs sh, dd and sudo -n for " + g.User
		return r
	}
	seen, err := migratesetup.ParseDisk(stdout, g.Name+":"+migratesetup.Serial)
	if err != nil {
		r.Status, r.Reason, r.Err = Fail, "its host information disk does not read as one: "+errorText(err), err
		r.Fix = "register this host again (sfkvm migratesetup -c), then restart or migrate the guest"
		return r
	}
	if seen.CFName != p.info.CFName || seen.IP != p.info.IP || seen.NoWeightLink != p.info.NoWeightLink {
		r.Status = Fail
		r.Reason = fmt.Sprintf("it reads %s at %s (weight link %s), but runs on this host, %s at %s (weight link %s)",
			seen.CFName, seen.IP, seen.WeightLink(), p.info.CFName, p.info.IP, p.info.WeightLink())
		r.Fix = "its disk is backed by another file than this host's registration: check the disk's source in virsh dumpxml " + g.Name + " (it must be " + p.cfg.HostInfo + "); if this host was registered again since the guest started, the guest still holds the old file: restart or migrate it"
		return r
	}
	r.Status, r.Reason = OK, fmt.Sprintf("reads %s at %s, weight link %s", seen.CFName, seen.IP, seen.WeightLink())
	return r
}
