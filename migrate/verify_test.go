package migrate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/migratesetup"
	"github.com/sfkvm/sfkvm/migratesetup/migratesetuptest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// A verify row that fails makes the run Failed, with the guest where
// libvirt says.
func TestVerifyAsksEveryone(t *testing.T) {
	cases := []struct {
		name, id, target string
		setup            func(r *rig, p *migrate.Plan)
	}{
		{"transient at the destination", "verify.destination", "host2", func(r *rig, p *migrate.Plan) {
			open := p.Open
			p.Open = func(ctx context.Context, host string) (*migrate.Host, error) {
				h, err := open(ctx, host)
				if err == nil {
					h.Store = lying{Store: r.Stores[host], transient: host == "host2"}
				}
				return h, err
			}
		}},
		{"a node not UP afterwards", "verify.cluster", "guest12", func(r *rig, p *migrate.Plan) {
			r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
				n.Fault = func(cmd string) (sshtest.Reply, bool) {
					if cmd == migrate.DefaultCFTool+" -n" && r.runsOn(domain) == "host2" {
						return sshtest.Reply{Stdout: "Node        Number State       Os      Cpu\ncfguest11   1      LEFTCLUSTER Linux   EM64T\ncfguest12   2      UP          Linux   EM64T\n"}, true
					}
					return sshtest.Reply{}, false
				}
			})
		}},
		{"the disk lost on the way", "verify.setup-live", "host2", func(r *rig, p *migrate.Plan) {
			p.Progress = func(migratesetup.MigrateProgress) {
				e, _ := migratesetup.RemoveHostInfoDisk(migratetest.DomainXML(domain))
				r.Stores["host1"].SetLiveXML(domain, e.XML)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t)
			p := r.plan("host1", "host2")
			p.Settle = 300 * time.Millisecond
			c.setup(r, &p)
			rep := migrate.Run(ctxT(t), p)
			dump(t, rep)
			if rep.Outcome != migrate.Failed || rep.RunsOn != "host2" || rep.OK() {
				t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
			}
			if s := status(rep, c.id, c.target); s != migrate.Fail {
				t.Errorf("%s %s: %q, want FAIL", c.id, c.target, s)
			}
		})
	}
}

// lying is a fake libvirt that, with transient, says every domain is
// transient there (a migration without --persistent would leave it so).
// It migrates to the fake under another lying.
type lying struct {
	*migratesetuptest.Store
	transient bool
}

func (s lying) Persistent(ctx context.Context, name string) (bool, error) {
	if s.transient {
		return false, nil
	}
	return s.Store.Persistent(ctx, name)
}

func (s lying) MigrateTo(ctx context.Context, name string, dst migratesetup.Migrator, o migratesetup.MigrateOptions, pr func(migratesetup.MigrateProgress)) (migratesetup.MigrateStats, error) {
	if l, ok := dst.(lying); ok {
		dst = l.Store
	}
	return s.Store.MigrateTo(ctx, name, dst, o, pr)
}

// cfset that does not take: cfset -r exits 0 and CF keeps its value. The
// guard's cfset -a catches it before the migration (refused, restored);
// the restore's catches it afterwards (the node named).
func TestCfsetThatDoesNotTake(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		r := newRig(t)
		r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
			n.Fault = func(cmd string) (sshtest.Reply, bool) { return sshtest.Reply{}, cmd == migrate.DefaultCFSet+" -r" }
		})
		p := r.plan("host1", "host2")
		p.Guard = true
		rep := migrate.Run(ctxT(t), p)
		dump(t, rep)
		if rep.Outcome != migrate.Refused || rep.RunsOn != "host1" || status(rep, "guard.cfset-a", "guest12") != migrate.Fail {
			t.Fatalf("outcome %s runs on %q", rep.Outcome, rep.RunsOn)
		}
		if r.Stores["host1"].Calls("MigrateTo") != 0 {
			t.Error("migrated without the timeout applied on every node")
		}
		r.untouched(t)
	})
	t.Run("after", func(t *testing.T) {
		r := newRig(t)
		r.Cluster.Do("cfguest12", func(n *migratetest.Node) {
			n.Fault = func(cmd string) (sshtest.Reply, bool) {
				return sshtest.Reply{}, cmd == migrate.DefaultCFSet+" -r" && !strings.Contains(string(n.Config), "600")
			}
		})
		p := r.plan("host1", "host2")
		p.Guard = true
		p.Settle = 300 * time.Millisecond
		rep := migrate.Run(ctxT(t), p)
		dump(t, rep)
		if status(rep, "restore.cfset-a", "guest12") != migrate.Fail || rep.Recover == "" || rep.RunsOn != "host2" {
			t.Fatalf("restore.cfset-a %q, recover %q", status(rep, "restore.cfset-a", "guest12"), rep.Recover)
		}
	})
}
