package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sshcheck"
)

// readsHost reads the guest's host information disk on its login, as
// preflight's guest.readshost does: migratesetup.GuestReadCommand (the
// sysfs serial, dd with O_DIRECT, as root) and ParseDisk.
func readsHost(ctx context.Context, c *conn) (migratesetup.HostInfo, error) {
	var info migratesetup.HostInfo
	err := c.do(ctx, func(n Node) error {
		stdout, stderr, status, err := n.Run(ctx, "sh", "-c", migratesetup.GuestReadCommand)
		switch {
		case err != nil:
			return fmt.Errorf("reading its host information disk: %w", err)
		case status == 66:
			return fmt.Errorf("the guest has no host information disk: %s", sshcheck.QuoteRemote(stderr))
		case status != 0:
			return fmt.Errorf("reading its host information disk exited %d: %s", status, sshcheck.QuoteRemote(stderr))
		}
		info, err = migratesetup.ParseDisk(stdout, c.g.Name+":"+migratesetup.Serial)
		return err
	})
	return info, err
}

// verify asks, after a migration that libvirt reported done: both
// libvirts, the destination's definitions, the guest (within Settle it
// reads the destination's registration) and every node (within Settle,
// every node UP and every agent ready).
func (s *session) verify(ctx context.Context, src, dst *Host, reads <-chan readResult) {
	p, r := s.p, s.r
	d := p.Domain
	p.Log("verify")
	add := func(id, target string, err error, reason, fix string) {
		c := Check{Stage: StageVerify, ID: id, Target: target, Status: OK, Reason: reason}
		if err != nil {
			c.Status, c.Reason, c.Fix = Fail, errText(err), fix
		}
		r.add(c)
	}
	// The source: not running, and undefined (--undefinesource).
	st, err := src.Store.State(ctx, d)
	switch {
	case errors.Is(err, migratesetup.ErrNoDomain):
		err = nil
	case err == nil && st == migratesetup.StateRunning:
		err = fmt.Errorf("libvirt on %s says it still runs there", p.From)
	case err == nil:
		err = fmt.Errorf("libvirt on %s still has its definition (%s): it was not undefined at the source", p.From, st)
	}
	add("verify.source", p.From, err, "not defined there any more", "virsh list --all on "+p.From+"; if it runs on both hosts, stop one at once (virsh destroy) before the cluster sees two")

	st, err = dst.Store.State(ctx, d)
	if err == nil && st != migratesetup.StateRunning {
		err = fmt.Errorf("it is %s on %s", st, p.To)
	}
	if err == nil {
		var persistent bool
		if persistent, err = dst.Store.Persistent(ctx, d); err == nil && !persistent {
			err = fmt.Errorf("it runs on %s but is transient there: a shutdown would lose it", p.To)
		}
	}
	add("verify.destination", p.To, err, "runs there, persistent", "virsh dominfo "+d+" on "+p.To+"; define it there (virsh dumpxml "+d+" > "+d+".xml; virsh define "+d+".xml)")

	for _, x := range []struct {
		id, what string
		get      func(context.Context, string) (string, error)
	}{{"verify.setup", "next-boot", dst.Store.InactiveXML}, {"verify.setup-live", "running", dst.Store.LiveXML}} {
		xml, err := x.get(ctx, d)
		if err == nil {
			var in migratesetup.Inspection
			if in, err = migratesetup.HasHostInfoDisk(xml, p.HostInfo); err == nil && !in.SetUp {
				err = fmt.Errorf("its %s definition on %s has lost the host information disk", x.what, p.To)
			}
		}
		add(x.id, p.To, err, "the "+x.what+" definition there has the host information disk", "sfkvm migratesetup -s "+d+" --restart on "+p.To)
	}

	// The guest reads its new host: the point of the whole set-up.
	res := <-reads
	if res.err == nil {
		r.ReadsNewHostSeconds = secs(res.after)
		add("verify.readshost", d, nil, fmt.Sprintf("reads %s at %s, %.3f s after the migration", res.seen.CFName, res.seen.IP, res.after.Seconds()), "")
	} else {
		add("verify.readshost", d, res.err, "", "PRIMECLUSTER would tell the wrong host after a failover: check the disk's source on "+p.To+" (virsh dumpxml "+d+": it must be "+p.HostInfo+") and "+p.To+"'s registration (sfkvm preflight there)")
	}

	// The cluster is whole again.
	var cfnames []string
	for _, c := range s.nodes {
		cfnames = append(cfnames, c.g.CFName)
	}
	errs := make([]error, len(s.nodes))
	each(len(s.nodes), func(i int) {
		c := s.nodes[i]
		errs[i] = waitFor(ctx, p.Poll, p.Settle, func() error {
			return c.do(ctx, func(n Node) error {
				if err := nodesUp(ctx, n, p.Tools, cfnames); err != nil {
					return err
				}
				return facilityReady(ctx, n, p.Tools)
			})
		})
	})
	for i, c := range s.nodes {
		add("verify.cluster", c.g.Name, errs[i], "cftool -n: every node UP; sdtool -s: every agent ready",
			"cftool -n and sdtool -s on "+c.g.Name+": the cluster did not become whole within --settle "+p.Settle.String())
	}
}

// readResult is what the guest read after the migration, and when.
type readResult struct {
	seen  migratesetup.HostInfo
	after time.Duration // from the end of the migration
	err   error
}

// watchReads polls the guest's disk from the end of the migration, beside
// the restore, until it reads the destination's registration or Settle
// passes: the figure is the guest's, not the restore's.
func (s *session) watchReads(ctx context.Context, dst *Host, ended time.Time) <-chan readResult {
	out := make(chan readResult, 1)
	go func() {
		p := s.p
		var res readResult
		var lastErr error
		err := waitFor(ctx, p.Poll, p.Settle, func() error {
			res.seen, lastErr = readsHost(ctx, s.self)
			if lastErr != nil {
				return lastErr
			}
			if res.seen != dst.Info {
				return fmt.Errorf("it still reads %s at %s, not its new host %s at %s", res.seen.CFName, res.seen.IP, dst.Info.CFName, dst.Info.IP)
			}
			return nil
		})
		res.after = p.Now().Sub(ended)
		if err != nil && lastErr == nil && res.seen == s.srcInfo {
			err = fmt.Errorf("THE GUEST STILL READS ITS OLD HOST %s at %s, %s after the migration: %w", res.seen.CFName, res.seen.IP, p.Settle, err)
		}
		res.err = err
		out <- res
	}()
	return out
}
