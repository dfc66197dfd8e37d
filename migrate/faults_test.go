package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// restoredEverywhere: the guard's after steps ran and were proven on
// every node, and no state is left for --recover.
func (r *rig) restoredEverywhere(t *testing.T, rep *migrate.Report) {
	t.Helper()
	r.untouched(t)
	for _, g := range []string{"guest11", "guest12"} {
		for _, id := range []string{"restore.cfset-a", "restore.sdtool-s"} {
			if s := status(rep, id, g); s != migrate.OK {
				t.Errorf("%s %s: %q, want OK (the restore proven)", id, g, s)
			}
		}
	}
	if len(rep.Restore) != 2 || !rep.Restore[0].Restored || !rep.Restore[1].Restored || rep.Recover != "" {
		t.Errorf("restore rows %+v, recover %q", rep.Restore, rep.Recover)
	}
	if _, err := os.Stat(migrate.StatePath(r.StateDir, "cluster1")); !os.IsNotExist(err) {
		t.Errorf("state file left: %v", err)
	}
}

func TestDestinationRefuses(t *testing.T) {
	for _, guard := range []bool{false, true} {
		r := newRig(t)
		r.Stores["host2"].Fail = func(method, domain string) error {
			if method == "MigratePrepare" {
				return errors.New("unsupported configuration: the destination refuses the CPU model")
			}
			return nil
		}
		p := r.plan("host1", "host2")
		p.Guard = guard
		rep := migrate.Run(ctxT(t), p)
		dump(t, rep)
		if rep.Outcome != migrate.Failed || rep.RunsOn != "host1" || r.runsOn(domain) != "host1" {
			t.Fatalf("guard %v: outcome %s runs on %q (libvirt: %q), want failed on host1", guard, rep.Outcome, rep.RunsOn, r.runsOn(domain))
		}
		if status(rep, "migrate.libvirt", domain) != migrate.Fail {
			t.Error("the refusal is not a failed migrate.libvirt row")
		}
		if guard {
			r.restoredEverywhere(t, rep)
		} else {
			r.changedNothing(t)
		}
	}
}

func TestMigrationOutlastsTimeout(t *testing.T) {
	r := newRig(t)
	r.Stores["host1"].SetMigration(migratesetuptest.Migration{Steps: 1000, Step: 10 * time.Millisecond})
	p := r.plan("host1", "host2")
	p.Guard = true
	p.Migrate.Timeout = 200 * time.Millisecond
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if rep.Outcome != migrate.Failed || rep.RunsOn != "host1" || r.runsOn(domain) != "host1" {
		t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
	}
	c := lastCheck(rep, "migrate.libvirt")
	if c.Status != migrate.Fail || !strings.Contains(c.Reason, migratesetup.ErrMigrationTimeout.Error()) || !strings.Contains(c.Fix, "--timeout") {
		t.Errorf("migrate row %+v", c)
	}
	r.restoredEverywhere(t, rep)
}

// A migration whose remaining data stops shrinking (a guest dirtying
// memory faster than the link carries it, or a destination that stopped
// taking the stream: scripts/migration-test.sh stops a real one) is
// aborted by the no-progress watchdog: the guest stays on the source,
// every node restored, and the fix names both causes.
func TestMigrationStalls(t *testing.T) {
	r := newRig(t)
	r.Stores["host1"].SetMigration(migratesetuptest.Migration{Steps: 10, StallAfter: 2, Step: 10 * time.Millisecond})
	p := r.plan("host1", "host2")
	p.Guard = true
	p.Migrate.NoProgress = 100 * time.Millisecond
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if rep.Outcome != migrate.Failed || rep.RunsOn != "host1" || r.runsOn(domain) != "host1" {
		t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
	}
	c := lastCheck(rep, "migrate.libvirt")
	if c.Status != migrate.Fail || !strings.Contains(c.Reason, migratesetup.ErrMigrationStalled.Error()) ||
		!strings.Contains(c.Fix, "--max-downtime") || !strings.Contains(c.Fix, "the destination stopped taking the stream") || !strings.Contains(c.Fix, "still runs on host1") {
		t.Errorf("migrate row %+v", c)
	}
	r.restoredEverywhere(t, rep)
}

