package migrate_test

import (
	"context"
	"fmt"
	"os"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
)

// A guarded migration on a simulated site: two fake libvirts, a two-node
// cluster of in-process SSH guests.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "migrate-example")
	defer os.RemoveAll(dir)
	site, err := migratetest.NewSite(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	p := site.Plan("host1", "host2")
	p.Guard = true
	rep := migrate.Run(context.Background(), p)
	fmt.Println(rep.Outcome, "runs on", rep.RunsOn, "failed:", rep.Failed())
	fmt.Println("cfguest12 timeout:", site.Cluster.Node("cfguest12").Timeout)
	// Output:
	// migrated runs on host2 failed: false
	// cfguest12 timeout: 10
}

// A refusal changes nothing and names the fix.
func ExampleRun_refused() {
	dir, _ := os.MkdirTemp("", "migrate-example")
	defer os.RemoveAll(dir)
	site, err := migratetest.NewSite(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	site.Cluster.Do("cfguest12", func(n *migratetest.Node) { n.Up = false })
	rep := migrate.Run(context.Background(), site.Plan("host1", "host2"))
	for _, c := range rep.Checks {
		if c.Status == migrate.Fail {
			fmt.Println(c.ID, c.Target, "->", c.Reason)
		}
	}
	fmt.Println(rep.Outcome, "runs on", rep.RunsOn)
	// Output:
	// node.cftool guest11 -> the cluster is not whole: cftool -n: cfguest12 DOWN
	// node.cftool guest12 -> the cluster is not whole: cftool -n: cfguest12 DOWN
	// refused runs on host1
}

// A drill: home to each host and back.
func ExampleDrill() {
	dir, _ := os.MkdirTemp("", "migrate-example")
	defer os.RemoveAll(dir)
	site, err := migratetest.NewSite(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	d := migrate.Drill(context.Background(), site.Plan("host1", ""), []string{"host2", "host3"})
	for _, leg := range d.Legs {
		fmt.Println(leg.From, "->", leg.To, leg.Outcome)
	}
	fmt.Println("ok:", d.OK, "runs on", d.RunsOn)
	// Output:
	// host1 -> host2 migrated
	// host2 -> host1 migrated
	// host1 -> host3 migrated
	// host3 -> host1 migrated
	// ok: true runs on host1
}

// The file of a cluster's lock on its nodes: the cluster's name when it
// is a plain one, else its hash.
func ExampleNodeLockPath() {
	fmt.Println(migrate.NodeLockPath("cluster1"))
	fmt.Println(migrate.NodeLockPath("../odd name"))
	// Output:
	// /run/sfkvm-migrate-cluster1.lock
	// /run/sfkvm-migrate-sha256-05207af7ca581c46d8f641cc3c2ef445.lock
}
