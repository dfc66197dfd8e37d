package migrate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/kvmguests"
	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/sshcheck"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

var nodeLock = migrate.NodeLockPath("cluster1")

// planOther12 is a plan of another host (a state folder of its own, so
// that this host's flock cannot see the other's) that moves guest12, the
// cluster's other node, from host2 to to. guest12's disk is made to read
// its host's registration, as guest11's does.
func (r *rig) planOther12(t *testing.T, to string) migrate.Plan {
	r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
		n.Disk = func() []byte { b, _ := r.Infos[r.runsOn("guest12")].Format(); return b }
	})
	p := r.plan("host2", to)
	p.Domain = "guest12"
	p.StateDir = filepath.Join(t.TempDir(), "other-host")
	return p
}

// heldOn reports the nodes whose cluster lock is held.
func (r *rig) heldOn() []string {
	var on []string
	for _, n := range []string{"cfguest11", "cfguest12"} {
		if _, ok := r.Cluster.Locked(n, nodeLock); ok {
			on = append(on, n)
		}
	}
	return on
}

// pauseAt makes p stop at the step named until the returned release is
// called; reached is closed when it gets there.
func pauseAt(p *migrate.Plan, step string) (reached <-chan struct{}, release func()) {
	r, g := make(chan struct{}), make(chan struct{})
	var once, onceG sync.Once
	p.Log = func(s string) {
		if s == step {
			once.Do(func() { close(r) })
			<-g
		}
	}
	return r, func() { onceG.Do(func() { close(g) }) }
}

// TestTwoHostsOneCluster: host1 moves guest11 while host2 moves guest12,
// both nodes of cluster1, each with its own state folder (its own
// flock). The second is refused at the nodes' lock before it looked at
// or changed anything, naming the node and the holder; the first goes on;
// once it ended, the second goes through.
func TestTwoHostsOneCluster(t *testing.T) {
	r := newRig(t)
	a := r.plan("host1", "host3")
	a.Guard = true
	reached, release := pauseAt(&a, "migrate")
	defer release()
	repA := make(chan *migrate.Report, 1)
	go func() { repA <- migrate.Run(ctxT(t), a) }()
	select {
	case <-reached:
	case rep := <-repA:
		dump(t, rep)
		t.Fatal("the first run ended before its migration")
	}
	before := len(r.Cluster.Log())
	b := r.planOther12(t, "host3")
	b.Guard = true
	rep := migrate.Run(ctxT(t), b)
	dump(t, rep)
	if rep.Outcome != migrate.Refused || status(rep, "node.lock", "guest11") != migrate.Fail || r.runsOn("guest12") != "host2" {
		t.Fatalf("the second run: %s, node.lock guest11 %q, guest12 on %q; want refused at guest11's lock", rep.Outcome, status(rep, "node.lock", "guest11"), r.runsOn("guest12"))
	}
	for _, c := range rep.Checks {
		if c.ID == "node.lock" && c.Status == migrate.Fail && (!strings.Contains(c.Reason, "sfkvm migrate guest11 to host3 on host1") || c.Fix == "") {
			t.Errorf("the refusal does not name the holder, or has no fix: %+v", c)
		}
		if c.Stage != migrate.StageBefore || c.ID == "node.guardable" || c.ID == "node.sdtool" {
			t.Errorf("the refused run went past the lock: %+v", c)
		}
	}
	// It ran one command, the lock on the first node, and left no state.
	if got := r.Cluster.Log()[before:]; !slices.Equal(got, []string{"cfguest11: lock " + nodeLock}) {
		t.Errorf("the refused run ran %q on the nodes, want only the lock on cfguest11", got)
	}
	if _, err := migrate.ReadState(migrate.StatePath(b.StateDir, "cluster1")); err == nil {
		t.Error("the refused run wrote a state")
	}
	if r.Stores["host2"].Calls("MigrateTo") != 0 {
		t.Error("the refused run migrated")
	}

	release()
	first := <-repA
	dump(t, first)
	if !first.OK() || first.RunsOn != "host3" {
		t.Fatalf("the first run: %s, runs on %q", first.Outcome, first.RunsOn)
	}
	r.untouched(t)
	if on := r.heldOn(); len(on) != 0 {
		t.Errorf("after the first run the lock is held on %v", on)
	}
	rep = migrate.Run(ctxT(t), b)
	dump(t, rep)
	if !rep.OK() || rep.RunsOn != "host3" {
		t.Fatalf("the second run after the first ended: %s, runs on %q", rep.Outcome, rep.RunsOn)
	}
}