// The guest's read of its new host starts once it runs there (the
// store's Resumed, libvirt's Finish), not after the source's clean-up
// (Confirm, 0.5 to 2 s on a real host): by the time MigrateTo returns
// the guest has read its new host, and the run is shorter by that wait.
func TestReadsWhileTheSourceConfirms(t *testing.T) {
	r := newRig(t)
	const confirm = 500 * time.Millisecond
	r.Stores["host1"].SetMigration(migratesetuptest.Migration{Confirm: confirm})
	p := r.plan("host1", "host2")
	reads := func() (n int) {
		for _, l := range r.Cluster.Log() {
			if l == "cfguest11: readdisk" {
				n++
			}
		}
		return n
	}
	var before, after int
	log := p.Log
	p.Log = func(step string) {
		switch step {
		case "migrate":
			before = reads()
		case "migrated": // MigrateTo has returned
			after = reads()
		}
		if log != nil {
			log(step)
		}
	}
	resumed := 0
	p.Migrate.Resumed = func() { resumed++ }
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if !rep.OK() || rep.ReadsNewHostSeconds == nil {
		t.Fatalf("outcome %s", rep.Outcome)
	}
	if after <= before {
		t.Errorf("the guest read its disk %d times before the migration and %d by MigrateTo's return: no read while the source confirmed", before, after)
	}
	if *rep.ReadsNewHostSeconds >= confirm.Seconds() {
		t.Errorf("reads_new_host_seconds %.3f: counted from after the source's clean-up (%v)", *rep.ReadsNewHostSeconds, confirm)
	}
	if resumed != 1 {
		t.Errorf("the plan's own Resumed was called %d times, want once", resumed)
	}
}

// Under --guard the restore, too, runs while the source confirms, and its
// rows still follow the migration's in the report.
func TestRestoreWhileTheSourceConfirms(t *testing.T) {
	r := newRig(t)
	r.Stores["host1"].SetMigration(migratesetuptest.Migration{Confirm: 500 * time.Millisecond})
	p := r.plan("host1", "host2")
	p.Guard = true
	restarted := -1 // the nodes' sdtool -b by MigrateTo's return
	log := p.Log
	p.Log = func(step string) {
		if step == "migrated" {
			restarted = 0
			for _, l := range r.Cluster.Log() {
				if strings.HasSuffix(l, " -b") && strings.Contains(l, "sdtool") {
					restarted++
				}
			}
		}
		if log != nil {
			log(step)
		}
	}
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if !rep.OK() {
		t.Fatalf("outcome %s", rep.Outcome)
	}
	if restarted != 2 {
		t.Errorf("by MigrateTo's return %d nodes had their facility started again (sdtool -b); want both: the restore ran while the source confirmed", restarted)
	}
	migrateAt, firstRestore := -1, -1
	for i, c := range rep.Checks {
		switch {
		case c.ID == "migrate.libvirt":
			migrateAt = i
		case c.Stage == migrate.StageRestore && firstRestore < 0:
			firstRestore = i
		}
	}
	if migrateAt < 0 || firstRestore < migrateAt {
		t.Errorf("the migration's row at %d, the first restore row at %d: want the restore after", migrateAt, firstRestore)
	}
	r.restoredEverywhere(t, rep)
}

