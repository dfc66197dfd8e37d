package preflight

import (
	"context"
	"fmt"

	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/sdfacility"
)

// hereCheck is the run of a check on the guests that run on this host
// (host.cfname, guest.setup): both come from one look at libvirt.
func hereCheck(id ID) func(context.Context, *pass) []Result {
	return func(ctx context.Context, p *pass) []Result {
		p.hereOnce.Do(func() { p.hereResults = p.checkHere(ctx) })
		return only(id, p.hereResults)
	}
}

// checkHere: for the guests that run on this host, step 1.1 (host-cfname
// is this host's CF node name) and step 3 (the guest is set up).
func (p *pass) checkHere(ctx context.Context) []Result {
	if p.conf == nil && p.cfg.Guests == nil {
		return nil
	}
	if p.cfg.Store == nil {
		reason := "libvirt cannot be reached"
		if p.cfg.StoreErr != nil {
			reason += ": " + p.cfg.StoreErr.Error()
		}
		return []Result{
			{Check: HostCFName.ID, Target: "(guests here)", Status: Skip, Reason: reason, Err: p.cfg.StoreErr},
			{Check: GuestSetUp.ID, Target: "(guests here)", Status: Skip, Reason: reason, Err: p.cfg.StoreErr},
			{Check: GuestReadsHost.ID, Target: "(guests here)", Status: Skip, Reason: reason, Err: p.cfg.StoreErr},
		}
	}
	store := p.cfg.Store
	running, err := runningDomains(ctx, store)
	if err != nil {
		return []Result{{Check: GuestSetUp.ID, Target: "(guests here)", Status: Fail, Reason: "listing domains: " + err.Error(), Err: err}}
	}
	hostName, nameErr := (sdfacility.CFTool{Runner: p.cfg.Local, Path: p.cfg.CFTool}).LocalNodeName(ctx)
	var out []Result
	here := 0
	for i, g := range p.guests {
		if !running[g.Name] {
			continue
		}
		here++
		h := Result{Check: HostCFName.ID, Target: g.Name, index: i}
		switch {
		case nameErr != nil:
			h.Status, h.Reason, h.Err = Skip, "cftool -l on this host: "+nameErr.Error(), nameErr
		case hostName == g.HostCFName:
			h.Status, h.Reason = OK, "runs here, on "+hostName
		default:
			h.Status = Fail
			h.Reason = fmt.Sprintf("runs on this host, %s, but kvmguests.conf says %s", hostName, g.HostCFName)
			h.Fix = fmt.Sprintf("set host-cfname of %s to %s on every host's copy", g.Name, hostName)
		}
		su := p.setUp(ctx, i, g.Name)
		rh := Result{Check: GuestReadsHost.ID, Target: g.Name, index: i, Status: Skip, Reason: "not set up (guest.setup), so it has no disk to read"}
		if su.Status != Fail {
			rh = p.readsHost(ctx, i, g)
		}
		out = append(out, h, su, rh)
	}
	if here == 0 {
		for _, id := range []ID{GuestSetUp.ID, GuestReadsHost.ID} {
			out = append(out, Result{Check: id, Target: "(guests here)", Status: Skip,
				Reason: "none of the file's guests runs on this host"})
		}
	}
	return out
}

// setUp: step 3 for one running guest. The fix depends on whether the
// guest can be restarted: a transient domain has no definition to edit
// and would be gone once shut down.
func (p *pass) setUp(ctx context.Context, i int, name string) Result {
	r := Result{Check: GuestSetUp.ID, Target: name, index: i}
	fail := func(err error) Result {
		r.Status, r.Reason, r.Err = Fail, err.Error(), err
		r.Fix = "sfkvm migratesetup -s " + name + " --dry-run shows the change"
		return r
	}
	xml, err := p.cfg.Store.InactiveXML(ctx, name)
	if err != nil {
		return fail(err)
	}
	in, err := migratesetup.HasHostInfoDisk(xml, p.cfg.HostInfo)
	if err != nil {
		return fail(err)
	}
	if in.SetUp {
		r.Status, r.Reason = OK, "host information disk "+in.Target
		return r
	}
	r.Status, r.Reason = Fail, "no host information disk: after a migration it cannot learn its new host"
	persistent, err := p.cfg.Store.Persistent(ctx, name)
	switch {
	case err != nil:
		r.Fix = "sfkvm migratesetup -s " + name + " --restart (stops it, sets it up, starts it) once libvirt says whether it is persistent: " + err.Error()
	case !persistent:
		r.Err = migratesetup.ErrTransient
		r.Fix = fmt.Sprintf("it is transient (shutting it down would delete it): make it persistent first (virsh dumpxml %s > %s.xml; virsh define %s.xml), then sfkvm migratesetup -s %s --restart", name, name, name, name)
	default:
		r.Fix = "sfkvm migratesetup -s " + name + " --restart (stops it, sets it up, starts it)"
	}
	return r
}

func runningDomains(ctx context.Context, s migratesetup.Store) (map[string]bool, error) {
	names, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	running := map[string]bool{}
	for _, n := range names {
		if st, err := s.State(ctx, n); err == nil && st == migratesetup.StateRunning {
			running[n] = true
		}
	}
	return running, nil
}