// TestNodeLockEndsWithItsHolder: a run whose process dies while it holds
// the nodes' lock (stopped dead at its migration, its SSH connections cut
// as the kernel cuts a killed process's) leaves nothing held: the next
// run, from another host, takes the lock and migrates.
func TestNodeLockEndsWithItsHolder(t *testing.T) {
	r := newRig(t)
	a := r.plan("host1", "host3")
	var mu sync.Mutex
	var clients []*sshcheck.Client
	a.Login = func(ctx context.Context, g kvmguests.Guest) (migrate.Node, error) {
		n, err := r.Login(ctx, g)
		if c, ok := n.(*sshcheck.Client); ok {
			mu.Lock()
			clients = append(clients, c)
			mu.Unlock()
		}
		return n, err
	}
	reached, release := pauseAt(&a, "migrate")
	ctx, cancel := context.WithCancel(ctxT(t))
	done := make(chan struct{})
	go func() { defer close(done); migrate.Run(ctx, a) }()
	defer func() { cancel(); release(); <-done }()
	<-reached
	if on := r.heldOn(); len(on) != 2 {
		t.Fatalf("the first run holds the lock on %v, want both nodes", on)
	}
	mu.Lock()
	for _, c := range clients {
		c.Close() // the connection ends as a killed process's does
	}
	mu.Unlock()

	// The nodes see the end of the connection a moment later: the next
	// run is tried for up to 10 s, as an administrator would.
	b := r.planOther12(t, "host3")
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep := migrate.Run(ctxT(t), b)
		if status(rep, "node.lock", "guest11") != migrate.Fail && status(rep, "node.lock", "guest12") != migrate.Fail {
			dump(t, rep)
			if !rep.OK() || rep.RunsOn != "host3" {
				t.Fatalf("after its holder died: %s, runs on %q", rep.Outcome, rep.RunsOn)
			}
			return
		}
		if time.Now().After(deadline) {
			dump(t, rep)
			t.Fatal("the nodes' lock outlived its holder's connections by 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNodeLockReleasedWhateverTheEnd: the lock is let go on every node
// when a run migrated, when it failed, when it was refused after taking
// it, and when the second node refused it (the first let go again); each
// time the next run takes it.
func TestNodeLockReleasedWhateverTheEnd(t *testing.T) {
	r := newRig(t)
	ends := []struct {
		name    string
		outcome migrate.Outcome
		setup   func() (undo func())
	}{
		{"migrated", migrate.Migrated, func() func() { return func() {} }},
		{"the migration failed", migrate.Failed, func() func() {
			for _, h := range []string{"host1", "host2"} {
				r.Stores[h].Fail = func(method, _ string) error {
					if method == "MigratePrepare" {
						return errors.New("unsupported configuration")
					}
					return nil
				}
			}
			return func() { r.Stores["host1"].Fail, r.Stores["host2"].Fail = nil, nil }
		}},
		{"refused after the lock", migrate.Refused, func() func() {
			r.Cluster.Do("cfguest12", func(n *migratetest.Node) { n.Warming = 1000 })
			return func() { r.Cluster.Do("cfguest12", func(n *migratetest.Node) { n.Warming = 0 }) }
		}},
		{"the second node's lock busy", migrate.Refused, func() func() {
			h := holdNodeLock(t, r, "guest12")
			return func() { h.Release() }
		}},
	}
	from, to := "host1", "host2"
	for _, e := range ends {
		undo := e.setup()
		p := r.plan(from, to)
		p.Guard = true
		rep := migrate.Run(ctxT(t), p)
		undo()
		if rep.Outcome != e.outcome {
			dump(t, rep)
			t.Fatalf("%s: outcome %s, want %s", e.name, rep.Outcome, e.outcome)
		}
		if on := r.heldOn(); len(on) != 0 {
			t.Errorf("%s: the lock is still held on %v once the run ended", e.name, on)
		}
		if rep.Outcome == migrate.Migrated {
			from, to = to, from
		}
		r.untouched(t)
	}
	// And the next run goes through.
	rep := migrate.Run(ctxT(t), r.plan(from, to))
	if !rep.OK() {
		dump(t, rep)
		t.Fatalf("the run after them: %s", rep.Outcome)
	}
}

// holdNodeLock takes the cluster's lock on one node as another host's
// sfkvm would, over a login of its own.
func holdNodeLock(t *testing.T, r *rig, guest string) *sshcheck.Held {
	t.Helper()
	var g kvmguests.Guest
	for _, x := range r.Guests {
		if x.Name == guest {
			g = x
		}
	}
	n, err := r.Login(ctxT(t), g)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	h, _, stderr, status, err := n.Hold(ctxT(t), "SFKVM-LOCKED", "sh", "-c", migrate.LockScript, "sh", nodeLock, "sfkvm migrate guest12 to host3 on host2 (pid 7)")
	if h == nil {
		t.Fatalf("taking %s's lock: exit %d %q %v", guest, status, stderr, err)
	}
	return h
}

// TestNodeWithoutFlock: a node that cannot take the lock (no flock(1):
// the script exits 127) refuses the run before anything changes, saying
// what to install; the lock taken on the nodes before it is let go.
func TestNodeWithoutFlock(t *testing.T) {
	r := newRig(t)
	r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
		n.Fault = func(cmd string) (sshtest.Reply, bool) {
			return sshtest.Reply{Stderr: "flock: not found (util-linux's flock(1))\n", ExitStatus: 127}, strings.HasPrefix(cmd, "lock ")
		}
	})
	p := r.plan("host1", "host2")
	p.Guard = true
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if rep.Outcome != migrate.Refused || status(rep, "node.lock", "guest12") != migrate.Fail || status(rep, "node.lock", "guest11") != migrate.OK {
		t.Fatalf("outcome %s, node.lock guest11 %q guest12 %q; want refused at guest12", rep.Outcome,
			status(rep, "node.lock", "guest11"), status(rep, "node.lock", "guest12"))
	}
	for _, c := range rep.Checks {
		if c.ID == "node.lock" && c.Status == migrate.Fail && (!strings.Contains(c.Reason, "no flock(1)") || !strings.Contains(c.Fix, "util-linux")) {
			t.Errorf("the refusal does not say what is missing: %+v", c)
		}
	}
	r.changedNothing(t)
	r.untouched(t)
	if on := r.heldOn(); len(on) != 0 {
		t.Errorf("the lock is left held on %v", on)
	}
}

// TestRecoverTakesTheNodesLock: --recover restores nothing while another
// run holds the cluster's lock on a node; then it does.
func TestRecoverTakesTheNodesLock(t *testing.T) {
	r := newRig(t)
	p := r.plan("host1", "host2")
	p.Guard = true
	// A run that crashed after its guard's before steps, as in
	// TestCrashThenRecover.
	reached, release := pauseAt(&p, "migrate")
	ctx, cancel := context.WithCancel(ctxT(t))
	done := make(chan struct{})
	go func() { defer close(done); migrate.Run(ctx, p) }()
	<-reached
	// While it still runs, --recover is refused.
	rec := migrate.Recover(ctxT(t), r.plan("host1", "host2"))
	dump(t, rec)
	if rec.Outcome == migrate.Restored || status(rec, "cluster.lock", "cluster1") != migrate.Fail {
		t.Fatalf("recover while the run holds the lock: %s", rec.Outcome)
	}
	// From another host's state folder (a copy of the state): the nodes'
	// lock refuses it.
	other := r.plan("host1", "host2")
	other.StateDir = filepath.Join(t.TempDir(), "other")
	copyState(t, r.StateDir, other.StateDir)
	rec = migrate.Recover(ctxT(t), other)
	dump(t, rec)
	if rec.Outcome == migrate.Restored || status(rec, "node.lock", "guest11") != migrate.Fail {
		t.Fatalf("recover from another host while the run holds the nodes' lock: %s", rec.Outcome)
	}
	if n := r.Cluster.Node("cfguest11"); n.Timeout != "600" || n.Facility {
		t.Error("the refused recover restored a node under the running migration")
	}
	cancel()
	release()
	<-done
	r.untouched(t)
}

// copyState copies cluster1's guard state from one state folder to another
// (0600, as the guard writes it).
func copyState(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(migrate.StatePath(from, "cluster1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(migrate.StatePath(to, "cluster1"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}