// TestInterruptedAtEachStage cancels the run (what SIGINT and SIGTERM do
// in the CLI) at each stage: the guest runs on a host the report names,
// and under --guard every node is restored and proven.
func TestInterruptedAtEachStage(t *testing.T) {
	stages := []struct {
		name string
		// at is the node command (or "migrate") that cancels the run.
		at       string
		runsOn   string
		guarded  bool // the before steps began: the restore must show
		outcome  migrate.Outcome
		migrates bool
	}{
		{"before: checking the cluster", "/opt/SMAW/bin/sdtool -s", "host1", false, migrate.Interrupted, false},
		{"guard: stopping the facility", "/opt/SMAW/bin/sdtool -e", "host1", true, migrate.Interrupted, false},
		{"guard: applying the timeout", "/opt/SMAW/bin/cfset -r", "host1", true, migrate.Interrupted, false},
		{"migrating", "migrate", "host1", true, migrate.Interrupted, false},
		{"restoring", "restore-cfset-r", "host2", true, migrate.Interrupted, true},
		{"verifying", "readdisk-after", "host2", true, migrate.Interrupted, true},
	}
	for _, st := range stages {
		t.Run(st.name, func(t *testing.T) {
			r := newRig(t)
			ctx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			p := r.plan("host1", "host2")
			p.Guard = true
			if st.at == "migrate" {
				r.Stores["host1"].SetMigration(migratesetuptest.Migration{Steps: 1000, Step: 10 * time.Millisecond})
				p.Progress = func(migratesetup.MigrateProgress) { cancel() }
			}
			for _, n := range []string{"cfguest11", "cfguest12"} {
				r.Cluster.Do(n, func(node *migratetest.Node) {
					node.Fault = func(cmd string) (sshtest.Reply, bool) {
						if cmd == st.at || (st.at == "readdisk-after" && cmd == "readdisk" && r.runsOn(domain) == "host2") ||
							(st.at == "restore-cfset-r" && cmd == migrate.DefaultCFSet+" -r" && !strings.Contains(string(node.Config), "600")) {
							cancel()
						}
						return sshtest.Reply{}, false
					}
				})
			}
			rep := migrate.Run(ctx, p)
			dump(t, rep)
			if rep.RunsOn != st.runsOn || r.runsOn(domain) != st.runsOn {
				t.Fatalf("runs on %q (libvirt %q), want %s", rep.RunsOn, r.runsOn(domain), st.runsOn)
			}
			if rep.Outcome != st.outcome {
				t.Errorf("outcome %s, want %s", rep.Outcome, st.outcome)
			}
			if st.guarded {
				r.restoredEverywhere(t, rep)
			} else {
				r.changedNothing(t)
				r.untouched(t)
			}
		})
	}
}

func TestNodeUnreachableRefusesAndChangesNothing(t *testing.T) {
	r := newRig(t)
	r.Servers["guest12"].Close()
	p := r.plan("host1", "host2")
	p.Guard = true
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if rep.Outcome != migrate.Refused || rep.RunsOn != "host1" || r.runsOn(domain) != "host1" {
		t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
	}
	if status(rep, "node.login", "guest12") != migrate.Fail {
		t.Error("the unreachable node is not named")
	}
	if r.Stores["host1"].Calls("MigrateTo") != 0 {
		t.Error("migrated although refused")
	}
	r.changedNothing(t)
	r.untouched(t)
	if _, err := os.Stat(migrate.StatePath(r.StateDir, "cluster1")); !os.IsNotExist(err) {
		t.Errorf("a refused run left a state file: %v", err)
	}
}

