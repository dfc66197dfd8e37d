package preflight

import (
	"context"
	"fmt"
	"slices"

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
			{Check: HostUnlisted.ID, Target: "(domains here)", Status: Skip, Reason: reason, Err: p.cfg.StoreErr},
			{Check: GuestSetUp.ID, Target: "(guests here)", Status: Skip, Reason: reason, Err: p.cfg.StoreErr},
			{Check: GuestReadsHost.ID, Target: "(guests here)", Status: Skip, Reason: reason, Err: p.cfg.StoreErr},
		}
	}
	running, err := p.running(ctx)
	if err != nil {
		return []Result{
			{Check: HostUnlisted.ID, Target: "(domains here)", Status: Skip, Reason: "listing domains: " + err.Error(), Err: err},
			{Check: GuestSetUp.ID, Target: "(guests here)", Status: Fail, Reason: "listing domains: " + err.Error(), Err: err},
		}
	}
	hostName, nameErr := (sdfacility.CFTool{Runner: p.cfg.Local, Path: p.cfg.CFTool}).LocalNodeName(ctx)
	var out []Result
	here := 0
	for i, g := range p.guests {
		if !running[g.Name] || !p.wanted(i) {
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
		why := "none of the file's guests runs on this host"
		if p.cfg.Guest != "" {
			why = p.cfg.Guest + " does not run on this host"
		}
		for _, id := range []ID{GuestSetUp.ID, GuestReadsHost.ID} {
			out = append(out, Result{Check: id, Target: "(guests here)", Status: Skip, Reason: why})
		}
	}
	return append(out, p.unlisted(running)...)
}

// unlisted: the domains that run here but are no guest of the file, one
// WARN each (sorted by name), or one OK.
func (p *pass) unlisted(running map[string]bool) []Result {
	listed := map[string]bool{}
	for _, g := range p.guests {
		listed[g.Name] = true
	}
	var names []string
	for n := range running {
		if !listed[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return []Result{{Check: HostUnlisted.ID, Target: "(domains here)", Status: OK,
			Reason: fmt.Sprintf("all %d running domains are guests of the file", len(running))}}
	}
	slices.Sort(names)
	out := make([]Result, len(names))
	for i, n := range names {
		out[i] = Result{Check: HostUnlisted.ID, Target: n, index: i, Status: Warn,
			Reason: "runs on this host but is not in kvmguests.conf: if it is a cluster node, it cannot fail over",
			Fix:    "if it is a PRIMECLUSTER guest, add its line to kvmguests.conf on every host (manual step 1.4) and set it up (sfkvm migratesetup -s " + n + "); otherwise nothing"}
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
		return p.liveSetUp(ctx, r, name, in.Target)
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

// liveSetUp: the persistent definition has the disk; the definition the
// guest runs with must have it too, or a migration now carries a guest
// that cannot learn its new host (it was redefined, or the disk detached,
// while it ran). A store without live definitions checks the persistent
// one only, and says so.
func (p *pass) liveSetUp(ctx context.Context, r Result, name, target string) Result {
	ls, ok := p.cfg.Store.(migratesetup.LiveStore)
	if !ok {
		r.Status, r.Reason = OK, "host information disk "+target+" (persistent definition; this store gives no live one)"
		return r
	}
	live, err := ls.LiveXML(ctx, name)
	var in migratesetup.Inspection
	if err == nil {
		in, err = migratesetup.HasHostInfoDisk(live, p.cfg.HostInfo)
	}
	switch {
	case err != nil:
		r.Status, r.Reason, r.Err = Fail, "its live definition: "+err.Error(), err
		r.Fix = "virsh dumpxml " + name + " shows the definition it runs with"
	case !in.SetUp:
		r.Status = Fail
		r.Reason = "runs without the host information disk (its persistent definition has it as " + target + "; it was redefined, or the disk detached, while it ran): a migration now loses its host"
		r.Fix = "restart it from its definition: shut it down in the guest (or virsh shutdown " + name + "), then virsh start " + name
	default:
		r.Status, r.Reason = OK, "host information disk "+target+" (persistent and live)"
	}
	return r
}
