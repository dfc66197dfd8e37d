package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migratesetup"
)

// before makes every check that must hold before anything is changed. It
// returns the two hosts (either may be nil when it could not be opened)
// and whether every check held. Under Guard it also reads each node's
// cluster.config and CF timeout into s.state.
func (s *session) before(ctx context.Context) (src, dst *Host, ok bool) {
	p, r := s.p, s.r
	fail := func(id, target, reason, fix string) {
		r.add(Check{Stage: StageBefore, ID: id, Target: target, Status: Fail, Reason: reason, Fix: fix})
	}
	pass := func(id, target, reason string) {
		r.add(Check{Stage: StageBefore, ID: id, Target: target, Status: OK, Reason: reason})
	}
	if p.From == p.To {
		fail("host.other", p.To, "the destination is the source", "give --to another host")
		src, _ = p.Open(ctx, p.From) // only to say where the guest runs
		return src, nil, false
	}
	p.Log("hosts")
	// Both at once: the other host's is an SSH login and a forwarded
	// libvirt, most of the time before the migration.
	var errSrc, errDst error
	var wg sync.WaitGroup
	wg.Go(func() { src, errSrc = p.Open(ctx, p.From) })
	dst, errDst = p.Open(ctx, p.To)
	wg.Wait()
	ok = true
	for _, h := range []struct {
		name string
		host *Host
		err  error
	}{{p.From, src, errSrc}, {p.To, dst, errDst}} {
		switch {
		case h.err != nil:
			fail("host.libvirt", h.name, "its libvirt cannot be reached: "+errText(h.err),
				"check that libvirt runs on "+h.name+" and that this host logs in to it over SSH (sfkvm preflight --hosts "+h.name+")")
			ok = false
		case h.host.InfoErr != nil:
			fail("host.registered", h.name, "its host information file cannot be read: "+errText(h.host.InfoErr),
				"register it: sfkvm migratesetup -c -i HOSTIP on "+h.name)
			ok = false
		default:
			pass("host.registered", h.name, fmt.Sprintf("%s at %s, libvirt reachable", h.host.Info.CFName, h.host.Info.IP))
		}
	}
	self, nodes, listed := p.cluster()
	if !listed {
		fail("domain.listed", p.Domain, "the domain is not a guest-name in kvmguests.conf, so its cluster is unknown",
			"give -f with the kvmguests.conf that lists it (sfkvm check -f FILE)")
		return src, dst, false
	}
	r.Cluster = self.ClusterName
	pass("domain.listed", p.Domain, fmt.Sprintf("cluster %s, %d nodes in kvmguests.conf", self.ClusterName, len(nodes)))

	unlock, err := lockCluster(p.StateDir, self.ClusterName)
	if err != nil {
		fix := "wait for the other sfkvm migrate or drill of this cluster to end"
		if !errors.Is(err, ErrBusy) {
			fix = "run as root, or give --state-dir a folder of root's that is closed to others"
		}
		fail("cluster.lock", self.ClusterName, errText(err), fix)
		return src, dst, false
	}
	s.unlock = unlock
	statePath := StatePath(p.StateDir, self.ClusterName)
	if _, err := os.Lstat(statePath); err == nil {
		fail("cluster.restored", self.ClusterName, "an earlier guarded migration of this cluster did not finish its restore ("+statePath+" is there)",
			"sfkvm migrate --recover "+p.Domain)
		return src, dst, false
	}

	if !ok {
		return src, dst, false
	}
	if src.Info == dst.Info {
		fail("host.distinct", p.To, "the destination's registration is the source's ("+src.Info.CFName+"): the guest could not show that it reads its new host",
			"register each host with its own CF node name and IP (sfkvm migratesetup -c)")
		ok = false
	}

	p.Log("domain")
	if !s.domainHere(ctx, src, dst) {
		ok = false
	}

	p.Log("cluster")
	s.srcInfo = src.Info
	if !s.clusterWhole(ctx, self.Name, nodes) {
		ok = false
	}
	return src, dst, ok
}