// TestRefusals: each unready thing is refused before anything changes,
// with the check that names it.
func TestRefusals(t *testing.T) {
	cases := []struct {
		name, id, target string
		setup            func(r *rig, p *migrate.Plan)
	}{
		{"node down", "node.cftool", "guest11", func(r *rig, p *migrate.Plan) {
			r.Cluster.Do("cfguest12", func(n *migratetest.Node) { n.Up = false })
		}},
		{"agent not ready", "node.sdtool", "guest12", func(r *rig, p *migrate.Plan) {
			r.Cluster.Do("cfguest12", func(n *migratetest.Node) { n.Warming = 1000 })
		}},
		{"cftool odd output", "node.cftool", "guest12", func(r *rig, p *migrate.Plan) {
			r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
				n.Fault = func(cmd string) (sshtest.Reply, bool) {
					return sshtest.Reply{Stdout: "\x1b[31m*** cftool: internal error\n"}, cmd == migrate.DefaultCFTool+" -n"
				}
			})
		}},
		{"sdtool hangs", "node.sdtool", "guest12", func(r *rig, p *migrate.Plan) {
			r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
				n.Fault = func(cmd string) (sshtest.Reply, bool) {
					return sshtest.Reply{Hang: true}, cmd == migrate.DefaultSDTool+" -s"
				}
			})
		}},
		{"cftool fails", "node.cftool", "guest11", func(r *rig, p *migrate.Plan) {
			r.Cluster.Do("cfguest11", func(n *migratetest.Node) {
				n.Fault = func(cmd string) (sshtest.Reply, bool) {
					return sshtest.Reply{Stderr: "cftool: CF is not running\n", ExitStatus: 3}, cmd == migrate.DefaultCFTool+" -n"
				}
			})
		}},
		{"not running here", "domain.running", domain, func(r *rig, p *migrate.Plan) { p.From, p.To = "host3", "host2" }},
		{"transient", "domain.persistent", domain, func(r *rig, p *migrate.Plan) {
			d, _ := r.Stores["host1"].Domain(domain)
			d.Transient = true
			r.Stores["host1"].Add(domain, &d)
		}},
		{"not set up", "domain.setup-live", domain, func(r *rig, p *migrate.Plan) {
			x := migratetest.DomainXML(domain)
			e, _ := migratesetup.RemoveHostInfoDisk(x)
			r.Stores["host1"].SetLiveXML(domain, e.XML)
		}},
		{"next boot not set up", "domain.setup", domain, func(r *rig, p *migrate.Plan) {
			d, _ := r.Stores["host1"].Domain(domain)
			e, _ := migratesetup.RemoveHostInfoDisk(d.XML)
			d.XML = e.XML
			r.Stores["host1"].Add(domain, &d)
		}},
		{"destination has a domain of that name", "domain.absent", "host2", func(r *rig, p *migrate.Plan) {
			x := migratetest.DomainXML(domain)
			r.Stores["host2"].Add(domain, &migratesetuptest.Domain{XML: x, Live: x, State: migratesetup.StateShutoff})
		}},
		{"same registration", "host.distinct", "host2", func(r *rig, p *migrate.Plan) {
			r.Infos["host2"] = r.Infos["host1"]
		}},
		{"to itself", "host.other", "host1", func(r *rig, p *migrate.Plan) { p.To = "host1" }},
		{"destination not registered", "host.registered", "host2", func(r *rig, p *migrate.Plan) {
			open := p.Open
			p.Open = func(ctx context.Context, h string) (*migrate.Host, error) {
				x, err := open(ctx, h)
				if h == "host2" {
					x.InfoErr = errors.New("open /var/lib/sfkvm/hostinfo: no such file or directory")
				}
				return x, err
			}
		}},
		{"destination libvirt unreachable", "host.libvirt", "host9", func(r *rig, p *migrate.Plan) { p.To = "host9" }},
		{"guest reads another host", "guest.readshost", domain, func(r *rig, p *migrate.Plan) {
			r.Cluster.Do("cfguest11", func(n *migratetest.Node) {
				n.Disk = func() []byte { b, _ := r.Infos["host3"].Format(); return b }
			})
		}},
		{"not in kvmguests.conf", "domain.listed", domain, func(r *rig, p *migrate.Plan) { p.Guests = p.Guests[1:] }},
		{"other migration under way", "cluster.lock", "cluster1", func(r *rig, p *migrate.Plan) {
			holdLock(r.t, r.StateDir, "cluster1")
		}},
		{"a guard from elsewhere", "node.guardable", "guest12", func(r *rig, p *migrate.Plan) {
			// Another host's guarded migration left (or is keeping) its
			// line, with the facility running again.
			r.Cluster.Do("cfguest12", func(n *migratetest.Node) { n.Config = append(n.Config, "CLUSTER_TIMEOUT \"600\"\n"...) })
		}},
		{"unfinished restore", "cluster.restored", "cluster1", func(r *rig, p *migrate.Plan) {
			os.MkdirAll(r.StateDir, 0o700)
			os.WriteFile(migrate.StatePath(r.StateDir, "cluster1"), []byte("{}"), 0o600)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			p := r.plan("host1", "host2")
			p.Guard = true
			c.setup(r, &p)
			rep := migrate.Run(ctxT(t), p)
			dump(t, rep)
			if rep.Outcome != migrate.Refused {
				t.Fatalf("outcome %s, want refused", rep.Outcome)
			}
			if s := status(rep, c.id, c.target); s != migrate.Fail {
				t.Errorf("%s %s: %q, want FAIL", c.id, c.target, s)
			}
			for _, ch := range rep.Checks {
				if ch.Status == migrate.Fail && ch.Fix == "" {
					t.Errorf("refusal without a fix: %+v", ch)
				}
			}
			if r.Stores["host1"].Calls("MigrateTo") != 0 {
				t.Error("migrated although refused")
			}
			r.changedNothing(t)
			if got := r.runsOn(domain); rep.RunsOn != got && c.id != "domain.running" {
				t.Errorf("report says it runs on %q, libvirt %q", rep.RunsOn, got)
			}
		})
	}
}

