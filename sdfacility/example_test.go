package sdfacility_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sfkvm/sfkvm/sdfacility"
	"github.com/sfkvm/sfkvm/sdfacility/sdtest"
)

func ExampleParseStatus() {
	out := `Cluster Host    Agent         SA State      Shut State  Test State  Init State
------------    -----         --------      ----------  ----------  ----------
cfguest11       SA_libvirtgp  Idle          Unknown     TestWorked  InitWorked
cfguest11       SA_libvirtgr  Idle          Unknown     TestFailed  InitWorked
cfguest12       SA_libvirtgp  Frobbing      Unknown     TestWorked  InitWorked
`
	st := sdfacility.ParseStatus([]byte(out))
	for _, a := range st.Agents {
		fmt.Println(a.Node, a.Agent, a.TestState, a.InitState, "ready:", a.Ready())
	}
	fmt.Println("failure:", st.FirstFailure())
	fmt.Println(st.Problems)
	// Output:
	// cfguest11 SA_libvirtgp TestWorked InitWorked ready: true
	// cfguest11 SA_libvirtgr TestFailed InitWorked ready: false
	// cfguest12 SA_libvirtgp TestWorked InitWorked ready: true
	// failure: shutdown agent SA_libvirtgr on node cfguest11 failed: Test State is TestFailed
	// sdtool -s:5:31: warning: unknown-state: SA State "Frobbing" is not a documented state; kept as printed
}

// Restart follows step 1.7 of F.2.2 and waits until every agent is ready.
// Here a simulated facility that already runs stands in for sdtool; on a
// node, leave Runner nil (LocalRunner) and SDTool empty (/opt/SMAW/bin/sdtool).
func ExampleFacility_Restart() {
	sim := sdtest.New(sdtest.Config{
		Running: true,
		Nodes:   []sdtest.Node{{Name: "cfguest11", Agents: []string{"SA_libvirtgp", "SA_libvirtgr"}}},
	})
	f := &sdfacility.Facility{
		Runner:       sim,
		PollInterval: 10 * time.Millisecond,
		OnAction:     func(a sdfacility.Action) { fmt.Println(">", a) },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := f.Restart(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range st.Agents {
		fmt.Println(a.Node, a.Agent, a.InitState, a.TestState)
	}
	fmt.Println(strings.Join(sim.Calls(), ", "))
	// Output:
	// > sdtool -s: is the shutdown facility running?
	// > sdtool -e: it runs: stop it first
	// > sdtool -b: start it again
	// > waiting until every agent reads InitWorked and TestWorked
	// cfguest11 SA_libvirtgp InitWorked TestWorked
	// cfguest11 SA_libvirtgr InitWorked TestWorked
	// sdtool -s, sdtool -e, sdtool -b, sdtool -s, sdtool -s, sdtool -s
}

func ExampleParseConfig() {
	const rcsd = "cfguest11,weight=2,admIP=10.20.30.50:agent=SA_libvirtgp,timeout=35:agent=SA_libvirtgr,timeout=35\n" +
		"node1,weight=2,admIP=fuji2:agent=SA_mmbp,timeout=20:agent=SA_mmbr,timeout=20\n" + // the CF guide's own line
		"cfguest12:agent=SA_libvirtgp,timeout=35x\n"
	cfg, err := sdfacility.ParseConfig(strings.NewReader(rcsd), "rcsd.cfg")
	for _, n := range cfg.Nodes {
		fmt.Printf("%s weight %d admIP %q (a name: %v) agents %d\n", n.Name, n.Weight, n.AdminIP, n.AdminIP.IsName(), len(n.Agents))
	}
	fmt.Println(err)
	// Output:
	// cfguest11 weight 2 admIP "10.20.30.50" (a name: false) agents 2
	// node1 weight 2 admIP "fuji2" (a name: true) agents 2
	// cfguest12 weight 1 admIP "" (a name: false) agents 0
	// rcsd.cfg:3:38: error: bad-timeout: timeout "35x" is not a whole number of seconds of at least 1
}

// LocalNodeName and ClusterName take any Runner: LocalRunner on this node,
// an SSH runner for a guest, or the simulation used here.
func ExampleLocalNodeName() {
	sim := sdtest.New(sdtest.Config{LocalNode: "cfguest11", Cluster: "cluster1"})
	ctx := context.Background()
	node, err := sdfacility.LocalNodeName(ctx, sim)
	if err != nil {
		fmt.Println(err)
		return
	}
	cluster, err := sdfacility.ClusterName(ctx, sim)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(node, cluster)
	// Output: cfguest11 cluster1
}

// Status reads sdtool -s once. On a node the zero Facility runs
// /opt/SMAW/bin/sdtool through LocalRunner; here a simulation stands in.
func ExampleFacility_Status() {
	f := &sdfacility.Facility{Runner: sdtest.New(sdtest.Config{
		Nodes: []sdtest.Node{{Name: "cfguest11", Agents: []string{"SA_libvirtgp"}}},
	})}
	st, err := f.Status(context.Background())
	switch {
	case errors.Is(err, sdfacility.ErrToolMissing):
		fmt.Println("sdtool is not installed here")
	case errors.Is(err, sdfacility.ErrUnconfirmed):
		fmt.Println("a table, but not confirmed running:", err)
	case err != nil:
		fmt.Println(err)
	case !st.Running:
		fmt.Println("the shutdown facility does not run:", st.Summary())
	default:
		fmt.Println(st.Summary())
	}
	// Output: the shutdown facility does not run: not running (sdtool -s exit status 1: "sdtool: the shutdown daemon is not running")
}

// On a node, read sdfacility.DefaultConfigPath; this reads a copy of the
// Cluster Foundation guide's example and others.
func ExampleReadConfigFile() {
	cfg, err := sdfacility.ReadConfigFile("testdata/rcsd/cfguide.cfg")
	if err != nil {
		fmt.Println(err) // one line per problem: FILE:LINE:COL: error|warning: CODE: message
		return
	}
	for _, n := range cfg.Nodes[:3] {
		fmt.Println(n.Name, n.Weight, n.AdminIP)
	}
	fmt.Println(cfg.Diagnostics[0]) // warnings come with the Config
	// Output:
	// node1 2 fuji2
	// node2 2 fuji3
	// node3 1 fuji4.example.com
	// testdata/rcsd/cfguide.cfg:2:16: warning: admnip: admnIP read as admIP: the 4.5 guide's syntax line spells it so, the 4.3 and 4.7 guides write admIP
}