// domainHere: the domain runs on the source and is persistent there, its
// definitions (live and next boot) have the host information disk, and
// the destination has no domain of that name.
func (s *session) domainHere(ctx context.Context, src, dst *Host) bool {
	p, r := s.p, s.r
	d := p.Domain
	check := func(id, target, fix string, err error, okReason string) bool {
		c := Check{Stage: StageBefore, ID: id, Target: target, Status: OK, Reason: okReason}
		if err != nil {
			c.Status, c.Reason, c.Fix = Fail, errText(err), fix
		}
		r.add(c)
		return err == nil
	}
	st, err := src.Store.State(ctx, d)
	if err == nil && st != migratesetup.StateRunning {
		err = fmt.Errorf("it is %s on %s, not running", st, p.From)
	}
	if !check("domain.running", d, "start it (virsh start "+d+"), or run sfkvm migrate on the host where it runs", err, "runs on "+p.From) {
		return false
	}
	persistent, err := src.Store.Persistent(ctx, d)
	if err == nil && !persistent {
		err = errors.New("it is transient (made with virsh create): it would be gone from every host if the migration failed half-way")
	}
	ok := check("domain.persistent", d, "define it: virsh dumpxml "+d+" > "+d+".xml && virsh define "+d+".xml", err, "persistent")
	for _, x := range []struct {
		id, what string
		get      func(context.Context, string) (string, error)
	}{{"domain.setup", "next-boot", src.Store.InactiveXML}, {"domain.setup-live", "running", src.Store.LiveXML}} {
		xml, err := x.get(ctx, d)
		if err == nil {
			var in migratesetup.Inspection
			if in, err = migratesetup.HasHostInfoDisk(xml, p.HostInfo); err == nil && !in.SetUp {
				err = fmt.Errorf("its %s definition has no host information disk (%s)", x.what, p.HostInfo)
			}
		}
		ok = check(x.id, d, "sfkvm migratesetup -s "+d+" --restart", err, "the "+x.what+" definition has the host information disk") && ok
	}
	if _, err := dst.Store.State(ctx, d); err == nil {
		err = fmt.Errorf("%s already has a domain named %s", p.To, d)
		ok = check("domain.absent", p.To, "remove the stale definition on "+p.To+" (virsh undefine "+d+") if it is not the guest's", err, "")
	} else if errors.Is(err, migratesetup.ErrNoDomain) {
		ok = check("domain.absent", p.To, "", nil, "no domain named "+d+" there yet") && ok
	} else {
		ok = check("domain.absent", p.To, "check libvirt on "+p.To, err, "") && ok
	}
	return ok
}