func TestGuestReadsOldHostIsALoudFail(t *testing.T) {
	r := newRig(t)
	r.ReadsOld.Store(true)
	p := r.plan("host1", "host2")
	p.Settle = 300 * time.Millisecond
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if rep.Outcome != migrate.Failed || rep.RunsOn != "host2" || rep.OK() {
		t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
	}
	c := lastCheck(rep, "verify.readshost")
	if c.Status != migrate.Fail || !strings.Contains(c.Reason, "STILL READS ITS OLD HOST cfhost1") {
		t.Errorf("verify.readshost %+v", c)
	}
	var b strings.Builder
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "FAILED: guest11 runs on host2") {
		t.Errorf("text:\n%s", b.String())
	}
}

// TestRestoreFailsThenRecover: a node's cfset -r fails in the after
// steps; the node is named with the commands, the state stays, and
// Recover finishes once the node works again.
func TestRestoreFailsThenRecover(t *testing.T) {
	r := newRig(t)
	broken := true
	r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
		n.Fault = func(cmd string) (sshtest.Reply, bool) {
			// The guard's cfset -r works; the restore's (the file no
			// longer has the 600 line) fails.
			if cmd == migrate.DefaultCFSet+" -r" && broken && !strings.Contains(string(n.Config), "600") {
				return sshtest.Reply{Stderr: "cfset: cannot connect to CF\n", ExitStatus: 1}, true
			}
			return sshtest.Reply{}, false
		}
	})
	p := r.plan("host1", "host2")
	p.Guard = true
	p.Settle = 500 * time.Millisecond // the cluster is not whole: a node keeps its facility stopped
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if rep.RunsOn != "host2" || rep.Outcome != migrate.Failed {
		t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
	}
	var bad *migrate.NodeRestore
	for i := range rep.Restore {
		if !rep.Restore[i].Restored {
			bad = &rep.Restore[i]
		}
	}
	if bad == nil || bad.Guest != "guest12" || !strings.Contains(bad.Failed, "restore.cfset-r") ||
		len(bad.Commands) == 0 || bad.Commands[0] != migrate.DefaultCFSet+" -r" {
		t.Fatalf("restore rows %+v", rep.Restore)
	}
	if rep.Recover != "sfkvm migrate --recover guest11" {
		t.Errorf("recover %q", rep.Recover)
	}
	if st := r.Cluster.Node("cfguest12"); st.Timeout != "600" || st.Facility {
		t.Fatalf("the simulation did not keep the node guarded: %+v", st)
	}
	if _, err := migrate.ReadState(migrate.StatePath(r.StateDir, "cluster1")); err != nil {
		t.Fatalf("no state for --recover: %v", err)
	}
	// A new migration is refused until recovered.
	if again := migrate.Run(ctxT(t), r.plan("host2", "host1")); status(again, "cluster.restored", "cluster1") != migrate.Fail {
		t.Error("a migration was not refused while a restore is unfinished")
	}

	// Still broken: recover names it again and keeps the state.
	rec := migrate.Recover(ctxT(t), r.plan("host2", "host1"))
	dump(t, rec)
	if rec.Outcome == migrate.Restored || rec.Recover == "" {
		t.Fatalf("recover with the node still broken: %s", rec.Outcome)
	}
	broken = false
	rec = migrate.Recover(ctxT(t), r.plan("host2", "host1"))
	dump(t, rec)
	if rec.Outcome != migrate.Restored {
		t.Fatalf("recover: %s", rec.Outcome)
	}
	r.untouched(t)
	if _, err := os.Stat(migrate.StatePath(r.StateDir, "cluster1")); !os.IsNotExist(err) {
		t.Errorf("state left after recover: %v", err)
	}
}

