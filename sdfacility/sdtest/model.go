package sdtest

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sfkvm/sfkvm/sdfacility"
)

// Node is one cluster node and its shutdown agents, as sdtool -s lists them.
type Node struct {
	Name   string
	Agents []string
}

// AgentRef names one agent of one node.
type AgentRef struct {
	Node, Agent string
}

// Config describes the simulated cluster and the faults to show.
type Config struct {
	Nodes []Node
	// Running: the facility runs, every agent ready, before the first call.
	Running bool
	// ReadsPerStep is how many sdtool -s reads each step of the agents'
	// walk lasts (1 if zero): Init-ing, then InitWorked with Testing, then
	// TestWorked.
	ReadsPerStep int
	// InitFails and TestFails end these agents in InitFailed or TestFailed.
	InitFails, TestFails []AgentRef
	// StopFails makes sdtool -e exit 1 and leave the facility running.
	StopFails bool
	// StartHangs makes sdtool -b never return (until killed or cancelled).
	// The facility stays down, unless HangAfterStart.
	StartHangs bool
	// HangAfterStart, with StartHangs: the daemon starts (its agents begin
	// their walk) before sdtool -b hangs.
	HangAfterStart bool
	// StartFails makes sdtool -b exit 1 with a message and leave the
	// facility down.
	StartFails bool
	// StatusExit, when not zero, is the exit status of sdtool -s while the
	// facility runs: the table is printed all the same.
	StatusExit int
	// Garbage makes sdtool -s print unreadable text and exit 0, whether
	// the facility runs or not.
	Garbage bool
	// DownExitZero makes sdtool -s exit 0, with a message and no table,
	// when the facility does not run (the default is exit status 1).
	DownExitZero bool
	// SDToolMissing makes Sim answer sdtool calls as a command not found.
	SDToolMissing bool
	// LocalNode and Cluster are cftool -l and cftool -c's answers
	// (defaults: the first node's name, and "cluster1").
	LocalNode, Cluster string
}

// state is the whole simulation, shared by Sim (in memory) and the program
// (in a JSON file).
type state struct {
	Config  Config
	Running bool
	Reads   int // sdtool -s reads since the last sdtool -b
	Calls   []string
}

func newState(cfg Config) *state {
	if cfg.ReadsPerStep <= 0 {
		cfg.ReadsPerStep = 1
	}
	if cfg.LocalNode == "" && len(cfg.Nodes) > 0 {
		cfg.LocalNode = cfg.Nodes[0].Name
	}
	if cfg.Cluster == "" {
		cfg.Cluster = "cluster1"
	}
	st := &state{Config: cfg, Running: cfg.Running}
	if cfg.Running {
		st.Reads = 2 * cfg.ReadsPerStep
	}
	return st
}

// outcome is what one call answers. hang means it never returns.
type outcome struct {
	stdout, stderr string
	code           int
	hang           bool
	missing        bool
}

// call runs one command against the state and records it.
func (st *state) call(name string, args []string) outcome {
	tool := filepath.Base(name)
	st.Calls = append(st.Calls, strings.Join(append([]string{tool}, args...), " "))
	switch tool {
	case "sdtool":
		if st.Config.SDToolMissing {
			return outcome{missing: true}
		}
		return st.sdtool(args)
	case "cftool":
		return st.cftool(args)
	}
	return outcome{missing: true}
}

const notRunning = "sdtool: the shutdown daemon is not running\n"

func (st *state) sdtool(args []string) outcome {
	if len(args) != 1 {
		return outcome{stderr: "usage: sdtool -s | -e | -b | -r\n", code: 1}
	}
	switch args[0] {
	case "-s":
		if st.Config.Garbage {
			return outcome{stdout: "\x1b[31m*** sdtool: internal error 0x7f3a\nsegment 12 ::: ???\n\x00\xff\n"}
		}
		if !st.Running {
			if st.Config.DownExitZero {
				return outcome{stdout: notRunning}
			}
			return outcome{stderr: notRunning, code: 1}
		}
		out := st.table()
		st.Reads++
		return outcome{stdout: out, code: st.Config.StatusExit}
	case "-e":
		switch {
		case st.Config.StopFails:
			return outcome{stderr: "sdtool: failed to stop the shutdown daemon\n", code: 1}
		case !st.Running:
			return outcome{stderr: notRunning, code: 1}
		}
		st.Running = false
		return outcome{}
	case "-b":
		switch {
		case st.Config.StartHangs && st.Config.HangAfterStart && !st.Running:
			st.Running, st.Reads = true, 0
			return outcome{hang: true}
		case st.Config.StartHangs:
			return outcome{hang: true}
		case st.Config.StartFails:
			return outcome{stderr: "sdtool: failed to start the shutdown daemon\n", code: 1}
		case st.Running:
			return outcome{stderr: "sdtool: the shutdown daemon is already running\n", code: 1}
		}
		st.Running, st.Reads = true, 0
		return outcome{}
	}
	return outcome{stderr: "usage: sdtool -s | -e | -b | -r\n", code: 1}
}

func (st *state) cftool(args []string) outcome {
	switch strings.Join(args, " ") {
	case "-l":
		return outcome{stdout: fmt.Sprintf("Node    Number State       Os      Cpu\n%-7s 1      UP          Linux   EM64T\n", st.Config.LocalNode)}
	case "-c":
		return outcome{stdout: st.Config.Cluster + "\n"}
	}
	return outcome{stderr: "cftool: unknown option\n", code: 1}
}

// Header and Dashes are the first two lines of the sdtool -s table.
const (
	Header = "Cluster Host    Agent         SA State      Shut State  Test State  Init State"
	Dashes = "------------    -----         --------      ----------  ----------  ----------"
)

// table renders sdtool -s at the current step of the walk. Columns are
// padded to the header's widths and pushed right by wider names, as the
// real tool's are.
func (st *state) table() string {
	var b strings.Builder
	b.WriteString(Header + "\n" + Dashes + "\n")
	step := st.Reads / st.Config.ReadsPerStep
	for _, n := range st.Config.Nodes {
		for _, a := range n.Agents {
			sa, test, init := st.agentStates(AgentRef{n.Name, a}, step)
			fmt.Fprintf(&b, "%-15s %-13s %-13s %-11s %-11s %s\n", n.Name, a, sa, sdfacility.ShutUnknown, test, init)
		}
	}
	return b.String()
}

func (st *state) agentStates(ref AgentRef, step int) (sdfacility.SAState, sdfacility.TestState, sdfacility.InitState) {
	initFails, testFails := contains(st.Config.InitFails, ref), contains(st.Config.TestFails, ref)
	switch {
	case step == 0:
		return sdfacility.SAInitIng, sdfacility.TestUnknown, sdfacility.InitInitIng
	case initFails:
		return sdfacility.SAInitFailed, sdfacility.TestUnknown, sdfacility.InitInitFailed
	case step == 1:
		return sdfacility.SATesting, sdfacility.TestTesting, sdfacility.InitInitWorked
	case testFails:
		return sdfacility.SAIdle, sdfacility.TestTestFailed, sdfacility.InitInitWorked
	}
	return sdfacility.SAIdle, sdfacility.TestTestWorked, sdfacility.InitInitWorked
}

func contains(refs []AgentRef, ref AgentRef) bool {
	for _, r := range refs {
		if r == ref {
			return true
		}
	}
	return false
}