// clusterWhole logs in to every node, and on each runs cftool -n (every
// node UP) and sdtool -s (every agent ready); the migrated guest reads its
// disk (the source's registration); under Guard each node's cluster.config
// and CF timeout are read for the restore.
func (s *session) clusterWhole(ctx context.Context, selfName string, nodes []kvmguests.Guest) bool {
	p, r := s.p, s.r
	var cfnames []string
	for _, g := range nodes {
		cfnames = append(cfnames, g.CFName)
		c := &conn{g: g, login: p.Login}
		s.nodes = append(s.nodes, c)
		if g.Name == selfName {
			s.self = c
		}
	}
	s.done = make([]changes, len(nodes))
	s.state = State{Schema: StateSchema, Domain: p.Domain, Cluster: r.Cluster, From: p.From, To: p.To, Started: p.Now().UTC(),
		Nodes: make([]NodeState, len(nodes))}
	rows := make([][]Check, len(s.nodes))
	adder := func(i int) func(id string, err error, reason, fix string) bool {
		return func(id string, err error, reason, fix string) bool {
			ch := Check{Stage: StageBefore, ID: id, Target: s.nodes[i].g.Name, Status: OK, Reason: reason}
			if err != nil {
				ch.Status, ch.Reason, ch.Fix = Fail, errText(err), fix
			}
			rows[i] = append(rows[i], ch)
			return err == nil
		}
	}
	report := func() bool {
		ok := true
		for _, cs := range rows {
			for _, c := range cs {
				r.add(c)
				ok = ok && c.Status == OK
			}
		}
		return ok
	}
	loggedIn := make([]bool, len(s.nodes))
	each(len(s.nodes), func(i int) {
		_, err := s.nodes[i].node(ctx)
		loggedIn[i] = adder(i)("node.login", err, "logs in as "+s.nodes[i].g.User,
			"sfkvm probe: the node must log in as kvmguests.conf says (host key known, password right, sudo -n for a non-root user)")
	})
	// The cluster's lock on its nodes, before the first look at them: a
	// run from another host that holds it is named as such, not by what
	// it is doing to the nodes. Without every login there is no lock to
	// take (the run is refused anyway); the other nodes are still checked.
	if !slices.Contains(loggedIn, false) {
		p.Log("lock")
		locks, locked := s.lockNodes(ctx, holderText(p, "sfkvm migrate "+p.Domain+" to "+p.To), false)
		for i := range s.nodes {
			if c, ok := locks[i]; ok {
				rows[i] = append(rows[i], c)
			}
		}
		if !locked {
			report()
			return false
		}
	}
	each(len(s.nodes), func(i int) {
		if !loggedIn[i] {
			return
		}
		c := s.nodes[i]
		add := adder(i)
		add("node.cftool", c.do(ctx, func(n Node) error { return nodesUp(ctx, n, p.Tools, cfnames) }),
			"cftool -n: every node UP ("+strings.Join(cfnames, ", ")+")",
			"never migrate while a node is down or a failover is in progress: wait until cftool -n shows every node UP")
		add("node.sdtool", c.do(ctx, func(n Node) error { return facilityReady(ctx, n, p.Tools) }),
			"sdtool -s: every agent ready", "on the node: sdtool -s until every agent is InitWorked and TestWorked (sdtool -b if the facility is stopped; a guarded migration from another host stops it: let it finish, or sfkvm migrate --recover there)")
		if p.Guard {
			var cfg []byte
			var tmo string
			err := c.do(ctx, func(n Node) (err error) {
				if cfg, err = readConfig(ctx, n, p.Tools); err != nil {
					return err
				}
				if bytes.HasSuffix(cfg, guardLine(p.GuardTimeout)) {
					return fmt.Errorf("%s already ends with the guard's line %s: a guarded migration is under way (from another host?) or one did not restore",
						p.Tools.ClusterConfig, strings.TrimSpace(string(guardLine(p.GuardTimeout))))
				}
				tmo, err = clusterTimeout(ctx, n, p.Tools)
				return err
			})
			s.state.Nodes[i] = NodeState{Guest: c.g.Name, CFName: c.g.CFName, ClusterConfig: cfg, Timeout: tmo}
			add("node.guardable", err, fmt.Sprintf("%s read (%d bytes), cfset -a: CLUSTER_TIMEOUT %s", p.Tools.ClusterConfig, len(cfg), timeoutWord(tmo)),
				"sfkvm migrate --recover on the host that started the other migration; else the node needs cat "+p.Tools.ClusterConfig+" and cfset -a (as root or through sudo -n)")
		}
		if c == s.self {
			seen, err := readsHost(ctx, c)
			if err == nil && seen != s.srcInfo {
				err = fmt.Errorf("it reads %s at %s, but runs on %s (%s at %s)", seen.CFName, seen.IP, p.From, s.srcInfo.CFName, s.srcInfo.IP)
			}
			add("guest.readshost", err, fmt.Sprintf("reads %s at %s", seen.CFName, seen.IP),
				"sfkvm preflight on "+p.From+" says why (guest.readshost); sfkvm migratesetup -s "+p.Domain+" --restart")
		}
	})
	return report()
}