// holdLock holds a cluster's lock as another sfkvm would, until the test
// ends.
func holdLock(t *testing.T, dir, cluster string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, cluster+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	f.WriteString("4242\n")
}

// TestCrashThenRecover: the caller dies after the guard's before steps
// (the goroutine ends at the migration's start, running only its defers,
// as a killed sfkvm runs nothing): the state written before the first
// change lets Recover restore every node.
func TestCrashThenRecover(t *testing.T) {
	r := newRig(t)
	p := r.plan("host1", "host2")
	p.Guard = true
	p.Log = func(step string) {
		if step == "migrate" {
			runtime.Goexit()
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		migrate.Run(ctxT(t), p)
	}()
	<-done
	for _, n := range []string{"cfguest11", "cfguest12"} {
		if st := r.Cluster.Node(n); st.Timeout != "600" || st.Facility {
			t.Fatalf("%s not guarded when the caller died: %+v", n, st)
		}
	}
	st, err := migrate.ReadState(migrate.StatePath(r.StateDir, "cluster1"))
	if err != nil || len(st.Nodes) != 2 || string(st.Nodes[1].ClusterConfig) != fmt.Sprintf(migratetest.InitialConfig, "cluster1") || st.Nodes[1].Timeout != "10" {
		t.Fatalf("state: %+v %v", st, err)
	}
	if fi, err := os.Stat(migrate.StatePath(r.StateDir, "cluster1")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode: %v %v", fi.Mode(), err)
	}
	rec := migrate.Recover(ctxT(t), r.plan("host1", "host2"))
	dump(t, rec)
	if rec.Outcome != migrate.Restored {
		t.Fatalf("recover: %s", rec.Outcome)
	}
	r.untouched(t)
	if r.runsOn(domain) != "host1" {
		t.Errorf("runs on %q", r.runsOn(domain))
	}
}

// The cluster's lock dies with its holder: a process that holds it
// (flock(1), as another sfkvm would) refuses a run while it lives; once it
// is killed, however it ends, the next run takes the lock.
func TestLockDiesWithItsHolder(t *testing.T) {
	flock, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("flock(1) is missing: apt-get install util-linux")
	}
	r := newRig(t)
	if err := os.MkdirAll(r.StateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// flock(1) and its sleep, which inherits the lock, in a group of
	// their own: killed together.
	holder := exec.Command(flock, "--exclusive", filepath.Join(r.StateDir, "cluster1.lock"), "sleep", "60")
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() { syscall.Kill(-holder.Process.Pid, syscall.SIGKILL) }
	defer kill()
	// Wait until it holds the lock.
	lock := filepath.Join(r.StateDir, "cluster1.lock")
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.OpenFile(lock, os.O_RDWR, 0)
		if err == nil {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			f.Close() // drops ours, if we got it
			if errors.Is(err, syscall.EWOULDBLOCK) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("flock(1) never held the lock (waited 10 s)")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rep := migrate.Run(ctxT(t), r.plan("host1", "host2")); status(rep, "cluster.lock", "cluster1") != migrate.Fail || r.runsOn(domain) != "host1" {
		t.Fatalf("a run while another holds the lock: %s", rep.Outcome)
	}
	kill() // SIGKILL: nothing of it runs
	holder.Wait()
	// Its sleep is reaped by init a moment later: the run retries the
	// lock for up to 10 s, as an administrator would.
	deadline = time.Now().Add(10 * time.Second)
	for {
		rep := migrate.Run(ctxT(t), r.plan("host1", "host2"))
		if status(rep, "cluster.lock", "cluster1") != migrate.Fail {
			dump(t, rep)
			if !rep.OK() || rep.RunsOn != "host2" {
				t.Fatalf("after its holder died: %s, runs on %q", rep.Outcome, rep.RunsOn)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock outlived its holder by 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
