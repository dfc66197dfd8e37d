package migratetest_test

import (
	"fmt"

	"github.com/sfkvm/sfkvm/migrate"
	"github.com/sfkvm/sfkvm/migrate/migratetest"
	"github.com/sfkvm/sfkvm/sshcheck/sshtest"
)

// The simulated tools answer on an sshtest guest; a Fault answers instead
// (here: cfset -r fails on one node).
func ExampleCluster_Handler() {
	c := migratetest.New("cluster1", "cfguest11", "cfguest12")
	c.Do("cfguest12", func(n *migratetest.Node) {
		n.Fault = func(cmd string) (sshtest.Reply, bool) {
			return sshtest.Reply{Stderr: "cfset: cannot connect to CF\n", ExitStatus: 1}, cmd == migrate.DefaultCFSet+" -r"
		}
	})
	h11, h12 := c.Handler("cfguest11", nil), c.Handler("cfguest12", nil)
	fmt.Print(h11(sshtest.Command{User: "root", Args: []string{migrate.DefaultCFTool, "-n"}}).Stdout)
	fmt.Println(h12(sshtest.Command{User: "root", Args: []string{migrate.DefaultCFSet, "-r"}}).ExitStatus)
	// Output:
	// Node        Number State       Os      Cpu
	// cfguest11   1      UP          Linux   EM64T
	// cfguest12   2      UP          Linux   EM64T
	// 1
}
