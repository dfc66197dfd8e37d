package migrate_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
)

func TestMigrateVerified(t *testing.T) {
	r := newRig(t)
	var progress int
	p := r.plan("host1", "host2")
	p.Progress = func(migratesetup.MigrateProgress) { progress++ }
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if !rep.OK() || rep.Outcome != migrate.Migrated || rep.RunsOn != "host2" {
		t.Fatalf("outcome %s, runs on %q, want migrated to host2", rep.Outcome, rep.RunsOn)
	}
	if got := r.runsOn(domain); got != "host2" {
		t.Fatalf("the fake libvirts say it runs on %q", got)
	}
	for _, id := range []string{"verify.source", "verify.destination", "verify.setup", "verify.setup-live", "verify.readshost"} {
		target := "host2"
		switch id {
		case "verify.source":
			target = "host1"
		case "verify.readshost":
			target = domain
		}
		if s := status(rep, id, target); s != migrate.OK {
			t.Errorf("%s %s: %q, want OK", id, target, s)
		}
	}
	for _, g := range []string{"guest11", "guest12"} {
		if status(rep, "verify.cluster", g) != migrate.OK || status(rep, "node.cftool", g) != migrate.OK || status(rep, "node.sdtool", g) != migrate.OK {
			t.Errorf("%s: cluster checks not all OK", g)
		}
	}
	if status(rep, "node.login", "other21") != "" {
		t.Error("logged in to a node of another cluster")
	}
	if rep.MigrationSeconds == nil || rep.DowntimeSeconds == nil || rep.ReadsNewHostSeconds == nil {
		t.Errorf("figures missing: %+v", rep)
	}
	if progress == 0 {
		t.Error("progress never reported")
	}
	// Without --guard the facility and the timeout are left alone.
	r.changedNothing(t)
	r.untouched(t)
	b, err := json.Marshal(rep)
	if err != nil || !strings.Contains(string(b), `"schema":"sfkvm.migrate/v1"`) || !strings.Contains(string(b), `"runs_on":"host2"`) {
		t.Fatalf("json: %s %v", b, err)
	}
}

func TestGuardDoesTheManualsSteps(t *testing.T) {
	r := newRig(t)
	p := r.plan("host1", "host2")
	p.Guard = true
	var during []migratetest.Node
	p.Progress = func(migratesetup.MigrateProgress) {
		if len(during) == 0 {
			during = []migratetest.Node{r.Cluster.Node("cfguest11"), r.Cluster.Node("cfguest12")}
		}
	}
	rep := migrate.Run(ctxT(t), p)
	dump(t, rep)
	if !rep.OK() || rep.RunsOn != "host2" {
		t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
	}
	// While the guest moved: facility stopped, CF timeout 600 loaded,
	// the file the old one plus the line.
	if len(during) != 2 {
		t.Fatal("no progress seen during the migration")
	}
	for _, n := range during {
		want := string(withTimeout600())
		if n.Facility || n.Timeout != "600" || string(n.Config) != want {
			t.Errorf("during the migration %s: facility %v timeout %s config %q", n.CFName, n.Facility, n.Timeout, n.Config)
		}
	}
	// Afterwards: restored byte for byte and proven on every node.
	r.untouched(t)
	for _, g := range []string{"guest11", "guest12"} {
		for _, id := range []string{"guard.sdtool-e", "guard.timeout-file", "guard.cfset-r", "guard.cfset-a", "restore.timeout-file", "restore.cfset-r", "restore.cfset-a", "restore.sdtool-b", "restore.sdtool-s"} {
			if s := status(rep, id, g); s != migrate.OK {
				t.Errorf("%s %s: %q", id, g, s)
			}
		}
	}
	if _, err := os.Stat(migrate.StatePath(r.StateDir, "cluster1")); !os.IsNotExist(err) {
		t.Errorf("the state file is left after a whole restore: %v", err)
	}
	// cfset -r ran on both nodes after both files were written (at about
	// the same time, not node by node).
	log := r.Cluster.Log()
	lastWrite, firstR := -1, len(log)
	for i, l := range log {
		if strings.Contains(l, ": write ") && lastWrite < 0 || strings.Contains(l, ": write ") && firstR == len(log) {
			lastWrite = i
		}
		if strings.HasSuffix(l, "cfset -r") && firstR == len(log) {
			firstR = i
		}
	}
	if firstR < lastWrite {
		t.Errorf("cfset -r ran before every node's file was written: %v", log)
	}
}

func withTimeout600() []byte {
	return []byte(strings.Replace(migratetest.InitialConfig, "%s", "cluster1", 1) + "CLUSTER_TIMEOUT \"600\"\n")
}
