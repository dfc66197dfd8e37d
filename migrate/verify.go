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
func (s *session) verify(ctx context.Context, src, dst *Host, ended time.Time) {
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
	var seen migratesetup.HostInfo
	var lastErr error
	err = waitFor(ctx, p.Poll, p.Settle, func() error {
		seen, lastErr = readsHost(ctx, s.self)
		if lastErr != nil {
			return lastErr
		}
		if seen != dst.Info {
			return fmt.Errorf("it still reads %s at %s, not its new host %s at %s", seen.CFName, seen.IP, dst.Info.CFName, dst.Info.IP)
		}
		return nil
	})
	if err == nil {
		r.ReadsNewHostSeconds = secs(p.Now().Sub(ended))
		add("verify.readshost", d, nil, fmt.Sprintf("reads %s at %s, %.3f s after the migration", seen.CFName, seen.IP, *r.ReadsNewHostSeconds), "")
	} else {
		fix := "PRIMECLUSTER would tell the wrong host after a failover: check the disk's source on " + p.To + " (virsh dumpxml " + d + ": it must be " + p.HostInfo + ") and " + p.To + "'s registration (sfkvm preflight there)"
		if lastErr == nil && seen == s.srcInfo {
			err = fmt.Errorf("THE GUEST STILL READS ITS OLD HOST %s at %s after %s: %w", seen.CFName, seen.IP, p.Settle, err)
		}
		add("verify.readshost", d, err, "", fix)
	}

	// The cluster is whole again.
	var cfnames []string
	for _, c := range s.nodes {
		cfnames = append(cfnames, c.g.CFName)
	}
	each(len(s.nodes), func(i int) {
		c := s.nodes[i]
		err := waitFor(ctx, p.Poll, p.Settle, func() error {
			return c.do(ctx, func(n Node) error {
				if err := nodesUp(ctx, n, p.Tools, cfnames); err != nil {
					return err
				}
				return facilityReady(ctx, n, p.Tools)
			})
		})
		add("verify.cluster", c.g.Name, err, "cftool -n: every node UP; sdtool -s: every agent ready",
			"cftool -n and sdtool -s on "+c.g.Name+": the cluster did not become whole within --settle "+p.Settle.String())
	})
}
